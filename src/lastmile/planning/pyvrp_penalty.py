"""Penalties on the encoding's cost scale for PyVRP's search, and the priced start's polish.

The encoding counts thousandths of a cent, so a route costs millions and a stop's prize tens
of millions, while PyVRP's penalties per unit of violation start at 50,000 and stop at
100,000: on such data the search would rather break a constraint than open a route.
"""

from __future__ import annotations

import numpy as np
import pyvrp
import pyvrp.search
from pyvrp.PenaltyManager import PenaltyParams
from pyvrp.solve import SolveParams

from lastmile.planning.encoding import FORBIDDEN

#: PyVRP's default maximum penalty per unit of violation (also where the search starts).
DEFAULT_MAX_PENALTY = PenaltyParams().max_penalty
#: The maximum penalty is this many times the dearest stop prize or one-stop route, so that
#: no violation (a parcel over capacity, a second of lateness) is ever cheaper than a route.
PENALTY_HEADROOM = 10
#: Never above this: penalised costs (penalty x violation, summed over routes) stay far from
#: int64 overflow in PyVRP's native code.
PENALTY_CEILING = 1e10
#: The most :func:`polish` charges per unit of violation: 2**62 / (4 x FORBIDDEN).
SAFE_PENALTY = float(2**62 // (4 * FORBIDDEN))
#: What :func:`polish` charges at most per metre over a vehicle's range. PyVRP 0.14.1's local
#: search looped for good on a re-plan of vans with a range at 1.3e7 per metre and more
#: (a 1,160-stop day; the same search took 0.3 s at 1e6); the search proper starts its
#: penalties far lower and is not affected.
RANGE_PENALTY = 1e6


def _longest_arc(matrix: object) -> int:
    """The longest arc that is not a barred one (:data:`FORBIDDEN`)."""
    m = np.asarray(matrix)
    return int(np.max(m, where=m < FORBIDDEN, initial=0))


def max_penalty(data: pyvrp.ProblemData) -> float:
    """The penalty cap for ``data``: PyVRP's default, raised to :data:`PENALTY_HEADROOM`
    times the data's cost scale when its default is cheaper than a route.

    The encoding counts thousandths of a cent, so a route costs millions and a stop's prize
    tens of millions, while PyVRP caps penalties at 100,000 per unit: at the cap a search
    would rather run parcels over capacity than open a route. Only the cap moves: the start
    penalties and the first search from a random solution keep PyVRP's defaults, so a search
    that never reaches the old cap runs exactly as before.
    """
    scale = max((c.prize for c in data.clients()), default=0)
    longest: dict[int, tuple[int, int]] = {}
    for vt in data.vehicle_types():
        if vt.profile not in longest:
            d = data.distance_matrix(vt.profile)
            t = data.duration_matrix(vt.profile)
            longest[vt.profile] = (_longest_arc(d), _longest_arc(t))
        dist, dur = longest[vt.profile]
        arc = vt.unit_distance_cost * dist + vt.unit_duration_cost * dur
        scale = max(scale, vt.fixed_cost + 2 * arc)
    return min(PENALTY_CEILING, max(DEFAULT_MAX_PENALTY, PENALTY_HEADROOM * float(scale)))


def polish(data: pyvrp.ProblemData, start: pyvrp.Solution, seed: int) -> pyvrp.Solution:
    """``start`` after one exhaustive local search at a penalty from the data's cost scale.

    The search's penalties start at PyVRP's defaults and climb x1.5 per 500 iterations, while
    on a priced day a stop's prize is tens of millions of the encoding's units: from a
    feasible start the search wanders among plans that serve more stops late or over
    capacity for thousands of iterations, and a random start is still infeasible when a
    short budget ends. At the cap every violation costs more than any prize, so this search
    inserts a stop only where it fits, and the search proper starts from a feasible plan
    that serves what the greedy construction could not fit.
    """
    params = SolveParams()
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    perturbation = pyvrp.search.PerturbationManager(params.perturbation)
    ls = pyvrp.search.LocalSearch(data, rng, neighbours, perturbation)
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    unit = polish_penalty(data)
    strict = pyvrp.CostEvaluator([unit] * data.num_load_dimensions, unit, min(unit, RANGE_PENALTY))
    return ls(start, strict, exhaustive=True)


def polish_penalty(data: pyvrp.ProblemData) -> float:
    """Per unit of violation: the data's cost scale (a second late costs a whole stop's
    prize), but low enough (:data:`SAFE_PENALTY`) that moves over barred arcs cannot
    overflow PyVRP's int64 costs, which would make them look cheap."""
    return min(max_penalty(data) / PENALTY_HEADROOM, SAFE_PENALTY)
