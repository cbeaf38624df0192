"""Dispatch rules from YAML files: the shipped example, and syntax errors naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lastmile.dispatch import events as ev
from lastmile.dispatch.rules import load_rules
from lastmile.domain import InvalidInput

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "dispatch-rules.yaml"


def test_the_shipped_example_loads_and_re_plans_on_a_long_slip() -> None:
    rules = load_rules(EXAMPLE)
    assert len(rules.rules) >= 5
    assert rules.commands_for(ev.ReadinessSlipped(stop_refs=("a",), slip_s=30 * 60))
    assert not rules.commands_for(ev.ReadinessSlipped(stop_refs=("a",), slip_s=5 * 60))
    # Its policy builds the API's re-plan policy.
    from lastmile.api.dispatch_day import policy_of

    policy = policy_of(rules, 4.0)
    assert policy.next_stop_change_cents == 300 and policy.defer_value_cents is None
    assert policy.time_limit_s == 4.0


def test_a_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_rules(bad)
    assert caught.value.location == str(bad)
