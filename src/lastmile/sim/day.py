"""One simulated day through the real platform: ``run_day(config) -> DayLog``.

The scenario generator gives the city, the fleet and the day's orders; the seed draws the
day's script (:mod:`lastmile.sim.facts`); the platform plans the morning with the planner,
then the clock runs: same-day orders arrive, hubs announce late parcels, the weather turns,
vans drive, ring and break down, devices upload pings and scans, and the dispatcher reacts
as its policy says. The result is the day log the KPI scorecard reads.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from lastmile.analytics.daylog import DayLog
from lastmile.bootstrap import SqlUnitOfWorkFactory
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replanning import dispatch_bus
from lastmile.dispatch.rules import RuleSet
from lastmile.dispatch.state import advance
from lastmile.dispatch.tracking_ports import TrackingStore, TrackingUnitOfWork
from lastmile.geo.travel import TravelTimeProvider
from lastmile.planning.build import build_from_orders
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import SolveOptions
from lastmile.sim.clock import SimClock
from lastmile.sim.config import SimConfig as SimConfig  # re-exported: callers import it from here
from lastmile.sim.driving import Street
from lastmile.sim.facts import DayFacts, draw_facts
from lastmile.sim.fleet import roster_for_demand, trim_fleet
from lastmile.sim.platform import Platform
from lastmile.sim.policies import Dispatcher, FixedEffort
from lastmile.sim.record import build_daylog, close_reasons
from lastmile.sim.scenario import Scenario, generate
from lastmile.sim.uplink import Uplink
from lastmile.sim.world import Parcel, Van

#: Called with (simulated seconds done, simulated seconds in the day, what is happening).
Progress = Callable[[float, float, str], None]


@dataclass
class Backend:
    """Where the platform keeps the day: units of work and the tracking store."""

    uow: Callable[[], TrackingUnitOfWork]
    store: TrackingStore
    name: str
    #: How devices upload (``None``: in this process; see ``sim.uplink``).
    uplink: Uplink | None = None


def memory_backend() -> Backend:
    """Everything in this process's memory: the fastest way to run a day headless."""
    from lastmile.sim.memory import MemoryJournal, MemoryTrackingStore, MemoryTrackingUnitOfWork
    from lastmile.store.memory import InMemoryDatabase

    database, journal = InMemoryDatabase(), MemoryJournal()
    return Backend(
        lambda: MemoryTrackingUnitOfWork(database, journal), MemoryTrackingStore(), "memory"
    )


def sql_backend(factory: SqlUnitOfWorkFactory) -> Backend:
    """The SQL store behind ``factory`` (SQLite or PostgreSQL), as the API uses it."""
    from lastmile.store.tracking_journal import SqlTrackingUnitOfWork
    from lastmile.store.tracking_repositories import SqlTrackingStore

    engine = factory.engine
    return Backend(lambda: SqlTrackingUnitOfWork(engine), SqlTrackingStore(engine), "sql")


def run_day(
    config: SimConfig,
    *,
    uow_factory: SqlUnitOfWorkFactory | None = None,
    pace: float | None = None,
    progress: Progress | None = None,
    provider: TravelTimeProvider | None = None,
) -> DayLog:
    """Simulate one day under ``config.policy``; the same config gives the same log.

    ``uow_factory`` is the database the day is written to (the one ``lastmile serve`` reads,
    for the demo); without it the day is kept in memory. ``pace`` is simulated seconds
    per wall second (``None``: as fast as possible); ``progress`` hears how far the day is.
    """
    backend = sql_backend(uow_factory) if uow_factory is not None else memory_backend()
    return simulate(config, backend, pace=pace, progress=progress, provider=provider).log


@dataclass
class SimulatedDay:
    """A day run, with the street's truth and the platform kept for inspection (tests)."""

    log: DayLog
    parcels: dict[str, Parcel]
    vans: dict[str, Van]
    platform: Platform
    backend: Backend


def simulate(
    config: SimConfig,
    backend: Backend,
    *,
    pace: float | None = None,
    progress: Progress | None = None,
    provider: TravelTimeProvider | None = None,
) -> SimulatedDay:
    """:func:`run_day` on a given backend, returning the truth beside the log."""
    began = time.perf_counter()
    phases: dict[str, float] = {}
    scenario = generate(config.orders, config.seed, config.day, osm=config.osm)
    if config.vehicles is not None:
        trim_fleet(scenario, config.vehicles)
    roster_for_demand(scenario)
    provider = provider or _provider(config)
    phases["scenario_s"] = time.perf_counter() - began
    day = _Day(config, scenario, provider, backend, pace, progress, phases)
    log = day.run()
    log.notes["store"] = backend.name
    phases["total_s"] = time.perf_counter() - began
    log.notes.update({k: f"{v:.2f}" for k, v in phases.items()})
    return SimulatedDay(log, day.parcels, day.vans, day.platform, backend)


def _provider(config: SimConfig) -> TravelTimeProvider:
    if config.osm is None:
        from lastmile.geo.haversine import HaversineProvider

        return HaversineProvider()
    from lastmile.geo.factory import travel_provider

    return travel_provider(config.osm)


class _Day:
    """The wiring of one day: scenario, platform, dispatcher, street, clock."""

    def __init__(
        self,
        config: SimConfig,
        scenario: Scenario,
        provider: TravelTimeProvider,
        backend: Backend,
        pace: float | None,
        progress: Progress | None,
        phases: dict[str, float],
    ) -> None:
        self.config, self.scenario, self.provider = config, scenario, provider
        self.progress, self.phases = progress, phases
        self.timezone = scenario.hubs[0].timezone
        t0 = time.perf_counter()
        self.problem = self._morning_problem()
        self.end_s = float(max(h.close_s for h in self.problem.hubs)) + 2 * 3600
        rng = random.Random(config.seed)
        self.facts = draw_facts(
            rng, scenario.orders, [v.ref for v in self.problem.vehicles], scenario.zones,
            self.problem.origin, self.end_s - 2 * 3600, config.knobs,
        )  # fmt: skip
        self.platform = Platform(
            backend.uow, backend.store, provider, self.problem.origin, config.day.isoformat(),
            f"P-{config.day:%Y%m%d}-{config.policy}-{config.seed}", backend.uplink,
        )  # fmt: skip
        self.parcels = self._parcels()
        self.clock = SimClock(0.0, pace=pace)
        self.phases["setup_s"] = time.perf_counter() - t0
        self.dispatcher = self._morning_plan()
        self.vans = self._vans()
        self.street = self._street()

    def _morning_problem(self) -> PlanningProblem:
        """Orders placed before the day (next-day, scheduled, returns): the morning's work."""
        sc = self.scenario
        same_day = {o.ref for o in sc.orders if o.ready_at is not None}
        morning = [o for o in sc.orders if o.ref not in same_day]
        return build_from_orders(
            morning, sc.hubs, sc.vehicles, provider=self.provider,
            shifts=sc.shifts, drivers=sc.drivers, zones=sc.zones,
        )  # fmt: skip

    def _parcels(self) -> dict[str, Parcel]:
        origin, facts = self.problem.origin, self.facts
        parcels: dict[str, Parcel] = {}
        for order in self.scenario.orders:
            placed = facts.placed_s.get(order.ref)
            order.created_at = origin + timedelta(seconds=placed if placed else -10 * 3600)
            parcels[order.ref] = Parcel(order, facts.ready_s[order.ref], placed, placed is None)
        for slip in facts.slips:
            for ref in slip.refs:
                parcels[ref].ready_s = max(parcels[ref].ready_s, slip.ready_s)
        return parcels

    def _morning_plan(self) -> Dispatcher:
        t0 = time.perf_counter()
        sc, config = self.scenario, self.config
        vehicles = {v.ref for v in self.problem.vehicles}
        crews = [v for v in sc.vehicles if v.ref in vehicles]
        self.platform.load_network(sc.hubs, sc.zones, [*crews, *sc.drivers, *sc.shifts])
        self.platform.place([p.order for p in self.parcels.values() if p.known])
        solver = FixedEffort(PyVRPSolver(), config.plan_work)
        options = SolveOptions(seed=config.seed, workers=config.workers)
        plan = solver.solve(self.problem, options)
        self.phases["morning_plan_s"] = time.perf_counter() - t0
        state = advance(self.problem, plan, 0)
        policy = ReplanPolicy(
            time_limit_s=5.0,
            workers=config.workers,
            seed=config.seed,
            defer_value_cents=config.defer_value_cents,
        )
        replanner = FixedEffort(PyVRPSolver(), config.replan_work)
        ctx = DispatchContext(state, replanner, policy, rules=RuleSet(()))
        bus = dispatch_bus(ctx, self.platform.uow)
        dispatcher = Dispatcher(
            config.policy,
            ctx,
            bus,
            self.platform,
            observe=lambda now: {},
            replan_every_s=config.replan_every_s,
            replan_stops=config.replan_stops,
            hold_stops=config.hold_stops,
            improve_idle=config.improve_idle,
        )
        self.platform.publish(self.problem, plan, 0.0)
        return dispatcher

    def _vans(self) -> dict[str, Van]:
        by_ref = {v.ref: v for v in self.scenario.vehicles}
        vans: dict[str, Van] = {}
        for n, spec in enumerate(self.problem.vehicles):
            draws = self.facts.vans[spec.ref]
            hub = self.problem.points[self.problem.hubs[spec.start_hub].point]
            vans[spec.ref] = Van(
                by_ref[spec.ref], n, hub, float(spec.shift_start_s), float(spec.latest_end_s),
                draws.pace, draws.breakdown_after_s, random.Random(draws.noise_seed), position=hub,
            )  # fmt: skip
        return vans

    def _street(self) -> Street:
        from lastmile.geo.zones import outside_every_zone

        weather = self.facts.weather
        hubs: frozenset[str] = frozenset()
        if weather is not None:
            points = [h.location for h in self.scenario.hubs]
            inside = ~outside_every_zone(points, [weather.zone])
            hubs = frozenset(weather.zone.ref for flag in inside if flag)
        street = Street(
            self.clock, self.platform, self.dispatcher, self.vans, self.parcels, self.facts,
            self.config.knobs, self.provider, self.timezone,
            {z.ref: z.not_home_rate for z in self.scenario.zones}, hubs,
        )  # fmt: skip
        self.dispatcher.observe = street.vehicle_states
        self.dispatcher.on_plan = street.plan_changed
        return street

    def run(self) -> DayLog:
        t0 = time.perf_counter()
        self._schedule(self.facts)
        self.clock.run(self.end_s)
        self.phases["simulation_s"] = time.perf_counter() - t0
        self.platform.flush(self.end_s)
        reasons = close_reasons(self.parcels, self.dispatcher)
        self.platform.close_day(reasons, self.end_s)
        self.phases["replan_s"] = self.dispatcher.replan_wall_s
        config = self.config
        return build_daylog(
            self._notes(), config.day, config.policy, config.seed,
            self.parcels, self.vans, self.platform, reasons,
        )  # fmt: skip

    def _notes(self) -> dict[str, str]:
        return {
            "scenario": f"{self.scenario.city.name}, {len(self.scenario.orders)} orders",
            "vehicles": str(len(self.vans)),
            "replans": str(self.dispatcher.replans),
            "improvements": str(self.dispatcher.improvements),
            "holds": str(self.dispatcher.holds),
            "trips": str(sum(len(v.loads) for v in self.vans.values())),
            "small_trips": str(sum(1 for v in self.vans.values() for n in v.loads if n <= 2)),
            "weather": (
                f"{self.facts.weather.zone.ref} x{self.facts.weather.factor:.2f}"
                if self.facts.weather
                else "none"
            ),
            "slips": str(len(self.facts.slips)),
            "breakdowns": str(sum(1 for v in self.vans.values() if v.phase.value == "broken")),
            "timezone": self.timezone,
        }

    def _schedule(self, facts: DayFacts) -> None:
        clock, street, dispatcher = self.clock, self.street, self.dispatcher
        for van in self.vans.values():
            street.wake_later(van, van.shift_start_s)
        for ref, at_s in sorted(facts.placed_s.items(), key=lambda x: (x[1], x[0])):
            clock.schedule(at_s, lambda ref=ref: self._placed(ref))  # type: ignore[misc]
        for ref, at_s in sorted(facts.cancel_s.items(), key=lambda x: (x[1], x[0])):
            clock.schedule(at_s, lambda ref=ref: self._cancel(ref))  # type: ignore[misc]
        for slip in facts.slips:
            refs = list(slip.refs)
            clock.schedule(
                slip.announced_s,
                lambda refs=refs, ready=slip.ready_s: dispatcher.slipped(  # type: ignore[misc]
                    [r for r in refs if self.parcels[r].known], ready, clock.now_s
                ),
            )
        if facts.weather is not None:
            w = facts.weather
            clock.schedule(w.start_s, lambda: dispatcher.weather(w.zone, w.factor, clock.now_s))
        self._every(self.config.flush_s, lambda: self.platform.flush(clock.now_s))
        self._every(self.config.replan_every_s, lambda: self._tick())
        if self.progress is not None:
            progress = self.progress
            self._every(600.0, lambda: progress(clock.now_s, self.end_s, _doing(self)))

    def _every(self, step_s: float, action: Callable[[], None]) -> None:
        t = step_s
        while t <= self.end_s:
            self.clock.schedule(t, action)
            t += step_s

    def _tick(self) -> None:
        self.dispatcher.tick(self.clock.now_s)

    def _placed(self, ref: str) -> None:
        parcel = self.parcels[ref]
        parcel.known = True
        if not self.dispatcher.new_order(parcel.order, self.clock.now_s):
            parcel.reason = "placed after the morning plan; the static plan delivers it tomorrow"

    def _cancel(self, ref: str) -> None:
        parcel = self.parcels[ref]
        if not parcel.known or parcel.finished or not parcel.at_hub or parcel.van is not None:
            return  # too late to cancel: it is on its way
        parcel.cancelled = True
        self.platform.cancel(ref, self.clock.now_s)
        self.dispatcher.cancelled(ref, self.clock.now_s)


def _doing(day: _Day) -> str:
    vans = day.vans.values()
    out = sum(1 for v in vans if v.phase.value in ("driving", "serving", "loading"))
    done = sum(1 for p in day.parcels.values() if p.delivered)
    return f"{out} vans out, {done} delivered"


def _run_one(config: SimConfig) -> DayLog:
    return run_day(config)


def run_policies(
    config: SimConfig, policies: tuple[str, str], seeds: int, *, workers: int = 2
) -> tuple[list[DayLog], list[DayLog]]:
    """Each policy's days over seeds ``config.seed`` .. ``+ seeds - 1``, ``workers`` at a time
    in worker processes (each day plans on one core)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = [
        replace(config, policy=p, seed=config.seed + k, workers=1)
        for p in policies
        for k in range(seeds)
    ]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        logs = list(pool.map(_run_one, jobs))
    return logs[:seeds], logs[seeds:]
