"""Sampled futures for one epoch: the open requests plus requests of the next epochs.

A scenario is a static VRPTW with release times, in times relative to this epoch's
departure: requests of epoch ``e + k`` are released at ``k`` epochs, postponed open
requests at one epoch, the others at 0. How a good solver routes it tells which open
requests are better sent now and which are worth holding for a denser route.
"""

from __future__ import annotations

import numpy as np

from lastmile.dispatch.dynamic.rules import EpochState
from lastmile.dispatch.dynamic.sampling import (
    EPOCH_S,
    REQUESTS_PER_EPOCH,
    departure_s,
    sample_epoch,
)
from lastmile.planning.pyvrp_arrays import ArrayVRP


def sample_scenario(
    state: EpochState,
    rng: np.random.Generator,
    lookahead: int,
    postponed: np.ndarray,
    dispatch: np.ndarray | None = None,
    sampled_requests: int = REQUESTS_PER_EPOCH,
) -> ArrayVRP:
    """Open requests first (positions 0..n-1), then sampled future requests.

    Requests marked for ``dispatch`` get their window's end cut to what only a route
    leaving now can reach, so the scenario is conditioned on sending them now. Each future
    epoch draws ``sampled_requests`` candidates (the environment draws 100).
    """
    instance = state.instance
    windows_now = state.time_windows
    if dispatch is not None and dispatch.any():
        windows_now = state.time_windows.copy()
        latest = EPOCH_S + instance.durations[0, state.customers] - 1
        cut = np.maximum(windows_now[:, 0], np.minimum(windows_now[:, 1], latest))
        windows_now[:, 1] = np.where(dispatch, cut, windows_now[:, 1])
    parts = [
        (
            state.customers,
            windows_now,
            state.demands,
            state.service_s,
            np.where(postponed, EPOCH_S, 0).astype(np.int64),
        )
    ]
    last = min(state.last_epoch, state.epoch + lookahead)
    for epoch in range(state.epoch + 1, last + 1):
        new = sample_epoch(instance, rng, epoch, sampled_requests)
        released_s = departure_s(epoch) - state.departure_s
        parts.append(
            (
                new.customers,
                np.maximum(new.time_windows - state.departure_s, 0),
                new.demands,
                new.service_s,
                np.full(new.size, released_s, np.int64),
            )
        )
    customers, windows, demands, service, release = (
        np.concatenate([p[k] for p in parts]) for k in range(5)
    )
    windows = windows.reshape(-1, 2)
    return ArrayVRP(
        durations=instance.durations,
        locations=customers,
        demands=demands,
        capacity=instance.capacity,
        tw_early=windows[:, 0],
        tw_late=windows[:, 1],
        service_s=service,
        horizon_s=state.horizon_s,
        release_s=release,
    )


def can_wait(state: EpochState, positions: list[int]) -> bool:
    """Whether a route of open requests stays legal leaving one epoch later."""
    d = state.instance.durations
    time, here = EPOCH_S, 0
    for i in positions:
        there = int(state.customers[i])
        time = max(time + int(d[here, there]), int(state.time_windows[i, 0]))
        if time > int(state.time_windows[i, 1]):
            return False
        time += int(state.service_s[i])
        here = there
    return time + int(d[here, 0]) <= state.horizon_s


def dispatch_votes(
    state: EpochState,
    solutions: list[list[list[int]]],
    dispatch: np.ndarray,
    postponed: np.ndarray,
    free_routes_leave: bool = False,
) -> np.ndarray:
    """Per open request, in how many scenario solutions its route leaves now.

    A route leaves now when it holds a request already marked for dispatch, or when it holds
    only open, unpostponed requests and could not leave one epoch later (with
    ``free_routes_leave``: whether or not it could). Routes with sampled or postponed
    requests wait for them.
    """
    n = state.size
    votes = np.zeros(n, dtype=np.int64)
    for routes in solutions:
        for route in routes:
            current = [c for c in route if c < n]
            if not current:
                continue
            if dispatch[current].any() or (
                len(current) == len(route)
                and not postponed[current].any()
                and (free_routes_leave or not can_wait(state, current))
            ):
                votes[current] += 1
    return votes
