"""The simulated clock: a heap of timed actions run in time order, never by sleeping.

Simulated time is seconds since the day's origin. Ties run in the order they were
scheduled, so a seeded day replays identically. ``pace`` (simulated seconds per wall
second) only exists for the demo, where people watch the day unfold: the clock then waits
for the wall clock to catch up before each action; ``None`` runs as fast as possible.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Action = Callable[[], None]


@dataclass(order=True)
class _Entry:
    at_s: float
    seq: int
    action: Action = field(compare=False)


class SimClock:
    """Runs scheduled actions in order of (time, scheduling order)."""

    def __init__(
        self,
        start_s: float = 0.0,
        *,
        pace: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if pace is not None and pace <= 0:
            raise ValueError(f"pace must be positive simulated seconds per wall second: {pace}")
        self._now = float(start_s)
        self._start = float(start_s)
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self.pace = pace
        self._sleep = sleep
        self._wall = wall
        self._wall0: float | None = None
        self.processed = 0

    @property
    def now_s(self) -> float:
        return self._now

    @property
    def pending(self) -> int:
        return len(self._heap)

    def schedule(self, at_s: float, action: Action) -> None:
        """Run ``action`` at simulated time ``at_s`` (not before now)."""
        if at_s < self._now:
            raise ValueError(f"cannot schedule at {at_s:.1f} s: the clock is at {self._now:.1f} s")
        heapq.heappush(self._heap, _Entry(float(at_s), next(self._seq), action))

    def after(self, delay_s: float, action: Action) -> None:
        self.schedule(self._now + max(0.0, delay_s), action)

    def run(self, until_s: float | None = None) -> int:
        """Run actions up to ``until_s`` (inclusive; all if ``None``); returns how many ran."""
        ran = 0
        while self._heap and (until_s is None or self._heap[0].at_s <= until_s):
            entry = heapq.heappop(self._heap)
            self._keep_pace(entry.at_s)
            self._now = entry.at_s
            entry.action()
            ran += 1
        if until_s is not None and until_s > self._now:
            self._keep_pace(until_s)
            self._now = until_s
        self.processed += ran
        return ran

    def _keep_pace(self, at_s: float) -> None:
        if self.pace is None:
            return
        if self._wall0 is None:
            self._wall0 = self._wall()
        due = self._wall0 + (at_s - self._start) / self.pace
        lag = due - self._wall()
        if lag > 0:
            self._sleep(lag)
