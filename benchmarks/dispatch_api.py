"""Dispatching a stored plan through the HTTP API: how long an event takes, and where.

    .venv/bin/python benchmarks/dispatch_api.py                          # SQLite, 1,000 orders
    .venv/bin/python benchmarks/dispatch_api.py --orders 2000 --events 30 \
        --backends sqlite postgresql

A hub's day of ``--orders`` orders (a grid around the hub, windows 09:00-17:00, one van per
50 orders) is planned by a plan job, then ``--events`` events are posted to it, ten minutes
apart from 09:00: in turn a 30 min delay, a cancelled stop, a new order, a failed attempt and
a manual re-plan. The process keeps the day between events; a last re-plan is sent after
the process forgot it (as after a restart), so that request rebuilds the day from all its
stored steps. The table shows each phase (rebuild, event with its re-plan, store) and the
whole request. Five minutes after each of the first ``--looks`` events comes a look at
what tracking saw (``POST .../observe``, as ``lastmile serve`` makes every 30 s): before
it, the stops the plan in force has done in the ten minutes before are written delivered
into the orders' journeys (as scans record them), on time except every eighth van's, 25
min late (which re-plans it), and every eighth van from the fifth on stops for good at
09:30 local (its scans stop); with ``--gps``, also the pings of each van not late on its
scans, every 30 s, where the plan has it (a stuck van's where it stopped). Requests go
through the whole ASGI stack in-process (Starlette's test client). With ``--processes N``,
N apps over the same database (each an API process: its own kept days, its own lease) take
the events in turn, so each event's process replays the steps the others stored since.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scratch import add_backends, migrated, write_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "dispatch_api.json"
HUB = {"ref": "H1", "name": "Hub", "lat": 52.52, "lon": 13.40, "timezone": "Europe/Berlin"}
DAY = "2026-11-24"
#: When the stuck vans stop (``--looks``: their scans stop then; ``--gps``: their phones
#: stay where they were).
STUCK = datetime.fromisoformat(f"{DAY}T08:30:00+00:00")
KINDS = ("vehicle_delayed", "stop_cancelled", "order_added", "attempt_failed", "replan")


def order(n: int) -> dict[str, Any]:
    side = 45
    return {
        "ref": f"O{n:06d}", "hub_ref": "H1", "lat": 52.46 + (n % side) * 0.0027,
        "lon": 13.30 + (n // side % side) * 0.0045, "recipient_name": "Ann Smith",
        "window_start": f"{DAY}T09:00", "window_end": f"{DAY}T17:00", "weight_kg": 2,
    }  # fmt: skip


def _post(client: Any, path: str, body: Any, h: dict[str, str]) -> Any:
    response = client.post(path, json=body, headers=h)
    if response.status_code >= 300:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return response.json()


def _plan(client: Any, h: dict[str, str], orders: int, plan_s: float) -> str:
    for start in range(0, orders, 1000):
        batch = [order(n) for n in range(start, min(orders, start + 1000))]
        _post(client, "/v1/orders/batch", {"orders": batch}, h)
    for v in range(max(1, orders // 50)):
        van = {"ref": f"V{v:03d}", "kind": "van", "hub_ref": "H1", "capacity_kg": 500,
               "capacity_l": 3000, "capacity_parcels": 60}  # fmt: skip
        _post(client, "/v1/vehicles", van, h)
    job = _post(client, "/v1/plans", {"hub_ref": "H1", "service_date": DAY,
                                      "time_limit_s": plan_s}, h)  # fmt: skip
    while job["status"] not in ("done", "failed"):
        time.sleep(0.5)
        job = client.get(f"/v1/plans/jobs/{job['id']}", headers=h).json()
    if job["status"] != "done":
        raise SystemExit(f"plan job failed: {job['error']}")
    return str(job["plan_ref"])


def _event(kind: str, n: int, at: datetime, plan: dict[str, Any]) -> dict[str, Any]:
    """A valid event of ``kind`` on the plan in force at ``at``."""
    stops = [(s["arrival"], s["ref"], r["vehicle_ref"]) for r in plan["routes"] for s in r["stops"]]
    later = sorted(s for s in stops if datetime.fromisoformat(s[0]) > at + timedelta(minutes=40))
    done = sorted(s for s in stops if datetime.fromisoformat(s[0]) < at - timedelta(minutes=5))
    when = at.isoformat()
    if kind == "vehicle_delayed" and later:
        return {"type": kind, "vehicle_ref": later[n % len(later)][2], "delay_s": 1800, "at": when}
    if kind == "stop_cancelled" and later:
        return {"type": kind, "stop_ref": later[-1 - n % len(later)][1], "at": when}
    if kind == "attempt_failed" and done:
        return {"type": kind, "stop_ref": done[-1][1], "reason": "nobody home", "at": when}
    if kind == "order_added":
        return {"type": kind, "order_ref": f"N{n:04d}", "at": when}
    return {"type": "replan", "at": when}


def _deliver(url: str, plan: dict[str, Any], since: datetime, until: datetime) -> int:
    """Write delivered, into the journeys, the stops the plan has done in (since, until]:
    at the plan's time, or 25 min later on every eighth van (V000, V008, ...); none after
    ``STUCK`` on the vans stuck then (V004, V012, ...). Returns how many."""
    from lastmile.bootstrap import uow_factory
    from lastmile.domain import LifecycleState, Outcome

    due = []
    for route in plan["routes"]:
        kind = _van_kind(route["vehicle_ref"])
        lag = timedelta(minutes=25 if kind == "late" else 0)
        for stop in route["stops"]:
            at = datetime.fromisoformat(stop["departure"]) + lag
            if since < at <= until and not (kind == "stuck" and at > STUCK):
                due.append((stop["ref"], at))
    factory = uow_factory(url)
    try:
        with factory() as uow:
            for ref, at in due:
                order_ = uow.orders.get(ref)
                if order_ is None or order_.state is not LifecycleState.PLANNED:
                    continue
                for state in (LifecycleState.DISPATCHED, LifecycleState.LOADED,
                              LifecycleState.OUT_FOR_DELIVERY):  # fmt: skip
                    order_.advance(state, at=at - timedelta(minutes=30), actor="bench")
                order_.complete(Outcome.DELIVERED, at=at, actor="bench")
                uow.orders.add(order_)
                uow.publish(order_.pull_events())
            uow.commit()
    finally:
        factory.dispose()
    return len(due)


def _van_kind(vehicle_ref: str) -> str:
    """Every eighth van is 25 min late on its scans from the start; every eighth from the
    fifth on stops for good at ``STUCK``; the others keep to the plan."""
    n = int(vehicle_ref.lstrip("V") or 0) % 8
    return "late" if n == 0 else "stuck" if n == 4 else "on plan"


def _gps(
    url: str, plan: dict[str, Any], coords: dict[str, tuple[float, float]], since: datetime,
    until: datetime, frozen: dict[str, tuple[float, float]],
) -> int:  # fmt: skip
    """Each van's phone every 30 s in (since, until], where the plan has the van (on the
    straight line between stops), as the tracking API stores pings; a stuck van's stays
    where it was at ``STUCK`` (``frozen``). The late vans send none: their plan, re-made
    from their late scans, does not say where they drive. Returns how many were stored."""
    from lastmile.bootstrap import uow_factory
    from lastmile.dispatch.tracking import ingest_pings
    from lastmile.store.tracking_repositories import SqlPingStore
    from lastmile.tracking.model import Ping

    hub = (float(HUB["lat"]), float(HUB["lon"]))  # type: ignore[arg-type]
    pings = []
    for route in plan["routes"]:
        kind = _van_kind(route["vehicle_ref"])
        if kind == "late":
            continue
        marks = [(datetime.fromisoformat(route["start"]), hub)]
        for stop in route["stops"]:
            here = coords[stop["ref"]]
            marks += [(datetime.fromisoformat(stop["arrival"]), here),
                      (datetime.fromisoformat(stop["departure"]), here)]  # fmt: skip
        marks.append((datetime.fromisoformat(route["end"]), hub))
        at = since + timedelta(seconds=30)
        while at <= until:
            where = _where(marks, min(at, STUCK) if kind == "stuck" else at)
            if kind == "stuck" and at >= STUCK:
                where = frozen.setdefault(route["vehicle_ref"], where)
            device = f"phone-{route['vehicle_ref']}"
            pings.append(Ping(device, int(at.timestamp()), at, where[0], where[1],
                              vehicle_ref=route["vehicle_ref"]))  # fmt: skip
            at += timedelta(seconds=30)
    factory = uow_factory(url)
    try:
        return ingest_pings(SqlPingStore(factory.engine), pings, now=until).stored
    finally:
        factory.dispose()


def _where(marks: list[tuple[datetime, tuple[float, float]]], t: datetime) -> tuple[float, float]:
    for (t0, a), (t1, b) in pairwise(marks):
        if t0 <= t <= t1:
            f = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
            return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
    return marks[-1][1] if t > marks[-1][0] else marks[0][1]


def _look(
    client: Any, h: dict[str, str], url: str, first: str, current: str, since: datetime,
    now: datetime, budget_s: float, coords: dict[str, tuple[float, float]] | None = None,
    frozen: dict[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Scans of the plan in force's stops done in (since, now] (and with ``coords``, the
    vans' pings), then one timed look."""
    plan = client.get(f"/v1/plans/{current}", headers=h).json()
    scans = _deliver(url, plan, since, now)
    fixes = _gps(url, plan, coords, since, now, {} if frozen is None else frozen) if coords else 0
    began = time.perf_counter()
    look = _post(client, f"/v1/dispatch/{first}/observe?budget_s={budget_s}",
                 {"at": now.isoformat()}, h)  # fmt: skip
    wall = time.perf_counter() - began
    replans = [r for s in look["tracked_steps"] for r in s["replans"]]
    gps = sum(bool(s["payload"].get("heading")) for s in look["tracked_steps"])
    kind = f"observe ({scans} scans" + (f", {fixes} pings, {gps} on GPS)" if coords else ")")
    return {
        "seq": look["steps"], "type": kind, "wall_s": wall, "gps_steps": gps,
        "rebuild": 0.0, "event": 0.0, "store": 0.0, "look": True,
        "replanned": bool(replans), "search_s": sum(r["runtime_s"] for r in replans),
        "changes": sum(len(r["changes"]) for r in replans),
        "current_plan_ref": look["current_plan_ref"],
    }  # fmt: skip


def _improve(
    client: Any, h: dict[str, str], first: str, at: datetime, budget_s: float
) -> dict[str, Any]:
    """One ``improve`` event (what ``serve`` sends after a re-plan left the day idle)."""
    body = {"type": "improve", "at": at.isoformat()}
    began = time.perf_counter()
    step = _post(client, f"/v1/dispatch/{first}/events?budget_s={budget_s}", body, h)
    wall = time.perf_counter() - began
    replan = step["replans"][0] if step["replans"] else None
    return {
        "seq": step["seq"], "type": "improve" + (" (adopted)" if replan else ""),
        "wall_s": wall, **step["timings_s"], "improve": True, "replanned": bool(replan),
        "search_s": replan["runtime_s"] if replan else 0.0,
        "changes": len(replan["changes"]) if replan else 0,
        "gain": replan["reason"] if replan else "",
        "current_plan_ref": step["current_plan_ref"],
    }  # fmt: skip


def run(
    url: str, orders: int, events: int, plan_s: float, budget_s: float, looks: int = 0,
    improve: bool = False, processes: int = 1, gps: bool = False,
) -> dict[str, Any]:  # fmt: skip
    from contextlib import ExitStack

    from fastapi.testclient import TestClient

    from lastmile.api.app import create_app
    from lastmile.api.auth import Role
    from lastmile.api.routers.keys import create_key
    from lastmile.api.services import ApiSettings, build_services, close_services

    services = build_services(ApiSettings(url))
    key = create_key(services, Role.ADMIN, "bench", None)[1]
    close_services(services)
    h = {"X-API-Key": key}
    rows = []
    settings = ApiSettings(url, rate_per_s=1e6, burst=10**6)
    with ExitStack() as apps:
        # Each app is one API process (its own kept days and lease name) over the database.
        clients = [apps.enter_context(TestClient(create_app(settings))) for _ in range(processes)]
        client = clients[0]
        _post(client, "/v1/hubs", HUB, h)
        first = _plan(client, h, orders, plan_s)
        current = first
        coords = {o["ref"]: (o["lat"], o["lon"]) for o in map(order, range(orders))}
        frozen: dict[str, tuple[float, float]] = {}
        start = datetime.fromisoformat(f"{DAY}T08:00:00+00:00")
        for n in range(events + 1):
            at = start + timedelta(minutes=10 * n)
            client = clients[n % processes]  # round robin, as behind a load balancer
            plan = client.get(f"/v1/plans/{current}", headers=h).json()
            kind = KINDS[n % len(KINDS)]
            cold = n == events  # as after a restart: the process kept no day
            if cold:
                for c in clients:
                    c.app.state.services.dispatch_days.clear()  # type: ignore[attr-defined]
                kind = "replan"
            body = _event(kind, n, at, plan)
            if body["type"] == "order_added":
                new = {**order(orders + n), "ref": body["order_ref"]}
                _post(client, "/v1/orders", new, h)
                coords[new["ref"]] = (new["lat"], new["lon"])
            began = time.perf_counter()
            step = _post(client, f"/v1/dispatch/{first}/events?budget_s={budget_s}", body, h)
            wall = time.perf_counter() - began
            current = step["current_plan_ref"]
            replan = step["replans"][0] if step["replans"] else None
            rows.append({
                "process": n % processes,
                "seq": step["seq"], "type": body["type"] + (" (cold)" if cold else ""),
                "wall_s": wall, **step["timings_s"],
                "replanned": replan is not None,
                "search_s": replan["runtime_s"] if replan else 0.0,
                "changes": len(replan["changes"]) if replan else 0,
                "left_out": len(replan["unassigned"]) if replan else 0,
                "cost_after": replan["cost_after_cents"] if replan else None,
            })  # fmt: skip
            if improve and body["type"] == "order_added":  # a minute on, one idle search
                rows.append(_improve(client, h, first, at + timedelta(minutes=1), budget_s))
                current = rows[-1]["current_plan_ref"]
            if n < looks:  # five minutes on, what tracking saw since the last look
                seen = at + timedelta(minutes=5)
                rows.append(_look(client, h, url, first, current, seen - timedelta(minutes=10),
                                  seen, budget_s, coords if gps else None, frozen))  # fmt: skip
                current = rows[-1]["current_plan_ref"]
    return {"orders": orders, "events": rows}


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    looks = [r for r in rows if r.get("look")]
    improves = [r for r in rows if r.get("improve")]
    rows = [r for r in rows if not r.get("look") and not r.get("improve")]
    events, cold = rows[:-1], rows[-1]
    head, tail = events[: max(1, len(events) // 5)], events[-max(1, len(events) // 5) :]
    out: dict[str, float] = {}
    for phase in ("rebuild", "event", "store", "wall_s"):
        out[f"{phase} first 20%"] = statistics.mean(e[phase] for e in head)
        out[f"{phase} last 20%"] = statistics.mean(e[phase] for e in tail)
    out["replans"] = sum(e["replanned"] for e in events)
    out["cold rebuild"] = cold["rebuild"]
    if improves:
        out["improve steps"] = len(improves)
        out["improve adopted"] = sum(r["replanned"] for r in improves)
        out["improve wall max s"] = max(r["wall_s"] for r in improves)
    if looks:
        quiet = [r["wall_s"] for r in looks if not r["replanned"]]
        busy = [r["wall_s"] for r in looks if r["replanned"]]
        out["looks"] = len(looks)
        out["look without re-plan, max s"] = max(quiet, default=0.0)
        out["look with re-plan, max s"] = max(busy, default=0.0)
        out["looks' steps on GPS"] = sum(r.get("gps_steps", 0) for r in looks)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backends(parser)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--plan-s", type=float, default=30.0)
    parser.add_argument("--budget-s", type=float, default=5.0)
    parser.add_argument("--looks", type=int, default=10, help="looks at tracking after")
    parser.add_argument("--improve", action="store_true", help="improve after new orders")
    parser.add_argument("--gps", action="store_true", help="vans' pings before each look")
    parser.add_argument("--processes", type=int, default=1,
                        help="API processes taking the events in turn")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = []
    for name, load, url in migrated(args.backends):
        a = args
        result = run(url, a.orders, a.events, a.plan_s, a.budget_s, a.looks, a.improve,
                     a.processes, a.gps)  # fmt: skip
        runs.append({"backend": name, "load": load, "processes": a.processes, "gps": a.gps,
                     **result,
                     "summary": summary(result["events"])})  # fmt: skip
    report = write_report("dispatch_api.py", runs, args.out)
    show(report)


def show(report: dict[str, Any]) -> None:
    console = Console(width=160)
    for run_ in report["runs"]:
        title = f"{run_['backend']}: {run_['orders']} orders, {run_['processes']} process(es)"
        table = Table(title=f"{title} ({report['machine']})")
        for column in ("step", "process", "event", "rebuild s", "event s", "search s",
                       "store s", "wall s", "changes"):  # fmt: skip
            table.add_column(column, justify="left" if column == "event" else "right")
        for e in run_["events"]:
            table.add_row(
                str(e["seq"]), str(e.get("process", "")), e["type"], f"{e['rebuild']:.2f}",
                f"{e['event']:.2f}", f"{e['search_s']:.2f}", f"{e['store']:.2f}",
                f"{e['wall_s']:.2f}", str(e["changes"]),
            )  # fmt: skip
        console.print(table)
        console.print({k: round(v, 3) for k, v in run_["summary"].items()})


if __name__ == "__main__":
    main()
