"""Standard benchmark instances (VRPLIB CVRP/VRPTW, LKH-3/Solomon ``.vrptw``) as domain objects.

An instance goes through the same domain layer as a real day: a hub, one stop per customer,
a fleet of vans and a planar travel-time provider, so ``lastmile solve`` and the benchmarks
exercise exactly what dispatchers use. Distance conventions:

* ``EXACT_2D`` (the ``.vrptw`` files): Euclidean distance truncated to one decimal, the
  exact-method literature's convention; everything is scaled by 10 to stay integer (one
  instance unit = 10 problem metres/seconds), so costs are reported divided by 10;
* ``EUC_2D``: TSPLIB's nearest-integer Euclidean distance;
* ``EXPLICIT``: the file's matrix as given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lastmile.domain import (
    Address,
    Coordinate,
    Hub,
    InvalidInput,
    Load,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
)
from lastmile.geo.travel import Profile, TravelMatrix
from lastmile.planning.build import build_problem
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import PlanResult

#: Instance coordinates are stored as degrees / COORD_SCALE so any plane fits in WGS84.
COORD_SCALE = 1000.0
ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


class PlanarProvider:
    """Travel on the instance's plane: distance per the instance's rounding, time = distance."""

    def __init__(self, *, scale: int = 10, rounding: str = "truncate") -> None:
        self.scale = scale
        self.rounding = rounding

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        a = _plane(origins)
        b = _plane(destinations)
        d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)) * self.scale
        out = np.floor(d + 1e-7) if self.rounding == "truncate" else np.rint(d)
        ints = out.astype(np.int64)
        return TravelMatrix(durations_s=ints, distances_m=ints.copy())


class MatrixProvider:
    """Travel from an explicit matrix, found by the coordinate each node was given."""

    def __init__(self, coords: Sequence[Coordinate], matrix: npt.NDArray[np.int64]) -> None:
        self.index = {c: n for n, c in enumerate(coords)}
        self.matrix_ = matrix

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        rows = [self.index[c] for c in origins]
        cols = [self.index[c] for c in destinations]
        sub = self.matrix_[np.ix_(rows, cols)].astype(np.int64)
        return TravelMatrix(durations_s=sub, distances_m=sub.copy())


def _plane(points: Sequence[Coordinate]) -> npt.NDArray[np.float64]:
    if not points:
        return np.zeros((0, 2))
    xy = np.array([(p.lon, p.lat) for p in points], dtype=np.float64) * COORD_SCALE
    return np.round(xy, 6)


@dataclass
class Instance:
    """A parsed instance as domain objects plus what is needed to write its solution."""

    name: str
    hub: Hub
    stops: list[Stop]
    vehicles: list[Vehicle]
    day: TimeWindow
    provider: PlanarProvider | MatrixProvider
    #: Problem units per instance unit (10 for EXACT_2D's one-decimal convention).
    scale: int

    def problem(self) -> PlanningProblem:
        return build_problem(
            self.stops, [self.hub], self.vehicles, provider=self.provider, day=self.day
        )


def read_instance(path: Path, *, fleet: int | None = None) -> Instance:
    """Read a VRPLIB (CVRP, VRPTW) or LKH-3 ``.vrptw`` file into domain objects.

    The ``VEHICLES`` field of ``.vrptw`` files is the best-known vehicle count, not a limit:
    the fleet is ``fleet`` when given, else one vehicle per customer (unlimited).
    """
    import vrplib

    try:
        data = vrplib.read_instance(str(path), compute_edge_weights=False)
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise InvalidInput(f"cannot read instance: {exc}", location=str(path)) from None
    kind = str(data.get("edge_weight_type", "EUC_2D")).upper()
    scale = 10 if kind == "EXACT_2D" else 1
    n = int(data["dimension"])
    coords = _coordinates(data, n)
    depot = int(np.asarray(data.get("depot", [0]))[0])
    provider = _provider(data, kind, coords, scale)
    hub = Hub(ref="depot", name="depot", location=coords[depot])
    horizon, windows = _windows(data, n, scale)
    day = TimeWindow(
        ORIGIN + timedelta(seconds=int(windows[depot][0])),
        ORIGIN + timedelta(seconds=int(max(windows[depot][1], 1))),
    )
    service = np.broadcast_to(np.asarray(data.get("service_time", 0)) * scale, (n,))
    demand = np.asarray(data.get("demand", np.zeros(n)), dtype=np.int64)
    stops = [
        _stop(
            i,
            coords[i],
            windows[i] if "time_window" in data else None,
            int(service[i]),
            int(demand[i]),
        )
        for i in range(n)
        if i != depot
    ]
    count = fleet if fleet is not None else len(stops)
    if count < 1:
        raise InvalidInput("fleet must be at least 1", field="fleet")
    capacity = int(np.asarray(data.get("capacity", 2**40)).max())
    vehicles = [
        Vehicle(
            ref=f"v{k + 1}",
            kind=VehicleKind.VAN,
            hub_ref="depot",
            capacity=Load(parcels=capacity),
            cost_per_km_cents=1,
        )
        for k in range(count)
    ]
    del horizon
    return Instance(str(data.get("name", path.stem)), hub, stops, vehicles, day, provider, scale)


def _coordinates(data: dict[str, object], n: int) -> list[Coordinate]:
    raw = data.get("node_coord")
    if raw is None:  # explicit matrix without coordinates: distinct placeholder points
        return [Coordinate(lat=i / 1e5, lon=0.0) for i in range(n)]
    xy = np.asarray(raw, dtype=np.float64)
    span = np.abs(xy).max(initial=0)
    if span / COORD_SCALE > 89:
        raise InvalidInput("coordinates too large for the planar encoding", field="NODE_COORD")
    return [Coordinate(lat=float(y) / COORD_SCALE, lon=float(x) / COORD_SCALE) for x, y in xy]


def _provider(
    data: dict[str, object], kind: str, coords: list[Coordinate], scale: int
) -> PlanarProvider | MatrixProvider:
    if kind in ("EXACT_2D", "EUC_2D"):
        return PlanarProvider(scale=scale, rounding="truncate" if kind == "EXACT_2D" else "round")
    if "edge_weight" not in data:
        raise InvalidInput(f"unsupported EDGE_WEIGHT_TYPE {kind}", field="EDGE_WEIGHT_TYPE")
    matrix = np.rint(np.asarray(data["edge_weight"], dtype=np.float64)).astype(np.int64)
    return MatrixProvider(coords, matrix)


def _windows(data: dict[str, object], n: int, scale: int) -> tuple[int, npt.NDArray[np.int64]]:
    if "time_window" in data:
        tw = np.asarray(data["time_window"], dtype=np.float64) * scale
        return int(tw[:, 1].max()), tw.astype(np.int64)
    horizon = 10**9
    return horizon, np.tile(np.array([0, horizon], dtype=np.int64), (n, 1))


def _stop(i: int, where: Coordinate, window: object, service: int, demand: int) -> Stop:
    windows: tuple[TimeWindow, ...] = ()
    if window is not None:
        early, late = (int(x) for x in np.asarray(window))
        windows = (
            TimeWindow(
                ORIGIN + timedelta(seconds=early), ORIGIN + timedelta(seconds=max(late, early + 1))
            ),
        )
    return Stop(
        ref=str(i),
        kind=StopKind.DELIVERY,
        location=Address(raw=f"node {i}", coordinate=where),
        windows=windows,
        service_s=service,
        load=Load(parcels=demand),
    )


def solution_text(instance: Instance, result: PlanResult) -> str:
    """VRPLIB ``.sol``: ``Route #k: i j ...`` (customers 1..n in file order), then ``Cost C``."""
    order = {s.ref: n + 1 for n, s in enumerate(instance.stops)}
    lines = []
    for k, route in enumerate(r for r in result.routes if r.visits):
        lines.append(f"Route #{k + 1}: " + " ".join(str(order[v.ref]) for v in route.visits))
    cost = result.distance_m / instance.scale
    lines.append(f"Cost {cost:.1f}" if instance.scale > 1 else f"Cost {math.floor(cost)}")
    return "\n".join(lines) + "\n"
