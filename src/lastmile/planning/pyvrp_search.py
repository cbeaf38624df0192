"""Both cores on one PyVRP search: PyVRP's iterated local search, step for step, in several
processes that exchange their best solutions.

Each worker runs the loop of ``pyvrp.solve`` (late-acceptance hill climbing with restarts and
PyVRP's default parameters) with its own seed; every :data:`SHARE_EVERY_S` seconds it offers
its best solution to the others when it improved and continues from the best offer when that
beats its own. Exchanging too often makes the searches one; never exchanging wastes the
second core (docs/benchmarks/vrptw.md has the ablation). With an iteration bound the workers
do not exchange, so a replayed day gives the same plan.
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue

import pyvrp
import pyvrp.search
from pyvrp.PenaltyManager import PenaltyManager
from pyvrp.solve import SolveParams

from lastmile.planning.solver import SolveOptions

# Set before forking workers so each inherits the (possibly large) data without pickling it.
_SHARED: dict[str, pyvrp.ProblemData] = {}

#: How often (seconds) a worker offers its best solution to the others and takes theirs.
SHARE_EVERY_S = 1.0


class _History:
    """The late-acceptance history: PyVRP's ring buffer, typed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[pyvrp.Solution | None] = [None] * size
        self.at = 0

    def clear(self) -> None:
        self.items = [None] * self.size
        self.at = 0

    def peek(self) -> pyvrp.Solution | None:
        return self.items[self.at % self.size]

    def append(self, solution: pyvrp.Solution) -> None:
        self.items[self.at % self.size] = solution
        self.at += 1

    def skip(self) -> None:
        self.at += 1


@dataclass
class _Mailbox:
    """One worker's end of the exchange: its own inbox and the others'."""

    inbox: Queue[tuple[float, pyvrp.Solution]]
    others: list[Queue[tuple[float, pyvrp.Solution]]]
    every_s: float


def _cost(solution: pyvrp.Solution) -> float:
    """The objective (route costs plus uncollected prizes); infinite when infeasible."""
    evaluator = pyvrp.CostEvaluator([0] * len(solution.excess_load()), 0, 0)
    return float(evaluator.cost(solution))


def _ils(
    data: pyvrp.ProblemData,
    seed: int,
    deadline: float,
    initial: pyvrp.Solution | None,
    mailbox: _Mailbox | None,
    tick: Callable[[], None] | None = None,
    iterations: int | None = None,
) -> pyvrp.Solution:
    """PyVRP's iterated local search (``pyvrp.solve`` with default parameters, step for step)
    until ``deadline`` (``time.monotonic``), plus an exchange between parallel workers.

    PyVRP's own ``solve`` starts its clock after the first exhaustive local search, which
    takes seconds on a 1,000-stop day; here that search counts against the deadline. Every
    ``SHARE_EVERY_S`` a worker posts its best solution if it improved, and continues from a
    peer's best when that is better than its own: both cores then work on the most
    promising solution, each with its own random stream, instead of two blind restarts.
    With ``iterations`` the search stops after that many iterations instead, without
    exchange, so the same problem and seed give the same solution on any machine.
    """
    params = SolveParams()
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    perturbation = pyvrp.search.PerturbationManager(params.perturbation)
    ls = pyvrp.search.LocalSearch(data, rng, neighbours, perturbation)
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    if initial is None:
        random = pyvrp.Solution.make_random(data, rng)
        initial = ls(random, pm.max_cost_evaluator(), exhaustive=True)
    ils = params.ils
    history = _History(ils.history_length)
    start = initial
    best = current = initial
    best_cost = _cost(best)
    stale = 0
    posted = math.inf
    next_share = time.monotonic() + (mailbox.every_s if mailbox else math.inf)
    done = 0
    while (now := time.monotonic()) < deadline if iterations is None else done < iterations:
        done += 1
        if stale == ils.num_iters_no_improvement:
            history.clear()
            current, stale = best, 0
        evaluator = pm.cost_evaluator()
        candidate = ls(current, evaluator, exhaustive=False)
        pm.register(candidate)
        stale += 1
        if evaluator.cost(candidate) < best_cost:
            best, stale = candidate, 0
            if ils.exhaustive_on_best:
                candidate = ls(candidate, evaluator, exhaustive=True)
                if candidate.is_feasible():
                    best = candidate
            best_cost = _cost(best)
        candidate_cost = evaluator.penalised_cost(candidate)
        current_cost = evaluator.penalised_cost(current)
        late = history.peek()
        late_cost = evaluator.penalised_cost(start if late is None else late)
        if candidate_cost < late_cost or candidate_cost < current_cost:  # late acceptance
            current, current_cost = candidate, candidate_cost
        if current_cost < late_cost or late is None:
            history.append(current)
        else:
            history.skip()
        if mailbox is not None and now >= next_share:
            next_share = now + mailbox.every_s
            if best_cost < posted:
                for box in mailbox.others:
                    box.put((best_cost, best))
                posted = best_cost
            offer = _best_offer(mailbox.inbox)
            if offer is not None and offer[0] < best_cost:
                best_cost, best = offer
                current, stale, posted = best, 0, best_cost
        if tick is not None:
            tick()
    return best


def _best_offer(inbox: Queue[tuple[float, pyvrp.Solution]]) -> tuple[float, pyvrp.Solution] | None:
    offer = None
    while True:
        try:
            got = inbox.get_nowait()
        except queue.Empty:
            return offer
        if offer is None or got[0] < offer[0]:
            offer = got


def _child(
    index: int,
    seed: int,
    deadline: float,
    initial: pyvrp.Solution | None,
    boxes: list[Queue[tuple[float, pyvrp.Solution]]],
    every_s: float,
    out: Connection,
    iterations: int | None,
) -> None:
    """A forked worker: search, then send back the best solution (or the error)."""
    mailbox = None
    if iterations is None:
        others = [b for k, b in enumerate(boxes) if k != index]
        mailbox = _Mailbox(boxes[index], others, every_s)
    try:
        out.send(_ils(_SHARED["data"], seed, deadline, initial, mailbox, None, iterations))
    except Exception as exc:  # reported to the parent, which keeps the other workers' best
        out.send(exc)
    finally:
        out.close()
        for box in boxes:
            box.cancel_join_thread()


def _score(solution: pyvrp.Solution) -> tuple[int, float]:
    """Feasible first, then the objective (route costs plus prizes left uncollected)."""
    if not solution.is_feasible():
        return 1, float(solution.distance())
    return 0, _cost(solution)


def search(
    data: pyvrp.ProblemData,
    options: SolveOptions,
    seconds: float,
    initial: pyvrp.Solution | None = None,
) -> pyvrp.Solution:
    """``options.workers`` cooperating searches (seeds ``seed, seed+1, ...``) for ``seconds``.

    Worker 0 runs in this process (and drives the progress callback); the others are forked
    so they inherit the data without pickling it and exchange best solutions through queues.
    """
    workers = max(1, options.workers)
    began = time.monotonic()
    deadline = began + max(0.0, seconds)
    last = [began]

    def tick() -> None:
        now = time.monotonic()
        if options.progress is not None and now - last[0] >= 0.25 and seconds > 0:
            last[0] = now
            options.progress(min(0.99, (now - began) / seconds), "searching")

    iterations = options.max_iterations
    if workers == 1:
        return _ils(data, options.seed, deadline, initial, None, tick, iterations)
    ctx = multiprocessing.get_context("fork")
    boxes: list[Queue[tuple[float, pyvrp.Solution]]] = [ctx.Queue() for _ in range(workers)]
    _SHARED["data"] = data
    children = []
    try:
        for w in range(1, workers):
            receive, send = ctx.Pipe(duplex=False)
            args = (w, options.seed + w, deadline, initial, boxes, SHARE_EVERY_S, send, iterations)
            process = ctx.Process(target=_child, args=args, daemon=True)
            process.start()
            send.close()
            children.append((process, receive))
        mailbox = _Mailbox(boxes[0], boxes[1:], SHARE_EVERY_S) if iterations is None else None
        found = [_ils(data, options.seed, deadline, initial, mailbox, tick, iterations)]
        for process, receive in children:
            if receive.poll(None if iterations is not None else max(5.0, 0.1 * seconds)):
                got = receive.recv()
                if isinstance(got, pyvrp.Solution):
                    found.append(got)
            process.join(timeout=1.0)
            if process.is_alive():
                process.kill()
    finally:
        _SHARED.clear()
        for box in boxes:
            box.cancel_join_thread()
            box.close()
    return min(found, key=_score)
