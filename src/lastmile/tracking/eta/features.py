"""Features of one (moment, remaining stop) pair, the unit the learned ETA is trained on.

The route-based ETA already knows the distance; what it gets wrong is systematic: some zones
are slower than the speed profile, apartments take longer than the default service time, a
van running late at 10:00 is usually still late at 11:00. So the model predicts the *error*
of the route-based ETA from these features, and the learned ETA is route ETA + predicted error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from lastmile.domain.enums import AddressType, VehicleKind
from lastmile.tracking.eta.route import RemainingStop, StopEta

FEATURES = (
    "horizon_s", "stops_ahead", "travel_ahead_s", "service_ahead_s", "hour",
    "delay_s", "service_s", "zone", "address_type", "vehicle_kind",
)  # fmt: skip
CATEGORICAL = ("zone", "address_type", "vehicle_kind")
ADDRESS_CODES = {a: i for i, a in enumerate(AddressType)}
VEHICLE_CODES = {v: i for i, v in enumerate(VehicleKind)}


@dataclass(frozen=True)
class RouteContext:
    """What the model needs beyond the ETAs: the vehicle and how late it runs against plan."""

    vehicle_kind: VehicleKind
    delay_s: float = 0.0


def feature_rows(
    at: datetime,
    stops: Sequence[RemainingStop],
    etas: Sequence[StopEta],
    context: RouteContext,
    zone_codes: dict[str, int],
) -> npt.NDArray[np.float64]:
    """One row per remaining stop, columns in :data:`FEATURES` order.

    Zones unknown to the model get code -1, which LightGBM treats as a missing category.
    """
    n = len(etas)
    rows = np.empty((n, len(FEATURES)), dtype=np.float64)
    travel = np.cumsum([e.travel_s for e in etas], dtype=np.float64)
    service = np.cumsum([0, *(s.service_s for s in stops[:-1])], dtype=np.float64)
    rows[:, 0] = [(e.eta - at).total_seconds() for e in etas]
    rows[:, 1] = np.arange(n)
    rows[:, 2] = travel
    rows[:, 3] = service[:n]
    rows[:, 4] = at.hour + at.minute / 60
    rows[:, 5] = context.delay_s
    rows[:, 6] = [s.service_s for s in stops]
    rows[:, 7] = [zone_codes.get(s.zone_ref, -1) for s in stops]
    rows[:, 8] = [ADDRESS_CODES[s.address_type] for s in stops]
    rows[:, 9] = VEHICLE_CODES[context.vehicle_kind]
    return rows
