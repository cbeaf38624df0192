"""Both cores on one PyVRP search: PyVRP's iterated local search, step for step, in several
processes that exchange their best solutions (each worker's search and its exchange are in
:mod:`~lastmile.planning.pyvrp_walk`).

Every worker is a forked process that the caller's process watches: PyVRP's local search is
native code that no signal interrupts, and on some problems one call never settles (see
:data:`STALL_S`). A worker whose step has not finished for :data:`STALL_S`, or that is
still searching well past its deadline, is stopped and the others' best (else the start) is
returned, so a plan request always comes back.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized

import pyvrp

from lastmile.planning.pyvrp_penalty import polish
from lastmile.planning.pyvrp_walk import (
    SHARE_AT_MOST_S,
    Mailbox,
    Post,
    WorkerParams,
    objective,
    run_walk,
)
from lastmile.planning.solver import SolveOptions

# Set before forking workers so each inherits the (possibly large) data without pickling it.
_SHARED: dict[str, pyvrp.ProblemData] = {}

#: A worker none of whose search steps has finished for this long is stuck and stopped.
#: PyVRP 0.14.1's local search was seen looping for good on capacity-tight problems whose
#: vans may start late under a binding shift duration; a normal step takes milliseconds to
#: a few seconds (the first, exhaustive one on the largest parts).
STALL_S = 60.0
#: How long past its deadline a timed search waits at least for its workers' last step:
#: this (or a tenth of the budget) once one worker has answered, else half the budget.
GRACE_MIN_S = 5.0

log = logging.getLogger(__name__)


def _polished_search(
    data: pyvrp.ProblemData,
    params: WorkerParams,
    deadline: float,
    initial: pyvrp.Solution | None,
    mailbox: Mailbox | None = None,
    tick: Callable[[], None] | None = None,
) -> pyvrp.Solution:
    """Polish the start (with ``params.polish_seed`` when given), then search from it.

    The polish is one exhaustive local search, native code that could hang like any other,
    so a forked search runs it in its watched workers, all with the same seed so that they
    all start from the same solution.
    """
    if initial is not None and params.polish_seed is not None:
        initial = polish(data, initial, params.polish_seed)
    return run_walk(data, params, deadline, initial, mailbox, tick)


def _child(
    index: int,
    params: WorkerParams,
    deadline: float,
    initial: pyvrp.Solution | None,
    boxes: list[Queue[Post]],
    every_s: float,
    out: Connection,
    beat: Synchronized[float],
) -> None:
    """A forked worker: search, then send back the best solution (or the error); ``beat``
    holds when its last step finished, for the watching parent."""
    others = [b for k, b in enumerate(boxes) if k != index]
    mailbox = Mailbox(boxes[index], others, every_s, index) if others else None

    def pulse() -> None:
        beat.value = time.monotonic()

    try:
        out.send(_polished_search(_SHARED["data"], params, deadline, initial, mailbox, pulse))
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
    return 0, objective(solution)


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
    params = WorkerParams(
        seed=options.seed,
        iterations=options.max_iterations,
        history_length=options.history_length,
        polish_seed=options.seed if polish_first else None,
    )
    if multiprocessing.current_process().daemon:  # may not fork: search here, unwatched
        return _polished_search(data, params, deadline, initial)
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
            own = replace(params, seed=params.seed + w)
            args = (w, own, deadline, initial, boxes, SHARE_AT_MOST_S, send, beat)
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
                elif params.iterations is None and now > deadline + (grace if found else patience):
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
