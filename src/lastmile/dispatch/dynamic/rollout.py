"""lastmile's dispatching policy: iterative conditional dispatch over sampled futures.

Each epoch, a few rounds: sample scenarios of the coming epochs (same sampling rules,
a separate generator), solve each scenario's static problem with release times by a short,
iteration-bounded search warm-started from a solution of the open requests, and count per
open request how often its route leaves now. Requests that nearly always leave now are
marked for dispatch; those that nearly always wait are postponed; the next round is
conditioned on these marks. Whatever is not postponed at the end is routed with the rest
of the epoch's time. Scenario solves run on a process pool, as many as the time allows:
more, cheaper scenarios give steadier votes than a few long solves.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from lastmile.dispatch.dynamic.epoch_solve import epoch_problem, route_requests
from lastmile.dispatch.dynamic.rules import EpochState, route_duration
from lastmile.dispatch.dynamic.sampling import REQUESTS_PER_EPOCH
from lastmile.dispatch.dynamic.scenarios import dispatch_votes, sample_scenario
from lastmile.planning.pyvrp_arrays import ArrayVRP, solve_arrays


@dataclass(frozen=True)
class ScenarioSettings:
    """Tuning of the scenario policy; thresholds are fractions of scenarios, per round."""

    rounds: int = 3
    lookahead_epochs: int = 3
    sampled_requests: int = REQUESTS_PER_EPOCH  # candidates per sampled future epoch
    scenario_share: float = 0.7  # of the epoch's time, the rest routes the final choice
    scenario_iterations: int = 100  # search iterations per scenario solve
    max_scenario_s: float = 3.0  # runtime cap of one scenario solve
    base_share: float = 0.05  # of the scenario time: the warm start of the open requests
    max_base_s: float = 2.0
    condition_dispatch: bool = False  # later rounds' scenarios send marked requests now
    dispatch_thresholds: tuple[float, ...] = (0.9, 0.8, 0.7)
    postpone_thresholds: tuple[float, ...] = (0.9, 0.8, 0.65)
    free_routes_leave: bool = False  # a scenario route of open requests only leaves now
    parallel_final: bool = True  # route the final choice on every worker, keep the best
    workers: int = 2
    # Final solve: held requests are optional, served where the detour costs less than
    # this share of their depot round trip (a held request that fits a route leaving now
    # almost for free goes now); undecided requests likewise with their share (None:
    # always sent).
    hold_prize: float = 0.1
    undecided_prize: float | None = 0.5
    # A round stops at this many scenarios, its unused time going to the final solve:
    # votes settle long before the ~200 short solves a 60 s epoch affords per round,
    # while the final solve of a large epoch still improves with every second.
    max_scenarios_per_round: int | None = 60
    # Iteration-bounded mode (development, load-independent): a fixed number of scenarios
    # per round and fixed search iterations for the warm start and the final solve.
    scenarios_per_round: int | None = None
    base_iterations: int | None = None
    final_iterations: int | None = None


@dataclass(frozen=True)
class EpochClock:
    """One epoch's time: every phase's end derives from the epoch's start and limit, so a
    phase that overruns shortens the phases after it instead of the epoch overrunning."""

    start: float  # time.perf_counter() when the epoch's dispatch began
    limit_s: float

    def at(self, share: float) -> float:
        """The moment ``share`` of the epoch's limit has passed."""
        return self.start + share * self.limit_s

    def final_s(self, margin: float = 0.9) -> float:
        """Seconds for the final solve: ``margin`` of what is left, so routing, checks and
        the return fit in the limit (at least 0.05 s: the solve always runs)."""
        return max(margin * (self.at(1.0) - time.perf_counter()), 0.05)


def _ready(_: int) -> bool:
    return True


Job = tuple[ArrayVRP, float, int, int | None, list[list[int]] | None]


def _solve_one(job: Job) -> list[list[int]]:
    problem, limit_s, seed, iterations, warm = job
    return solve_arrays(
        problem, time_limit_s=limit_s, seed=seed, max_iterations=iterations, warm_start=warm
    ).routes


RouteJob = tuple[
    EpochState, np.ndarray, float, int, list[list[int]] | None, int | None, np.ndarray | None
]


def _route_one(job: RouteJob) -> list[list[int]]:
    state, chosen, limit_s, seed, warm, iterations, prizes = job
    return route_requests(
        state, chosen, limit_s, seed, warm_start=warm, max_iterations=iterations, prizes=prizes
    )


class ScenarioPolicy:
    """Dispatch now what sampled futures would send now; hold the rest."""

    def __init__(self, seed: int, settings: ScenarioSettings | None = None):
        self.seed = seed
        self.settings = settings or ScenarioSettings()
        self._rng = np.random.default_rng([seed, 2022])
        self._pool: ProcessPoolExecutor | None = None
        # Workers start with the policy, before the day: spawning them is not dispatch work.
        list(self._executor().map(_ready, range(self._workers())))

    def _workers(self) -> int:
        return max(1, min(self.settings.workers, os.cpu_count() or 1))

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._workers(), mp_context=get_context("spawn"))
        return self._pool

    def close(self) -> None:
        """Stop the scenario workers."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def dispatch(self, state: EpochState, time_limit_s: float) -> list[list[int]]:
        clock = EpochClock(time.perf_counter(), time_limit_s)
        base: list[list[int]] | None = None
        prizes: np.ndarray | None = None
        if state.is_last or state.must_dispatch.all():
            chosen = np.ones(state.size, dtype=np.bool_)
        else:
            dispatch, postponed, base = self._choose(state, clock.at(self.settings.scenario_share))
            chosen, prizes = self._final_choice(state, dispatch, postponed)
        left = clock.final_s()
        if not self.settings.parallel_final or self._workers() < 2:
            return route_requests(
                state,
                chosen,
                left,
                self.seed,
                warm_start=base,
                max_iterations=self.settings.final_iterations,
                prizes=prizes,
            )
        return self._route_on_workers(state, chosen, left, base, prizes)

    def _final_choice(
        self, state: EpochState, dispatch: np.ndarray, postponed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Requests that must go in the final solve, and prizes of the optional ones."""
        s = self.settings
        undecided = ~(dispatch | postponed)
        if s.hold_prize <= 0 and s.undecided_prize is None:
            return ~postponed, None
        d = state.instance.durations
        round_trip = d[0, state.customers] + d[state.customers, 0]
        share = np.where(postponed, s.hold_prize, 0.0)
        if s.undecided_prize is None:
            chosen = dispatch | undecided
        else:
            chosen = dispatch.copy()
            share = np.where(undecided, s.undecided_prize, share)
        prizes = np.where(chosen, 0, np.round(share * round_trip)).astype(np.int64)
        return chosen, prizes

    def _route_on_workers(
        self,
        state: EpochState,
        chosen: np.ndarray,
        limit_s: float,
        base: list[list[int]] | None,
        prizes: np.ndarray | None = None,
    ) -> list[list[int]]:
        """The final solve on every worker with its own seed; the cheapest routes win."""
        iterations = self.settings.final_iterations
        jobs = [
            (state, chosen, limit_s, self.seed + k, base, iterations, prizes)
            for k in range(self._workers())
        ]
        position = {int(r): i for i, r in enumerate(state.request_ids)}
        gain = prizes if prizes is not None else np.zeros(state.size, dtype=np.int64)

        def net(routes: list[list[int]]) -> int:
            served = [[position[r] for r in x] for x in routes]
            return _routes_cost(state, served) - int(sum(gain[p] for x in served for p in x))

        return min(self._executor().map(_route_one, jobs), key=net)

    def _choose(
        self, state: EpochState, deadline: float
    ) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
        """Mark dispatch/postpone over a few conditioned rounds (the marks, the warm start),
        all before ``deadline`` (``time.perf_counter``)."""
        s = self.settings
        budget_s = max(0.0, deadline - time.perf_counter())
        base = self._base_routes(state, min(s.max_base_s, s.base_share * budget_s))
        dispatch = state.must_dispatch.copy()
        postponed = np.zeros(state.size, dtype=np.bool_)
        for r in range(s.rounds):
            if (dispatch | postponed).all():
                break
            round_end = time.perf_counter() + (deadline - time.perf_counter()) / (s.rounds - r)
            votes, count = self._round(state, dispatch, postponed, round_end, base)
            if count == 0:
                break
            share = votes / count
            open_ = ~(dispatch | postponed)
            dispatch |= open_ & (share >= _at(s.dispatch_thresholds, r))
            postponed |= open_ & (1.0 - share >= _at(s.postpone_thresholds, r)) & ~dispatch
        return dispatch, postponed, base

    def _base_routes(self, state: EpochState, limit_s: float) -> list[list[int]]:
        """Routes of every open request (positions), the warm start of each scenario."""
        problem = epoch_problem(state, np.ones(state.size, dtype=np.bool_))
        iterations = self.settings.base_iterations
        if iterations is not None:  # iteration-bounded: the time cap must not bind first
            limit_s = self.settings.max_scenario_s
        jobs: list[Job] = [
            (problem, max(limit_s, 0.02), self.seed + k, iterations, None)
            for k in range(self._workers())
        ]
        best = min(
            self._executor().map(_solve_one, jobs),
            key=lambda routes: _routes_cost(state, routes),
        )
        return best

    def _round(
        self,
        state: EpochState,
        dispatch: np.ndarray,
        postponed: np.ndarray,
        round_end: float,
        base: list[list[int]],
    ) -> tuple[np.ndarray, int]:
        """Solve fresh scenarios on the workers until the round's time is up; count votes.

        A new scenario starts only while the average solve still fits before ``round_end``
        and the round holds fewer than ``max_scenarios_per_round``; every worker gets at
        least one scenario per round.
        """
        s = self.settings
        pool = self._executor()
        running: dict[Future[list[list[int]]], float] = {}
        solutions: list[list[list[int]]] = []
        spent, done = 0.0, 0
        fixed = s.scenarios_per_round
        cap = s.max_scenarios_per_round

        def submit() -> None:
            marked = dispatch if s.condition_dispatch else None
            problem = sample_scenario(
                state, self._rng, s.lookahead_epochs, postponed, marked, s.sampled_requests
            )
            warm = [*base, *([i] for i in range(state.size, problem.num_clients))]
            limit = max(0.05, min(s.max_scenario_s, round_end - time.perf_counter()))
            if fixed is not None:
                limit = s.max_scenario_s
            job: Job = (problem, limit, int(self._rng.integers(2**31)), s.scenario_iterations, warm)
            running[pool.submit(_solve_one, job)] = time.perf_counter()

        for _ in range(self._workers() if fixed is None else fixed):
            submit()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                spent += time.perf_counter() - running.pop(future)
                done += 1
                solutions.append(future.result())
                average = spent / done
                more = cap is None or done + len(running) < cap
                if fixed is None and more and time.perf_counter() + average <= round_end:
                    submit()
        votes = dispatch_votes(state, solutions, dispatch, postponed, s.free_routes_leave)
        return votes, len(solutions)


def _routes_cost(state: EpochState, routes: list[list[int]]) -> int:
    return sum(route_duration(state.instance, [int(state.customers[i]) for i in r]) for r in routes)


def _at(thresholds: tuple[float, ...], round_: int) -> float:
    return thresholds[min(round_, len(thresholds) - 1)]
