"""One worker of :mod:`~lastmile.planning.pyvrp_search`: PyVRP's iterated local search, step
for step, and its exchange of best solutions with the other workers.

Each worker runs the loop of ``pyvrp.solve`` (late-acceptance hill climbing with PyVRP's
default parameters) with its own seed. Every :data:`SHARE_EVERY_ITERATIONS` of its own
iterations (or :data:`SHARE_AT_MOST_S` seconds on large problems, whichever comes first) it
posts its best solution to the others when it improved, and continues from a peer's best
when that beats its own. The cadence counts iterations, not seconds, so that a loaded
machine, which slows every worker down, does not make the searches exchange more often per
unit of search: exchanging too often makes the searches one, never exchanging wastes the
second core (docs/benchmarks/vrptw.md has the ablation). With an iteration bound the workers
exchange in lockstep at the same cadence, so a replayed day gives the same plan.
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.queues import Queue

import pyvrp
import pyvrp.search
from pyvrp.solve import SolveParams

from lastmile.planning.pyvrp_penalty import DEFAULT_MAX_PENALTY, local_search, penalty_manager

#: How many of its iterations a worker runs between exchanges (the ablation's best).
SHARE_EVERY_ITERATIONS = 1_200
#: A timed worker exchanges at least this often (seconds), for problems whose iterations are
#: slow (a 1,200-iteration period could otherwise outlast the whole budget).
SHARE_AT_MOST_S = 5.0
#: How long a lockstep worker waits for a peer's post before it carries on alone.
LOCKSTEP_WAIT_S = 120.0

#: (round, sender, cost, best solution); the round is -1 in a timed search.
Post = tuple[int, int, float, pyvrp.Solution]


@dataclass(frozen=True)
class WorkerParams:
    """One worker's search, resolved from the caller's options once, before any fork."""

    seed: int = 0
    #: Steps to run instead of searching until the deadline (None: until the deadline).
    iterations: int | None = None
    #: The late-acceptance history's length (None: PyVRP's 300).
    history_length: int | None = None
    #: Polish the start with this seed before searching (None: search from it as given).
    polish_seed: int | None = None


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
class Mailbox:
    """One worker's end of the exchange: its own inbox and the others'."""

    inbox: Queue[Post]
    others: list[Queue[Post]]
    every_s: float
    index: int = 0
    #: Lockstep posts that arrived ahead of their round.
    early: list[Post] = field(default_factory=list)


def objective(solution: pyvrp.Solution) -> float:
    """The objective (route costs plus uncollected prizes); for an infeasible solution,
    PyVRP's very large sentinel, so any feasible one compares cheaper."""
    evaluator = pyvrp.CostEvaluator([0] * len(solution.excess_load()), 0, 0)
    return float(evaluator.cost(solution))


class Walk:
    """One worker's iterated local search: ``pyvrp.solve``'s loop, one step at a time.

    PyVRP's own ``solve`` starts its clock after the first exhaustive local search, which
    takes seconds on a 1,000-stop day; here that search counts against the caller's budget.
    """

    def __init__(
        self, data: pyvrp.ProblemData, params: WorkerParams, initial: pyvrp.Solution | None
    ):
        solve_params = SolveParams()
        self.data = data
        self.rng = pyvrp.RandomNumberGenerator(seed=params.seed)
        self.ls = local_search(data, self.rng)
        self.pm = penalty_manager(data, solve_params.penalty)
        if initial is None:
            random = pyvrp.Solution.make_random(data, self.rng)
            at_default = [DEFAULT_MAX_PENALTY] * data.num_load_dimensions
            start = pyvrp.CostEvaluator(at_default, DEFAULT_MAX_PENALTY, DEFAULT_MAX_PENALTY)
            initial = self.ls(random, start, exhaustive=True)
        self.ils = solve_params.ils
        if params.history_length is not None:
            self.ils = replace(self.ils, history_length=params.history_length)
        self.history = _History(self.ils.history_length)
        self.start = self.best = self.current = initial
        self.best_cost = objective(initial)
        self.stale = 0

    def step(self) -> None:
        """One perturbation + local search, late-acceptance step (``IteratedLocalSearch``)."""
        ils = self.ils
        if self.stale == ils.num_iters_no_improvement:
            self.history.clear()
            self.current, self.stale = self.best, 0
        evaluator = self.pm.cost_evaluator()
        candidate = self.ls(self.current, evaluator, exhaustive=False)
        self.pm.register(candidate)
        self.stale += 1
        if evaluator.cost(candidate) < self.best_cost:
            self.best, self.stale = candidate, 0
            if ils.exhaustive_on_best:
                candidate = self.ls(candidate, evaluator, exhaustive=True)
                if candidate.is_feasible():
                    self.best = candidate
            self.best_cost = objective(self.best)
        candidate_cost = evaluator.penalised_cost(candidate)
        current_cost = evaluator.penalised_cost(self.current)
        late = self.history.peek()
        late_cost = evaluator.penalised_cost(self.start if late is None else late)
        if candidate_cost < late_cost or candidate_cost < current_cost:  # late acceptance
            self.current, current_cost = candidate, candidate_cost
        if current_cost < late_cost or late is None:
            self.history.append(self.current)
        else:
            self.history.skip()

    def adopt(self, solution: pyvrp.Solution) -> bool:
        """Continue from ``solution`` when it beats the best so far."""
        cost = objective(solution)
        if cost >= self.best_cost:
            return False
        self.best = self.current = solution
        self.best_cost, self.stale = cost, 0
        return True


def run_walk(
    data: pyvrp.ProblemData,
    params: WorkerParams,
    deadline: float,
    initial: pyvrp.Solution | None,
    mailbox: Mailbox | None,
    tick: Callable[[], None] | None = None,
) -> pyvrp.Solution:
    """One worker until ``deadline`` (``time.monotonic``), exchanging with its peers every
    :data:`SHARE_EVERY_ITERATIONS` steps or ``mailbox.every_s`` seconds; with
    ``params.iterations``, that many steps instead, exchanging in lockstep every
    :data:`SHARE_EVERY_ITERATIONS` steps, so the same problem and seeds give the same
    solution on any machine."""
    walk = Walk(data, params, initial)
    iterations = params.iterations
    if iterations is not None:
        for done in range(1, iterations + 1):
            walk.step()
            if mailbox is not None and done % SHARE_EVERY_ITERATIONS == 0 and done < iterations:
                mailbox = lockstep(walk, mailbox, done // SHARE_EVERY_ITERATIONS)
            if tick is not None:
                tick()
        return walk.best
    posted = math.inf
    since, last_share = 0, time.monotonic()
    while (now := time.monotonic()) < deadline:
        walk.step()
        since += 1
        if mailbox is not None and (
            since >= SHARE_EVERY_ITERATIONS or now - last_share >= mailbox.every_s
        ):
            since, last_share = 0, now
            if walk.best_cost < posted:
                for box in mailbox.others:
                    box.put((-1, mailbox.index, walk.best_cost, walk.best))
                posted = walk.best_cost
            offer = _best_offer(mailbox.inbox)
            if offer is not None and walk.adopt(offer[3]):
                posted = walk.best_cost  # the peer's own: no need to post it back
        if tick is not None:
            tick()
    return walk.best


def lockstep(walk: Walk, mailbox: Mailbox, round_: int) -> Mailbox | None:
    """Post this round's best, wait for every peer's, continue from the cheapest (ties to
    the lowest sender) when it beats the own. None — carry on alone — when a peer has not
    posted in time."""
    for box in mailbox.others:
        box.put((round_, mailbox.index, walk.best_cost, walk.best))
    got = [p for p in mailbox.early if p[0] == round_]
    mailbox.early = [p for p in mailbox.early if p[0] != round_]
    give_up = time.monotonic() + LOCKSTEP_WAIT_S
    while len(got) < len(mailbox.others):
        try:
            post = mailbox.inbox.get(timeout=max(0.0, give_up - time.monotonic()))
        except queue.Empty:
            return None
        (got if post[0] == round_ else mailbox.early).append(post)
    best = min(got, key=lambda p: (p[2], p[1]))
    walk.adopt(best[3])
    return mailbox


def _best_offer(inbox: Queue[Post]) -> Post | None:
    offer = None
    while True:
        try:
            got = inbox.get_nowait()
        except queue.Empty:
            return offer
        if offer is None or got[2] < offer[2]:
            offer = got
