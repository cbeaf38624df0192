"""Webhook signatures: HMAC-SHA256 over ``timestamp.body``, the recipe receivers follow.

Header: ``Lastmile-Signature: t=<unix seconds>,v1=<hex digest>``. A receiver recomputes
``hmac_sha256(secret, f"{t}.{raw_body}")``, compares in constant time, and refuses timestamps
older than its tolerance so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

from lastmile.domain.errors import InvalidInput

SIGNATURE_HEADER = "Lastmile-Signature"
DEFAULT_TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> None:
    """Raise InvalidInput unless ``header`` signs ``body`` with ``secret`` recently enough."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        raise InvalidInput("signature header needs t= and v1=", field=SIGNATURE_HEADER)
    try:
        timestamp = int(parts["t"])
    except ValueError:
        raise InvalidInput("t= is not a number", field=SIGNATURE_HEADER) from None
    if abs(now - timestamp) > tolerance_s:
        raise InvalidInput("signature timestamp is outside the tolerance", field=SIGNATURE_HEADER)
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise InvalidInput("signature does not match the body", field=SIGNATURE_HEADER)
