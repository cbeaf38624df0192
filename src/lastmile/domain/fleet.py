"""Vehicles, drivers and their shifts: the capacity that serves the demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lastmile.domain.enums import Employment, Skill, VehicleKind
from lastmile.domain.errors import InvalidInput
from lastmile.domain.network import AccessRule
from lastmile.domain.order import require_ref
from lastmile.domain.values import Load, TimeWindow, require_aware

#: Zone rules each vehicle kind may enter despite; everything else in a zone's rules bars it.
KIND_PASSES: dict[VehicleKind, frozenset[AccessRule]] = {
    VehicleKind.CARGO_BIKE: frozenset(AccessRule),
    VehicleKind.ON_FOOT: frozenset(AccessRule),
    VehicleKind.EV_VAN: frozenset({AccessRule.NO_TRUCKS, AccessRule.LOW_EMISSION}),
    VehicleKind.VAN: frozenset({AccessRule.NO_TRUCKS}),
    VehicleKind.CAR: frozenset({AccessRule.NO_TRUCKS}),
    VehicleKind.TRUCK: frozenset(),
}


@dataclass(eq=False)
class Vehicle:
    """A vehicle with its capacity, costs (cents) and the zone rules it satisfies."""

    ref: str
    kind: VehicleKind
    hub_ref: str
    capacity: Load
    end_hub_ref: str | None = None
    range_m: int | None = None
    cost_per_km_cents: int = 0
    cost_per_hour_cents: int = 0
    fixed_cost_cents: int = 0
    co2_g_per_km: float = 0.0
    equipment: frozenset[Skill] = frozenset()
    access: frozenset[AccessRule] | None = None

    def __post_init__(self) -> None:
        self.ref = require_ref(self.ref)
        if self.range_m is not None and self.range_m <= 0:
            raise InvalidInput("range must be positive", field="range_m")
        for name in ("cost_per_km_cents", "cost_per_hour_cents", "fixed_cost_cents"):
            if getattr(self, name) < 0:
                raise InvalidInput(f"{name} must not be negative", field=name)
        if self.co2_g_per_km < 0:
            raise InvalidInput("co2 must not be negative", field="co2_g_per_km")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vehicle) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)

    @property
    def passes(self) -> frozenset[AccessRule]:
        """Zone rules this vehicle may enter under (explicit tags override the kind's default)."""
        return self.access if self.access is not None else KIND_PASSES[self.kind]

    def may_enter(self, rules: frozenset[AccessRule]) -> bool:
        return rules <= self.passes


@dataclass(frozen=True, slots=True)
class BreakRule:
    """After ``after_work_s`` of work a break of ``duration_s`` is due (EU: 30 min after 4.5 h)."""

    after_work_s: int = 4 * 3600 + 1800
    duration_s: int = 1800

    def __post_init__(self) -> None:
        if self.after_work_s <= 0 or self.duration_s < 0:
            raise InvalidInput("break rule needs positive work time", field="break_rule")


@dataclass(frozen=True, slots=True)
class HoursOfService:
    max_work_s: int = 10 * 3600
    max_driving_s: int = 9 * 3600

    def __post_init__(self) -> None:
        if self.max_work_s <= 0 or self.max_driving_s <= 0:
            raise InvalidInput("hours-of-service limits must be positive", field="hours")


@dataclass(eq=False)
class Driver:
    ref: str
    name: str
    employment: Employment = Employment.EMPLOYEE
    skills: frozenset[Skill] = frozenset()
    hours: HoursOfService = field(default_factory=HoursOfService)
    break_rule: BreakRule | None = field(default_factory=BreakRule)
    phone: str = ""
    hub_ref: str | None = None

    def __post_init__(self) -> None:
        self.ref = require_ref(self.ref)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Driver) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)


@dataclass(eq=False)
class Shift:
    """A driver's working time at a hub, with the vehicle they take if assigned."""

    ref: str
    driver_ref: str
    hub_ref: str
    start: datetime
    end: datetime
    vehicle_ref: str | None = None
    max_overtime_s: int = 0
    overtime_cost_per_hour_cents: int = 0

    def __post_init__(self) -> None:
        self.ref = require_ref(self.ref)
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        TimeWindow(self.start, self.end)
        if self.max_overtime_s < 0:
            raise InvalidInput("overtime must not be negative", field="max_overtime_s")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shift) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(self.start, self.end)

    @property
    def duration_s(self) -> int:
        return int((self.end - self.start).total_seconds())
