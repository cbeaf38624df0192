"""Tracking: idempotent ingestion of pings and scans, journey updates, geofenced arrival and
dwell, route drift, carrier status mapping, proof of delivery and micro-ETAs (``eta/``).

Pure functions over domain objects; storage and transports live in ``store`` and ``dispatch``.
"""
