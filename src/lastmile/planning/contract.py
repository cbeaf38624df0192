"""The JSON contract of ``lastmile plan --input``: a day in, a plan out (docs/planning-api.md).

Input is parsed into domain objects (so the same validation applies as everywhere else) and
every error names the entry and the field, e.g. ``stops[3], field 'lat'``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from lastmile.domain import (
    AccessRule,
    Address,
    AddressType,
    BreakRule,
    Coordinate,
    Driver,
    HoursOfService,
    Hub,
    InvalidInput,
    Load,
    Shift,
    Skill,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
)
from lastmile.domain.order import DEFAULT_SERVICE_S
from lastmile.geo.travel import TravelTimeProvider
from lastmile.planning.build import build_problem
from lastmile.planning.problem import LOAD_DIMENSIONS, Demand, PlanningProblem
from lastmile.planning.solver import BreakSlot, PlanResult, RouteResult, UnassignedStop

T = TypeVar("T")
Json = dict[str, Any]


def _each(data: Json, key: str, parse: Callable[[Json], T], required: bool = True) -> list[T]:
    items = data.get(key, [])
    if not isinstance(items, list) or (required and not items):
        raise InvalidInput(f"'{key}' must be a non-empty list", field=key)
    out = []
    for n, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise InvalidInput("must be an object")
            out.append(parse(item))
        except InvalidInput as exc:
            raise InvalidInput(exc.reason, field=exc.field, location=f"{key}[{n}]") from None
        except (KeyError, TypeError, ValueError) as exc:
            field = exc.args[0] if isinstance(exc, KeyError) else None
            raise InvalidInput(
                f"missing or invalid value ({exc})", field=field, location=f"{key}[{n}]"
            ) from None
    return out


def _when(text: Any, field: str) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 datetime: {text!r}", field=field) from None


def _load(raw: Mapping[str, Any] | None) -> Load:
    raw = raw or {}
    return Load(**{k: int(raw.get(k, 0)) for k in LOAD_DIMENSIONS})


def _hub(d: Json) -> Hub:
    return Hub(
        d["ref"],
        str(d.get("name", d["ref"])),
        Coordinate(d["lat"], d["lon"]),
        d.get("timezone", "UTC"),
    )


def _vehicle(d: Json) -> Vehicle:
    return Vehicle(
        ref=d["ref"],
        kind=VehicleKind(d.get("kind", "van")),
        hub_ref=d["hub"],
        capacity=_load(d.get("capacity")),
        end_hub_ref=d.get("end_hub"),
        range_m=d.get("range_m"),
        cost_per_km_cents=d.get("cost_per_km_cents", 0),
        cost_per_hour_cents=d.get("cost_per_hour_cents", 0),
        fixed_cost_cents=d.get("fixed_cost_cents", 0),
        co2_g_per_km=d.get("co2_g_per_km", 0.0),
        equipment=frozenset(Skill(s) for s in d.get("equipment", [])),
    )


def _driver(d: Json) -> Driver:
    rule = d.get("break", {"after_work_s": 16200, "duration_s": 1800})
    return Driver(
        ref=d["ref"],
        name=str(d.get("name", d["ref"])),
        skills=frozenset(Skill(s) for s in d.get("skills", [])),
        hours=HoursOfService(d.get("max_work_s", 36000), d.get("max_driving_s", 32400)),
        break_rule=BreakRule(**rule) if rule else None,
    )


def _shift(d: Json) -> Shift:
    return Shift(
        ref=d["ref"],
        driver_ref=d["driver"],
        hub_ref=d["hub"],
        start=_when(d["start"], "start"),
        end=_when(d["end"], "end"),
        vehicle_ref=d.get("vehicle"),
        max_overtime_s=d.get("max_overtime_s", 0),
        overtime_cost_per_hour_cents=d.get("overtime_cost_per_hour_cents", 0),
    )


def _stop(d: Json) -> Stop:
    kind = AddressType(d.get("address_type", "unknown"))
    windows = tuple(
        TimeWindow(_when(w["start"], "windows.start"), _when(w["end"], "windows.end"))
        for w in d.get("windows", [])
    )
    return Stop(
        ref=d["ref"],
        kind=StopKind(d.get("kind", "delivery")),
        location=Address(
            raw=d.get("address", ""), coordinate=Coordinate(d["lat"], d["lon"]), address_type=kind
        ),
        windows=windows,
        service_s=int(d.get("service_s", DEFAULT_SERVICE_S[kind.value])),
        load=_load(d.get("load")),
        skills=frozenset(Skill(s) for s in d.get("skills", [])),
        order_refs=tuple(d.get("order_refs", [d["ref"]])),
        priority=int(d.get("priority", 0)),
        required=bool(d.get("required", True)),
        ready_at=_when(d["ready_at"], "ready_at") if d.get("ready_at") else None,
        pickup_ref=d.get("pickup_ref"),
    )


def read_problem(data: Json, provider: TravelTimeProvider) -> PlanningProblem:
    """The planning problem described by a contract document (see docs/planning-api.md)."""
    if not isinstance(data, dict):
        raise InvalidInput("the document must be a JSON object")
    hubs = _each(data, "hubs", _hub)
    stops = _each(data, "stops", _stop)
    vehicles = _each(data, "vehicles", _vehicle, required=False)
    drivers = _each(data, "drivers", _driver, required=False)
    shifts = _each(data, "shifts", _shift, required=False)
    day = None
    if "day" in data:
        day = TimeWindow(
            _when(data["day"]["start"], "day.start"), _when(data["day"]["end"], "day.end")
        )
    stop_hubs = {s["ref"]: s["hub"] for s in data["stops"] if s.get("hub")}
    access = {
        s["ref"]: frozenset(AccessRule(a) for a in s["access"])
        for s in data["stops"]
        if s.get("access")
    }
    return build_problem(
        stops,
        hubs,
        vehicles,
        provider=provider,
        day=day,
        shifts=shifts,
        drivers=drivers,
        stop_hubs=stop_hubs,
        access=access,
    )


def _demand(raw: Mapping[str, Any]) -> Demand:
    w, v, p = (int(raw.get(k, 0)) for k in LOAD_DIMENSIONS)
    return (w, v, p)


def _dims(load: Demand) -> Json:
    return dict(zip(LOAD_DIMENSIONS, load, strict=True))


def _route_json(problem: PlanningProblem, r: RouteResult) -> Json:
    def iso(t: int) -> str:
        return problem.at(t).isoformat()

    return {
        "vehicle": r.vehicle_ref,
        "driver": r.driver_ref,
        "shift": r.shift_ref,
        "start": iso(r.start_s),
        "end": iso(r.end_s),
        "distance_m": r.distance_m,
        "duration_s": r.duration_s,
        "driving_s": r.driving_s,
        "cost_cents": r.cost_cents,
        "co2_g": r.co2_g,
        "overtime_s": r.overtime_s,
        "stops_per_hour": round(r.stops_per_hour, 2),
        "departure_loads": [_dims(x) for x in r.departure_loads],
        "breaks": [{"start": iso(b.start_s), "end": iso(b.end_s)} for b in r.breaks],
        "stops": [
            {
                "ref": v.ref,
                "order_refs": list(v.order_refs),
                "kind": v.kind,
                "trip": v.trip,
                "lat": problem.points[problem.jobs[v.job].point].lat,
                "lon": problem.points[problem.jobs[v.job].point].lon,
                "arrival": iso(v.arrival_s),
                "wait_s": v.wait_s,
                "service_start": iso(v.service_start_s),
                "departure": iso(v.departure_s),
                "load_after": _dims(v.load_after),
            }
            for v in r.visits
        ],
    }


def write_result(problem: PlanningProblem, result: PlanResult) -> Json:
    """The plan as a contract document."""
    return {
        "summary": {
            "cost_cents": result.cost_cents,
            "distance_m": result.distance_m,
            "duration_s": result.duration_s,
            "co2_g": result.co2_g,
            "routes": len(result.routes),
            "served": result.served,
            "unassigned": len(result.unassigned),
            "solver": result.solver,
            "runtime_s": round(result.runtime_s, 2),
        },
        "routes": [_route_json(problem, r) for r in result.routes],
        "unassigned": [
            {"ref": u.ref, "reason": u.reason.value, "detail": u.detail} for u in result.unassigned
        ],
    }


def read_routes(
    problem: PlanningProblem, plan: Json
) -> tuple[list[RouteResult], list[UnassignedStop]]:
    """Routes of a plan document, as people may have edited them, for the checker.

    Stops that carry times are checked as given; a route whose stops have no times (just a
    sequence) is timed first, exactly as the planner would.
    """
    from lastmile.domain import UnassignedReason
    from lastmile.planning.solver import RoutePlan, StopVisit
    from lastmile.planning.timing import schedule

    jobs = problem.job_index()
    routes: list[RouteResult] = []
    taken: set[int] = set()
    for n, raw in enumerate(plan.get("routes", [])):
        where = f"routes[{n}]"
        vi = next(
            (
                i
                for i, v in enumerate(problem.vehicles)
                if v.ref == raw.get("vehicle")
                and v.shift_ref == raw.get("shift")
                and i not in taken
            ),
            None,
        )
        if vi is None:
            raise InvalidInput(
                f"unknown vehicle {raw.get('vehicle')!r}", field="vehicle", location=where
            )
        taken.add(vi)
        stops = raw.get("stops", [])
        unknown = [s.get("ref") for s in stops if s.get("ref") not in jobs]
        if unknown:
            raise InvalidInput(f"unknown stops {unknown}", field="stops", location=where)
        if not all("arrival" in s for s in stops):
            trips: dict[int, list[int]] = {}
            for s in stops:
                trips.setdefault(int(s.get("trip", 0)), []).append(jobs[s["ref"]])
            plan_ = RoutePlan(vi, tuple(tuple(trips[k]) for k in sorted(trips)))
            routes.append(schedule(problem, plan_)[0])
            continue

        def secs(t: Any) -> int:
            return int((_when(t, "time") - problem.origin).total_seconds())

        visits = [
            StopVisit(
                jobs[s["ref"]],
                s["ref"],
                tuple(s.get("order_refs", [s["ref"]])),
                s.get("kind", "delivery"),
                int(s.get("trip", 0)),
                secs(s["arrival"]),
                int(s.get("wait_s", 0)),
                secs(s["service_start"]),
                secs(s["departure"]),
                _demand(s.get("load_after", {})),
            )
            for s in stops
        ]
        routes.append(
            RouteResult(
                vi,
                problem.vehicles[vi].ref,
                secs(raw["start"]),
                secs(raw["end"]),
                visits,
                breaks=[BreakSlot(secs(b["start"]), secs(b["end"])) for b in raw.get("breaks", [])],
                distance_m=int(raw.get("distance_m", 0)),
            )
        )
    unassigned = [
        UnassignedStop(u["ref"], UnassignedReason(u["reason"]), u.get("detail", ""))
        for u in plan.get("unassigned", [])
    ]
    return routes, unassigned
