"""A van about to leave with a near-empty trip waits for the next re-plan only when every
stop it still has keeps its promised window (with a margin) and its shift still fits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from lastmile.sim.policies import Dispatcher

HOUR = 3600


@dataclass
class _Job:
    ref: str
    windows: tuple[tuple[int, int], ...] = ()


@dataclass
class _Visit:
    ref: str
    service_start_s: int


@dataclass
class _Route:
    vehicle_ref: str
    visits: list[_Visit]
    end_s: int
    vehicle: int = 0


@dataclass
class _Vehicle:
    latest_end_s: int


@dataclass
class _Problem:
    jobs: list[_Job]
    vehicles: list[_Vehicle]

    def job_index(self) -> dict[str, int]:
        return {j.ref: n for n, j in enumerate(self.jobs)}


@dataclass
class _Plan:
    routes: list[_Route]


@dataclass
class _State:
    problem: _Problem
    plan: _Plan
    served: set[str] = field(default_factory=set)

    def locked(self) -> set[str]:
        return set(self.served)


@dataclass
class _Ctx:
    state: _State


def _dispatcher(
    windows: Sequence[tuple[tuple[int, int], ...]],
    *,
    policy: str = "dynamic",
    latest_end_s: int = 20 * HOUR,
    hold_stops: int = 2,
) -> Dispatcher:
    """One van whose trip serves one stop per window set, the first at 10:00."""
    jobs = [_Job(f"S{n}", w) for n, w in enumerate(windows)]
    visits = [_Visit(j.ref, 10 * HOUR + 600 * n) for n, j in enumerate(jobs)]
    route = _Route("V1", visits, end_s=11 * HOUR)
    state = _State(_Problem(jobs, [_Vehicle(latest_end_s)]), _Plan([route]))
    return Dispatcher(
        policy, cast(Any, _Ctx(state)), cast(Any, None), cast(Any, None),
        observe=lambda now: {}, replan_every_s=900.0, hold_stops=hold_stops,
    )  # fmt: skip


def test_a_one_stop_trip_with_a_wide_window_waits_for_the_next_replan() -> None:
    d = _dispatcher([((9 * HOUR, 14 * HOUR),)])
    assert d.hold("V1", 1, lag_s=0.0, now_s=9.5 * HOUR) == 9.75 * HOUR
    assert d.holds == 1


def test_a_stop_whose_window_would_close_leaves_now() -> None:
    # Served at 10:00 + 15 min hold + 30 min margin: past a window closing at 10:30.
    d = _dispatcher([((9 * HOUR, 10 * HOUR + 1800),)])
    assert d.hold("V1", 1, lag_s=0.0, now_s=9.5 * HOUR) is None
    assert d.holds == 0


def test_the_van_already_behind_the_plan_counts_against_the_window() -> None:
    d = _dispatcher([((9 * HOUR, 11 * HOUR),)])
    assert d.hold("V1", 1, lag_s=0.0, now_s=9.5 * HOUR) is not None
    assert d.hold("V1", 1, lag_s=1800.0, now_s=9.5 * HOUR) is None


def test_a_full_trip_a_static_plan_or_an_ending_shift_never_waits() -> None:
    wide: list[tuple[tuple[int, int], ...]] = [((9 * HOUR, 14 * HOUR),)] * 3
    assert _dispatcher(wide).hold("V1", 3, lag_s=0.0, now_s=9.5 * HOUR) is None
    assert _dispatcher(wide[:1], policy="static").hold("V1", 1, 0.0, 9.5 * HOUR) is None
    assert _dispatcher(wide[:1], hold_stops=0).hold("V1", 1, 0.0, 9.5 * HOUR) is None
    late = _dispatcher(wide[:1], latest_end_s=11 * HOUR + 1800)
    assert late.hold("V1", 1, lag_s=0.0, now_s=9.5 * HOUR) is None


def test_a_stop_without_a_window_does_not_stop_the_wait() -> None:
    d = _dispatcher([(), ((9 * HOUR, 14 * HOUR),)])
    assert d.hold("V1", 2, lag_s=0.0, now_s=9.5 * HOUR) == 9.75 * HOUR
