"""`lastmile demo`: a fresh city imported, its day simulated through the platform, a scorecard.

Headless it exits 0 after the scorecard; for a person it serves the API over the demo's
database while the day runs and keeps serving until Ctrl-C.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.integration.cli.conftest import Invoke


def test_the_headless_demo_imports_simulates_and_scores_a_fresh_day(
    lastmile: Invoke, tmp_path: Path
) -> None:
    stale = tmp_path / "var/demo/stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("left by an earlier run")

    result = lastmile("demo", "--orders", "60", "--seed", "4", "--no-osm",
                      env={"LASTMILE_DEMO_HEADLESS": "1"})  # fmt: skip

    assert result.exit_code == 0, result.output
    assert not stale.exists(), "each run starts from an empty folder and database"
    for title in ("Import", "Hubs", "Zones", "Fleet", "Orders by channel and service level (60)"):
        assert title in result.output
    [orders_line] = [line for line in result.output.splitlines() if "orders.csv" in line]
    assert orders_line.split("│")[3].strip() == "60"
    assert "synthetic (haversine)" in result.output
    assert "Try next" not in result.output and "Still serving" not in result.output
    card = json.loads((tmp_path / "var/demo/report/scorecard.json").read_text())
    counts = card["overall"]["counts"]
    assert counts["orders"] == 60
    ends = ("delivered", "failed", "rescheduled", "cancelled", "unserved")
    assert sum(counts[k] for k in ends) == 60
    assert counts["delivered"] > 0 and counts["unserved"] == 0
    assert (tmp_path / "var/demo/report/index.html").is_file()


def test_the_demo_serves_the_day_it_simulates_until_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "LASTMILE_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "160"}
    env.pop("LASTMILE_DEMO_HEADLESS", None)
    env.pop("LASTMILE_DATABASE_URL", None)
    command = [sys.executable, "-c", "from lastmile.cli import main; main()", "demo",
               "--orders", "50", "--no-osm", "--port", "0", "--pace", "1000000"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Still serving" in line:
                break
        output = "".join(lines)
        assert "Still serving" in output, output
        base = re.search(r"(http://127\.0\.0\.1:\d+)/docs", output)
        key = re.search(r"admin key \(shown once\): (\S+)", output)
        assert base and key, output
        request = urllib.request.Request(
            f"{base.group(1)}/v1/orders?limit=5",
            headers={"X-API-Key": key.group(1)},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            page = json.load(response)
        assert response.status == 200 and len(page["items"]) == 5
        assert {item["state"] for item in page["items"]} & {"completed", "returned", "cancelled"}
        assert "Try next" in output

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_bad_demo_option_exits_2_with_the_reason(lastmile: Invoke) -> None:
    result = lastmile("demo", "--orders", "5", "--no-osm", "--headless")
    assert result.exit_code == 2
    assert "between 50 and 20,000" in result.output
