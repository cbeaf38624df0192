"""The dynamic day as the EURO Meets NeurIPS 2022 competition defined it, seeded.

Each epoch the environment samples new requests, shows the dispatcher every open one (with
the must-dispatch flags), checks the routes it gets back against the rules and books their
driving duration. Dispatched requests are gone; the others stay open for the next epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lastmile.dispatch.dynamic.instance import DayInstance, IntArray
from lastmile.dispatch.dynamic.rules import EpochState, RuleViolation, check_epoch_routes
from lastmile.dispatch.dynamic.sampling import (
    EPOCH_S,
    Requests,
    departure_s,
    epoch_bounds,
    reachable,
    sample_epoch,
)


@dataclass(frozen=True)
class DayRequests:
    """Every request of the day so far; ``epochs`` says when each was revealed."""

    customers: IntArray
    time_windows: IntArray
    demands: IntArray
    service_s: IntArray
    epochs: IntArray


class DynamicEnvironment:
    """One sampled day: ``observe()``, then ``dispatch(routes)`` until ``done``."""

    def __init__(self, instance: DayInstance, seed: int):
        self.instance = instance
        self.seed = seed
        self.first_epoch, self.last_epoch = epoch_bounds(instance)
        self._rng = np.random.default_rng(seed)
        self.epoch = self.first_epoch
        self.done = False
        self._customers: list[int] = []
        self._windows: list[tuple[int, int]] = []
        self._demands: list[int] = []
        self._service: list[int] = []
        self._epochs: list[int] = []
        self._open: list[int] = []
        self._add(sample_epoch(instance, self._rng, self.epoch), self.epoch)

    def _add(self, new: Requests, epoch: int) -> None:
        start = len(self._customers)
        self._customers += new.customers.tolist()
        self._windows += [(int(a), int(b)) for a, b in new.time_windows]
        self._demands += new.demands.tolist()
        self._service += new.service_s.tolist()
        self._epochs += [epoch] * new.size
        self._open += list(range(start, start + new.size))

    def observe(self) -> EpochState:
        """The open requests, in times relative to this epoch's departure."""
        if self.done:
            raise RuleViolation("the day is over", location=f"epoch {self.epoch}")
        ids = np.asarray(self._open, dtype=np.int64)
        customers = np.asarray(self._customers, dtype=np.int64)[ids]
        windows = np.asarray(self._windows, dtype=np.int64).reshape(-1, 2)[ids]
        service = np.asarray(self._service, dtype=np.int64)[ids]
        leave = departure_s(self.epoch)
        if self.epoch >= self.last_epoch:
            must = np.ones(ids.size, dtype=np.bool_)
        else:
            must = ~reachable(self.instance, customers, windows, service, leave + EPOCH_S)
        return EpochState(
            instance=self.instance,
            epoch=self.epoch,
            first_epoch=self.first_epoch,
            last_epoch=self.last_epoch,
            departure_s=leave,
            request_ids=ids,
            customers=customers,
            time_windows=np.maximum(windows - leave, 0),
            demands=np.asarray(self._demands, dtype=np.int64)[ids],
            service_s=service,
            must_dispatch=must,
            horizon_s=self.instance.horizon_s - leave,
        )

    def dispatch(self, routes: Sequence[Sequence[int]]) -> int:
        """Check and book this epoch's routes, then move to the next epoch; returns the cost."""
        state = self.observe()
        cost = check_epoch_routes(state, routes)
        sent = {int(r) for route in routes for r in route}
        self._open = [r for r in self._open if r not in sent]
        if self.epoch >= self.last_epoch:
            self.done = True
        else:
            self.epoch += 1
            self._add(sample_epoch(self.instance, self._rng, self.epoch), self.epoch)
        return cost

    def requests(self) -> DayRequests:
        """All requests revealed so far (after the day: the whole day, for hindsight)."""
        return DayRequests(
            customers=np.asarray(self._customers, dtype=np.int64),
            time_windows=np.asarray(self._windows, dtype=np.int64).reshape(-1, 2),
            demands=np.asarray(self._demands, dtype=np.int64),
            service_s=np.asarray(self._service, dtype=np.int64),
            epochs=np.asarray(self._epochs, dtype=np.int64),
        )
