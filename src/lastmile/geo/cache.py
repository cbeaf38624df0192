"""Caching for any travel-time provider: a memory LRU in front of an optional disk cache.

Road-network matrices take seconds and re-planning asks for the same points again and again,
so results are kept keyed by a hash of the points, the profile, the departure band and the
provider's configuration (its ``cache_token``), never by object identity.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lastmile.domain import Coordinate, InvalidInput
from lastmile.geo.congestion import check_hour
from lastmile.geo.points import as_lat_lon
from lastmile.geo.travel import Profile, TravelMatrix, TravelTimeProvider

_FORMAT = "lastmile-matrix-v1"


def _frozen(matrix: TravelMatrix) -> TravelMatrix:
    """Read-only arrays: a caller editing a cached result must not poison the cache."""
    durations = np.array(matrix.durations_s, dtype=np.int64)
    distances = np.array(matrix.distances_m, dtype=np.int64)
    durations.flags.writeable = False
    distances.flags.writeable = False
    return TravelMatrix(durations_s=durations, distances_m=distances)


def _size(matrix: TravelMatrix) -> int:
    return int(matrix.durations_s.nbytes + matrix.distances_m.nbytes)


class CachedProvider:
    """Wraps ``inner`` so repeated requests are served from memory, then from disk."""

    def __init__(
        self,
        inner: TravelTimeProvider,
        cache_dir: Path | str | None = None,
        *,
        max_entries: int = 32,
        max_bytes: int = 1 << 30,
    ) -> None:
        if max_entries < 1:
            raise InvalidInput("max_entries must be at least 1", field="max_entries")
        if max_bytes < 1:
            raise InvalidInput("max_bytes must be positive", field="max_bytes")
        self.inner = inner
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        if self.cache_dir is not None:
            if self.cache_dir.exists() and not self.cache_dir.is_dir():
                raise InvalidInput(
                    "the travel-time cache must be a directory",
                    field="cache_dir",
                    location=str(self.cache_dir),
                )
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0
        self._memory: OrderedDict[str, TravelMatrix] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.disk_hits = 0
        self.misses = 0

    @property
    def cache_token(self) -> str:
        return self._token()

    def _token(self) -> str:
        token = getattr(self.inner, "cache_token", None)
        return str(token) if token is not None else type(self.inner).__qualname__

    def _band(self, hour: int) -> str:
        band = getattr(self.inner, "band", None)
        return str(band(hour)) if callable(band) else f"h{check_hour(hour):02d}"

    def key(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        profile: Profile,
        hour: int,
    ) -> str:
        """Hex digest over the provider, profile, band and the exact point coordinates."""
        digest = hashlib.sha256()
        for part in (_FORMAT, self._token(), str(Profile(profile)), self._band(hour)):
            digest.update(part.encode())
            digest.update(b"\0")
        for points, name in ((origins, "origins"), (destinations, "destinations")):
            array = np.ascontiguousarray(as_lat_lon(points, name))
            digest.update(len(array).to_bytes(8, "little"))
            digest.update(array.tobytes())
        return digest.hexdigest()

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        """The inner provider's matrix, computed at most once per key."""
        key = self.key(origins, destinations, profile, hour)
        found = self._from_memory(key)
        if found is not None:
            return found
        found = self._from_disk(key)
        if found is not None:
            self.disk_hits += 1
        else:
            self.misses += 1
            found = _frozen(self.inner.matrix(origins, destinations, profile=profile, hour=hour))
            self._to_disk(key, found)
        self._remember(key, found)
        return found

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
            self._bytes = 0

    def _from_memory(self, key: str) -> TravelMatrix | None:
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                self.hits += 1
            return found

    def _remember(self, key: str, matrix: TravelMatrix) -> None:
        """Keep the newest entries within both the count and the memory budget.

        A 5,000 x 5,000 matrix is 400 MB, so a count alone could exhaust memory; the entry
        just computed is always kept, even alone above the budget.
        """
        with self._lock:
            if key not in self._memory:
                self._bytes += _size(matrix)
            self._memory[key] = matrix
            self._memory.move_to_end(key)
            while len(self._memory) > 1 and (
                len(self._memory) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, dropped = self._memory.popitem(last=False)
                self._bytes -= _size(dropped)

    def _path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{key}.npz"

    def _from_disk(self, key: str) -> TravelMatrix | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return _frozen(TravelMatrix(data["durations_s"], data["distances_m"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            # A truncated or foreign file is a miss, and gets rewritten, never an error.
            return None

    def _to_disk(self, key: str, matrix: TravelMatrix) -> None:
        path = self._path(key)
        if path is None:
            return
        # Write beside the target and rename, so a reader never sees half a file.
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, durations_s=matrix.durations_s, distances_m=matrix.distances_m)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
