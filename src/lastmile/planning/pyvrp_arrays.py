"""A low-level PyVRP adapter: a VRPTW given as integer arrays over an explicit duration matrix.

The dynamic dispatcher builds many small static problems per epoch (the epoch's problem,
sampled scenarios, the hindsight day). They come as numpy arrays indexed by location, not as
domain objects, so this module maps them straight onto ``pyvrp.ProblemData`` without the
domain translation of :mod:`lastmile.planning.pyvrp_solver`. Travel cost is the duration
(``distance = duration``); waiting is free, as in the EURO Meets NeurIPS 2022 rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from lastmile.domain.errors import InvalidInput

if TYPE_CHECKING:
    from pyvrp import ProblemData, Solution

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ArrayVRP:
    """A VRPTW over ``durations`` (a square location matrix; location 0 is the depot).

    Per client ``i``: ``locations[i]`` (row in the matrix), ``demands``, ``tw_early``,
    ``tw_late``, ``service_s``, ``release_s`` (earliest start of the route serving it),
    ``prizes`` and ``required`` (optional clients are visited only when their prize pays).
    ``num_vehicles`` of None means an unlimited fleet; ``horizon_s`` closes the depot.
    """

    durations: IntArray
    locations: IntArray
    demands: IntArray
    capacity: int
    tw_early: IntArray
    tw_late: IntArray
    service_s: IntArray
    horizon_s: int
    release_s: IntArray | None = None
    prizes: IntArray | None = None
    required: NDArray[np.bool_] | None = None
    num_vehicles: int | None = None

    @property
    def num_clients(self) -> int:
        return int(self.locations.size)


@dataclass(frozen=True)
class ArraySolution:
    """Routes as lists of client indices (positions in the ArrayVRP arrays)."""

    routes: list[list[int]]
    cost: int
    feasible: bool
    start_times: list[int] = field(default_factory=list)


def _check(problem: ArrayVRP) -> None:
    n = problem.num_clients
    matrix = problem.durations
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise InvalidInput("the duration matrix must be square", field="durations")
    for name in ("demands", "tw_early", "tw_late", "service_s"):
        if getattr(problem, name).shape != (n,):
            raise InvalidInput(f"expected {n} values, one per client", field=name)
    if n and (problem.locations.min() < 1 or problem.locations.max() >= matrix.shape[0]):
        raise InvalidInput("client locations must be rows 1.. of the matrix", field="locations")


def to_problem_data(problem: ArrayVRP) -> ProblemData:
    """Build ``pyvrp.ProblemData``: one location per matrix row, clients pointing at rows."""
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    _check(problem)
    n = problem.num_clients
    release = problem.release_s if problem.release_s is not None else np.zeros(n, np.int64)
    prizes = problem.prizes if problem.prizes is not None else np.zeros(n, np.int64)
    required = problem.required if problem.required is not None else np.ones(n, np.bool_)
    locations = [Location(0.0, 0.0) for _ in range(problem.durations.shape[0])]
    clients = [
        Client(
            int(problem.locations[i]),
            delivery=[int(problem.demands[i])],
            service_duration=int(problem.service_s[i]),
            tw_early=int(problem.tw_early[i]),
            tw_late=int(problem.tw_late[i]),
            release_time=int(release[i]),
            prize=int(prizes[i]),
            required=bool(required[i]),
        )
        for i in range(n)
    ]
    fleet = problem.num_vehicles if problem.num_vehicles is not None else max(n, 1)
    vehicle = VehicleType(fleet, capacity=[problem.capacity], tw_early=0, tw_late=problem.horizon_s)
    matrix = cast(Any, np.ascontiguousarray(problem.durations, dtype=np.int64))
    return ProblemData(
        locations, clients, [Depot(0, tw_late=problem.horizon_s)], [vehicle], [matrix], [matrix]
    )


def solve_arrays(
    problem: ArrayVRP,
    *,
    time_limit_s: float,
    seed: int = 0,
    warm_start: list[list[int]] | None = None,
    max_iterations: int | None = None,
) -> ArraySolution:
    """Solve with PyVRP's iterated local search for ``time_limit_s`` seconds.

    ``warm_start`` routes (client indices) seed the search; invalid ones are ignored.
    ``max_iterations`` also stops the search after that many iterations, so many short
    solves (sampled scenarios) keep the same quality whatever the machine's load.
    """
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

    if problem.num_clients == 0:
        return ArraySolution(routes=[], cost=0, feasible=True)
    data = to_problem_data(problem)
    initial = None
    if warm_start:
        try:
            initial = pyvrp.Solution(data, [list(r) for r in warm_start if r])
        except (ValueError, RuntimeError, IndexError):
            initial = None
    stop: StoppingCriterion = MaxRuntime(max(time_limit_s, 0.01))
    if max_iterations is not None:
        if max_iterations < 1:
            raise InvalidInput("must be at least 1", field="max_iterations")
        stop = MultipleCriteria([stop, MaxIterations(max_iterations)])
    result = pyvrp.solve(
        data,
        stop=stop,
        seed=seed,
        collect_stats=False,
        initial_solution=initial,
    )
    return _extract(result.best)


def _extract(best: Solution) -> ArraySolution:
    routes: list[list[int]] = []
    starts: list[int] = []
    for route in best.routes():
        visits = [int(a.idx) for a in route.schedule() if a.is_client()]
        if visits:
            routes.append(visits)
            starts.append(int(route.start_time()))
    return ArraySolution(
        routes=routes,
        cost=int(best.distance()),
        feasible=bool(best.is_feasible()),
        start_times=starts,
    )
