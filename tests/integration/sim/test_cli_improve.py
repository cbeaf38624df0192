"""``lastmile simulate --improve-idle``: the dispatcher improves the plan between events."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli.conftest import Invoke, lastmile  # noqa: F401 (fixture)

DAY = ("--orders", "120", "--seed", "3")


def test_improving_between_events_is_counted_in_the_day_and_said_on_screen(
    lastmile: Invoke,  # noqa: F811
) -> None:
    improved = lastmile("simulate", *DAY, "--improve-idle", "--json", "improved.json")
    plain = lastmile("simulate", *DAY, "--json", "plain.json")

    assert improved.exit_code == 0 and plain.exit_code == 0
    steps = json.loads(Path("improved.json").read_text())["notes"]["improvements"]
    assert int(steps) > 0
    assert f"plan improved {steps} times between events" in " ".join(improved.output.split())
    assert json.loads(Path("plain.json").read_text())["notes"]["improvements"] == "0"
    assert "plan improved" not in plain.output
