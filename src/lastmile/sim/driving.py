"""Vans on the street: load at the hub, drive, ring the bell, come back — as the plan says.

A van follows the plan the platform dispatched. At the hub it takes the next trip of its
route (waiting for the planned time, and up to :data:`WAIT_FOR_PARCELS_S` for parcels not
ready yet); on the road it serves the stops of the trip it loaded for, in the plan's
current order, then drives back. Legs take the provider's time for the hour × the driver's
pace × log-normal noise × the weather; doorsteps take the address type's time; customers
are home or not by their draws. The device pings once a minute while driving and on
arriving and leaving a stop; scans and proofs of delivery go to the platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from lastmile.dispatch.state import VehicleState
from lastmile.domain import Coordinate, FailureReason
from lastmile.geo.travel import TravelTimeProvider
from lastmile.planning.solver import StopVisit
from lastmile.sim.clock import SimClock
from lastmile.sim.facts import DayFacts, Weather
from lastmile.sim.people import DOORSTEP_S, FAILURES, Knobs, leg_factor, not_home_probability
from lastmile.sim.platform import Platform, scan
from lastmile.sim.policies import Dispatcher
from lastmile.sim.world import ON_ROAD, Leg, Parcel, Phase, Van
from lastmile.tracking.model import Ping, ScanKind

WAIT_FOR_PARCELS_S = 1200.0
PING_EVERY_S = 60.0
#: A van still out this long after its latest allowed end gives up and drives home.
GRACE_S = 900.0
#: A van reports itself late once it runs this much later than the plan (again).
DELAY_STEP_S = 900.0


@dataclass
class Street:
    """Moves the vans through the day on the simulated clock."""

    clock: SimClock
    platform: Platform
    dispatcher: Dispatcher
    vans: dict[str, Van]
    parcels: dict[str, Parcel]
    facts: DayFacts
    knobs: Knobs
    provider: TravelTimeProvider
    timezone: str
    zone_rates: dict[str, float]
    weather_hubs: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._tz = ZoneInfo(self.timezone)
        self._delays: dict[str, float] = {}

    # -- what the platform knows -------------------------------------------------------

    def vehicle_states(self, now_s: float) -> dict[str, VehicleState]:
        """Each van as tracking sees it: served stops, the stop under way, what is on board."""
        return {ref: self._state(van, now_s) for ref, van in self.vans.items()}

    def _state(self, van: Van, now_s: float) -> VehicleState:
        problem = self.dispatcher.problem
        done = tuple(van.served)
        started = int(van.started_s) if van.started_s is not None else None
        now = int(now_s)
        if van.phase is Phase.DONE or van.phase is Phase.BROKEN:
            end = max(now, int(van.latest_end_s))
            return VehicleState(van.ref, van.hub, end, True, done=done, started_s=started)
        if van.phase is Phase.RETURNING:
            free = max(now, int(van.busy_until_s))
            return VehicleState(van.ref, van.hub, free, True, done=done, started_s=started)
        if van.phase in ON_ROAD and van.target is not None:
            job = problem.jobs[problem.job_index()[van.target]]
            point = problem.points[job.point]
            free = max(now, int(van.busy_until_s)) + (
                0 if van.phase is Phase.SERVING else job.service_s
            )
            loaded = frozenset(r for r in van.on_board if r != van.target)
            return VehicleState(
                van.ref, point, free, False, done=done, in_progress=van.target,
                loaded=loaded, started_s=started,
            )  # fmt: skip
        free = max(now, int(van.busy_until_s))
        return VehicleState(van.ref, van.hub, free, True, done=done, started_s=started)

    # -- the plan, as the driver app shows it ------------------------------------------

    def remaining(self, van: Van) -> list[StopVisit]:
        route = next((r for r in self.dispatcher.plan.routes if r.vehicle_ref == van.ref), None)
        if route is None:
            return []
        version = self.dispatcher.version
        return [
            v
            for v in route.visits
            if v.ref in self.parcels
            and not self.parcels[v.ref].finished
            and van.attempted.get(v.ref) != version
            and v.ref not in self.dispatcher.deferred
        ]

    def plan_changed(self) -> None:
        """A new plan: vans at the hub look at it again; lateness is measured afresh."""
        self._delays.clear()
        for van in self.vans.values():
            if van.phase in (Phase.IDLE, Phase.WAITING, Phase.OFF):
                self.wake_later(van, self.clock.now_s)

    def wake_later(self, van: Van, at_s: float) -> None:
        van.token += 1
        token = van.token
        self.clock.schedule(max(at_s, self.clock.now_s), lambda: self.wake(van, token))

    # -- at the hub ---------------------------------------------------------------------

    def wake(self, van: Van, token: int) -> None:
        if token != van.token or van.phase not in (Phase.OFF, Phase.IDLE, Phase.WAITING):
            return
        now = self.clock.now_s
        if now < van.shift_start_s:
            self.wake_later(van, van.shift_start_s)
            return
        if now >= van.latest_end_s:
            self._finish_day(van)
            return
        visits = self.remaining(van)
        trip = min((v.trip for v in visits), default=None)
        stops = [v for v in visits if v.trip == trip]
        here = [self.parcels[v.ref] for v in stops]
        ready = [p for p in here if p.pickup or (p.at_hub and p.van is None and p.known)]
        if not ready:
            van.phase = Phase.IDLE if van.phase is not Phase.OFF else Phase.OFF
            if visits:
                self.dispatcher.note("van idle: its next trip's parcels are not at the hub")
            return
        leave_at = max(van.shift_start_s, self._planned_departure(van, stops[0]))
        if now + 1 < leave_at:
            van.phase = Phase.WAITING
            self.wake_later(van, leave_at)
            return
        late = [p for p in ready if not p.pickup and p.ready_s > now]
        if late and self._wait_for(van, late, now):
            return
        held = self.dispatcher.hold(van.ref, len(stops), now - leave_at, now)
        if held is not None:
            van.phase = Phase.WAITING
            self.wake_later(van, held + 1.0)
            return
        self._load(van, trip or 0, [p for p in ready if p.pickup or p.ready_s <= now], len(late))

    def _wait_for(self, van: Van, late: list[Parcel], now: float) -> bool:
        """Wait for parcels not ready yet, up to the limit; False: leave without them."""
        if van.waiting_since_s is None:
            van.waiting_since_s = now
        soonest = min(p.ready_s for p in late)
        if soonest <= van.waiting_since_s + WAIT_FOR_PARCELS_S:
            van.phase = Phase.WAITING
            self.wake_later(van, soonest)
            return True
        return False

    def _planned_departure(self, van: Van, first: StopVisit) -> float:
        """When the plan has the van leave the hub for this trip's first stop."""
        problem = self.dispatcher.problem
        spec = problem.vehicles[van.index]
        target = problem.points[problem.jobs[problem.job_index()[first.ref]].point]
        hour = problem.hour_at(first.arrival_s, spec.start_hub)
        leg = self.provider.matrix([van.hub], [target], profile=van.profile, hour=hour)
        return float(first.arrival_s - int(leg.durations_s[0, 0]))

    def _load(self, van: Van, trip: int, parcels: list[Parcel], left_behind: int) -> None:
        now = self.clock.now_s
        if van.started_s is None:
            van.started_s = now
        if van.waiting_since_s is not None:
            van.waiting_s += now - van.waiting_since_s
            van.waiting_since_s = None
        van.trip = trip
        van.phase = Phase.LOADING
        at = self.platform.at(now)
        loaded = [p for p in parcels if not p.pickup]
        for p in loaded:
            p.at_hub, p.van = False, van.ref
            van.on_board.add(p.ref)
        van.peak_load = max(van.peak_load, len(van.on_board))
        if loaded:
            van.loads.append(len(loaded))
            self.platform.flush(now)
            for p in loaded:
                self.platform.scan(scan(ScanKind.LOADED, p.ref, van.ref, at, van.hub), now_s=now)
        if left_behind:
            self.dispatcher.note("parcels left behind at the hub: not ready in time")
        duration = 120.0 + 8.0 * len(loaded)
        first = self._next_stop(van)
        van.target = first.ref if first else None
        van.busy_until_s = now + duration
        self.clock.after(duration, lambda: self.depart(van))

    # -- on the road --------------------------------------------------------------------

    def _next_stop(self, van: Van) -> StopVisit | None:
        for v in self.remaining(van):
            if v.trip == van.trip and (self.parcels[v.ref].pickup or v.ref in van.on_board):
                return v
        return None

    def depart(self, van: Van) -> None:
        if van.phase is Phase.BROKEN:
            return
        now = self.clock.now_s
        nxt = None if now > van.latest_end_s + GRACE_S else self._next_stop(van)
        if nxt is None:
            self._drive(van, None, van.hub, Phase.RETURNING, lambda: self.at_hub(van))
            return
        ref = nxt.ref
        where = self.parcels[ref].order.address.coordinate
        self._drive(van, ref, where, Phase.DRIVING, lambda: self.arrive(van, ref))

    def _drive(
        self, van: Van, ref: str | None, where: Coordinate, phase: Phase, then: Callable[[], None]
    ) -> None:
        now = self.clock.now_s
        van.phase, van.target = phase, ref
        duration, distance = self._leg(van, where, now, ref)
        leg = Leg(van.position, where, now, now + duration, distance)
        left = van.breakdown_after_s - van.driving_s
        if left < duration:
            cut = Leg(leg.start, leg.at(now + max(0.0, left)), now, now + max(0.0, left), 0.0)
            cut.distance_m = distance * max(0.0, left) / max(duration, 1.0)
            van.drive(cut)
            self._pings(van, cut)
            self.clock.schedule(cut.t1, lambda: self.break_down(van))
            return
        van.drive(leg)
        self._pings(van, leg)
        self.clock.schedule(leg.t1, then)

    def _leg(self, van: Van, where: Coordinate, now: float, ref: str | None) -> tuple[float, float]:
        hour = self.local(now).hour
        m = self.provider.matrix([van.position], [where], profile=van.profile, hour=hour)
        base, distance = float(m.durations_s[0, 0]), float(m.distances_m[0, 0])
        factor = van.pace * leg_factor(van.noise, self.knobs.travel_sigma)
        weather = self.facts.weather
        if (
            weather is not None
            and self._in_weather(weather, ref)
            and weather.start_s <= now < weather.end_s
        ):
            factor *= weather.factor
        return max(5.0, base * factor), distance

    def _in_weather(self, weather: Weather, ref: str | None) -> bool:
        if ref is None:
            return weather.zone.ref in self.weather_hubs
        return self.parcels[ref].order.zone_ref == weather.zone.ref

    def _pings(self, van: Van, leg: Leg) -> None:
        speed = leg.distance_m / max(1.0, leg.t1 - leg.t0)
        t = leg.t0
        while t < leg.t1:
            self._ping(van, t, leg.at(t), speed)
            t += PING_EVERY_S
        self._ping(van, leg.t1, leg.end, 0.0)

    def _ping(self, van: Van, t: float, where: Coordinate, speed: float) -> None:
        self.platform.ping(
            Ping(van.ref, van.next_seq(), self.platform.at(t), where.lat, where.lon,
                 accuracy_m=8.0, speed_mps=round(speed, 2), vehicle_ref=van.ref)
        )  # fmt: skip

    def local(self, t_s: float) -> datetime:
        return self.platform.at(t_s).astimezone(self._tz)

    # -- at the door --------------------------------------------------------------------

    def arrive(self, van: Van, ref: str) -> None:
        now = self.clock.now_s
        parcel = self.parcels[ref]
        van.position = parcel.order.address.coordinate
        van.phase = Phase.SERVING
        parcel.arrivals.append(now)
        window = parcel.order.window
        opens = (window.start - self.platform.at(0.0)).total_seconds() if window else now
        if now < opens:
            # Drivers do not ring before the promised window opens: they wait at the door.
            van.waiting_s += opens - now
            van.busy_until_s = opens
            self.clock.after(opens - now, lambda: self._serve(van, ref))
            return
        self._serve(van, ref)

    def _serve(self, van: Van, ref: str) -> None:
        now = self.clock.now_s
        parcel = self.parcels[ref]
        k = min(parcel.attempts, 2)
        draws = self.facts.customers[ref]
        order = parcel.order
        p = not_home_probability(
            self.zone_rates.get(order.zone_ref or "", 0.06), self.local(now).hour,
            order.address.address_type, sorted(order.preferences), self.knobs.not_home_scale,
        )  # fmt: skip
        ok = draws.home[k] >= p
        planned = order.service_s if order.service_s and order.service_s >= 300 else None
        mean = float(planned) if planned else DOORSTEP_S[order.address.address_type]
        duration = max(20.0, mean * draws.doorstep[k])
        if not ok:
            duration = min(duration, 60.0 + 0.3 * duration)  # ring, wait, leave a card
        van.service_s += duration
        van.busy_until_s = now + duration
        reason = _reason(draws.reasons[k])
        arrived = parcel.arrivals[-1]
        self.clock.after(duration, lambda: self.leave(van, ref, ok, arrived, reason))

    def leave(self, van: Van, ref: str, ok: bool, arrived: float, reason: str) -> None:
        now = self.clock.now_s
        parcel = self.parcels[ref]
        self._ping(van, now, van.position, 0.0)
        parcel.attempts += 1
        parcel.completed_s, parcel.dwell_s = now, now - arrived
        parcel.vehicle_ref = van.ref
        van.stops_visited += 1
        van.attempted[ref] = self.dispatcher.version
        at = self.platform.at(now)
        visit = next((v for v in self.remaining(van) if v.ref == ref), None)
        if ok:
            self._handed_over(van, parcel, at)
        else:
            parcel.failure = reason
            kind = ScanKind.ATTEMPTED
            self.platform.scan(
                scan(kind, ref, van.ref, at, van.position, reason=FailureReason(reason))
            )
            self.dispatcher.failed(ref, reason, now)
        if visit is not None:
            self._check_late(van, now - visit.departure_s, now)
        self.depart(van)

    def _handed_over(self, van: Van, parcel: Parcel, at: datetime) -> None:
        parcel.delivered = True
        parcel.failure = None
        van.served.append(parcel.ref)
        van.on_board.discard(parcel.ref)
        parcel.van = None
        kind = ScanKind.PICKED_UP if parcel.pickup else ScanKind.DELIVERED
        self.platform.scan(scan(kind, parcel.ref, van.ref, at, van.position))
        # A signature at the door for a delivery, and for a return handed over.
        name = parcel.order.recipient.name if parcel.order.recipient else "recipient"
        self.platform.pod(parcel.ref, at, van.position, name)

    def _check_late(self, van: Van, lateness: float, now: float) -> None:
        reported = self._delays.get(van.ref, 0.0)
        if lateness - reported >= DELAY_STEP_S:
            self._delays[van.ref] = lateness
            self.dispatcher.late(van.ref, lateness - reported, now)

    # -- back at the hub, or broken down ------------------------------------------------

    def at_hub(self, van: Van) -> None:
        now = self.clock.now_s
        van.position = van.hub
        van.phase, van.target, van.leg = Phase.IDLE, None, None
        self._unload(van, now)
        van.ended_s = now
        if now >= van.latest_end_s:
            self._finish_day(van)
            return
        self.dispatcher.note("van back at the hub")
        self.wake_later(van, now)

    def _unload(self, van: Van, now: float) -> None:
        back = sorted(van.on_board)
        van.on_board.clear()
        if not back:
            return
        self.platform.flush(now)
        at = self.platform.at(now)
        for ref in back:
            parcel = self.parcels[ref]
            parcel.at_hub, parcel.van = True, None
            self.platform.scan(scan(ScanKind.RETURNED, ref, van.ref, at, van.hub), now_s=now)
            self.platform.returned(ref)

    def _finish_day(self, van: Van) -> None:
        van.phase = Phase.DONE
        van.token += 1

    def break_down(self, van: Van) -> None:
        now = self.clock.now_s
        if van.leg is not None:
            van.position = van.leg.end
        self.dispatcher.broke_down(van.ref, now)
        van.phase, van.target, van.ended_s = Phase.BROKEN, None, now
        van.token += 1
        self._ping(van, now, van.position, 0.0)
        stranded = sorted(van.on_board)
        self.clock.after(3600.0, lambda: self._towed(van, stranded))

    def _towed(self, van: Van, refs: list[str]) -> None:
        """The broken van's parcels are back at its hub an hour later."""
        now = self.clock.now_s
        for ref in refs:
            self.parcels[ref].ready_s = max(self.parcels[ref].ready_s, now)
        self._unload(van, now)
        self.dispatcher.note("parcels of a broken van back at the hub")


def _reason(u: float) -> str:
    total = 0.0
    for reason, weight in FAILURES.items():
        total += weight
        if u < total:
            return reason.value
    return next(iter(FAILURES)).value
