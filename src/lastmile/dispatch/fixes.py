"""A van's GPS track against its plan: how late it is between stops, with no scan.

Scans and geofenced arrivals say where a van was; between them the day has the van where
the plan says. A van stuck in traffic, or not yet out of the hub, is late long before its
next scan. Its last fix tells how late once it is known which stop the van is heading for,
and one fix cannot tell that: the driver may have served stops without scanning them. The
track can. Since tracking's last word on the van (a scan, a geofenced arrival), the van
has reached a stop of its route when a fix came within the geofence radius of it, in the
plan's order; the stop it heads for is the first it has not reached. A track with gaps
longer than :data:`GAP_S` could have missed a stop, so it says nothing, and so does one
that does not reach back to that last word (or to the route's start): the caller reads at
most :data:`TRACK_S` of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from lastmile.dispatch.state import DayState
from lastmile.domain import Coordinate
from lastmile.geo.geofence import DEFAULT_STOP_RADIUS_M
from lastmile.geo.points import haversine_m
from lastmile.planning.solver import RouteResult

#: A last fix older than this says nothing about where the van is now.
FIX_AGE_S = 600
#: Fixes further apart than this may have missed a stop (a few minutes' service).
GAP_S = 120
#: Lags shorter than this are the plan's own noise, not a delay.
MIN_DELAY_S = 60
#: The longest track read for one van and look: a van with no scan for longer is left to
#: its next scan (a driver scanning nothing all day would otherwise mean hours of fixes).
TRACK_S = 7200


@dataclass(frozen=True)
class Fix:
    """A GPS position of a vehicle and when it was recorded (day seconds)."""

    at_s: int
    point: Coordinate


def track_starts(state: DayState, now_s: int) -> dict[str, int]:
    """For each van on the road, when the track to read begins (tracking's last word on it,
    else its route's start); vans whose track would be longer than :data:`TRACK_S`, or
    that have not started, are not listed."""
    starts = {}
    for route in state.plan.routes:
        van = state.vehicles.get(route.vehicle_ref)
        if van is None or van.broken or not route.visits or route.start_s > now_s:
            continue
        since = _since(state, route)
        start = route.start_s if since is None else since
        if now_s - start <= TRACK_S:
            starts[route.vehicle_ref] = start
    return starts


def headings(
    state: DayState, tracks: Mapping[str, Sequence[Fix]], now_s: int
) -> list[tuple[str, int]]:
    """For each van whose track puts it late on the plan in force (see the module), the
    stop it is heading for and when it will be there; ``tracks``: each vehicle's fixes in
    time order, from its :func:`track_starts`."""
    out = []
    for route in state.plan.routes:
        van = state.vehicles.get(route.vehicle_ref)
        if van is None or van.broken or not route.visits:
            continue
        found = _heading(state, route, tracks.get(route.vehicle_ref, ()), now_s)
        if found is not None and found[1] - found[2] >= MIN_DELAY_S:
            out.append((found[0], found[1]))
    return out


def _said(state: DayState, route: RouteResult) -> list[tuple[int, int]]:
    """Tracking's words on the route: (visit index, when) of each scan and arrival."""
    return [
        (i, t)
        for i, x in enumerate(route.visits)
        for t in (state.observed.get(x.ref), state.arrived.get(x.ref))
        if t is not None
    ]


def _since(state: DayState, route: RouteResult) -> int | None:
    return max((t for _, t in _said(state, route)), default=None)


def _heading(
    state: DayState, route: RouteResult, track: Sequence[Fix], now_s: int
) -> tuple[str, int, int] | None:
    """The stop the van is heading for (or serving), when it will be there (or was), and
    when the plan in force has it there."""
    said = _said(state, route)
    since = max((t for _, t in said), default=None)
    start = route.start_s if since is None else since
    fixes = [f for f in track if f.at_s > start]
    if not fixes or not now_s - FIX_AGE_S <= fixes[-1].at_s <= now_s:
        return None
    times = [start, *(f.at_s for f in fixes)]
    if any(b - a > GAP_S for a, b in pairwise(times)):
        return None
    problem = state.problem
    vehicle = problem.vehicles[route.vehicle]
    nxt = max((i for i, _ in said), default=-1) + 1
    stops = [problem.points[problem.jobs[x.job].point] for x in route.visits[nxt:]]
    near = _near(fixes, stops)
    reached: int | None = None  # the last stop the track came to, and when
    at = came_s = 0
    for f, row in zip(fixes, near, strict=True):
        while at < len(stops) and row[at]:
            reached, at = at, at + 1
            came_s = f.at_s
    last = fixes[-1]
    if reached is not None and near[-1][reached]:  # there now, serving it
        x = route.visits[nxt + reached]
        service = problem.jobs[x.job].service_s
        return x.ref, max(came_s, last.at_s - service), x.arrival_s  # serving until now at least
    heading = nxt + at
    if heading == len(route.visits):  # every stop reached: on its way back, nothing to say
        return None
    x = route.visits[heading]
    travel = problem.provider.matrix(
        [last.point],
        [problem.points[problem.jobs[x.job].point]],
        profile=vehicle.profile,
        hour=problem.plan_hour(vehicle),  # the hour band the plan's times were made on
    ).durations_s[0, 0]
    return x.ref, last.at_s + int(travel), x.arrival_s


def _near(fixes: Sequence[Fix], stops: Sequence[Coordinate]) -> np.ndarray:
    """Whether each fix is inside each stop's geofence, ``(fixes, stops)``."""
    if not stops:
        return np.zeros((len(fixes), 0), dtype=np.bool_)
    a = np.array([(f.point.lat, f.point.lon) for f in fixes], dtype=np.float64)
    b = np.array([(p.lat, p.lon) for p in stops], dtype=np.float64)
    near: np.ndarray = haversine_m(a, b) <= DEFAULT_STOP_RADIUS_M
    return near
