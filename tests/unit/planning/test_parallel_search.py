"""Both cores on one search: workers post their best solutions and take better ones; bounded
by iterations they do so in lockstep."""

from __future__ import annotations

import math
import multiprocessing
import queue
import time
from typing import Any

import pytest
import pyvrp

from lastmile.domain.errors import InvalidInput
from lastmile.planning import pyvrp_search, pyvrp_walk
from lastmile.planning.diagnose import precheck
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_solver import PyVRPSolver, encode
from lastmile.planning.pyvrp_walk import (
    Mailbox,
    Walk,
    WorkerParams,
    lockstep,
    objective,
    run_walk,
)
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check
from tests.unit.planning.factory import problem, ring, stop, van


def _day(n: int = 30) -> PlanningProblem:
    stops = [stop(f"S{i}", p, window=(1, 8)) for i, p in enumerate(ring(n, 4.0))]
    return problem(stops, [van(f"V{k}", parcels=12) for k in range(4)])


def _data(day: PlanningProblem) -> pyvrp.ProblemData:
    jobs, _ = precheck(day)
    return encode(day, jobs).data


def _delivered(q: Any, seconds: float = 10.0) -> None:
    """Wait until a queue's feeder thread has put what was sent into its pipe."""
    end = time.monotonic() + seconds
    while q.empty():
        assert time.monotonic() < end, "the queue never delivered"
        time.sleep(0.01)


def test_a_worker_continues_from_a_better_solution_a_peer_offers() -> None:
    data = _data(_day())
    good = run_walk(data, WorkerParams(seed=9, iterations=2_000), math.inf, None, None)
    ctx = multiprocessing.get_context("fork")
    inbox, peer = ctx.Queue(), ctx.Queue()
    inbox.put((-1, 1, objective(good), good))
    _delivered(inbox)
    best = run_walk(
        data,
        WorkerParams(seed=1),
        time.monotonic() + 0.3,
        None,
        Mailbox(inbox, [peer], every_s=0.0),
    )
    assert objective(best) <= objective(good)


def test_a_worker_posts_its_improved_best_to_its_peers() -> None:
    data = _data(_day())
    ctx = multiprocessing.get_context("fork")
    inbox, peer = ctx.Queue(), ctx.Queue()
    best = run_walk(
        data, WorkerParams(seed=1), time.monotonic() + 0.3, None, Mailbox(inbox, [peer], 0.0)
    )
    posts = []
    # the worker's queue feeds the pipe from a thread: an empty() check may run before it
    while True:
        try:
            posts.append(peer.get(timeout=1))
        except queue.Empty:
            break
    assert posts, "nothing was posted"
    costs = [c for _, _, c, _ in posts]
    assert costs == sorted(costs, reverse=True)  # only improvements are posted
    assert all(c == objective(s) for _, _, c, s in posts)
    assert costs[-1] >= objective(best)


def test_lockstep_waits_for_the_round_keeps_early_posts_and_takes_a_better_peer_best() -> None:
    data = _data(_day())
    good = run_walk(data, WorkerParams(seed=9, iterations=2_000), math.inf, None, None)
    walk = Walk(data, WorkerParams(seed=1), None)
    ctx = multiprocessing.get_context("fork")
    inbox, peer = ctx.Queue(), ctx.Queue()
    inbox.put((2, 1, objective(good), good))  # the peer is a round ahead
    inbox.put((1, 1, objective(good), good))
    mailbox = lockstep(walk, Mailbox(inbox, [peer], 0.0), 1)
    assert mailbox is not None and [p[0] for p in mailbox.early] == [2]
    assert walk.best_cost <= objective(good)
    assert peer.get(timeout=1)[0] == 1  # its own post for the round


def test_two_cooperating_workers_give_a_checked_plan_within_the_time_limit() -> None:
    day = _day(40)
    began = time.perf_counter()
    result = PyVRPSolver().solve(day, SolveOptions(time_limit_s=1.5, seed=3, workers=2))
    # the limit holds up to the workers' start and collection, with room for a busy machine
    assert time.perf_counter() - began < 1.5 + 3.0
    assert check(day, result.routes, result.unassigned) == []
    assert result.served == 40


def test_two_workers_bounded_by_iterations_exchange_and_give_the_same_plan_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pyvrp_walk, "SHARE_EVERY_ITERATIONS", 60)  # forked workers inherit it
    day = _day()
    options = SolveOptions(time_limit_s=60.0, seed=5, workers=2, max_iterations=200)
    first = PyVRPSolver().solve(day, options)
    second = PyVRPSolver().solve(day, options)
    assert [r.plan() for r in first.routes] == [r.plan() for r in second.routes]
    assert check(day, first.routes, first.unassigned) == []


def _stuck(self: Walk) -> None:
    time.sleep(3600)  # a local search that never settles


@pytest.mark.parametrize("workers", [1, 2])
def test_a_search_stuck_in_one_step_is_stopped_and_gives_back_its_start(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    data = _data(_day())
    start = run_walk(data, WorkerParams(seed=3, iterations=50), math.inf, None, None)
    monkeypatch.setattr(Walk, "step", _stuck)
    monkeypatch.setattr(pyvrp_search, "STALL_S", 1.0)
    options = SolveOptions(time_limit_s=3600, seed=1, workers=workers, max_iterations=500)
    began = time.monotonic()
    got = pyvrp_search.search(data, options, 3600.0, start)
    assert time.monotonic() - began < 15
    assert objective(got) == objective(start)


def test_a_timed_search_does_not_wait_long_for_a_stuck_worker_once_another_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _data(_day())
    real = pyvrp_walk.run_walk

    def second_worker_stuck(
        data: pyvrp.ProblemData, params: WorkerParams, *args: object
    ) -> pyvrp.Solution:
        if params.seed == 2:
            time.sleep(3600)
        return real(data, params, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pyvrp_search, "run_walk", second_worker_stuck)
    monkeypatch.setattr(pyvrp_search, "GRACE_MIN_S", 0.5)
    began = time.monotonic()
    got = pyvrp_search.search(data, SolveOptions(time_limit_s=1, seed=1, workers=2), 1.0)
    assert time.monotonic() - began < 10
    assert got.num_clients() == data.num_clients  # the first worker's answer, not the empty plan


def test_a_timed_search_comes_back_after_its_deadline_even_when_every_worker_is_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _data(_day())
    monkeypatch.setattr(Walk, "step", _stuck)
    monkeypatch.setattr(pyvrp_search, "GRACE_MIN_S", 0.5)
    began = time.monotonic()
    got = pyvrp_search.search(data, SolveOptions(time_limit_s=1, seed=1, workers=2), 1.0)
    assert time.monotonic() - began < 10
    assert got.num_clients() == 0  # nothing came back: the empty plan, for the caller's fallback


def test_a_search_keeps_the_late_acceptance_history_its_options_ask_for() -> None:
    # A short search (a re-plan's few hundred iterations a worker) improves faster with a
    # short history than with PyVRP's 300 (docs/benchmarks/replan.md).
    data = _data(_day())
    assert Walk(data, WorkerParams(seed=1), None).history.size == 300
    walk = Walk(data, WorkerParams(seed=1, history_length=10), None)
    assert walk.history.size == 10
    for _ in range(50):
        walk.step()
    assert walk.best.is_feasible()
    options = SolveOptions(seed=1, workers=2, max_iterations=200, history_length=10)
    day = _day()
    result = PyVRPSolver().solve(day, options)
    assert result.served == len(day.jobs)
    assert check(day, result.routes, result.unassigned) == []


def test_a_history_shorter_than_one_is_refused_by_name_before_any_search() -> None:
    with pytest.raises(InvalidInput) as caught:
        SolveOptions(history_length=0)
    assert caught.value.field == "history_length"
