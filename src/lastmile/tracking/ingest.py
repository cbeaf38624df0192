"""Ping validation and batch preparation: dedupe by key, time order, impossible values apart.

Offline driver apps upload hours of pings at once, in any order and often twice. A batch is
deduplicated on the ping key, sorted by the device's clock, and each ping is checked against
the physics of its vehicle: a fix 2 km from the previous one 10 s later is a GPS glitch, not
a van at 720 km/h. Rejected pings are kept (with the reason) for diagnosis, never used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from lastmile.domain.enums import VehicleKind
from lastmile.tracking.model import Ping

#: Fastest plausible ground speed (m/s) per vehicle kind, with room for motorway stretches.
MAX_SPEED_MPS: Mapping[VehicleKind, float] = {
    VehicleKind.VAN: 45.0,
    VehicleKind.EV_VAN: 45.0,
    VehicleKind.CAR: 50.0,
    VehicleKind.TRUCK: 35.0,
    VehicleKind.CARGO_BIKE: 15.0,
    VehicleKind.ON_FOOT: 8.0,
}
#: Device clocks drift; a fix this far ahead of the server clock is still believed.
CLOCK_SKEW = timedelta(seconds=120)
#: Pings older than this are refused: no journey that old is still being tracked.
MAX_AGE = timedelta(days=7)


class RejectReason(StrEnum):
    LAT_OUT_OF_RANGE = "lat_out_of_range"
    LON_OUT_OF_RANGE = "lon_out_of_range"
    NULL_ISLAND = "null_island"
    IN_THE_FUTURE = "in_the_future"
    TOO_OLD = "too_old"
    BAD_ACCURACY = "bad_accuracy"
    BAD_SPEED = "bad_speed"
    BAD_HEADING = "bad_heading"
    BAD_BATTERY = "bad_battery"
    IMPOSSIBLE_JUMP = "impossible_jump"


@dataclass(frozen=True, slots=True)
class Rejected:
    ping: Ping
    reason: RejectReason
    detail: str


@dataclass
class PreparedBatch:
    """Accepted pings in time order (unique keys) and the rejected ones with reasons."""

    accepted: list[Ping] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: int = 0


def static_problem(ping: Ping, now: datetime) -> tuple[RejectReason, str] | None:
    """The first value of ``ping`` that cannot be true on its own, or ``None``."""
    if abs(ping.lat) > 90:
        return RejectReason.LAT_OUT_OF_RANGE, f"lat {ping.lat} is outside ±90"
    if abs(ping.lon) > 180:
        return RejectReason.LON_OUT_OF_RANGE, f"lon {ping.lon} is outside ±180"
    if ping.lat == 0 and ping.lon == 0:
        return RejectReason.NULL_ISLAND, "0,0 is what a device sends without a fix"
    if ping.recorded_at > now + CLOCK_SKEW:
        ahead = (ping.recorded_at - now).total_seconds()
        return RejectReason.IN_THE_FUTURE, f"recorded {ahead:.0f} s after the server clock"
    if ping.recorded_at < now - MAX_AGE:
        return RejectReason.TOO_OLD, f"recorded before {(now - MAX_AGE).isoformat()}"
    return _sensor_problem(ping)


def _sensor_problem(ping: Ping) -> tuple[RejectReason, str] | None:
    checks = (
        (ping.accuracy_m, 0.0, 10_000.0, RejectReason.BAD_ACCURACY, "accuracy_m"),
        (ping.speed_mps, 0.0, 100.0, RejectReason.BAD_SPEED, "speed_mps"),
        (ping.heading_deg, 0.0, 360.0, RejectReason.BAD_HEADING, "heading_deg"),
        (ping.battery, 0.0, 1.0, RejectReason.BAD_BATTERY, "battery"),
    )
    for value, low, high, reason, name in checks:
        if value is not None and not low <= value <= high:
            return reason, f"{name} {value} is outside {low:g}..{high:g}"
    return None


def distance_m(a: Ping, b: Ping) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


def jump_problem(
    previous: Ping, ping: Ping, max_speed_mps: float
) -> tuple[RejectReason, str] | None:
    """Could the vehicle have covered the distance between two fixes in the time between?

    Both fixes' stated accuracy is forgiven, so a jittery fix while parked is not a jump.
    """
    dt = abs((ping.recorded_at - previous.recorded_at).total_seconds())
    slack = (previous.accuracy_m or 0.0) + (ping.accuracy_m or 0.0) + 25.0
    moved = distance_m(previous, ping) - slack
    if moved > max_speed_mps * max(dt, 1.0):
        speed = moved / max(dt, 1.0)
        return RejectReason.IMPOSSIBLE_JUMP, (
            f"{moved + slack:.0f} m in {dt:.0f} s needs {speed:.0f} m/s; "
            f"the vehicle tops out at {max_speed_mps:g} m/s"
        )
    return None


def prepare_batch(
    pings: Iterable[Ping],
    *,
    now: datetime,
    latest: Mapping[str, Ping] | None = None,
    max_speed_mps: Mapping[str, float] | None = None,
    default_max_speed_mps: float = MAX_SPEED_MPS[VehicleKind.VAN],
) -> PreparedBatch:
    """Deduplicate, time-order and validate a batch.

    ``latest`` is each device's newest stored ping (the anchor for the jump check),
    ``max_speed_mps`` a per-device speed limit (from its vehicle kind). A ping that
    arrives late (older than the device's newest) is checked against that newest fix, the
    time difference counting either way; it is stored in time order but never becomes the
    device's current position. A device whose anchor was itself a glitch (its first fix, say)
    recovers after one lost fix: two consecutive fixes that agree with each other but not
    with the anchor replace it.
    """
    seen, duplicates = _unique(pings)
    result = PreparedBatch(duplicates=duplicates)
    anchors = dict(latest or {})
    suspects: dict[str, Ping] = {}
    speeds = max_speed_mps or {}
    for ping in sorted(seen.values(), key=lambda p: (p.recorded_at, p.device_id, p.seq)):
        limit = speeds.get(ping.device_id, default_max_speed_mps)
        problem = _problem(ping, now, anchors.get(ping.device_id), limit)
        if problem is not None and problem[0] is RejectReason.IMPOSSIBLE_JUMP:
            suspect = suspects.get(ping.device_id)
            if suspect is not None and jump_problem(suspect, ping, limit) is None:
                problem = None  # two fixes in a row agree: the anchor was the glitch
            else:
                suspects[ping.device_id] = ping
        if problem is not None:
            result.rejected.append(Rejected(ping, problem[0], problem[1]))
            continue
        result.accepted.append(ping)
        suspects.pop(ping.device_id, None)
        anchor = anchors.get(ping.device_id)
        if anchor is None or ping.recorded_at >= anchor.recorded_at:
            anchors[ping.device_id] = ping
    return result


def _unique(pings: Iterable[Ping]) -> tuple[dict[str, Ping], int]:
    """The first ping of each key, and how many later ones repeated a key."""
    seen: dict[str, Ping] = {}
    duplicates = 0
    for ping in pings:
        if ping.key in seen:
            duplicates += 1
        else:
            seen[ping.key] = ping
    return seen, duplicates


def _problem(
    ping: Ping, now: datetime, anchor: Ping | None, limit: float
) -> tuple[RejectReason, str] | None:
    problem = static_problem(ping, now)
    if problem is None and anchor is not None:
        problem = jump_problem(anchor, ping, limit)
    return problem


def newest(pings: Iterable[Ping]) -> dict[str, Ping]:
    """Each device's newest ping: the only one that may move its current position."""
    best: dict[str, Ping] = {}
    for ping in pings:
        current = best.get(ping.device_id)
        if current is None or ping.recorded_at > current.recorded_at:
            best[ping.device_id] = ping
    return best
