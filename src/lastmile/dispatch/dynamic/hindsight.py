"""The hindsight problem: the whole day known in advance, a lower reference for policies.

Every request of the sampled day, with its absolute window, released when its epoch's
routes could first leave (epoch start + dispatch margin): a static VRPTW with release times.

The search starts from the day solved epoch by epoch (what greedy would send): from a
random start, PyVRP's iterated local search on a ~500-request problem with release times
settles far above that in tens of seconds, which once made "hindsight" cost more than
greedy. Started from the per-epoch routes it can only improve on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lastmile.dispatch.dynamic.environment import DayRequests, DynamicEnvironment
from lastmile.dispatch.dynamic.instance import DayInstance, positive_seconds
from lastmile.dispatch.dynamic.rules import RuleViolation
from lastmile.dispatch.dynamic.sampling import DISPATCH_MARGIN_S, EPOCH_S
from lastmile.planning.pyvrp_arrays import ArrayVRP, solve_arrays


@dataclass(frozen=True)
class HindsightResult:
    cost: int
    routes: list[list[int]]  # request ids
    start_times_s: list[int]


def sample_day(instance: DayInstance, seed: int) -> DayRequests:
    """The day's requests for a seed, without any solver.

    The environment's draws do not depend on what is dispatched, so sending every request
    on its own route each epoch reveals the same day every policy plays.
    """
    env = DynamicEnvironment(instance, seed)
    while not env.done:
        env.dispatch([[int(r)] for r in env.observe().request_ids])
    return env.requests()


def hindsight_problem(instance: DayInstance, day: DayRequests) -> ArrayVRP:
    """The day's requests as one static problem with release times."""
    return ArrayVRP(
        durations=instance.durations,
        locations=day.customers,
        demands=day.demands,
        capacity=instance.capacity,
        tw_early=day.time_windows[:, 0],
        tw_late=day.time_windows[:, 1],
        service_s=day.service_s,
        horizon_s=instance.horizon_s,
        release_s=(day.epochs * EPOCH_S + DISPATCH_MARGIN_S).astype(np.int64),
    )


def per_epoch_routes(
    problem: ArrayVRP, epochs: np.ndarray, time_limit_s: float, seed: int = 0
) -> list[list[int]]:
    """Each epoch's requests routed on their own: a feasible start for the whole day."""
    routes: list[list[int]] = []
    groups = [np.flatnonzero(epochs == e) for e in np.unique(epochs)]
    for idx in groups:
        part = ArrayVRP(
            durations=problem.durations,
            locations=problem.locations[idx],
            demands=problem.demands[idx],
            capacity=problem.capacity,
            tw_early=problem.tw_early[idx],
            tw_late=problem.tw_late[idx],
            service_s=problem.service_s[idx],
            horizon_s=problem.horizon_s,
            release_s=None if problem.release_s is None else problem.release_s[idx],
        )
        solved = solve_arrays(part, time_limit_s=time_limit_s / max(len(groups), 1), seed=seed)
        routes += [[int(idx[c]) for c in route] for route in solved.routes]
    return routes


def solve_hindsight(
    instance: DayInstance,
    day: DayRequests,
    time_limit_s: float,
    seed: int = 0,
    start_share: float = 0.2,
) -> HindsightResult:
    """Solve the hindsight problem; an infeasible answer is an error, not a bound.

    ``start_share`` of the time builds the per-epoch start, the rest improves the whole day.
    """
    positive_seconds(time_limit_s, "hindsight")
    problem = hindsight_problem(instance, day)
    start = per_epoch_routes(problem, day.epochs, start_share * time_limit_s, seed)
    solution = solve_arrays(
        problem, time_limit_s=(1 - start_share) * time_limit_s, seed=seed, warm_start=start
    )
    if not solution.feasible:
        raise RuleViolation(
            f"no feasible hindsight solution found in {time_limit_s:g} s; give it more time",
            field="hindsight",
        )
    return HindsightResult(solution.cost, solution.routes, solution.start_times)
