"""A routable road graph for one profile: directed segments, largest SCC, contracted chains.

Every node of the graph lies in the largest strongly connected component, so any snapped
point can reach and be reached from any other. For fast many-to-many queries, runs of nodes
with exactly two neighbours ("chains", the shape points of a road between junctions) are
contracted to one edge; routing re-opens only the chains that query points snap onto.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from lastmile.domain import InvalidInput
from lastmile.geo.osm.chains import Chains, contract
from lastmile.geo.osm.profiles import way_rule
from lastmile.geo.osm.reader import RawWays
from lastmile.geo.points import EARTH_RADIUS_M
from lastmile.geo.travel import Profile

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Nodes (lat, lon, OSM id) and directed segments of one profile's largest SCC."""

    profile: Profile
    lat: FloatArray
    lon: FloatArray
    osm_ids: IntArray
    seg_u: IntArray
    seg_v: IntArray
    seg_len_m: FloatArray
    seg_dur_s: FloatArray
    chains: Chains

    @property
    def node_count(self) -> int:
        return len(self.lat)

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """Every array by name, for saving; ``from_arrays`` is the inverse."""
        out: dict[str, npt.NDArray[np.generic]] = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("profile", "chains")
        }
        out.update({f"chains.{k}": v for k, v in self.chains.arrays().items()})
        return out

    @classmethod
    def from_arrays(cls, profile: Profile, arrays: dict[str, npt.NDArray[np.generic]]) -> RoadGraph:
        chains = Chains.from_arrays(
            {k.removeprefix("chains."): v for k, v in arrays.items() if k.startswith("chains.")}
        )
        plain = {k: v for k, v in arrays.items() if not k.startswith("chains.")}
        return cls(profile=profile, chains=chains, **plain)  # type: ignore[arg-type]


def _segment_lengths(raw: RawWays, nodes: IntArray) -> FloatArray:
    lat = np.radians(raw.lat[nodes])
    lon = np.radians(raw.lon[nodes])
    a = (
        np.sin(np.diff(lat) / 2) ** 2
        + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    )
    lengths: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return lengths


def directed_segments(
    raw: RawWays, profile: Profile
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """(u, v, metres, seconds) for every usable direction of every usable way segment."""
    parts: list[tuple[IntArray, IntArray, FloatArray, FloatArray]] = []
    for _way_id, nodes, tags in raw.ways:
        rule = way_rule(profile, tags)
        if rule is None:
            continue
        lengths = _segment_lengths(raw, nodes)
        if rule.forward:
            parts.append((nodes[:-1], nodes[1:], lengths, lengths / (rule.speed_forward_kmh / 3.6)))
        if rule.backward:
            parts.append(
                (nodes[1:], nodes[:-1], lengths, lengths / (rule.speed_backward_kmh / 3.6))
            )
    if not parts:
        raise InvalidInput(f"the extract has no ways usable by {profile}", field="osm")
    u, v, length, duration = (np.concatenate(column) for column in zip(*parts, strict=True))
    keep = u != v
    u, v, length, duration = u[keep], v[keep], length[keep], duration[keep]
    # Two ways over the same pair of nodes: keep the faster, so every (u, v) is unique.
    order = np.lexsort((duration, v, u))
    u, v, length, duration = u[order], v[order], length[order], duration[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[first], v[first], length[first], duration[first]


def largest_scc(u: IntArray, v: IntArray, node_count: int) -> IntArray:
    """Node indices of the largest strongly connected component."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    used = np.zeros(node_count, dtype=bool)
    used[u] = used[v] = True
    graph = csr_matrix((np.ones(len(u)), (u, v)), shape=(node_count, node_count))
    _, labels = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels[used])
    best = int(np.argmax(sizes))
    result: IntArray = np.flatnonzero(used & (labels == best))
    return result


def build_graph(raw: RawWays, profile: Profile) -> RoadGraph:
    """The routable graph of ``profile`` over the extract's largest SCC."""
    u, v, length, duration = directed_segments(raw, profile)
    keep_nodes = largest_scc(u, v, len(raw.lat))
    relabel = np.full(len(raw.lat), -1, dtype=np.int64)
    relabel[keep_nodes] = np.arange(len(keep_nodes))
    inside = (relabel[u] >= 0) & (relabel[v] >= 0)
    su, sv = relabel[u[inside]], relabel[v[inside]]
    sl, sd = length[inside], duration[inside]
    return RoadGraph(
        profile=profile,
        lat=raw.lat[keep_nodes],
        lon=raw.lon[keep_nodes],
        osm_ids=raw.node_ids[keep_nodes],
        seg_u=su,
        seg_v=sv,
        seg_len_m=sl,
        seg_dur_s=sd,
        chains=contract(su, sv, sl, sd, len(keep_nodes)),
    )
