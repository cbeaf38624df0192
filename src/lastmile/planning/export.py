"""Plan outputs for people and maps: CSV driver manifests and GeoJSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import PlanResult, RouteResult

MANIFEST_COLUMNS = (
    "sequence",
    "trip",
    "stop",
    "orders",
    "kind",
    "arrival",
    "service_start",
    "departure",
    "wait_s",
    "lat",
    "lon",
    "weight_g_after",
    "volume_cm3_after",
    "parcels_after",
)


def manifest_csv(problem: PlanningProblem, route: RouteResult) -> str:
    """One driver's stop list in order, with local times of the route's hub."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MANIFEST_COLUMNS)
    tz = problem.hubs[problem.vehicles[route.vehicle].start_hub].timezone
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)

    def local(t: int) -> str:
        return problem.at(t).astimezone(zone).strftime("%H:%M")

    for n, v in enumerate(route.visits, start=1):
        where = problem.points[problem.jobs[v.job].point]
        writer.writerow(
            [
                n,
                v.trip + 1,
                v.ref,
                " ".join(v.order_refs),
                v.kind,
                local(v.arrival_s),
                local(v.service_start_s),
                local(v.departure_s),
                v.wait_s,
                where.lat,
                where.lon,
                *v.load_after,
            ]
        )
    return out.getvalue()


def geojson(problem: PlanningProblem, result: PlanResult) -> dict[str, Any]:
    """A FeatureCollection: one LineString per route (hub to hub), one Point per stop."""
    features: list[dict[str, Any]] = []
    for r in result.routes:
        v = problem.vehicles[r.vehicle]
        hub = problem.points[problem.hubs[v.start_hub].point]
        end = problem.points[problem.hubs[v.end_hub].point]
        line = [[hub.lon, hub.lat]]
        for visit in r.visits:
            p = problem.points[problem.jobs[visit.job].point]
            line.append([p.lon, p.lat])
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                    "properties": {
                        "stop": visit.ref,
                        "vehicle": r.vehicle_ref,
                        "kind": visit.kind,
                        "arrival": problem.at(visit.arrival_s).isoformat(),
                    },
                }
            )
        line.append([end.lon, end.lat])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "vehicle": r.vehicle_ref,
                    "stops": len(r.visits),
                    "distance_m": r.distance_m,
                    "cost_cents": r.cost_cents,
                },
            }
        )
    index = problem.job_index()
    for u in result.unassigned:
        p = problem.points[problem.jobs[index[u.ref]].point]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {"stop": u.ref, "unassigned": u.reason.value, "detail": u.detail},
            }
        )
    return {"type": "FeatureCollection", "features": features}
