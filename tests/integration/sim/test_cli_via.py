"""``lastmile simulate --via URL``: the same day's scorecard as in process, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli.conftest import Invoke, lastmile  # noqa: F401 (fixture)
from tests.integration.sim.conftest import SMALL, Server

pytestmark = pytest.mark.storage
DAY = ("--orders", "50", "--vehicles", "2", "--seed", "5", "--day", SMALL.day.isoformat())


def _unwrapped(output: str) -> str:
    """The output as one line: Rich wraps long messages at the terminal's width."""
    return " ".join(output.split())


def test_simulate_via_a_running_server_writes_the_scorecard_of_the_in_process_day(
    lastmile: Invoke,  # noqa: F811
    server: Server,
    tmp_path: Path,
) -> None:
    remote = lastmile("simulate", *DAY, "--via", server.url, "--api-key", server.key,
                      "--database", server.database_url, "--json", "remote.json")  # fmt: skip
    assert remote.exit_code == 0, remote.output
    assert f"devices uploaded to {server.url}" in _unwrapped(remote.output)
    local_db = f"sqlite:///{tmp_path / 'local.sqlite3'}"
    local = lastmile("simulate", *DAY, "--database", local_db, "--json", "local.json")
    assert local.exit_code == 0, local.output
    cards = [json.loads((tmp_path / name).read_text()) for name in ("remote.json", "local.json")]
    for card in cards:
        card.pop("notes")
    assert cards[0] == cards[1]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--via", "http://127.0.0.1:9", "--database", "sqlite:///x.db"), "--api-key"),
        (("--via", "http://127.0.0.1:9", "--api-key", "lm_a_b"), "--database"),
        (("--mqtt", "127.0.0.1:1883"), "--via URL"),
        (("--via", "127.0.0.1:8000", "--api-key", "k", "--database", "sqlite://"), "http"),
        (("--day", "26.11.2026"), "YYYY-MM-DD"),
    ],
)
def test_simulate_refuses_a_remote_run_it_cannot_do_before_planning_anything(
    lastmile: Invoke,  # noqa: F811
    args: tuple[str, ...],
    said: str,
) -> None:
    result = lastmile("simulate", "--orders", "50", *args)
    assert result.exit_code == 2
    assert said in _unwrapped(result.output)


def test_a_bad_api_key_stops_the_day_with_the_servers_answer(
    lastmile: Invoke,  # noqa: F811
    server: Server,
) -> None:
    result = lastmile("simulate", *DAY, "--via", server.url, "--api-key", "lm_0000_wrong",
                      "--database", server.database_url)  # fmt: skip
    assert result.exit_code == 2
    told = _unwrapped(result.output)
    assert "answered 401" in told and "unknown or revoked" in told
