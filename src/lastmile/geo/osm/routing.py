"""Snapping and many-to-many shortest paths on a contracted road graph.

Dijkstra runs on junctions only. A point on a road between junctions leaves it through one
of the road's two ends (the ones its direction allows) and is reached through one of them;
a matrix entry is the best of those combinations, or the direct stretch along the road when
both points are on the same one. Weights pack integer deciseconds and metres into one
float64 (``ds * 2**25 + m``), so one Dijkstra returns both, exactly, for the fastest path
(ties broken by distance). Pieces of a road are differences of rounded cumulative sums, so
they add up exactly to the whole road and the triangle inequality holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from lastmile.domain import LastMileError
from lastmile.geo.osm.graph import RoadGraph
from lastmile.geo.points import FloatArray, local_xy_m

IntArray = npt.NDArray[np.int64]
SHIFT = float(2**25)  # metres per path stay below 33,554 km, deciseconds below 2**28
_SOURCES_PER_BATCH = 256
_TABLE_BUDGET = 32_000_000  # floats (256 MB) for the exit-junction distance table


@dataclass(frozen=True)
class Snapped:
    """For each query point: the graph node it snaps to and how far away that node is."""

    node: IntArray
    distance_m: FloatArray


@dataclass(frozen=True)
class Located:
    """Where each point meets the road: between chain entries ``pair`` and ``pair + 1``."""

    pair: IntArray
    fraction: FloatArray  # 0 at entry ``pair``, 1 at the next entry
    distance_m: FloatArray  # from the point to the road


@dataclass(frozen=True)
class _Ends:
    """Per point: two (junction, packed cost) ways out of or into its road; inf if absent.

    ``fwd``, ``bwd`` and ``metres`` are the point's own rounded cumulative values along its
    chain, ``along`` its order on the chain (pair index + fraction).
    """

    junction: IntArray  # (n, 2)
    cost: FloatArray  # (n, 2)
    chain: IntArray
    along: FloatArray
    fwd: FloatArray
    bwd: FloatArray
    metres: FloatArray

    def take(self, part: slice) -> _Ends:
        return _Ends(*(getattr(self, f.name)[part] for f in fields(self)))


@dataclass(frozen=True)
class _Rounded:
    """Cumulative deciseconds (forward, backward) and metres along chains, as whole numbers."""

    fwd: FloatArray
    bwd: FloatArray
    metres: FloatArray

    def forward(self, a: IntArray, b: IntArray) -> FloatArray:
        """Packed cost from position a to a later position b of the same chain."""
        result: FloatArray = (self.fwd[b] - self.fwd[a]) * SHIFT + (self.metres[b] - self.metres[a])
        return result

    def backward(self, a: IntArray, b: IntArray) -> FloatArray:
        """Packed cost from position b back to an earlier position a of the same chain."""
        result: FloatArray = (self.bwd[b] - self.bwd[a]) * SHIFT + (self.metres[b] - self.metres[a])
        return result


def _csr_min(u: IntArray, v: IntArray, w: FloatArray, size: int) -> Any:
    """Sparse graph keeping the lightest of parallel edges (scipy would add them up)."""
    from scipy.sparse import csr_matrix

    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return csr_matrix((w[first], (u[first], v[first])), shape=(size, size))


class Router:
    """Shortest paths on one profile's graph; holds the KD-tree and junction edge list."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self.origin = (float(np.mean(graph.lat)), float(np.mean(graph.lon)))

    @cached_property
    def _tree(self) -> Any:
        from scipy.spatial import cKDTree

        xy = local_xy_m(np.column_stack([self.graph.lat, self.graph.lon]), self.origin)
        return cKDTree(xy)

    def snap(self, lat_lon: FloatArray) -> Snapped:
        """Nearest graph node (all in the largest SCC) to each (lat, lon) row."""
        if len(lat_lon) == 0:
            return Snapped(np.zeros(0, dtype=np.int64), np.zeros(0))
        distance, node = self._tree.query(local_xy_m(lat_lon, self.origin))
        return Snapped(np.asarray(node, dtype=np.int64), np.asarray(distance, dtype=np.float64))

    @cached_property
    def _pairs(self) -> tuple[IntArray, Any, Any]:
        """Chain pairs (consecutive entries of one chain), their lines and an STRtree."""
        import shapely

        c, g = self.graph.chains, self.graph
        inside = np.ones(len(c.nodes) - 1, dtype=bool)
        inside[c.ptr[1:-1] - 1] = False
        pairs = np.flatnonzero(inside)
        xy = local_xy_m(np.column_stack([g.lat, g.lon]), self.origin)
        ends = np.stack([xy[c.nodes[pairs]], xy[c.nodes[pairs + 1]]], axis=1)
        lines = shapely.linestrings(ends)
        return pairs, lines, shapely.STRtree(lines)

    def locate(self, lat_lon: FloatArray) -> Located:
        """The nearest point on any road segment (projected, not just the nearest node)."""
        import shapely

        if len(lat_lon) == 0:
            return Located(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
        pairs, lines, tree = self._pairs
        points = shapely.points(local_xy_m(lat_lon, self.origin))
        (which, hit), distance = tree.query_nearest(points, return_distance=True, all_matches=False)
        nearest = np.empty(len(points), dtype=np.int64)
        nearest[which] = hit
        metres = np.empty(len(points))
        metres[which] = distance
        fraction = shapely.line_locate_point(lines[nearest], points, normalized=True)
        fraction = np.nan_to_num(np.asarray(fraction, dtype=np.float64))  # zero-length pieces
        return Located(pairs[nearest], np.clip(fraction, 0.0, 1.0), metres)

    def road_distance_m(self, lat_lon: FloatArray) -> FloatArray:
        """Metres from each point to the nearest road segment (not just the nearest node).

        Long straight segments have few nodes; measuring to the segment keeps a house beside
        such a road from looking far from any road.
        """
        return self.locate(lat_lon).distance_m

    @cached_property
    def full_csgraph(self) -> Any:
        """Every segment, weighted by seconds: for single routes that need every shape point."""
        from scipy.sparse import csr_matrix

        g = self.graph
        weight = np.maximum(g.seg_dur_s, 1e-6)
        return csr_matrix((weight, (g.seg_u, g.seg_v)), shape=(g.node_count, g.node_count))

    @cached_property
    def full_lengths(self) -> Any:
        """Metres of every segment, same layout as :attr:`full_csgraph`."""
        from scipy.sparse import csr_matrix

        g = self.graph
        return csr_matrix((g.seg_len_m, (g.seg_u, g.seg_v)), shape=(g.node_count, g.node_count))

    @cached_property
    def _rounded(self) -> _Rounded:
        c = self.graph.chains
        return _Rounded(np.rint(c.cum_fwd * 10), np.rint(c.cum_bwd * 10), np.rint(c.cum_len))

    @cached_property
    def _junction_graph(self) -> Any:
        """Junctions joined by whole chains, in each direction the chain allows."""
        c, r = self.graph.chains, self._rounded
        first, last = c.ptr[:-1], c.ptr[1:] - 1
        start = c.junction_of_node[c.nodes[first]]
        end = c.junction_of_node[c.nodes[last]]
        f, b = c.fwd, c.bwd
        # A zero weight would read as a missing edge; only zero-length roads are affected.
        weight = np.maximum(
            np.concatenate([r.forward(first, last)[f], r.backward(first, last)[b]]), 1.0
        )
        junctions = len(c.junction_nodes)
        return _csr_min(
            np.concatenate([start[f], end[b]]),
            np.concatenate([end[f], start[b]]),
            weight,
            junctions,
        )

    def _ends(self, located: Located, leaving: bool) -> _Ends:
        """How each point leaves (``leaving``) or is reached through its chain's two ends.

        A direction the road forbids is still allowed over zero metres, so a point lying
        on a junction can take any road from it.
        """
        c, r = self.graph.chains, self._rounded
        i, f = located.pair, located.fraction
        k = c.chain_of_position()[i]
        first, last = c.ptr[k], c.ptr[k + 1] - 1
        fwd = r.fwd[i] + np.rint(f * (r.fwd[i + 1] - r.fwd[i]))
        bwd = r.bwd[i] + np.rint(f * (r.bwd[i + 1] - r.bwd[i]))
        metres = r.metres[i] + np.rint(f * (r.metres[i + 1] - r.metres[i]))
        to_end = r.metres[last] - metres
        to_start = metres - r.metres[first]
        start = c.junction_of_node[c.nodes[first]]
        end = c.junction_of_node[c.nodes[last]]
        if leaving:  # forward to the end, backward to the start
            ways = (
                (end, (r.fwd[last] - fwd) * SHIFT + to_end, c.fwd[k] | (to_end == 0)),
                (start, (bwd - r.bwd[first]) * SHIFT + to_start, c.bwd[k] | (to_start == 0)),
            )
        else:  # reached from the start going forward, from the end going backward
            ways = (
                (start, (fwd - r.fwd[first]) * SHIFT + to_start, c.fwd[k] | (to_start == 0)),
                (end, (r.bwd[last] - bwd) * SHIFT + to_end, c.bwd[k] | (to_end == 0)),
            )
        junction = np.column_stack([ways[0][0], ways[1][0]])
        cost = np.column_stack([np.where(w[2], w[1], np.inf) for w in ways])
        return _Ends(junction, cost, k, i + f, fwd, bwd, metres)

    def _same_road(self, src: _Ends, dst: _Ends, out: FloatArray) -> None:
        """Lower ``out[i, j]`` to the direct stretch where source i and target j share a road."""
        c = self.graph.chains
        order = np.argsort(dst.chain, kind="stable")
        sorted_chain = dst.chain[order]
        rows = np.arange(len(src.chain))
        lo = np.searchsorted(sorted_chain, src.chain[rows], side="left")
        hi = np.searchsorted(sorted_chain, src.chain[rows], side="right")
        counts = hi - lo
        if not counts.sum():
            return
        i = np.repeat(rows, counts)
        j = order[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])]
        k = src.chain[i]
        metres = dst.metres[j] - src.metres[i]
        ahead = (c.fwd[k] | (metres == 0)) & (dst.along[j] >= src.along[i])
        behind = (c.bwd[k] | (metres == 0)) & (dst.along[j] <= src.along[i])
        direct = np.full(len(i), np.inf)
        direct[ahead] = ((dst.fwd[j] - src.fwd[i]) * SHIFT + metres)[ahead]
        back = (src.bwd[i] - dst.bwd[j]) * SHIFT - metres
        direct[behind] = np.minimum(direct[behind], back[behind])
        np.minimum.at(out, (i, j), direct)

    def located_matrix(self, sources: Located, targets: Located) -> tuple[IntArray, IntArray]:
        """Deciseconds and metres between points on roads, fastest path, ``(len(s), len(t))``."""
        src = self._ends(sources, leaving=True)
        dst = self._ends(targets, leaving=False)
        junctions = len(self.graph.chains.junction_nodes)
        exits, rows = np.unique(src.junction, return_inverse=True)
        rows = rows.reshape(src.junction.shape)
        # One Dijkstra per distinct exit junction when the table fits in memory (large
        # matrices share exits between sources), else per batch of sources.
        between = self._dijkstra(exits) if len(exits) * junctions <= _TABLE_BUDGET else None
        deciseconds = np.empty((len(src.chain), len(dst.chain)), dtype=np.int64)
        metres = np.empty((len(src.chain), len(dst.chain)), dtype=np.int64)
        for start in range(0, len(src.chain), _SOURCES_PER_BATCH):
            part = slice(start, start + _SOURCES_PER_BATCH)
            batch = src.take(part)
            if between is not None:
                table, row = between, rows[part]
            else:
                own, row = np.unique(batch.junction, return_inverse=True)
                table, row = self._dijkstra(own), row.reshape(batch.junction.shape)
            packed = self._compose(batch, row, table, dst)
            if not np.isfinite(packed).all():
                raise LastMileError(f"{self.graph.profile} graph is not strongly connected")
            whole = np.floor(packed / SHIFT)
            deciseconds[part] = whole
            metres[part] = packed - whole * SHIFT
        return deciseconds, metres

    def _dijkstra(self, junctions: IntArray) -> FloatArray:
        from scipy.sparse.csgraph import dijkstra

        table: FloatArray = dijkstra(self._junction_graph, directed=True, indices=junctions)
        return table

    def _compose(self, src: _Ends, row: IntArray, between: FloatArray, dst: _Ends) -> FloatArray:
        """Best of (leave by end k) + junction path + (arrive by end m), and same-road trips.

        ``between[row[i, k]]`` holds the junction distances from source i's exit k.
        """
        out = np.full((len(src.chain), len(dst.chain)), np.inf)
        for k in (0, 1):
            for m in (0, 1):
                via = between[np.ix_(row[:, k], dst.junction[:, m])]
                np.minimum(out, src.cost[:, k, None] + via + dst.cost[None, :, m], out=out)
        self._same_road(src, dst, out)
        return out
