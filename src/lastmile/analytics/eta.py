"""ETA accuracy: each sample is judged once (error, band, promise), then groups add up facts.

A sample appears in the overall figures, its zone and its window; judging it once keeps a
city-size day (tens of thousands of ETA snapshots) fast to score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from lastmile.analytics.daylog import EtaSample
from lastmile.analytics.model import EtaAccuracy, Histogram, Rate
from lastmile.domain.values import TimeWindow

EDGES_MIN = [float(x) for x in range(-60, 61, 5)]


@dataclass(frozen=True, slots=True)
class EtaFact:
    """What one ETA sample says about accuracy; ``None`` where it cannot say."""

    error_min: float  # actual minus P50; positive = later than announced
    in_band: bool | None  # actual inside [P10, P90]; None without a band
    p50_in_window: bool | None  # None unless the actual arrival was inside the promise


def judge(sample: EtaSample, promised: TimeWindow | None) -> EtaFact:
    """Judge ``sample`` against ``promised`` (its own promise, or its order's)."""
    actual = _utc(sample.actual)
    p50 = _utc(sample.p50)
    in_band = None
    if sample.p10 is not None and sample.p90 is not None:
        in_band = _utc(sample.p10) <= actual <= _utc(sample.p90)
    agreed = None
    if promised is not None and promised.contains(actual):
        agreed = promised.contains(p50)
    return EtaFact((actual - p50).total_seconds() / 60, in_band, agreed)


def accuracy(facts: Sequence[EtaFact]) -> EtaAccuracy:
    """MAE of P50 (minutes), P10–P90 coverage, and P50 inside the window when arrival was."""
    banded = [f.in_band for f in facts if f.in_band is not None]
    kept = [f.p50_in_window for f in facts if f.p50_in_window is not None]
    return EtaAccuracy(
        samples=len(facts),
        mae_p50_min=sum(abs(f.error_min) for f in facts) / len(facts) if facts else None,
        within_p10_p90=Rate.of(sum(banded), len(banded)),
        p50_in_window=Rate.of(sum(kept), len(kept)),
    )


def histogram(facts: Sequence[EtaFact]) -> Histogram:
    """Signed errors in 5-minute bins from -60 to +60 minutes, the tails counted apart."""
    errors = np.array([f.error_min for f in facts], dtype=float)
    counts, _ = np.histogram(errors, bins=EDGES_MIN)
    return Histogram(
        edges_min=list(EDGES_MIN),
        counts=[int(c) for c in counts],
        below=int((errors < EDGES_MIN[0]).sum()),
        above=int((errors > EDGES_MIN[-1]).sum()),
    )


def _utc(moment: datetime) -> datetime:
    # Subtracting two datetimes of the same zone compares wall clocks; UTC is always right.
    return moment.astimezone(UTC)
