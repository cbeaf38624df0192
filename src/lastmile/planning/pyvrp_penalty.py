"""Penalties on the encoding's cost scale for PyVRP's search, and the priced start's polish.

The encoding counts thousandths of a cent, so a route costs millions and a stop's prize tens
of millions, while PyVRP's penalties per unit of violation start at 50,000 and stop at
100,000: on such data the search would rather break a constraint than open a route.
"""

from __future__ import annotations

import weakref
from dataclasses import replace

import numpy as np
import pyvrp
import pyvrp.search
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
from pyvrp.solve import SolveParams

from lastmile.planning.encoding import FORBIDDEN

#: PyVRP's default maximum penalty per unit of violation.
DEFAULT_MAX_PENALTY = PenaltyParams().max_penalty
#: The maximum penalty is this many times the dearest stop prize or one-stop route, so that
#: no violation (a parcel over capacity, a second of lateness) is ever cheaper than a route.
PENALTY_HEADROOM = 10
#: The most any search charges per unit of violation: 2**62 / (4 x FORBIDDEN). One barred
#: arc is FORBIDDEN seconds of time warp, so above 2**63 / FORBIDDEN (about 5.4e8) a single
#: one overflows PyVRP's int64 costs and a move over it looks cheap; this leaves room for a
#: few barred arcs and the rest of a route's cost.
SAFE_PENALTY = float(2**62 // (4 * FORBIDDEN))
#: The most any search charges per metre over a vehicle's range. PyVRP 0.14.1's local search
#: looped for good on a re-plan of vans with a range at 1.3e7 per metre and more (a
#: 1,160-stop day; the same search took 0.3 s at 1e6).
RANGE_PENALTY = 1e6

_SCALES: dict[int, tuple[weakref.ref[pyvrp.ProblemData], float]] = {}


def _longest_arc(matrix: object) -> int:
    """The longest arc that is not a barred one (:data:`FORBIDDEN`)."""
    m = np.asarray(matrix)
    return int(np.max(m, where=m < FORBIDDEN, initial=0))


def cost_scale(data: pyvrp.ProblemData) -> float:
    """The dearest stop prize or one-stop route of ``data`` (its longest arcs there and back).

    Remembered per ``data`` while it lives: every search worker asks at its start, and the
    scan reads every matrix."""
    key = id(data)
    hit = _SCALES.get(key)
    if hit is not None and hit[0]() is data:
        return hit[1]
    scale = float(max((c.prize for c in data.clients()), default=0))
    longest: dict[int, tuple[int, int]] = {}
    for vt in data.vehicle_types():
        if vt.profile not in longest:
            d = data.distance_matrix(vt.profile)
            t = data.duration_matrix(vt.profile)
            longest[vt.profile] = (_longest_arc(d), _longest_arc(t))
        dist, dur = longest[vt.profile]
        arc = vt.unit_distance_cost * dist + vt.unit_duration_cost * dur
        scale = max(scale, float(vt.fixed_cost + 2 * arc))
    _SCALES[key] = (weakref.ref(data, lambda _: _SCALES.pop(key, None)), scale)
    return scale


def max_penalty(data: pyvrp.ProblemData) -> float:
    """The penalty cap for ``data``: PyVRP's default, raised to :data:`PENALTY_HEADROOM`
    times the data's cost scale when its default is cheaper than a route, but never above
    :data:`SAFE_PENALTY`.

    The encoding counts thousandths of a cent, so a route costs millions and a stop's prize
    tens of millions, while PyVRP caps penalties at 100,000 per unit: at the cap a search
    would rather run parcels over capacity than open a route.
    """
    raised = max(DEFAULT_MAX_PENALTY, PENALTY_HEADROOM * cost_scale(data))
    return min(SAFE_PENALTY, raised)


def is_priced(data: pyvrp.ProblemData) -> bool:
    """Whether ``data``'s costs are beyond PyVRP's default penalties (vans with a cost per
    km, hour or day); unpriced days (Solomon, distance only) keep PyVRP's defaults."""
    return PENALTY_HEADROOM * cost_scale(data) > DEFAULT_MAX_PENALTY


class ScaledPenalties(PenaltyManager):
    """PyVRP's penalty manager whose distance penalty never exceeds :data:`RANGE_PENALTY`."""

    def cost_evaluator(self) -> pyvrp.CostEvaluator:
        loads, duration, distance = self.penalties()
        return pyvrp.CostEvaluator(loads, duration, min(distance, RANGE_PENALTY))


def penalty_manager(data: pyvrp.ProblemData, params: PenaltyParams) -> PenaltyManager:
    """The search's penalties: PyVRP's own on an unpriced day; on a priced day they start at
    :func:`polish_penalty` and are capped at :func:`max_penalty`.

    From PyVRP's start (50,000, then x1.5 per 500 iterations) a priced day's search, whose
    stop prizes are tens of millions, wanders among plans that serve more stops late or over
    capacity, and hardly ever finds a feasible plan better than its start.
    """
    capped = replace(params, max_penalty=max_penalty(data))
    if not is_priced(data):
        return PenaltyManager(params.midpoint_penalties(data), capped)
    unit = polish_penalty(data)
    start = ([unit] * data.num_load_dimensions, unit, min(unit, RANGE_PENALTY))
    return ScaledPenalties(start, capped)


def local_search(
    data: pyvrp.ProblemData, rng: pyvrp.RandomNumberGenerator
) -> pyvrp.search.LocalSearch:
    """PyVRP's local search with the operators ``pyvrp.solve`` would use on ``data``."""
    params = SolveParams()
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    perturbation = pyvrp.search.PerturbationManager(params.perturbation)
    ls = pyvrp.search.LocalSearch(data, rng, neighbours, perturbation)
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    return ls


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
    ls = local_search(data, pyvrp.RandomNumberGenerator(seed=seed))
    unit = polish_penalty(data)
    strict = pyvrp.CostEvaluator([unit] * data.num_load_dimensions, unit, min(unit, RANGE_PENALTY))
    return ls(start, strict, exhaustive=True)


def polish_penalty(data: pyvrp.ProblemData) -> float:
    """Per unit of violation: the data's cost scale (a second late costs a whole stop's
    prize), but low enough (:data:`SAFE_PENALTY`) that moves over barred arcs cannot
    overflow PyVRP's int64 costs, which would make them look cheap."""
    return min(max(DEFAULT_MAX_PENALTY / PENALTY_HEADROOM, cost_scale(data)), SAFE_PENALTY)
