"""A day's request distribution: an ORTEC VRPTW instance read as integer arrays.

In the dynamic variant an instance is not served as given; it is the distribution from which
each epoch's requests are drawn (locations, windows, demands and service times of its
customers), with the depot's window as the planning horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lastmile.domain.errors import InvalidInput

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class DayInstance:
    """Node 0 is the depot; nodes 1..n are the customers requests are drawn from."""

    name: str
    durations: IntArray  # (n+1, n+1) seconds, asymmetric
    demands: IntArray  # (n+1,)
    capacity: int
    time_windows: IntArray  # (n+1, 2) seconds from midnight; row 0 is the horizon
    service_s: IntArray  # (n+1,)

    @property
    def num_customers(self) -> int:
        return int(self.demands.size - 1)

    @property
    def horizon_s(self) -> int:
        return int(self.time_windows[0, 1])

    def __post_init__(self) -> None:
        size = self.demands.size
        if size < 2:
            raise InvalidInput("an instance needs a depot and at least one customer")
        if self.durations.shape != (size, size):
            raise InvalidInput(
                f"expected a {size}x{size} duration matrix, got {self.durations.shape}",
                field="durations",
                location=self.name,
            )
        for field, array, shape in (
            ("time_windows", self.time_windows, (size, 2)),
            ("service_s", self.service_s, (size,)),
        ):
            if array.shape != shape:
                raise InvalidInput(f"expected shape {shape}", field=field, location=self.name)
        if (self.durations < 0).any():
            raise InvalidInput("durations must be non-negative", field="durations")
        if (self.time_windows[:, 0] > self.time_windows[:, 1]).any():
            bad = int(np.flatnonzero(self.time_windows[:, 0] > self.time_windows[:, 1])[0])
            raise InvalidInput(
                f"node {bad + 1} opens after it closes", field="time_windows", location=self.name
            )
        if self.capacity <= 0 or (self.demands > self.capacity).any():
            raise InvalidInput("every demand must fit the capacity", field="capacity")


def positive_seconds(value: float, field: str) -> None:
    """A time limit must be a positive, finite number of seconds (InvalidInput naming it)."""
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"must be a positive number of seconds, got {value}", field=field)


def load_instance(path: Path) -> DayInstance:
    """Read a VRPLIB VRPTW file with an explicit full duration matrix (ORTEC format)."""
    import vrplib

    if not path.is_file():
        raise InvalidInput("no such instance file", location=str(path))
    try:
        raw = vrplib.read_instance(str(path))
    except (ValueError, IndexError, KeyError, TypeError, RuntimeError) as exc:
        raise InvalidInput(f"not a readable VRPLIB instance: {exc}", location=str(path)) from exc
    missing = [
        k
        for k in ("edge_weight", "demand", "capacity", "time_window", "service_time")
        if k not in raw
    ]
    if missing:
        raise InvalidInput(f"missing sections: {', '.join(missing)}", location=str(path))
    return DayInstance(
        name=str(raw.get("name", path.stem)).strip(),
        durations=np.asarray(raw["edge_weight"], dtype=np.int64),
        demands=np.asarray(raw["demand"], dtype=np.int64),
        capacity=int(raw["capacity"]),
        time_windows=np.asarray(raw["time_window"], dtype=np.int64),
        service_s=np.asarray(raw["service_time"], dtype=np.int64),
    )
