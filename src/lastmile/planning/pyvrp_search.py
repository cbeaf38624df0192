"""Both cores on one PyVRP search: PyVRP's iterated local search, step for step, in several
processes that exchange their best solutions.

Each worker runs the loop of ``pyvrp.solve`` (late-acceptance hill climbing with PyVRP's
default parameters) with its own seed. Every :data:`SHARE_EVERY_ITERATIONS` of its own
iterations (or :data:`SHARE_AT_MOST_S` seconds on large problems, whichever comes first) it
posts its best solution to the others when it improved, and continues from a peer's best
when that beats its own. The cadence counts iterations, not seconds, so that a loaded
machine, which slows every worker down, does not make the searches exchange more often per
unit of search: exchanging too often makes the searches one, never exchanging wastes the
second core (docs/benchmarks/vrptw.md has the ablation). With an iteration bound the workers
exchange in lockstep at the same cadence, so a replayed day gives the same plan.

Every worker is a forked process that the caller's process watches: PyVRP's local search is
native code that no signal interrupts, and on some problems one call never settles (see
:data:`STALL_S`). A worker whose step has not finished for :data:`STALL_S`, or that is
still searching well past its deadline, is stopped and the others' best (else the start) is
returned, so a plan request always comes back.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized

import pyvrp
import pyvrp.search
from pyvrp.solve import SolveParams

from lastmile.planning.pyvrp_penalty import (
    DEFAULT_MAX_PENALTY,
    local_search,
    penalty_manager,
    polish,
)
from lastmile.planning.solver import SolveOptions

# Set before forking workers so each inherits the (possibly large) data without pickling it.
_SHARED: dict[str, pyvrp.ProblemData] = {}

#: How many of its iterations a worker runs between exchanges (the ablation's best).
SHARE_EVERY_ITERATIONS = 1_200
#: A timed worker exchanges at least this often (seconds), for problems whose iterations are
#: slow (a 1,200-iteration period could otherwise outlast the whole budget).
SHARE_AT_MOST_S = 5.0
#: How long a lockstep worker waits for a peer's post before it carries on alone.
LOCKSTEP_WAIT_S = 120.0
#: A worker none of whose search steps has finished for this long is stuck and stopped.
#: PyVRP 0.14.1's local search was seen looping for good on capacity-tight problems whose
#: vans may start late under a binding shift duration; a normal step takes milliseconds to
#: a few seconds (the first, exhaustive one on the largest parts).
STALL_S = 60.0
#: How long past its deadline a timed search waits at least for its workers' last step:
#: this (or a tenth of the budget) once one worker has answered, else half the budget.
GRACE_MIN_S = 5.0

log = logging.getLogger(__name__)

#: (round, sender, cost, best solution); the round is -1 in a timed search.
Post = tuple[int, int, float, pyvrp.Solution]


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

    inbox: Queue[Post]
    others: list[Queue[Post]]
    every_s: float
    index: int = 0
    #: Lockstep posts that arrived ahead of their round.
    early: list[Post] = field(default_factory=list)


def _cost(solution: pyvrp.Solution) -> float:
    """The objective (route costs plus uncollected prizes); infinite when infeasible."""
    evaluator = pyvrp.CostEvaluator([0] * len(solution.excess_load()), 0, 0)
    return float(evaluator.cost(solution))


class _Walk:
    """One worker's iterated local search: ``pyvrp.solve``'s loop, one step at a time.

    PyVRP's own ``solve`` starts its clock after the first exhaustive local search, which
    takes seconds on a 1,000-stop day; here that search counts against the caller's budget.
    """

    def __init__(
        self,
        data: pyvrp.ProblemData,
        seed: int,
        initial: pyvrp.Solution | None,
        history_length: int | None = None,
    ):
        params = SolveParams()
        self.data = data
        self.rng = pyvrp.RandomNumberGenerator(seed=seed)
        self.ls = local_search(data, self.rng)
        self.pm = penalty_manager(data, params.penalty)
        if initial is None:
            random = pyvrp.Solution.make_random(data, self.rng)
            at_default = [DEFAULT_MAX_PENALTY] * data.num_load_dimensions
            start = pyvrp.CostEvaluator(at_default, DEFAULT_MAX_PENALTY, DEFAULT_MAX_PENALTY)
            initial = self.ls(random, start, exhaustive=True)
        self.params = params.ils
        if history_length is not None:
            self.params = replace(self.params, history_length=history_length)
        self.history = _History(self.params.history_length)
        self.start = self.best = self.current = initial
        self.best_cost = _cost(initial)
        self.stale = 0

    def step(self) -> None:
        """One perturbation + local search, late-acceptance step (``IteratedLocalSearch``)."""
        ils = self.params
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
            self.best_cost = _cost(self.best)
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
        cost = _cost(solution)
        if cost >= self.best_cost:
            return False
        self.best = self.current = solution
        self.best_cost, self.stale = cost, 0
        return True


def _ils(
    data: pyvrp.ProblemData,
    seed: int,
    deadline: float,
    initial: pyvrp.Solution | None,
    mailbox: _Mailbox | None,
    tick: Callable[[], None] | None = None,
    iterations: int | None = None,
    history_length: int | None = None,
) -> pyvrp.Solution:
    """One worker until ``deadline`` (``time.monotonic``), exchanging with its peers every
    :data:`SHARE_EVERY_ITERATIONS` steps or ``mailbox.every_s`` seconds; with ``iterations``,
    that many steps instead, exchanging in lockstep every :data:`SHARE_EVERY_ITERATIONS`
    steps, so the same problem and seeds give the same solution on any machine."""
    walk = _Walk(data, seed, initial, history_length)
    if iterations is not None:
        for done in range(1, iterations + 1):
            walk.step()
            if mailbox is not None and done % SHARE_EVERY_ITERATIONS == 0 and done < iterations:
                mailbox = _lockstep(walk, mailbox, done // SHARE_EVERY_ITERATIONS)
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


def _lockstep(walk: _Walk, mailbox: _Mailbox, round_: int) -> _Mailbox | None:
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


def _child(
    index: int,
    seed: int,
    deadline: float,
    initial: pyvrp.Solution | None,
    boxes: list[Queue[Post]],
    every_s: float,
    out: Connection,
    iterations: int | None,
    beat: Synchronized[float],
    polish_seed: int | None,
    history_length: int | None,
) -> None:
    """A forked worker: search (from ``initial`` polished with ``polish_seed`` when given),
    then send back the best solution (or the error); ``beat`` holds when its last step
    finished, for the watching parent."""
    others = [b for k, b in enumerate(boxes) if k != index]
    mailbox = _Mailbox(boxes[index], others, every_s, index) if others else None

    def pulse() -> None:
        beat.value = time.monotonic()

    try:
        data = _SHARED["data"]
        if initial is not None and polish_seed is not None:
            initial = polish(data, initial, polish_seed)
        found = _ils(data, seed, deadline, initial, mailbox, pulse, iterations, history_length)
        out.send(found)
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
    polish_first: bool = False,
) -> pyvrp.Solution:
    """``options.workers`` cooperating searches (seeds ``seed, seed+1, ...``) for ``seconds``,
    from ``initial`` (after :func:`polish` with ``polish_first``).

    The workers are forked (they inherit the data without pickling it and exchange best
    solutions through queues) and watched from here, which also drives the progress
    callback. Without any worker's result the start is returned (``initial``, else the
    empty solution), which the caller compares with its own fallback.
    """
    workers = max(1, options.workers)
    began = time.monotonic()
    deadline = began + max(0.0, seconds)
    iterations = options.max_iterations
    polish_seed = options.seed if polish_first else None
    if multiprocessing.current_process().daemon:  # may not fork: search here, unwatched
        if initial is not None and polish_seed is not None:
            initial = polish(data, initial, polish_seed)
        return _ils(
            data, options.seed, deadline, initial, None, None, iterations, options.history_length
        )
    ctx = multiprocessing.get_context("fork")
    boxes: list[Queue[Post]] = [ctx.Queue() for _ in range(workers)] if workers > 1 else []
    _SHARED["data"] = data
    running: list[
        tuple[int, multiprocessing.process.BaseProcess, Connection, Synchronized[float]]
    ] = []
    found: list[pyvrp.Solution] = []
    grace = max(GRACE_MIN_S, 0.1 * seconds)
    patience = max(GRACE_MIN_S, 0.5 * seconds)
    last_tick = began
    try:
        for w in range(workers):
            receive, send = ctx.Pipe(duplex=False)
            beat = ctx.Value("d", time.monotonic(), lock=False)
            args = (
                w, options.seed + w, deadline, initial, boxes, SHARE_AT_MOST_S, send,
                iterations, beat, polish_seed, options.history_length,
            )  # fmt: skip
            worker = ctx.Process(target=_child, args=args, daemon=True)
            worker.start()
            send.close()
            running.append((w, worker, receive, beat))
        while running:
            ready = wait([r for _, _, r, _ in running], timeout=0.25)
            now = time.monotonic()
            for entry in list(running):
                w, process, receive, beat = entry
                if receive in ready:
                    got = _receive(receive)
                    if isinstance(got, pyvrp.Solution):
                        found.append(got)
                elif now - beat.value > STALL_S:
                    log.warning("search worker %d stopped: no step in %.0f s", w, STALL_S)
                elif iterations is None and now > deadline + (grace if found else patience):
                    # a slow last step on a big problem is no reason to lose the only answer
                    log.warning(
                        "search worker %d stopped %.1f s past its deadline", w, now - deadline
                    )
                else:
                    continue
                running.remove(entry)
                _stop(process)
            if options.progress is not None and seconds > 0 and now - last_tick >= 0.25:
                last_tick = now
                options.progress(min(0.99, (now - began) / seconds), "searching")
    finally:
        _SHARED.clear()
        for _, process, _, _ in running:
            _stop(process)
        for box in boxes:
            box.cancel_join_thread()
            box.close()
    if not found:
        return initial if initial is not None else pyvrp.Solution(data, [])
    return min(found, key=_score)


def _receive(receive: Connection) -> object:
    try:
        return receive.recv()
    except (EOFError, OSError):  # the worker died without a word
        return None


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    process.join(timeout=0.0 if not process.is_alive() else 0.5)
    if process.is_alive():
        process.kill()
        process.join(timeout=5.0)
