"""The hindsight problem: the whole day known in advance, a lower reference for policies.

Every request of the sampled day, with its absolute window, released when its epoch's
routes could first leave (epoch start + dispatch margin): a static VRPTW with release times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lastmile.dispatch.dynamic.environment import DayRequests, DynamicEnvironment
from lastmile.dispatch.dynamic.instance import DayInstance
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


def solve_hindsight(
    instance: DayInstance, day: DayRequests, time_limit_s: float, seed: int = 0
) -> HindsightResult:
    """Solve the hindsight problem; an infeasible answer is an error, not a bound."""
    solution = solve_arrays(hindsight_problem(instance, day), time_limit_s=time_limit_s, seed=seed)
    if not solution.feasible:
        raise RuleViolation(
            f"no feasible hindsight solution found in {time_limit_s:g} s; give it more time",
            field="hindsight",
        )
    return HindsightResult(solution.cost, solution.routes, solution.start_times)
