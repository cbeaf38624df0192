"""KPIs by zone and window, policy comparison, reports and charts (see docs/analytics.md).

``scorecard.score(DayLog) -> Scorecard``, ``compare.compare(a, b) -> Comparison`` and
``report`` (Rich tables, JSON, HTML). Reads only day logs: never storage or the network.
"""
