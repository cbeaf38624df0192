"""Contract runs of two-neighbour nodes into chains between junctions.

In a real extract about nine nodes in ten only shape the road between junctions (Andorra's car
graph: 42,000 nodes, 3,500 junctions), so Dijkstra on junctions alone is an order of
magnitude faster. A node is interior only when both its segments allow the same directions,
so every chain is uniformly one-way or two-way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Chains:
    """Node runs between junctions with cumulative metres and seconds along them.

    ``nodes[ptr[c]:ptr[c+1]]`` is chain c from junction to junction; ``cum_fwd`` is seconds
    from its start walking forward, ``cum_bwd`` the seconds of the same stretch travelled
    backward (only meaningful where ``fwd`` / ``bwd`` allow that direction).
    """

    junction_of_node: IntArray  # per graph node: junction index, or -1 for chain interiors
    junction_nodes: IntArray  # per junction: graph node
    position_of_node: IntArray  # per graph node: index into ``nodes``, or -1 for junctions
    ptr: IntArray
    nodes: IntArray
    cum_len: FloatArray
    cum_fwd: FloatArray
    cum_bwd: FloatArray
    fwd: BoolArray
    bwd: BoolArray

    @property
    def count(self) -> int:
        return len(self.fwd)

    def chain_of_position(self) -> IntArray:
        """Chain index for every entry of ``nodes``."""
        result: IntArray = np.repeat(np.arange(self.count), np.diff(self.ptr))
        return result

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]]) -> Chains:
        return cls(**arrays)  # type: ignore[arg-type]


def _adjacency(u: IntArray, v: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """CSR of undirected, de-duplicated neighbours."""
    a = np.concatenate([u, v])
    b = np.concatenate([v, u])
    pairs = np.unique(a * n + b)
    src, dst = pairs // n, pairs % n
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, src + 1, 1)
    return np.cumsum(ptr), dst


def _interior(u: IntArray, v: IntArray, n: int, ptr: IntArray, nbr: IntArray) -> BoolArray:
    """Nodes with two neighbours whose segments allow the same directions of travel."""
    degree = np.diff(ptr)
    out_deg = np.bincount(u, minlength=n)
    in_deg = np.bincount(v, minlength=n)
    two = degree == 2
    # Two-way through-node: 2 in, 2 out. One-way through-node: 1 in, 1 out, and the in- and
    # out-segment go to different neighbours (guaranteed: neighbours are distinct and an
    # in/out pair to the same neighbour would make a two-way segment, giving 2 and 2).
    through = ((out_deg == 2) & (in_deg == 2)) | ((out_deg == 1) & (in_deg == 1))
    result: BoolArray = two & through
    return result


class _Builder:
    """Walks from every junction along every neighbour to the next junction.

    Plain Python lists, not numpy, inside the walk: it visits every node once and numpy's
    per-call overhead would dominate.
    """

    def __init__(self, u: IntArray, v: IntArray, n: int):
        self.n = n
        ptr, nbr = _adjacency(u, v, n)
        self.ptr: list[int] = ptr.tolist()
        self.nbr: list[int] = nbr.tolist()
        self.junction: list[bool] = (~_interior(u, v, n, ptr, nbr)).tolist()
        self.done: set[tuple[int, int]] = set()
        self.runs: list[list[int]] = []

    def walk_from(self, start: int) -> None:
        nbr, ptr, junction = self.nbr, self.ptr, self.junction
        for first in nbr[ptr[start] : ptr[start + 1]]:
            if (start, first) in self.done:
                continue
            run, prev, cur = [start], start, first
            while not junction[cur]:
                run.append(cur)
                a, b = nbr[ptr[cur] : ptr[cur] + 2]
                prev, cur = cur, (b if a == prev else a)
            run.append(cur)
            self.done.add((start, first))
            self.done.add((cur, prev))
            self.runs.append(run)

    def walk_all(self) -> None:
        for node in [i for i, j in enumerate(self.junction) if j]:
            self.walk_from(node)
        covered = np.zeros(self.n, dtype=bool)
        seen = 0
        while True:
            for run in self.runs[seen:]:
                covered[run] = True
            seen = len(self.runs)
            loose = np.flatnonzero(~covered)
            if not len(loose):
                return
            # A ring with no junction at all: any node of it becomes one.
            self.junction[int(loose[0])] = True
            self.walk_from(int(loose[0]))


def _lookup(u: IntArray, v: IntArray, n: int, a: IntArray, b: IntArray) -> IntArray:
    """Index of segment ``a -> b`` for each pair, or -1 where there is none."""
    keys = u * n + v
    order = np.argsort(keys, kind="stable")
    wanted = a * n + b
    at = np.clip(np.searchsorted(keys[order], wanted), 0, max(len(keys) - 1, 0))
    found = keys[order][at] == wanted
    result: IntArray = np.where(found, order[at], -1)
    return result


def _cumulative(steps: FloatArray, ptr: IntArray) -> FloatArray:
    """Running sums restarting at each chain; ``steps[i]`` is the step into entry i."""
    total = np.cumsum(steps)
    result: FloatArray = total - np.repeat(total[ptr[:-1]], np.diff(ptr))
    return result


def contract(u: IntArray, v: IntArray, length: FloatArray, duration: FloatArray, n: int) -> Chains:
    """Chains of ``n`` nodes joined by directed segments ``u -> v`` (all in one SCC)."""
    builder = _Builder(u, v, n)
    builder.walk_all()
    runs = builder.runs
    nodes = np.fromiter((x for run in runs for x in run), dtype=np.int64)
    ptr = np.zeros(len(runs) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(run) for run in runs])
    junction_nodes = np.flatnonzero(builder.junction).astype(np.int64)
    junction_of_node = np.full(n, -1, dtype=np.int64)
    junction_of_node[junction_nodes] = np.arange(len(junction_nodes))
    position = np.full(n, -1, dtype=np.int64)
    interior = np.ones(len(nodes), dtype=bool)
    interior[ptr[:-1]] = interior[ptr[1:] - 1] = False
    position[nodes[interior]] = np.flatnonzero(interior)
    # Step i+1 is the segment between entries i and i+1 of the same chain.
    forward = _lookup(u, v, n, nodes[:-1], nodes[1:])
    backward = _lookup(u, v, n, nodes[1:], nodes[:-1])
    inside = np.ones(len(nodes) - 1, dtype=bool)
    inside[ptr[1:-1] - 1] = False  # the last entry of a chain does not lead into the next
    steps = {name: np.zeros(len(nodes)) for name in ("len", "fwd", "bwd")}
    either = np.where(forward >= 0, forward, backward)
    steps["len"][1:] = np.where(inside, length[either], 0.0)
    steps["fwd"][1:] = np.where(inside & (forward >= 0), duration[forward], 0.0)
    steps["bwd"][1:] = np.where(inside & (backward >= 0), duration[backward], 0.0)
    return Chains(
        junction_of_node=junction_of_node,
        junction_nodes=junction_nodes,
        position_of_node=position,
        ptr=ptr,
        nodes=nodes,
        cum_len=_cumulative(steps["len"], ptr),
        cum_fwd=_cumulative(steps["fwd"], ptr),
        cum_bwd=_cumulative(steps["bwd"], ptr),
        fwd=forward[ptr[:-1]] >= 0,
        bwd=backward[ptr[:-1]] >= 0,
    )
