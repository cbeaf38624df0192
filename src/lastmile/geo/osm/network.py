"""Road graphs for several profiles built from one extract, saved and reloaded as one file."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lastmile.domain import InvalidInput
from lastmile.geo.osm.graph import RoadGraph, build_graph
from lastmile.geo.osm.reader import read_highways
from lastmile.geo.travel import Profile

FORMAT = "lastmile-roadgraph-v1"
ALL_PROFILES: tuple[Profile, ...] = tuple(Profile)


def file_digest(path: Path) -> str:
    """Content hash of an extract: a rebuilt file with the same name is a new network."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RoadNetwork:
    """One :class:`RoadGraph` per profile, plus where they came from."""

    def __init__(self, graphs: dict[Profile, RoadGraph], source: str, digest: str) -> None:
        if not graphs:
            raise InvalidInput("a road network needs at least one profile", field="profiles")
        self.graphs = graphs
        self.source = source
        self.digest = digest

    def graph(self, profile: Profile) -> RoadGraph:
        try:
            return self.graphs[Profile(profile)]
        except KeyError:
            built = ", ".join(sorted(self.graphs))
            raise InvalidInput(
                f"profile {profile} was not built from {self.source} (built: {built})",
                field="profile",
            ) from None

    @classmethod
    def from_osm(cls, path: Path | str, profiles: Iterable[Profile] = ALL_PROFILES) -> RoadNetwork:
        """Parse the extract once and build every requested profile's graph."""
        path = Path(path)
        raw = read_highways(path)
        graphs = {Profile(p): build_graph(raw, Profile(p)) for p in profiles}
        return cls(graphs, source=path.name, digest=file_digest(path))

    def save(self, path: Path | str) -> Path:
        """Write every graph into one ``.npz`` (atomically), reloadable without the extract."""
        path = Path(path)
        meta = {"format": FORMAT, "source": self.source, "digest": self.digest,
                "profiles": sorted(self.graphs)}  # fmt: skip
        arrays = {"meta": np.array(json.dumps(meta))}
        for profile, graph in self.graphs.items():
            arrays.update({f"{profile}/{k}": v for k, v in graph.arrays().items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @classmethod
    def load(cls, path: Path | str) -> RoadNetwork:
        """Read a file written by :meth:`save`; refuses other formats with a clear reason."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != FORMAT:
                    raise InvalidInput(
                        f"unsupported road graph format {meta.get('format')!r}, "
                        f"expected {FORMAT!r}; rebuild it from the extract",
                        location=str(path),
                    )
                graphs = {}
                for name in meta["profiles"]:
                    prefix = f"{name}/"
                    arrays = {k[len(prefix) :]: data[k] for k in data.files if k.startswith(prefix)}
                    graphs[Profile(name)] = RoadGraph.from_arrays(Profile(name), arrays)
        except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise InvalidInput(
                f"not a readable road graph file ({exc})", location=str(path)
            ) from exc
        return cls(graphs, source=meta["source"], digest=meta["digest"])

    @classmethod
    def load_or_build(
        cls,
        osm_path: Path | str,
        cache_dir: Path | str,
        profiles: Iterable[Profile] = ALL_PROFILES,
    ) -> RoadNetwork:
        """Reuse a saved graph of this exact extract (by content hash), or build and save one."""
        osm_path = Path(osm_path)
        if not osm_path.exists():
            raise InvalidInput("no such OpenStreetMap file", field="osm", location=str(osm_path))
        wanted = sorted(Profile(p) for p in profiles)
        digest = file_digest(osm_path)
        key = hashlib.sha256(f"{FORMAT}:{digest}:{','.join(wanted)}".encode()).hexdigest()[:24]
        saved = Path(cache_dir) / f"{osm_path.name}.{key}.npz"
        if saved.exists():
            try:
                return cls.load(saved)
            except InvalidInput:
                pass  # a damaged or outdated file is rebuilt below
        network = cls.from_osm(osm_path, wanted)
        network.save(saved)
        return network
