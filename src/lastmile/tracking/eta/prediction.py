"""One stop's ETA as shown to people and stored: the route-based time plus learned quantiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lastmile.domain.values import TimeWindow


@dataclass(frozen=True, slots=True)
class EtaPrediction:
    """``eta`` is the route-based arrival; ``p10``/``p50``/``p90`` the learned quantiles
    (``None`` until a model is trained). People are shown ``best``: P50 when known."""

    route_ref: str
    stop_ref: str
    order_refs: tuple[str, ...]
    computed_at: datetime
    eta: datetime
    p10: datetime | None = None
    p50: datetime | None = None
    p90: datetime | None = None
    window: TimeWindow | None = None

    @property
    def best(self) -> datetime:
        return self.p50 or self.eta
