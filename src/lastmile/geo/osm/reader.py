"""Read the highways of an ``.osm.pbf`` / ``.osm`` file with pyosmium, once for all profiles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lastmile.domain import InvalidInput

_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")


@dataclass(frozen=True)
class RawWays:
    """Highway ways as runs of node indices, with every tag kept for the profile rules."""

    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    node_ids: npt.NDArray[np.int64]
    ways: list[tuple[int, npt.NDArray[np.int64], dict[str, str]]]  # (way id, nodes, tags)


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InvalidInput("no such OpenStreetMap file", field="osm", location=str(path))
    if not path.name.lower().endswith(_SUFFIXES):
        raise InvalidInput(
            f"expected an OpenStreetMap extract ({', '.join(_SUFFIXES)})",
            field="osm",
            location=str(path),
        )


class _Collector:
    """Numbers nodes as they are first seen and keeps each way as runs of valid nodes."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.ways: list[tuple[int, npt.NDArray[np.int64], dict[str, str]]] = []

    def add(self, way: Any) -> None:
        tags = {tag.k: tag.v for tag in way.tags}
        run: list[int] = []
        for node in way.nodes:
            if not node.location.valid():
                self._flush(way.id, run, tags)
                run = []
                continue
            position = self.index.get(node.ref)
            if position is None:
                position = self.index[node.ref] = len(self.lat)
                self.lat.append(node.location.lat)
                self.lon.append(node.location.lon)
            run.append(position)
        self._flush(way.id, run, tags)

    def _flush(self, way_id: int, run: list[int], tags: dict[str, str]) -> None:
        if len(run) >= 2:
            self.ways.append((way_id, np.array(run, dtype=np.int64), tags))

    def result(self) -> RawWays:
        node_ids = np.fromiter(self.index.keys(), dtype=np.int64, count=len(self.index))
        return RawWays(np.array(self.lat), np.array(self.lon), node_ids, self.ways)


def read_highways(path: Path | str) -> RawWays:
    """Every way tagged ``highway`` with its node locations.

    A way whose nodes lie partly outside the extract is cut at the missing nodes rather than
    joined across them.
    """
    import osmium

    path = Path(path)
    _check_path(path)
    collector = _Collector()
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if isinstance(way, osmium.osm.Way):
                collector.add(way)
    except RuntimeError as exc:
        raise InvalidInput(
            f"cannot read as OpenStreetMap data: {exc}", field="osm", location=str(path)
        ) from exc
    if not collector.ways:
        raise InvalidInput("the extract contains no highways", field="osm", location=str(path))
    return collector.result()
