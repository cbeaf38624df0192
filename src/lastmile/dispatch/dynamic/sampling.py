"""The competition's request sampling and the feasibility tests built on it.

Order matters for reproducibility: each epoch draws four arrays of 100 customer numbers
(location, window, demand, service time) from the one ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lastmile.dispatch.dynamic.instance import DayInstance, IntArray

EPOCH_S = 3600
DISPATCH_MARGIN_S = 3600
REQUESTS_PER_EPOCH = 100


def epoch_bounds(instance: DayInstance) -> tuple[int, int]:
    """First and last epoch, from the customers' earliest window starts."""
    starts = instance.time_windows[1:, 0]
    first = max(0, int((int(starts.min()) - DISPATCH_MARGIN_S) // EPOCH_S))
    last = max(0, int((int(starts.max()) - DISPATCH_MARGIN_S) // EPOCH_S))
    return first, last


def departure_s(epoch: int) -> int:
    """Routes planned in ``epoch`` leave the depot one dispatch margin after it starts."""
    return epoch * EPOCH_S + DISPATCH_MARGIN_S


@dataclass(frozen=True)
class Requests:
    """Requests as parallel arrays; windows are absolute (seconds from midnight)."""

    customers: IntArray
    time_windows: IntArray
    demands: IntArray
    service_s: IntArray

    @property
    def size(self) -> int:
        return int(self.customers.size)


def reachable(
    instance: DayInstance,
    customers: IntArray,
    time_windows: IntArray,
    service_s: IntArray,
    leave_s: int,
) -> NDArray[np.bool_]:
    """Whether a vehicle leaving at ``leave_s`` serves each request and is back in time."""
    arrival = np.maximum(leave_s + instance.durations[0, customers], time_windows[:, 0])
    back = arrival + service_s + instance.durations[customers, 0]
    ok: NDArray[np.bool_] = (arrival <= time_windows[:, 1]) & (back <= instance.horizon_s)
    return ok


def sample_epoch(
    instance: DayInstance,
    rng: np.random.Generator,
    epoch: int,
    size: int = REQUESTS_PER_EPOCH,
) -> Requests:
    """Draw one epoch's candidates and keep those still servable from its departure."""
    n = instance.num_customers
    location = rng.integers(n, size=size) + 1
    window = rng.integers(n, size=size) + 1
    demand = rng.integers(n, size=size) + 1
    service = rng.integers(n, size=size) + 1
    windows = instance.time_windows[window]
    services = instance.service_s[service]
    keep = reachable(instance, location, windows, services, departure_s(epoch))
    return Requests(
        customers=location[keep].astype(np.int64),
        time_windows=windows[keep].astype(np.int64),
        demands=instance.demands[demand][keep].astype(np.int64),
        service_s=services[keep].astype(np.int64),
    )
