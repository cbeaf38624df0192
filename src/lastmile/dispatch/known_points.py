"""Travel matrices remembered across the re-plans of a day.

Every re-plan builds a new problem (vans at new places, new orders) and splits it into
parts, and each problem asked its provider for the full matrix of its own points again,
although nearly all of them are the day's known addresses. :class:`KnownPoints` keeps one
square matrix per profile and hour band over every point it has been asked about, extends
it by the new points only, and answers each request with a slice of it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lastmile.domain import Coordinate
from lastmile.geo.travel import Profile, TravelMatrix, TravelTimeProvider

#: Requests smaller than this many cells (a leg, a route, one van's load) go straight to
#: the provider: only whole re-plan problems are worth remembering.
SMALL_CELLS = 40_000
#: (profile, hour) matrices kept at once: planning asks for one per profile (its slowest hour).
BANDS = 4


@dataclass
class _Table:
    size: int
    durations: npt.NDArray[np.int64]
    distances: npt.NDArray[np.int64]


@dataclass
class KnownPoints:
    """A provider answering from remembered matrices of ``inner`` (same figures, sliced)."""

    inner: TravelTimeProvider
    index: dict[Coordinate, int] = field(default_factory=dict)
    points: list[Coordinate] = field(default_factory=list)
    tables: OrderedDict[tuple[Profile, int], _Table] = field(default_factory=OrderedDict)

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        if len(origins) * len(destinations) < SMALL_CELLS:
            return self.inner.matrix(origins, destinations, profile=profile, hour=hour)
        o = self._learn(origins)
        d = self._learn(destinations)
        table = self._table(Profile(profile), hour)
        rows = np.ix_(o, d)
        return TravelMatrix(table.durations[rows], table.distances[rows])

    def _learn(self, points: Sequence[Coordinate]) -> npt.NDArray[np.intp]:
        out = np.empty(len(points), dtype=np.intp)
        for i, p in enumerate(points):
            n = self.index.get(p)
            if n is None:
                n = self.index[p] = len(self.points)
                self.points.append(p)
            out[i] = n
        return out

    def _table(self, profile: Profile, hour: int) -> _Table:
        key = (profile, hour)
        n = len(self.points)
        table = self.tables.get(key)
        if table is None:
            m = self.inner.matrix(self.points, self.points, profile=profile, hour=hour)
            table = _Table(n, m.durations_s, m.distances_m)
        elif table.size < n:
            table = self._extend(table, profile, hour)
        self.tables[key] = table
        self.tables.move_to_end(key)
        while len(self.tables) > BANDS:
            self.tables.popitem(last=False)
        return table

    def _extend(self, table: _Table, profile: Profile, hour: int) -> _Table:
        """The old square plus the rows and columns of the points learnt since."""
        old, n = table.size, len(self.points)
        new = self.points[old:]
        rows = self.inner.matrix(new, self.points, profile=profile, hour=hour)
        cols = self.inner.matrix(self.points[:old], new, profile=profile, hour=hour)
        durations = np.empty((n, n), dtype=np.int64)
        distances = np.empty((n, n), dtype=np.int64)
        for out, square, row, col in (
            (durations, table.durations, rows.durations_s, cols.durations_s),
            (distances, table.distances, rows.distances_m, cols.distances_m),
        ):
            out[:old, :old] = square
            out[:old, old:] = col
            out[old:, :] = row
        return _Table(n, durations, distances)


def known_points(cache: KnownPoints | None, provider: TravelTimeProvider) -> KnownPoints:
    """``cache`` while it still wraps ``provider`` (the weather changes it), else a new one."""
    if cache is not None and cache.inner is provider:
        return cache
    return KnownPoints(provider)
