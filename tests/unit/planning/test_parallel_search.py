"""Both cores on one search: workers post their best solutions and take better ones."""

from __future__ import annotations

import multiprocessing
import time

from lastmile.planning.construct import construct
from lastmile.planning.diagnose import precheck
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_search import _cost, _ils, _Mailbox
from lastmile.planning.pyvrp_solver import PyVRPSolver, encode, warm_start
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check
from tests.unit.planning.factory import problem, ring, stop, van


def _day(n: int = 30) -> PlanningProblem:
    stops = [stop(f"S{i}", p, window=(1, 8)) for i, p in enumerate(ring(n, 4.0))]
    return problem(stops, [van(f"V{k}", parcels=12) for k in range(4)])


def test_a_worker_continues_from_a_better_solution_a_peer_offers() -> None:
    day = _day()
    jobs, _ = precheck(day)
    encoded = encode(day, jobs)
    offered = warm_start(encoded, construct(day, jobs))
    ctx = multiprocessing.get_context("fork")
    inbox, peer = ctx.Queue(), ctx.Queue()
    # An offer claiming a cost no search can beat must be taken and kept as the best.
    inbox.put((-1.0, offered))
    time.sleep(0.1)  # the queue's feeder thread delivers it
    mailbox = _Mailbox(inbox, [peer], every_s=0.0)
    best = _ils(encoded.data, 1, time.monotonic() + 0.3, None, mailbox)
    assert best.distance() == offered.distance()
    assert best.num_routes() == offered.num_routes()


def test_a_worker_posts_its_improved_best_to_its_peers() -> None:
    day = _day()
    jobs, _ = precheck(day)
    encoded = encode(day, jobs)
    ctx = multiprocessing.get_context("fork")
    inbox, peer = ctx.Queue(), ctx.Queue()
    best = _ils(encoded.data, 1, time.monotonic() + 0.3, None, _Mailbox(inbox, [peer], 0.0))
    posts = []
    while not peer.empty():
        posts.append(peer.get(timeout=1))
    assert posts, "nothing was posted"
    costs = [c for c, _ in posts]
    assert costs == sorted(costs, reverse=True)  # only improvements are posted
    assert all(c == _cost(s) for c, s in posts)
    assert costs[-1] >= _cost(best)


def test_two_cooperating_workers_give_a_checked_plan_within_the_time_limit() -> None:
    day = _day(40)
    began = time.perf_counter()
    result = PyVRPSolver().solve(day, SolveOptions(time_limit_s=1.5, seed=3, workers=2))
    assert time.perf_counter() - began < 1.5 + 1.0
    assert check(day, result.routes, result.unassigned) == []
    assert result.served == 40


def test_two_workers_bounded_by_iterations_give_the_same_plan_every_time() -> None:
    day = _day()
    options = SolveOptions(time_limit_s=60.0, seed=5, workers=2, max_iterations=200)
    first = PyVRPSolver().solve(day, options)
    second = PyVRPSolver().solve(day, options)
    assert [r.plan() for r in first.routes] == [r.plan() for r in second.routes]
    assert check(day, first.routes, first.unassigned) == []
