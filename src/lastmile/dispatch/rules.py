"""Declarative dispatch rules (YAML): when an event triggers a re-plan or an early wave.

.. code-block:: yaml

    rules:
      - name: re-plan on slipped readiness
        event: readiness_slipped      # the event
        above: 20                  # its measure: minutes of slip (see MEASURES)
        then: replan
      - name: early wave when slots fill fast
        event: slots_filling
        zones: [Z-MITTE]           # optional: only these zones
        above: 12                  # slots booked per hour
        then: dispatch_wave_early
        by_min: 30

    policy:                        # optional: how the re-plans weigh disruption
      next_stops: 3                # a driver's upcoming stops that count as "next"
      next_stop_change_cents: 300  # what changing one of them costs
      defer_value_cents: 5000      # what leaving a stop for tomorrow costs (null: never)
      workers: 2                   # processes a re-plan searches with

Every rule whose event, zone and threshold match fires; errors name the rule and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lastmile.dispatch import events as ev
from lastmile.dispatch.commands import DispatchWaveEarly, Replan
from lastmile.domain import InvalidInput
from lastmile.domain.events import Command, DomainEvent

#: Event name in a rule -> (event class, what ``above`` compares, its unit).
MEASURES: dict[str, tuple[type[DomainEvent], str | None]] = {
    "stop_added": (ev.StopAddedToDay, None),
    "stop_cancelled": (ev.StopCancelled, None),
    "readiness_slipped": (ev.ReadinessSlipped, "minutes of slip"),
    "vehicle_delayed": (ev.VehicleDelayed, "minutes of delay"),
    "progress_observed": (ev.ProgressObserved, "minutes the van furthest off its plan is"),
    "attempt_failed": (ev.AttemptFailed, None),
    "vehicle_broke_down": (ev.VehicleBrokeDown, None),
    "zone_slowed": (ev.ZoneSlowed, "slowdown factor"),
    "slots_filling": (ev.ZoneSlotsFilling, "slots filled per hour"),
    "wave_dispatched_early": (ev.WaveDispatchedEarly, None),
}
ACTIONS = ("replan", "dispatch_wave_early")
FIELDS = {"name", "event", "above", "zones", "then", "by_min"}
#: The re-plan policy a rules file may set (``dispatch.replan.ReplanPolicy``): field ->
#: (least, most) whole value; ``defer_value_cents`` may also be null (never defer).
POLICY = {
    "next_stops": (0, 50),
    "next_stop_change_cents": (0, 10_000_000),
    "defer_value_cents": (1, 1_000_000_000),
    "workers": (1, 64),
}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    event: str
    then: str
    above: float | None = None
    zones: frozenset[str] = frozenset()
    by_min: int | None = None

    def matches(self, event: DomainEvent) -> bool:
        if not isinstance(event, MEASURES[self.event][0]):
            return False
        zone = getattr(event, "zone_ref", None)
        if self.zones and zone not in self.zones:
            return False
        return self.above is None or measure(event) > self.above

    def command(self, event: DomainEvent) -> Command:
        why = f"rule {self.name!r} on {event.name}"
        if self.then == "replan":
            return Replan(reason=why, trigger=event.name)
        assert isinstance(event, ev.ZoneSlotsFilling) and self.by_min is not None
        return DispatchWaveEarly(
            zone_ref=event.zone_ref, stop_refs=event.stop_refs, by_s=self.by_min * 60
        )


def measure(event: DomainEvent) -> float:
    """The number a rule's ``above`` is compared with, in the unit MEASURES names."""
    if isinstance(event, ev.ReadinessSlipped):
        return event.slip_s / 60
    if isinstance(event, ev.VehicleDelayed):
        return event.delay_s / 60
    if isinstance(event, ev.ProgressObserved):
        return max((abs(lag) for lag in event.lags_s), default=0) / 60
    if isinstance(event, ev.ZoneSlowed):
        return event.factor
    if isinstance(event, ev.ZoneSlotsFilling):
        return event.filled_per_hour
    return 0.0


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    #: Re-plan policy settings from the file's ``policy`` section, as (field, value) pairs
    #: for ``ReplanPolicy``; empty: the policy's defaults.
    policy: tuple[tuple[str, int | None], ...] = ()

    def commands_for(self, event: DomainEvent) -> list[Command]:
        """Commands of every matching rule; one re-plan at most per event."""
        out: list[Command] = []
        for rule in self.rules:
            if rule.matches(event):
                command = rule.command(event)
                if not (isinstance(command, Replan) and any(isinstance(c, Replan) for c in out)):
                    out.append(command)
        return out


def _rule(raw: object, n: int, where: str) -> Rule:
    at = f"rules[{n}]"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{at} must be a mapping", field=at, location=where)
    name = raw.get("name")
    label = f"rule {name!r}" if isinstance(name, str) and name else at
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{at}: needs a name", field=f"{at}.name", location=where)

    def bad(field: str, why: str) -> InvalidInput:
        return InvalidInput(f"{label}: {field} {why}", field=f"{at}.{field}", location=where)

    unknown = sorted(str(k) for k in set(raw) - FIELDS)
    if unknown:
        raise bad(unknown[0], f"is not a rule field (use {sorted(FIELDS)})")
    on, then = raw.get("event"), raw.get("then")
    if on not in MEASURES:
        raise bad("event", f"must be one of {sorted(MEASURES)}, not {on!r}")
    if then not in ACTIONS:
        raise bad("then", f"must be one of {list(ACTIONS)}, not {then!r}")
    above = raw.get("above")
    if above is not None:
        if MEASURES[on][1] is None:
            raise bad("above", f"does not apply: {on} has no measure")
        if isinstance(above, bool) or not isinstance(above, int | float) or above < 0:
            raise bad("above", f"must be a number ≥ 0 ({MEASURES[on][1]}), not {above!r}")
    return Rule(name, on, then, above, _zones(raw.get("zones"), bad), _by_min(raw, on, then, bad))


def _zones(raw: object, bad: Any) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(z, str) and z for z in raw):
        raise bad("zones", "must be a list of zone refs")
    return frozenset(raw)


def _by_min(raw: Mapping[str, Any], on: str, then: str, bad: Any) -> int | None:
    by = raw.get("by_min")
    if then != "dispatch_wave_early":
        if by is not None:
            raise bad("by_min", "only applies to then: dispatch_wave_early")
        return None
    if on != "slots_filling":
        raise bad("then", "dispatch_wave_early needs event: slots_filling")
    if isinstance(by, bool) or not isinstance(by, int) or not 1 <= by <= 240:
        raise bad("by_min", f"must be whole minutes between 1 and 240, not {by!r}")
    return by


def parse_rules(data: object, where: str = "rules") -> RuleSet:
    """Rules from parsed YAML (``{"rules": [...], "policy": {...}}``); names must be unique."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise InvalidInput("expected a mapping with a 'rules' list", field="rules", location=where)
    unknown = sorted(str(k) for k in set(data) - {"rules", "policy"})
    if unknown:
        raise InvalidInput(
            f"{unknown[0]!r} is not a section (use 'rules' and 'policy')",
            field=unknown[0], location=where,
        )  # fmt: skip
    rules = [_rule(raw, n, where) for n, raw in enumerate(data["rules"])]
    names = [r.name for r in rules]
    for n, name in enumerate(names):
        if name in names[:n]:
            raise InvalidInput(
                f"rule {name!r}: name used twice", field=f"rules[{n}].name", location=where
            )
    return RuleSet(tuple(rules), _policy(data.get("policy"), where))


def _policy(raw: object, where: str) -> tuple[tuple[str, int | None], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise InvalidInput("policy must be a mapping", field="policy", location=where)
    out: list[tuple[str, int | None]] = []
    for key, value in raw.items():
        at = f"policy.{key}"
        if key not in POLICY:
            raise InvalidInput(
                f"{at} is not a policy setting (use {sorted(POLICY)})", field=at, location=where
            )
        least, most = POLICY[key]
        if value is None and key == "defer_value_cents":
            out.append((key, None))
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise InvalidInput(
                f"{at} must be a whole number from {least} to {most}, not {value!r}",
                field=at, location=where,
            )  # fmt: skip
        out.append((key, value))
    return tuple(out)


def load_rules(path: Path) -> RuleSet:
    """Rules from a YAML file; syntax errors name the line."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", field="rules", location=str(path)) from exc
    return parse_rules(data, str(path))


def default_rules() -> RuleSet:
    """Re-plan on every event that changes the work, and on delays or slips over 20 min."""
    always = ["stop_added", "stop_cancelled", "attempt_failed", "vehicle_broke_down"]
    rules = [Rule(f"re-plan on {on}", on, "replan") for on in always]
    rules += [
        Rule("re-plan on slips over 20 min", "readiness_slipped", "replan", 20),
        Rule("re-plan on delays over 15 min", "vehicle_delayed", "replan", 15),
        Rule("re-plan when a van is 15 min off its plan", "progress_observed", "replan", 15),
        Rule("re-plan on slowdowns", "zone_slowed", "replan", 1.0),
        Rule("re-plan after an early wave", "wave_dispatched_early", "replan"),
    ]
    return RuleSet(tuple(rules))


def rule_names(rules: Sequence[Rule]) -> list[str]:
    return [r.name for r in rules]
