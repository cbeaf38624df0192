"""Dispatching policies: the competition's baselines and the factory the CLI uses.

A policy sees one epoch's open requests and returns routes over a subset that holds every
must-dispatch request; the environment checks them.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from lastmile.dispatch.dynamic.epoch_solve import route_requests
from lastmile.dispatch.dynamic.rules import EpochState
from lastmile.domain.errors import InvalidInput

POLICIES = ("greedy", "lazy", "random", "lastmile")


class Policy(Protocol):
    """Chooses and routes an epoch's dispatch within ``time_limit_s`` seconds."""

    def dispatch(self, state: EpochState, time_limit_s: float) -> list[list[int]]: ...

    def close(self) -> None: ...


class GreedyPolicy:
    """Dispatch every open request every epoch.

    ``max_iterations`` also bounds each epoch's search, for load-independent comparisons.
    """

    def __init__(self, seed: int, max_iterations: int | None = None):
        self.seed = seed
        self.max_iterations = max_iterations

    def dispatch(self, state: EpochState, time_limit_s: float) -> list[list[int]]:
        chosen = np.ones(state.size, dtype=np.bool_)
        return self._route(state, chosen, time_limit_s)

    def _route(self, state: EpochState, chosen: np.ndarray, time_limit_s: float) -> list[list[int]]:
        return route_requests(
            state, chosen, time_limit_s, self.seed, max_iterations=self.max_iterations
        )

    def close(self) -> None:
        """Nothing to release."""


class LazyPolicy(GreedyPolicy):
    """Dispatch only what must leave now."""

    def dispatch(self, state: EpochState, time_limit_s: float) -> list[list[int]]:
        return self._route(state, state.must_dispatch.copy(), time_limit_s)


class RandomPolicy(GreedyPolicy):
    """Must-dispatch requests plus each other one with probability one half."""

    def __init__(self, seed: int, max_iterations: int | None = None):
        super().__init__(seed, max_iterations)
        self._rng = np.random.default_rng(seed)

    def dispatch(self, state: EpochState, time_limit_s: float) -> list[list[int]]:
        chosen = state.must_dispatch | (self._rng.random(state.size) < 0.5)
        return self._route(state, chosen, time_limit_s)


def make_policy(name: str, seed: int) -> Policy:
    """Build a policy by name (one of POLICIES)."""
    if name == "greedy":
        return GreedyPolicy(seed)
    if name == "lazy":
        return LazyPolicy(seed)
    if name == "random":
        return RandomPolicy(seed)
    if name == "lastmile":
        from lastmile.dispatch.dynamic.rollout import ScenarioPolicy

        return ScenarioPolicy(seed)
    raise InvalidInput(
        f"unknown policy {name!r}; choose one of {', '.join(POLICIES)}", field="policy"
    )
