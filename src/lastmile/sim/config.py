"""What one simulated day is and how hard the planner works on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lastmile.domain import InvalidInput
from lastmile.sim.people import Knobs
from lastmile.sim.policies import POLICIES


@dataclass(frozen=True)
class SimConfig:
    """What to simulate and how hard the planner works (iterations, so days replay)."""

    orders: int = 200
    vehicles: int | None = None  # None: the fleet the scenario sizes for the orders
    seed: int = 1
    policy: str = "dynamic"
    day: date = date(2026, 3, 2)
    osm: Path | None = None
    knobs: Knobs = field(default_factory=Knobs)
    #: Planner effort: search iterations × stops (see ``FixedEffort``). Re-plans at the
    #: morning's 20,000 drive fewer km, but a lopsided, capacity-tight re-plan then runs for
    #: minutes (docs/benchmarks/sim.md), so they keep 4,000 until that is bounded.
    plan_work: int = 20_000
    replan_work: int = 4_000
    replan_every_s: float = 900.0
    #: A day with more open stops than this re-plans less often (see ``Dispatcher``).
    replan_stops: int | None = 600
    #: A near-empty trip (this many stops or fewer) waits for the next re-plan when its
    #: windows allow (dynamic only; 0: never; see ``Dispatcher.hold``).
    hold_stops: int = 2
    #: What a re-plan may spend to serve a stop not yet loaded today rather than tomorrow,
    #: in cents (dynamic only; ``None``: serve it whenever it fits, at any detour). See
    #: ``dispatch.replan.ReplanPolicy.defer_value_cents``.
    defer_value_cents: int | None = 1_000
    #: At a re-plan interval with no event waiting, improve the plan instead (dynamic only;
    #: ``dispatch.commands.ImprovePlan``).
    improve_idle: bool = False
    flush_s: float = 300.0
    workers: int = 1

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InvalidInput(
                f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}", field="policy"
            )
        if self.vehicles is not None and self.vehicles < 1:
            raise InvalidInput(f"need at least one vehicle, got {self.vehicles}", field="vehicles")
        if self.hold_stops < 0:
            raise InvalidInput("hold_stops must be at least 0", field="hold_stops")
        if self.defer_value_cents is not None and self.defer_value_cents <= 0:
            raise InvalidInput(
                f"defer_value_cents must be positive, got {self.defer_value_cents}",
                field="defer_value_cents",
            )
        for name in ("plan_work", "replan_work", "workers"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name} must be at least 1", field=name)
        if self.flush_s <= 0 or self.replan_every_s <= 0:
            raise InvalidInput("flush_s and replan_every_s must be positive", field="flush_s")
