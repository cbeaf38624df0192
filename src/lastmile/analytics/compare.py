"""Policy comparison over seeds ("cohort testing"): the same seeds under two policies.

Each seed is one simulated day; running it under policy A and policy B gives a pair whose
difference removes the day's own luck (demand, weather, who was home). For every headline KPI
we report the mean of A, the mean of B, the mean paired difference B − A and its Student-t
confidence interval. The interval excludes zero when the difference is unlikely to be noise;
the KPI's direction then says which policy it favours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lastmile.analytics.daylog import DayLog
from lastmile.analytics.kpis import HEADLINE, Kpi
from lastmile.analytics.model import Scorecard
from lastmile.analytics.scorecard import score
from lastmile.domain.errors import InvalidInput

B_BETTER = "b_better"
A_BETTER = "a_better"
NO_DIFFERENCE = "no_difference"  # the interval holds zero
DIFFERS = "differs"  # the interval excludes zero on a KPI with no better direction
TOO_FEW = "too_few_seeds"  # one pair with a value: a difference but no interval
NO_DATA = "no_data"  # no seed had a value under both policies


@dataclass(frozen=True)
class KpiDifference:
    """One KPI under both policies; ``n`` counts the seeds where both had a value."""

    name: str
    label: str
    unit: str
    better: str | None
    n: int
    mean_a: float | None
    mean_b: float | None
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    excludes_zero: bool
    verdict: str


@dataclass(frozen=True)
class Comparison:
    """Policy B against policy A on the same seeds."""

    policy_a: str
    policy_b: str
    seeds: list[int]
    confidence: float
    kpis: list[KpiDifference]


def compare(a: list[DayLog], b: list[DayLog], *, confidence: float = 0.95) -> Comparison:
    """Compare policy B with policy A over the seeds both ran, paired by seed.

    Raises :class:`InvalidInput` when a seed is missing on one side, repeated, or absent, when
    a side mixes policies, or when ``confidence`` is not strictly between 0 and 1.
    """
    if not 0.0 < confidence < 1.0:
        raise InvalidInput(f"confidence must be between 0 and 1, got {confidence}")
    policy_a, by_seed_a = _side(a, "A")
    policy_b, by_seed_b = _side(b, "B")
    for seed in sorted(by_seed_a.keys() ^ by_seed_b.keys()):
        have, lack = ("A", "B") if seed in by_seed_a else ("B", "A")
        raise InvalidInput(
            f"seed {seed} is in {have} but missing from {lack}: a comparison pairs the same"
            " seeds under both policies"
        )
    seeds = sorted(by_seed_a)
    cards_a = [_score(by_seed_a[s], "A") for s in seeds]
    cards_b = [_score(by_seed_b[s], "B") for s in seeds]
    return Comparison(
        policy_a=policy_a,
        policy_b=policy_b,
        seeds=seeds,
        confidence=confidence,
        kpis=[difference(kpi, cards_a, cards_b, confidence) for kpi in HEADLINE],
    )


def _side(logs: Sequence[DayLog], side: str) -> tuple[str, dict[int, DayLog]]:
    if not logs:
        raise InvalidInput(f"policy {side} has no day logs", field=side.lower())
    policies = sorted({log.policy for log in logs})
    if len(policies) > 1:
        raise InvalidInput(f"policy {side} mixes policies {policies}", field=side.lower())
    by_seed: dict[int, DayLog] = {}
    for i, log in enumerate(logs):
        if log.seed is None:
            raise InvalidInput(f"day log {i} of {side} has no seed to pair it by", field="seed")
        if log.seed in by_seed:
            raise InvalidInput(f"seed {log.seed} appears twice in {side}", field="seed")
        by_seed[log.seed] = log
    return policies[0] or side, by_seed


def _score(log: DayLog, side: str) -> Scorecard:
    try:
        return score(log)
    except InvalidInput as exc:
        where = f"policy {side} ({log.policy or side}) seed {log.seed}"
        location = f"{where}, {exc.location}" if exc.location else where
        raise InvalidInput(exc.reason, field=exc.field, location=location) from exc


def difference(
    kpi: Kpi, a: Sequence[Scorecard], b: Sequence[Scorecard], confidence: float
) -> KpiDifference:
    """Mean paired difference of one KPI and its Student-t interval (n − 1 degrees of freedom)."""
    pairs = [
        (va, vb)
        for va, vb in (
            (kpi.read(x.overall), kpi.read(y.overall)) for x, y in zip(a, b, strict=True)
        )
        if va is not None and vb is not None
    ]
    n = len(pairs)
    mean_a = sum(p[0] for p in pairs) / n if n else None
    mean_b = sum(p[1] for p in pairs) / n if n else None
    diffs = [vb - va for va, vb in pairs]
    mean_diff = sum(diffs) / n if n else None
    low, high = paired_interval(diffs, confidence) if n >= 2 else (None, None)
    excludes = low is not None and high is not None and (low > 0 or high < 0)
    return KpiDifference(
        name=kpi.name,
        label=kpi.label,
        unit=kpi.unit,
        better=kpi.better,
        n=n,
        mean_a=mean_a,
        mean_b=mean_b,
        mean_diff=mean_diff,
        ci_low=low,
        ci_high=high,
        excludes_zero=excludes,
        verdict=_verdict(kpi, n, excludes, mean_diff),
    )


def paired_interval(diffs: Sequence[float], confidence: float) -> tuple[float, float]:
    """Student-t interval of the mean of ``diffs`` (at least two)."""
    from scipy import stats  # imported here: scipy is slow to import and only needed here

    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half


def _verdict(kpi: Kpi, n: int, excludes: bool, mean_diff: float | None) -> str:
    if n == 0 or mean_diff is None:
        return NO_DATA
    if n < 2:
        return TOO_FEW
    if not excludes:
        return NO_DIFFERENCE
    if kpi.better is None:
        return DIFFERS
    b_is_higher = mean_diff > 0
    return B_BETTER if b_is_higher == (kpi.better == "higher") else A_BETTER
