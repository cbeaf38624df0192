"""A tiny generated VRPTW distribution so the dynamic tests run without the ORTEC data."""

from __future__ import annotations

import numpy as np

from lastmile.dispatch.dynamic.instance import DayInstance

HORIZON_S = 8 * 3600


def tiny_instance(customers: int = 12, seed: int = 0) -> DayInstance:
    """Depot in the middle, customers within ~15 minutes, windows over an 8-hour day."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1.0, 1.0, size=(customers + 1, 2))
    xy[0] = 0.0
    gaps = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    durations = np.rint(gaps * 450).astype(np.int64)
    early = rng.integers(3600, 5 * 3600, size=customers + 1)
    windows = np.stack([early, early + rng.integers(1800, 3 * 3600, size=customers + 1)], 1)
    windows[0] = (0, HORIZON_S)
    demands = rng.integers(1, 20, size=customers + 1)
    demands[0] = 0
    service = rng.integers(120, 600, size=customers + 1)
    service[0] = 0
    return DayInstance(
        name=f"tiny-{customers}-{seed}",
        durations=durations,
        demands=demands.astype(np.int64),
        capacity=60,
        time_windows=windows.astype(np.int64),
        service_s=service.astype(np.int64),
    )
