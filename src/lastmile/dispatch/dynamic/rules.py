"""The epoch rules every dispatch must respect; a broken rule stops the day loudly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from lastmile.dispatch.dynamic.instance import DayInstance, IntArray
from lastmile.domain.errors import InvalidInput


class RuleViolation(InvalidInput):
    """A dispatch that breaks the rules of the dynamic VRPTW (names epoch, route, request)."""


@dataclass(frozen=True)
class EpochState:
    """What a dispatcher sees at the start of an epoch.

    Times are relative to the epoch's departure (0 = vehicles leave the depot): windows are
    shifted and those already past clipped to 0; ``horizon_s`` closes the depot.
    ``request_ids`` name the open requests; routes are lists of these ids.
    """

    instance: DayInstance
    epoch: int
    first_epoch: int
    last_epoch: int
    departure_s: int
    request_ids: IntArray
    customers: IntArray
    time_windows: IntArray
    demands: IntArray
    service_s: IntArray
    must_dispatch: np.ndarray
    horizon_s: int

    @property
    def is_last(self) -> bool:
        return self.epoch >= self.last_epoch

    @property
    def size(self) -> int:
        return int(self.request_ids.size)


def route_duration(instance: DayInstance, customers: Sequence[int]) -> int:
    """Driving duration of depot -> customers -> depot (waiting and service not counted)."""
    path = [0, *customers, 0]
    d = instance.durations
    return int(sum(int(d[a, b]) for a, b in pairwise(path)))


def check_epoch_routes(state: EpochState, routes: Sequence[Sequence[int]]) -> int:
    """Validate an epoch's routes and return their driving duration.

    Raises
    ------
    RuleViolation
        On an unknown or repeated request, a missing must-dispatch request, an exceeded
        capacity, a missed window or a return after the depot closes.
    """
    where = f"epoch {state.epoch}"
    position = {int(r): i for i, r in enumerate(state.request_ids)}
    seen: set[int] = set()
    total = 0
    for number, route in enumerate(routes):
        if not route:
            raise RuleViolation(
                "a route must visit at least one request", location=f"{where}, route {number}"
            )
        idx = []
        for request in route:
            if int(request) not in position:
                raise RuleViolation(
                    f"request {request} is not open", location=f"{where}, route {number}"
                )
            if int(request) in seen:
                raise RuleViolation(
                    f"request {request} is dispatched twice", location=f"{where}, route {number}"
                )
            seen.add(int(request))
            idx.append(position[int(request)])
        check_route(state, idx, f"{where}, route {number}")
        total += route_duration(state.instance, [int(state.customers[i]) for i in idx])
    missing = [
        int(r)
        for r, m in zip(state.request_ids, state.must_dispatch, strict=True)
        if m and int(r) not in seen
    ]
    if missing:
        raise RuleViolation(
            f"must-dispatch requests left open: {missing[:10]}",
            field="must_dispatch",
            location=where,
        )
    return total


def check_route(state: EpochState, idx: list[int], where: str) -> None:
    """Check one route given as positions in ``state``; raise RuleViolation if illegal."""
    load = int(state.demands[idx].sum())
    if load > state.instance.capacity:
        raise RuleViolation(
            f"load {load} exceeds capacity {state.instance.capacity}",
            field="capacity",
            location=where,
        )
    d = state.instance.durations
    time, here = 0, 0
    for i in idx:
        there = int(state.customers[i])
        time = max(time + int(d[here, there]), int(state.time_windows[i, 0]))
        if time > int(state.time_windows[i, 1]):
            raise RuleViolation(
                f"request {int(state.request_ids[i])} reached at {time} s after its window "
                f"closes at {int(state.time_windows[i, 1])} s",
                field="time_windows",
                location=where,
            )
        time += int(state.service_s[i])
        here = there
    back = time + int(d[here, 0])
    if back > state.horizon_s:
        raise RuleViolation(
            f"back at the depot at {back} s, after it closes at {state.horizon_s} s",
            field="horizon",
            location=where,
        )
