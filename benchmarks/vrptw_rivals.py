"""Solomon instances as plain arrays, the benchmark's own route check, and the solvers from
outside lastmile that take the arrays (VROOM, OR-Tools): the half of ``vrptw.py`` that does
not involve lastmile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Raw:
    """An instance in plain arrays, as the external solvers take it (depot is node 0)."""

    name: str
    dist: np.ndarray
    demand: np.ndarray
    capacity: int
    tw: np.ndarray
    service: np.ndarray

    @property
    def n(self) -> int:
        return len(self.demand)


def load_raw(path: Path) -> Raw:
    import vrplib

    d = vrplib.read_instance(str(path), compute_edge_weights=False)
    xy = np.asarray(d["node_coord"], dtype=np.float64)
    euclid = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * 10
    dist = np.floor(euclid + 1e-7).astype(np.int64)
    n = int(d["dimension"])
    service = np.full(n, int(d["service_time"]) * 10, dtype=np.int64)
    service[0] = 0
    tw = np.asarray(d["time_window"], dtype=np.int64) * 10
    return Raw(str(d["name"]), dist, np.asarray(d["demand"]), int(d["capacity"]), tw, service)


def route_check(raw: Raw, routes: list[list[int]]) -> tuple[bool, int]:
    """(feasible, distance) of routes of customer node numbers, recomputed from the arrays."""
    seen: list[int] = []
    total = 0
    ok = True
    for route in routes:
        t, pos, load = int(raw.tw[0, 0]), 0, 0
        for node in [*route, 0]:
            total += int(raw.dist[pos, node])
            t = max(t + int(raw.service[pos]) + int(raw.dist[pos, node]), int(raw.tw[node, 0]))
            ok &= t <= raw.tw[node, 1]
            load += int(raw.demand[node])
            pos = node
        ok &= load <= raw.capacity
        seen += route
    ok &= sorted(seen) == list(range(1, raw.n))
    return bool(ok), total


def run_vroom(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    from datetime import timedelta

    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix("car", raw.dist)
    horizon = vroom.TimeWindow(int(raw.tw[0, 0]), int(raw.tw[0, 1]))
    problem.add_vehicle(
        [
            vroom.Vehicle(k, start=0, end=0, capacity=[raw.capacity], time_window=horizon)
            for k in range(raw.n - 1)
        ]
    )
    problem.add_job(
        [
            vroom.Job(
                i,
                location=i,
                delivery=[int(raw.demand[i])],
                default_service=int(raw.service[i]),
                time_windows=[vroom.TimeWindow(int(raw.tw[i, 0]), int(raw.tw[i, 1]))],
            )
            for i in range(1, raw.n)
        ]
    )
    sol = problem.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=limit))
    routes: dict[int, list[int]] = {}
    for row in sol.routes.itertuples():
        if row.type == "job":
            routes.setdefault(int(row.vehicle_id), []).append(int(row.id))
    return list(routes.values())


def run_ortools(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    fleet = 25  # Solomon's own fleet size; OR-Tools slows down badly with 100 idle vehicles
    manager = pywrapcp.RoutingIndexManager(raw.n, fleet, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist = raw.dist.tolist()
    service = raw.service.tolist()

    def arc(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def travel(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(dist[a][b] + service[a])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    time_cb = routing.RegisterTransitCallback(travel)
    horizon = int(raw.tw[0, 1])
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for node in range(1, raw.n):
        dim.CumulVar(manager.NodeToIndex(node)).SetRange(int(raw.tw[node, 0]), int(raw.tw[node, 1]))
    demand = raw.demand.tolist()
    cap_cb = routing.RegisterUnaryTransitCallback(lambda i: int(demand[manager.IndexToNode(i)]))
    routing.AddDimensionWithVehicleCapacity(cap_cb, 0, [raw.capacity] * fleet, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return []
    routes = []
    for k in range(fleet):
        idx, route = routing.Start(k), []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node:
                route.append(node)
            idx = sol.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return routes
