"""ETA accuracy: mean absolute error of the shown ETA, interval coverage, window keeping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from lastmile.tracking.eta.prediction import EtaPrediction

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EtaAccuracy:
    """``None`` where a figure has no data (no quantiles, no windows)."""

    predictions: int
    mae_route_s: float | None
    mae_p50_s: float | None
    p10_p90_coverage: float | None
    in_window_share: float | None

    @property
    def improvement(self) -> float | None:
        """How much smaller the learned P50 error is than the route ETA's (0.25 = 25 %)."""
        if not self.mae_route_s or self.mae_p50_s is None:
            return None
        return 1.0 - self.mae_p50_s / self.mae_route_s


def from_errors(route_error_s: Array, quantiles_s: Array | None) -> EtaAccuracy:
    """Accuracy from (actual − route ETA) and the predicted (P10, P50, P90) offsets."""
    n = len(route_error_s)
    if n == 0:
        return EtaAccuracy(0, None, None, None, None)
    mae_route = float(np.abs(route_error_s).mean())
    if quantiles_s is None:
        return EtaAccuracy(n, mae_route, None, None, None)
    mae = float(np.abs(route_error_s - quantiles_s[:, 1]).mean())
    inside = (quantiles_s[:, 0] <= route_error_s) & (route_error_s <= quantiles_s[:, 2])
    return EtaAccuracy(n, mae_route, mae, float(inside.mean()), None)


def from_journey(
    predictions: Sequence[EtaPrediction], arrivals: Mapping[tuple[str, str], datetime]
) -> EtaAccuracy:
    """Accuracy of stored predictions against the arrivals the journey recorded.

    Only predictions made before the arrival count (a prediction after it is hindsight).
    The window share is over stops with a promised window: arrived before its end.
    """
    rows = [
        (p, arrivals[(p.route_ref, p.stop_ref)])
        for p in predictions
        if (p.route_ref, p.stop_ref) in arrivals
        and p.computed_at <= arrivals[(p.route_ref, p.stop_ref)]
    ]
    if not rows:
        return EtaAccuracy(0, None, None, None, None)
    error = np.array([(a - p.eta).total_seconds() for p, a in rows])
    offsets = [_offsets(p) for p, _ in rows]
    quantiles = None
    if all(o is not None for o in offsets):
        quantiles = np.array(offsets, dtype=np.float64)
    result = from_errors(error, quantiles)
    windows = {(p.route_ref, p.stop_ref): (p.window, a) for p, a in rows if p.window}
    share = None
    if windows:
        share = float(np.mean([a < w.end for w, a in windows.values()]))
    return EtaAccuracy(
        result.predictions, result.mae_route_s, result.mae_p50_s, result.p10_p90_coverage, share
    )


def _offsets(p: EtaPrediction) -> tuple[float, float, float] | None:
    if p.p10 is None or p.p50 is None or p.p90 is None:
        return None
    return (
        (p.p10 - p.eta).total_seconds(),
        (p.p50 - p.eta).total_seconds(),
        (p.p90 - p.eta).total_seconds(),
    )
