"""lastmile's dispatching policy: iterative conditional dispatch over sampled futures.

Each epoch, a few rounds: sample scenarios of the coming epochs (same sampling rules,
a separate generator), solve each scenario's static problem with release times for a
short time, and count per open request how often its route leaves now. Requests that
nearly always leave now are marked for dispatch; those that nearly always wait are
postponed; the next round is conditioned on these marks. Whatever is not postponed at the
end is routed with the rest of the epoch's time. Scenario solves run on a process pool.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from lastmile.dispatch.dynamic.epoch_solve import route_requests
from lastmile.dispatch.dynamic.rules import EpochState
from lastmile.dispatch.dynamic.scenarios import dispatch_votes, sample_scenario
from lastmile.planning.pyvrp_arrays import ArrayVRP, solve_arrays


@dataclass(frozen=True)
class ScenarioSettings:
    """Tuning of the scenario policy; thresholds are fractions of scenarios, per round."""

    rounds: int = 3
    scenarios_per_round: int = 12
    lookahead_epochs: int = 3
    scenario_share: float = 0.7  # of the epoch's time, the rest routes the final choice
    min_scenario_s: float = 0.15
    dispatch_thresholds: tuple[float, ...] = (0.9, 0.8, 0.7)
    postpone_thresholds: tuple[float, ...] = (0.9, 0.8, 0.65)
    workers: int = 2


def _ready(_: int) -> bool:
    return True


def _solve_one(args: tuple[ArrayVRP, float, int]) -> list[list[int]]:
    problem, limit_s, seed = args
    return solve_arrays(problem, time_limit_s=limit_s, seed=seed).routes


class ScenarioPolicy:
    """Dispatch now what sampled futures would send now; hold the rest."""

    def __init__(self, seed: int, settings: ScenarioSettings | None = None):
        self.seed = seed
        self.settings = settings or ScenarioSettings()
        self._rng = np.random.default_rng([seed, 2022])
        self._pool: Executor | None = None
        # Workers start with the policy, before the day: spawning them is not dispatch work.
        list(self._executor().map(_ready, range(self._workers())))

    def _workers(self) -> int:
        return max(1, min(self.settings.workers, os.cpu_count() or 1))

    def _executor(self) -> Executor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers(), mp_context=get_context("spawn"))
        return self._pool

    def close(self) -> None:
        """Stop the scenario workers."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def dispatch(self, state: EpochState, time_limit_s: float) -> list[list[int]]:
        start = time.perf_counter()
        if state.is_last or state.must_dispatch.all():
            chosen = np.ones(state.size, dtype=np.bool_)
        else:
            chosen = self._choose(state, time_limit_s * self.settings.scenario_share)
        left = time_limit_s - (time.perf_counter() - start)
        return route_requests(state, chosen, max(0.9 * left, 0.05), self.seed)

    def _choose(self, state: EpochState, budget_s: float) -> np.ndarray:
        """Mark dispatch/postpone over a few conditioned rounds; dispatch what is not held."""
        s = self.settings
        deadline = time.perf_counter() + budget_s
        workers = self._workers()
        dispatch = state.must_dispatch.copy()
        postponed = np.zeros(state.size, dtype=np.bool_)
        for r in range(s.rounds):
            per_round = (deadline - time.perf_counter()) / (s.rounds - r)
            if (dispatch | postponed).all() or per_round < s.min_scenario_s:
                break
            count = max(
                workers, min(s.scenarios_per_round, int(per_round * workers / s.min_scenario_s))
            )
            limit = max(s.min_scenario_s, 0.8 * per_round * workers / count)
            votes = self._round(state, dispatch, postponed, count, limit) / count
            open_ = ~(dispatch | postponed)
            dispatch |= open_ & (votes >= _at(s.dispatch_thresholds, r))
            postponed |= open_ & (1.0 - votes >= _at(s.postpone_thresholds, r)) & ~dispatch
        return ~postponed

    def _round(
        self,
        state: EpochState,
        dispatch: np.ndarray,
        postponed: np.ndarray,
        count: int,
        limit_s: float,
    ) -> np.ndarray:
        """Solve ``count`` fresh scenarios in parallel and count dispatch votes."""
        s = self.settings
        jobs = [
            (
                sample_scenario(state, self._rng, s.lookahead_epochs, postponed),
                limit_s,
                int(self._rng.integers(2**31)),
            )
            for _ in range(count)
        ]
        solutions = list(self._executor().map(_solve_one, jobs))
        return dispatch_votes(state, solutions, dispatch, postponed)


def _at(thresholds: tuple[float, ...], round_: int) -> float:
    return thresholds[min(round_, len(thresholds) - 1)]
