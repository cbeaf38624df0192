"""A van with a range next to stops it may not serve: PyVRP's local search settles.

A barred arc is 2**34 s and 2**34 m long. A tail of stops barred for a van with a range,
moved onto it, is that many metres over range per arc; times the penalty per metre this
passes PyVRP's int64 costs (about 40 arcs at 1.3e7 per metre, 8 at the safe penalty), and
PyVRP 0.14.1's local search then loops for good. Every search charges at most
``RANGE_PENALTY`` per metre, so that no route could hold enough barred arcs to overflow;
the other penalties may fall far below it while a search finds feasible plans.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection

import pyvrp
import pyvrp.search

from lastmile.domain import Skill
from lastmile.planning.diagnose import precheck
from lastmile.planning.pyvrp_penalty import RANGE_PENALTY, local_search
from lastmile.planning.pyvrp_solver import encode
from tests.unit.planning.factory import problem, ring, stop, van

#: The search takes well under a second here; a loop is told from a slow machine by this.
TIMEOUT_S = 30.0


def _day() -> tuple[pyvrp.ProblemData, pyvrp.Solution]:
    """60 refrigerated stops on the fridge van's route, 10 plain ones on a van with a 30 km
    range and no fridge: every refrigerated stop is barred for the van with the range."""
    cold = frozenset({Skill.REFRIGERATED})
    stops = [stop(f"C{i}", p, skills=cold) for i, p in enumerate(ring(60, 3.0))]
    stops += [stop(f"P{i}", p) for i, p in enumerate(ring(10, 2.0))]
    vans = [
        van("E", range_m=30_000, parcels=200),
        van("F", parcels=200, equipment=cold),
    ]
    day = problem(stops, vans)
    jobs, _ = precheck(day)
    data = encode(day, jobs).data
    names = [c.name for c in data.clients()]
    kind = {vt.name: k for k, vt in enumerate(data.vehicle_types())}
    plain = [n for n, name in enumerate(names) if name.startswith("P")]
    fridge = [n for n, name in enumerate(names) if name.startswith("C")]
    start = pyvrp.Solution(
        data, [pyvrp.Route(data, plain, kind["E"]), pyvrp.Route(data, fridge, kind["F"])]
    )
    return data, start


def _search(data: pyvrp.ProblemData, start: pyvrp.Solution, seed: int, out: Connection) -> None:
    """PyVRP's exhaustive local search with its default operators, charging the most any
    search does per metre over range and little for the rest."""
    ls = local_search(data, pyvrp.RandomNumberGenerator(seed=seed))
    low = 10_000.0
    evaluator = pyvrp.CostEvaluator([low] * data.num_load_dimensions, low, RANGE_PENALTY)
    out.send(ls(start, evaluator, exhaustive=True).is_feasible())
    out.close()


def test_the_search_settles_beside_a_van_with_a_range_and_barred_stops() -> None:
    """Stuck in 10 seeds of 10 at 1.3e7 per metre and at 6.7e7; 0 of 10 at 1e6."""
    data, start = _day()
    assert start.is_feasible()
    ctx = multiprocessing.get_context("fork")
    for seed in (1, 2, 3):
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_search, args=(data, start, seed, send), daemon=True)
        child.start()
        send.close()
        settled = receive.poll(TIMEOUT_S)
        if not settled:
            child.kill()
        child.join()
        assert settled, f"PyVRP's local search did not settle in {TIMEOUT_S:.0f} s (seed {seed})"
        assert receive.recv() is True
