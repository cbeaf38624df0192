"""Run one sampled day with a policy, epoch by epoch, and keep what happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lastmile.dispatch.dynamic.environment import DayRequests, DynamicEnvironment
from lastmile.dispatch.dynamic.instance import DayInstance, positive_seconds
from lastmile.dispatch.dynamic.policies import Policy, make_policy

GRACE_S = 2.0  # the competition's wall-clock grace over the epoch limit


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    open_requests: int
    must_dispatch: int
    dispatched: int
    cost: int
    elapsed_s: float
    routes: list[list[int]]
    over_time: bool = False


@dataclass
class DayResult:
    instance: str
    seed: int
    policy: str
    epoch_time_limit_s: float
    epochs: list[EpochRecord] = field(default_factory=list)
    requests: DayRequests | None = None

    @property
    def total_cost(self) -> int:
        return sum(e.cost for e in self.epochs)

    def to_json(self) -> dict[str, object]:
        """The day as plain data: totals plus every epoch's routes (request ids)."""
        return {
            "instance": self.instance,
            "seed": self.seed,
            "policy": self.policy,
            "epoch_time_limit_s": self.epoch_time_limit_s,
            "total_cost": self.total_cost,
            "epochs_over_time": sum(e.over_time for e in self.epochs),
            "epochs": [e.__dict__ for e in self.epochs],
        }


def run_day(
    instance: DayInstance,
    seed: int,
    policy_name: str,
    epoch_time_limit_s: float,
    *,
    policy: Policy | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> DayResult:
    """Play the day; the environment checks every epoch's routes and raises on a broken rule."""
    positive_seconds(epoch_time_limit_s, "epoch_time_limit")
    env = DynamicEnvironment(instance, seed)
    chosen = policy or make_policy(policy_name, seed)
    result = DayResult(instance.name, seed, policy_name, epoch_time_limit_s)
    try:
        while not env.done:
            state = env.observe()
            start = time.perf_counter()
            routes = chosen.dispatch(state, epoch_time_limit_s)
            elapsed = time.perf_counter() - start
            cost = env.dispatch(routes)
            record = EpochRecord(
                epoch=state.epoch,
                open_requests=state.size,
                must_dispatch=int(state.must_dispatch.sum()),
                dispatched=sum(len(r) for r in routes),
                cost=cost,
                elapsed_s=round(elapsed, 3),
                routes=[list(map(int, r)) for r in routes],
                over_time=elapsed > epoch_time_limit_s + GRACE_S,
            )
            result.epochs.append(record)
            if on_epoch is not None:
                on_epoch(record)
    finally:
        if policy is None:
            chosen.close()
    result.requests = env.requests()
    return result
