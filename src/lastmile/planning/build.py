"""Domain objects in, integer planning problem out (seconds, metres, grams, cents).

Every reference is checked here, so solvers never meet a dangling hub or vehicle: bad input
raises :class:`InvalidInput` naming the entity and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from lastmile.domain import (
    AccessRule,
    Driver,
    Hub,
    InvalidInput,
    Order,
    Shift,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
    Zone,
    stop_for_order,
)
from lastmile.geo.travel import PROFILE_OF_KIND, TravelTimeProvider
from lastmile.planning.problem import (
    Demand,
    HubSpec,
    Job,
    PlanningProblem,
    VehicleSpec,
    slowest_hour,
)

#: A capacity dimension given as 0 is not limited (a van sized by parcels only, say).
UNLIMITED = 1 << 40


@dataclass(frozen=True)
class BuildOptions:
    """Choices the domain does not carry: which vehicles may reload at their hub."""

    reload_kinds: frozenset[VehicleKind] = field(
        default_factory=lambda: frozenset({VehicleKind.CARGO_BIKE})
    )
    max_trips: int = 3


def _seconds(origin: datetime, moment: datetime) -> int:
    return int((moment - origin).total_seconds())


def _windows(origin: datetime, stop: Stop) -> tuple[tuple[int, int], ...]:
    """Latest start of service is the window's end; windows already over are dropped."""
    out = []
    for w in sorted(stop.windows, key=lambda w: w.start):
        early, late = _seconds(origin, w.start), _seconds(origin, w.end)
        if late >= 0:
            out.append((max(0, early), late))
    if stop.windows and not out:
        return ((0, -1),)  # every window has passed: diagnosis reports ``time_window``
    return tuple(out)


def _capacity(vehicle: Vehicle) -> Demand:
    w, v, p = vehicle.capacity.as_tuple()
    return (w or UNLIMITED, v or UNLIMITED, p or UNLIMITED)


def _jobs(
    stops: Sequence[Stop],
    origin: datetime,
    hub_index: Mapping[str, int],
    stop_hubs: Mapping[str, str],
    access: Mapping[str, frozenset[AccessRule]],
) -> list[Job]:
    seen: set[str] = set()
    jobs = []
    for n, stop in enumerate(stops):
        if stop.ref in seen:
            raise InvalidInput(
                f"stop {stop.ref!r} appears twice", field="ref", location=f"stops[{n}]"
            )
        seen.add(stop.ref)
        hub_ref = stop_hubs.get(stop.ref)
        if hub_ref is not None and hub_ref not in hub_index:
            raise InvalidInput(
                f"unknown hub {hub_ref!r}", field="hub_ref", location=f"stop {stop.ref}"
            )
        jobs.append(
            Job(
                ref=stop.ref,
                point=len(hub_index) + n,
                kind=stop.kind,
                windows=_windows(origin, stop),
                service_s=stop.service_s,
                demand=stop.load.as_tuple(),
                skills=stop.skills,
                access=access.get(stop.ref, frozenset()),
                hub=hub_index[hub_ref] if hub_ref is not None else None,
                release_s=max(0, _seconds(origin, stop.ready_at)) if stop.ready_at else 0,
                required=stop.required,
                priority=stop.priority,
                order_refs=stop.order_refs or (stop.ref,),
            )
        )
    return jobs


def _crews(
    vehicles: Sequence[Vehicle],
    shifts: Sequence[Shift],
    drivers: Sequence[Driver],
    day: TimeWindow | None,
) -> list[tuple[Vehicle, Shift | None, Driver | None]]:
    """Pair each shift with its vehicle (or the next free one at its hub) and driver."""
    if not shifts:
        if day is None:
            raise InvalidInput("vehicles without shifts need the planning day", field="day")
        return [(v, None, None) for v in vehicles]
    by_ref = {v.ref: v for v in vehicles}
    drivers_by_ref = {d.ref: d for d in drivers}
    taken = {s.vehicle_ref for s in shifts if s.vehicle_ref}
    free = [v for v in vehicles if v.ref not in taken]
    crews: list[tuple[Vehicle, Shift | None, Driver | None]] = []
    for shift in shifts:
        if shift.vehicle_ref is not None:
            vehicle = by_ref.get(shift.vehicle_ref)
            if vehicle is None:
                raise InvalidInput(
                    f"unknown vehicle {shift.vehicle_ref!r}",
                    field="vehicle_ref",
                    location=f"shift {shift.ref}",
                )
        else:
            vehicle = next((v for v in free if v.hub_ref == shift.hub_ref), None)
            if vehicle is None:
                continue  # a spare driver: no vehicle left at the hub, so no route
            free.remove(vehicle)
        crews.append((vehicle, shift, drivers_by_ref.get(shift.driver_ref)))
    return crews


def _spec(
    vehicle: Vehicle,
    shift: Shift | None,
    driver: Driver | None,
    times: tuple[int, int],
    hub_index: Mapping[str, int],
    options: BuildOptions,
) -> VehicleSpec:
    for name in ("hub_ref", "end_hub_ref"):
        ref = getattr(vehicle, name)
        if ref is not None and ref not in hub_index:
            raise InvalidInput(
                f"unknown hub {ref!r}", field=name, location=f"vehicle {vehicle.ref}"
            )
    start = hub_index[vehicle.hub_ref]
    return VehicleSpec(
        ref=vehicle.ref,
        kind=vehicle.kind,
        profile=PROFILE_OF_KIND[vehicle.kind],
        start_hub=start,
        end_hub=hub_index.get(vehicle.end_hub_ref or "", start),
        capacity=_capacity(vehicle),
        shift_start_s=times[0],
        shift_end_s=times[1],
        max_overtime_s=shift.max_overtime_s if shift else 0,
        overtime_cost_per_hour_cents=shift.overtime_cost_per_hour_cents if shift else 0,
        max_work_s=driver.hours.max_work_s if driver else None,
        max_driving_s=driver.hours.max_driving_s if driver else None,
        range_m=vehicle.range_m,
        fixed_cost_cents=vehicle.fixed_cost_cents,
        cost_per_km_cents=vehicle.cost_per_km_cents,
        cost_per_hour_cents=vehicle.cost_per_hour_cents,
        co2_g_per_km=vehicle.co2_g_per_km,
        skills=vehicle.equipment | (driver.skills if driver else frozenset()),
        passes=vehicle.passes,
        break_rule=driver.break_rule if driver else None,
        max_trips=options.max_trips if vehicle.kind in options.reload_kinds else 1,
        driver_ref=driver.ref if driver else (shift.driver_ref if shift else None),
        shift_ref=shift.ref if shift else None,
    )


def build_problem(
    stops: Sequence[Stop],
    hubs: Sequence[Hub],
    vehicles: Sequence[Vehicle],
    *,
    provider: TravelTimeProvider,
    day: TimeWindow | None = None,
    shifts: Sequence[Shift] = (),
    drivers: Sequence[Driver] = (),
    stop_hubs: Mapping[str, str] | None = None,
    access: Mapping[str, frozenset[AccessRule]] | None = None,
    zones: Sequence[Zone] = (),
    options: BuildOptions | None = None,
) -> PlanningProblem:
    """The integer problem for a day's stops and crews.

    ``day`` is required when vehicles have no shifts (they work the whole day); ``stop_hubs``
    says whose parcels a stop carries; the zone rules a stop lies under come from ``zones``
    (point in polygon / H3) and from ``access`` (stop ref -> rules), merged.
    """
    if not hubs:
        raise InvalidInput("at least one hub is needed", field="hubs")
    options = options or BuildOptions()
    crews = _crews(vehicles, shifts, drivers, day)
    origin = day.start if day is not None else min(s.start for _, s, _ in crews if s)
    hub_index = {h.ref: n for n, h in enumerate(hubs)}
    specs = []
    for vehicle, shift, driver in crews:
        window = shift.window if shift else day
        assert window is not None  # _crews refuses vehicles with neither
        times = (max(0, _seconds(origin, window.start)), _seconds(origin, window.end))
        specs.append(_spec(vehicle, shift, driver, times, hub_index, options))
    horizon = max([s.latest_end_s for s in specs] + ([_seconds(origin, day.end)] if day else []))
    hub_specs = tuple(HubSpec(h.ref, n, 0, horizon, h.timezone) for n, h in enumerate(hubs))
    rules = _zone_rules(stops, zones, access or {})
    jobs = _pair_shipments(stops, _jobs(stops, origin, hub_index, stop_hubs or {}, rules))
    problem = PlanningProblem(
        origin=origin,
        points=tuple(h.location for h in hubs) + tuple(s.location.coordinate for s in stops),
        hubs=hub_specs,
        jobs=tuple(jobs),
        vehicles=tuple(specs),
        provider=provider,
    )
    set_plan_hours(problem)
    return problem


def _pair_shipments(stops: Sequence[Stop], jobs: list[Job]) -> list[Job]:
    """Link each delivery with a ``pickup_ref`` to that pickup stop (a PyVRP shipment)."""
    index = {s.ref: n for n, s in enumerate(stops)}
    for n, stop in enumerate(stops):
        if stop.pickup_ref is None:
            continue
        where = f"stop {stop.ref}"
        other = index.get(stop.pickup_ref)
        if other is None or stops[other].kind is not StopKind.PICKUP:
            raise InvalidInput(
                f"{stop.pickup_ref!r} is not a pickup stop of this day",
                field="pickup_ref",
                location=where,
            )
        if stop.kind is not StopKind.DELIVERY:
            raise InvalidInput(
                "only a delivery can name its pickup", field="pickup_ref", location=where
            )
        jobs[n] = replace(jobs[n], pair=other, hub=None)
        jobs[other] = replace(jobs[other], hub=None)
    return jobs


def _zone_rules(
    stops: Sequence[Stop], zones: Sequence[Zone], given: Mapping[str, frozenset[AccessRule]]
) -> dict[str, frozenset[AccessRule]]:
    rules = {ref: frozenset(r) for ref, r in given.items()}
    if zones:
        from lastmile.geo.zones import access_rules_for

        found = access_rules_for([s.location.coordinate for s in stops], zones)
        for stop, zone_rules in zip(stops, found, strict=True):
            rules[stop.ref] = rules.get(stop.ref, frozenset()) | zone_rules
    return rules


def set_plan_hours(problem: PlanningProblem) -> None:
    """Each profile plans with the slowest hour band any of its vehicles' shifts runs in.

    One band per profile means one matrix per profile for the whole day (a 1,000-stop
    matrix costs a noticeable fraction of a second), and planning with the slowest band
    keeps every re-timed leg no longer than planned.
    """
    by_profile: dict[object, list[VehicleSpec]] = {}
    for v in problem.vehicles:
        by_profile.setdefault(v.profile, []).append(v)
    hours: dict[object, int] = {}
    for profile, members in by_profile.items():
        first = min(members, key=lambda v: v.shift_start_s)
        span = replace(
            first,
            shift_start_s=min(v.shift_start_s for v in members),
            shift_end_s=max(v.latest_end_s for v in members),
            max_overtime_s=0,
        )
        hours[profile] = slowest_hour(problem, span)
    problem.vehicles = tuple(replace(v, plan_hour=hours[v.profile]) for v in problem.vehicles)


def build_from_orders(
    orders: Sequence[Order],
    hubs: Sequence[Hub],
    vehicles: Sequence[Vehicle],
    *,
    provider: TravelTimeProvider,
    **kwargs: object,
) -> PlanningProblem:
    """One stop per order, owned by the order's hub; see :func:`build_problem`."""
    stops = [stop_for_order(o) for o in orders]
    stop_hubs = {o.ref: o.hub_ref for o in orders}
    return build_problem(stops, hubs, vehicles, provider=provider, stop_hubs=stop_hubs, **kwargs)  # type: ignore[arg-type]
