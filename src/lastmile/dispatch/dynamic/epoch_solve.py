"""Route a chosen subset of an epoch's open requests, always returning legal routes."""

from __future__ import annotations

import numpy as np

from lastmile.dispatch.dynamic.rules import EpochState, RuleViolation, check_route
from lastmile.planning.pyvrp_arrays import ArrayVRP, solve_arrays


def epoch_problem(
    state: EpochState, chosen: np.ndarray, prizes: np.ndarray | None = None
) -> ArrayVRP:
    """The static VRPTW of the chosen requests, all leaving at time 0.

    With ``prizes`` (per open request), requests not chosen but with a positive prize are
    optional: the solver serves them only where the detour costs less than the prize.
    """
    clients = chosen if prizes is None else chosen | (prizes > 0)
    return ArrayVRP(
        durations=state.instance.durations,
        locations=state.customers[clients],
        demands=state.demands[clients],
        capacity=state.instance.capacity,
        tw_early=state.time_windows[clients, 0],
        tw_late=state.time_windows[clients, 1],
        service_s=state.service_s[clients],
        horizon_s=state.horizon_s,
        prizes=None if prizes is None else np.where(chosen, 0, prizes)[clients].astype(np.int64),
        required=None if prizes is None else chosen[clients],
    )


def route_requests(
    state: EpochState,
    chosen: np.ndarray,
    time_limit_s: float,
    seed: int,
    warm_start: list[list[int]] | None = None,
    max_iterations: int | None = None,
    prizes: np.ndarray | None = None,
) -> list[list[int]]:
    """Solve the chosen requests' VRPTW and map the routes back to request ids.

    Every open request is servable alone from this departure (the sampling filter and the
    must-dispatch test guarantee it), so a route the solver leaves infeasible is split
    into single-stop routes rather than dropped: the day never fails on a solver miss.
    ``warm_start`` routes are positions in ``state``; the chosen ones seed the search.
    ``prizes`` make unchosen requests optional (see ``epoch_problem``): the routes may
    then also hold requests that were not chosen.
    """
    clients = chosen if prizes is None else chosen | (prizes > 0)
    index = np.flatnonzero(clients)
    if index.size == 0:
        return []
    warm = None
    if warm_start:
        where = {int(p): k for k, p in enumerate(index) if chosen[p]}
        warm = [kept for r in warm_start if (kept := [where[p] for p in r if p in where])]
    solution = solve_arrays(
        epoch_problem(state, chosen, prizes),
        time_limit_s=time_limit_s,
        seed=seed,
        warm_start=warm,
        max_iterations=max_iterations,
    )
    routes: list[list[int]] = []
    served: set[int] = set()
    for route in solution.routes:
        positions = [int(index[c]) for c in route]
        served.update(positions)
        if _is_legal(state, positions):
            routes.append(positions)
        else:  # optional requests of an illegal route stay open
            routes.extend([p] for p in positions if chosen[p])
    routes.extend([int(p)] for p in index if int(p) not in served and chosen[p])
    return [[int(state.request_ids[p]) for p in route] for route in routes]


def _is_legal(state: EpochState, positions: list[int]) -> bool:
    try:
        check_route(state, positions, "candidate route")
    except RuleViolation:
        return False
    return True
