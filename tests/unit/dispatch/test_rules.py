"""YAML dispatch rules: what fires on which event, and errors that name the rule and field."""

from __future__ import annotations

import pytest

from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.rules import RuleSet, parse_rules
from lastmile.domain import InvalidInput


def example() -> RuleSet:
    return parse_rules(
        {
            "rules": [
                {"name": "slips", "event": "readiness_slipped", "above": 20, "then": "replan"},
                {
                    "name": "mitte early",
                    "event": "slots_filling",
                    "zones": ["Z-MITTE"],
                    "above": 12,
                    "then": "dispatch_wave_early",
                    "by_min": 30,
                },
            ]
        }
    )


def test_a_slip_over_the_threshold_re_plans_and_a_short_one_does_not() -> None:
    rules = example()
    short = ev.ReadinessSlipped(stop_refs=("a",), slip_s=10 * 60)
    long = ev.ReadinessSlipped(stop_refs=("a",), slip_s=25 * 60)
    assert rules.commands_for(short) == []
    [command] = rules.commands_for(long)
    assert isinstance(command, c.Replan) and "slips" in command.reason


def test_fast_filling_slots_start_only_that_zones_wave_early() -> None:
    rules = example()
    mitte = ev.ZoneSlotsFilling(zone_ref="Z-MITTE", filled_per_hour=20, stop_refs=("s1",))
    other = ev.ZoneSlotsFilling(zone_ref="Z-NORD", filled_per_hour=20)
    slow = ev.ZoneSlotsFilling(zone_ref="Z-MITTE", filled_per_hour=5)
    [command] = rules.commands_for(mitte)
    assert command == c.DispatchWaveEarly(zone_ref="Z-MITTE", stop_refs=("s1",), by_s=1800)
    assert rules.commands_for(other) == [] and rules.commands_for(slow) == []


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({"event": "vehicle_delayed", "then": "replan"}, "rules[0].name", "needs a name"),
        ({"name": "r", "event": "rain", "then": "replan"}, "rules[0].event", "must be one of"),
        ({"name": "r", "event": "vehicle_delayed", "then": "panic"}, "rules[0].then", "panic"),
        (
            {"name": "r", "event": "vehicle_delayed", "above": "lots", "then": "replan"},
            "rules[0].above",
            "number",
        ),
        (
            {"name": "r", "event": "stop_added", "above": 3, "then": "replan"},
            "rules[0].above",
            "no measure",
        ),
        (
            {"name": "r", "event": "slots_filling", "then": "dispatch_wave_early"},
            "rules[0].by_min",
            "whole minutes",
        ),
        (
            {"name": "r", "event": "stop_added", "then": "replan", "colour": 1},
            "rules[0].colour",
            "not a rule field",
        ),
        (
            {"name": "r", "event": "slots_filling", "zones": "Z1", "then": "replan"},
            "rules[0].zones",
            "list",
        ),
    ],
)
def test_a_bad_rule_is_refused_naming_the_rule_and_the_field(
    rule: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as caught:
        parse_rules({"rules": [rule]}, "rules.yaml")
    assert caught.value.field == field
    if "name" in rule:
        assert "rule 'r'" in str(caught.value)


def test_two_rules_with_one_name_are_refused() -> None:
    rule = {"name": "same", "event": "stop_added", "then": "replan"}
    with pytest.raises(InvalidInput, match="used twice"):
        parse_rules({"rules": [rule, rule]})


def test_the_policy_section_sets_what_a_re_plan_weighs() -> None:
    policy = {"next_stops": 2, "next_stop_change_cents": 300, "defer_value_cents": None}
    rules = parse_rules({"rules": [], "policy": policy})
    assert dict(rules.policy) == policy
    assert parse_rules({"rules": []}).policy == ()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"policy": {"next_stop_change": 3}}, "policy.next_stop_change", "not a policy setting"),
        ({"policy": {"workers": 0}}, "policy.workers", "from 1 to 64"),
        ({"policy": {"defer_value_cents": 0}}, "policy.defer_value_cents", "from 1 to"),
        ({"policy": {"next_stops": 2.5}}, "policy.next_stops", "whole number"),
        ({"policy": [1]}, "policy", "mapping"),
        ({"polcy": {}}, "polcy", "not a section"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_setting(
    data: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as caught:
        parse_rules({"rules": [], **data}, "rules.yaml")
    assert caught.value.field == field and caught.value.location == "rules.yaml"
