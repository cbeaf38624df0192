"""The day's script, drawn once from the seed before anything happens.

What the customers, hubs, drivers and weather will do is fixed up front (when each same-day
order is placed, which parcels arrive late at the hub, when the rain comes, each driver's
pace and how long each van runs before it breaks down, each customer's draws for being at
home). Both policies then meet the very same day: the comparison measures the policy, not
the luck of the draw ("common random numbers").
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from lastmile.domain import Order, ServiceLevel, Zone
from lastmile.sim.people import Knobs, hours_until_breakdown, mean_one_lognormal

#: Same-day orders come in after the morning plan; express orders shortly before pickup.
SAME_DAY = frozenset({ServiceLevel.SAME_DAY, ServiceLevel.EXPRESS})


@dataclass(frozen=True)
class Slip:
    """Parcels ready later than promised, and when the hub says so."""

    hub_ref: str
    refs: tuple[str, ...]
    ready_s: float
    announced_s: float


@dataclass(frozen=True)
class Weather:
    zone: Zone
    factor: float
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Customer:
    """One order's draws: uniforms for being home at each attempt, the doorstep factors."""

    home: tuple[float, ...]
    reasons: tuple[float, ...]
    doorstep: tuple[float, ...]


@dataclass(frozen=True)
class VanDraws:
    pace: float
    breakdown_after_s: float
    noise_seed: int


@dataclass
class DayFacts:
    placed_s: dict[str, float] = field(default_factory=dict)  # same-day orders only
    ready_s: dict[str, float] = field(default_factory=dict)  # truth, before slips
    cancel_s: dict[str, float] = field(default_factory=dict)
    slips: list[Slip] = field(default_factory=list)
    weather: Weather | None = None
    customers: dict[str, Customer] = field(default_factory=dict)
    vans: dict[str, VanDraws] = field(default_factory=dict)


def seconds(origin: datetime, moment: datetime) -> float:
    return (moment - origin).total_seconds()


def draw_facts(
    rng: random.Random,
    orders: list[Order],
    vehicle_refs: list[str],
    zones: list[Zone],
    origin: datetime,
    end_s: float,
    knobs: Knobs,
) -> DayFacts:
    """Everything random about the day, in a fixed order of draws."""
    facts = DayFacts()
    for o in orders:
        ready = seconds(origin, o.ready_at) if o.ready_at else 0.0
        facts.ready_s[o.ref] = max(0.0, ready)
        if o.service_level in SAME_DAY and o.ready_at is not None:
            if o.service_level is ServiceLevel.EXPRESS:
                placed = ready - 60 * rng.uniform(20, 45)  # picked and packed at once
            else:
                placed = rng.uniform(300.0, max(300.0, ready - 1800))
            facts.placed_s[o.ref] = max(300.0, placed)
        facts.customers[o.ref] = Customer(
            tuple(rng.random() for _ in range(3)),
            tuple(rng.random() for _ in range(3)),
            tuple(mean_one_lognormal(rng, knobs.service_sigma) for _ in range(3)),
        )
    for o in orders:
        if rng.random() < knobs.cancel_rate:
            start = facts.placed_s.get(o.ref, 0.0) + 600
            facts.cancel_s[o.ref] = rng.uniform(start, max(start, end_s * 0.6))
    facts.slips = _slips(rng, orders, facts, knobs)
    facts.weather = _weather(rng, zones, end_s, knobs)
    for ref in vehicle_refs:
        facts.vans[ref] = VanDraws(
            mean_one_lognormal(rng, knobs.driver_pace_sigma),
            hours_until_breakdown(rng, knobs.breakdown_per_driving_hour) * 3600.0,
            rng.getrandbits(62),
        )
    return facts


def _slips(rng: random.Random, orders: list[Order], facts: DayFacts, knobs: Knobs) -> list[Slip]:
    """A late line-haul at some hubs in the morning; late batches of same-day parcels."""
    slips: list[Slip] = []
    morning: dict[str, list[str]] = defaultdict(list)
    batches: dict[tuple[str, float], list[str]] = defaultdict(list)
    for o in orders:
        if o.ref in facts.placed_s:
            batches[(o.hub_ref, facts.ready_s[o.ref])].append(o.ref)
        elif o.kind.value == "delivery":
            morning[o.hub_ref].append(o.ref)
    for hub_ref in sorted(morning):
        if rng.random() < knobs.line_haul_late_probability:
            refs = morning[hub_ref]
            late = sorted(rng.sample(refs, int(len(refs) * knobs.line_haul_late_share)))
            slips.append(Slip(hub_ref, tuple(late), rng.uniform(75, 150) * 60, 600.0))
    for (hub_ref, ready), refs in sorted(batches.items()):
        if rng.random() < knobs.same_day_slip_probability:
            late_s = ready + rng.uniform(20, 75) * 60
            slips.append(Slip(hub_ref, tuple(refs), late_s, max(600.0, ready - 1200)))
    return slips


def _weather(rng: random.Random, zones: list[Zone], end_s: float, knobs: Knobs) -> Weather | None:
    if not zones or rng.random() >= knobs.weather_probability:
        return None
    zone = rng.choice(sorted(zones, key=lambda z: z.ref))
    start = rng.uniform(0.25, 0.6) * end_s
    hours = rng.uniform(*knobs.weather_hours)
    return Weather(
        zone, rng.uniform(*knobs.weather_factor), start, min(end_s, start + hours * 3600)
    )
