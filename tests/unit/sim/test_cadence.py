"""A big day re-plans less often; a day of ordinary size keeps its interval."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from lastmile.sim.policies import Dispatcher


@dataclass
class _State:
    open: int
    now_s: int = 0
    problem: Any = None
    plan: Any = None
    vehicles: dict[str, Any] = field(default_factory=dict)

    def open_jobs(self) -> list[str]:
        return [f"S{i}" for i in range(self.open)]


@dataclass
class _Ctx:
    state: _State
    last: None = None
    log: list[Any] = field(default_factory=list)


@dataclass
class _Bus:
    calls: int = 0

    def handle(self, message: object) -> list[object]:
        self.calls += 1
        return []


class _Platform:
    def raised(self, now_s: float, events: object) -> None: ...

    def publish(self, *args: object) -> None: ...


def _dispatcher(open_stops: int, replan_stops: int | None) -> tuple[Dispatcher, _Bus]:
    bus = _Bus()
    d = Dispatcher(
        "dynamic", cast(Any, _Ctx(_State(open_stops))), cast(Any, bus), cast(Any, _Platform()),
        observe=lambda now: {}, replan_every_s=900.0, replan_stops=replan_stops,
    )  # fmt: skip
    return d, bus


def _ticks(d: Dispatcher, n: int) -> None:
    for k in range(1, n + 1):
        d.note("something happened")
        d.tick(900.0 * k)


def test_a_day_with_more_open_stops_than_the_limit_replans_every_other_interval() -> None:
    d, bus = _dispatcher(open_stops=1100, replan_stops=600)
    assert d.gap_s() == 1800.0
    _ticks(d, 8)
    assert bus.calls == 4


def test_an_ordinary_day_replans_at_every_interval_with_events_waiting() -> None:
    for replan_stops in (600, None):
        d, bus = _dispatcher(open_stops=300, replan_stops=replan_stops)
        _ticks(d, 8)
        assert bus.calls == 8


@dataclass
class _RecordingBus:
    sent: list[object] = field(default_factory=list)

    def handle(self, message: object) -> list[object]:
        self.sent.append(message)
        return []


def test_idle_intervals_improve_the_plan_only_when_asked_and_never_delay_a_replan() -> None:
    from lastmile.dispatch import commands as c

    for improve_idle in (False, True):
        bus = _RecordingBus()
        d = Dispatcher(
            "dynamic", cast(Any, _Ctx(_State(300))), cast(Any, bus), cast(Any, _Platform()),
            observe=lambda now: {}, improve_idle=improve_idle,
        )  # fmt: skip
        d.tick(900.0)  # nothing waiting
        d.note("an order was placed")
        d.tick(1800.0)
        d.tick(2700.0)  # nothing waiting
        d.note("a van was delayed")
        d.tick(3600.0)
        kinds = [type(m) for m in bus.sent]
        if improve_idle:
            assert kinds == [c.ImprovePlan, c.Replan, c.ImprovePlan, c.Replan]
        else:
            assert kinds == [c.Replan, c.Replan]
        assert d.replans == 2 and d.improvements == 0  # the test bus adopts nothing
