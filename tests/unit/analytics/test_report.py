"""Reports: Rich tables show the figures, JSON is written, HTML links PNGs that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rich.console import Console

from lastmile.analytics.compare import compare
from lastmile.analytics.daylog import DayLog
from lastmile.analytics.report import print_comparison, print_scorecard, write_html, write_json
from lastmile.analytics.scorecard import score
from tests.unit.analytics.day import DAY, handmade_day
from tests.unit.analytics.test_compare import A_KM, A_ON_TIME, B_ON_TIME, cohort

PNG = b"\x89PNG\r\n\x1a\n"


def rendered(print_fn: object, obj: object) -> str:
    console = Console(record=True, width=200)
    print_fn(console, obj)  # type: ignore[operator]
    return console.export_text()


def linked_images(index: Path) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', index.read_text(encoding="utf-8"))


def test_the_scorecard_table_shows_headline_zone_and_window_figures() -> None:
    text = rendered(print_scorecard, score(handmade_day()))
    assert "On time in window" in text and "33.3%" in text and "2 / 6" in text
    assert "09:00–12:00" in text and "12:00–15:00" in text and "no promise" in text
    assert "6.25 km" in text  # zone B's km per stop
    assert "–" in text  # the "no zone" group has nothing to measure
    assert "breakdown 1" in text


def test_the_comparison_table_shows_differences_intervals_and_verdicts() -> None:
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", B_ON_TIME, A_KM))
    text = rendered(print_comparison, result)
    assert "B = dynamic vs A = static, 5 seeds, 95% intervals" in text
    assert "+15.0 pp" in text and "B better" in text and "no data" in text


def test_write_json_creates_the_folder_and_writes_sorted_json(tmp_path: Path) -> None:
    path = tmp_path / "out" / "card.json"
    write_json(score(handmade_day()), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["overall"]["on_time"] == {"denominator": 6, "numerator": 2, "value": 2 / 6}
    assert list(data) == sorted(data)


def test_the_scorecard_html_links_every_chart_it_wrote(tmp_path: Path) -> None:
    log = handmade_day()
    log.notes = {"scenario": "two zones <small>"}
    index = write_html(score(log), tmp_path / "report")
    assert index == tmp_path / "report" / "index.html"
    images = linked_images(index)
    assert sorted(images) == [
        "dwell_by_zone.png", "eta_errors.png", "on_time_by_window.png", "vehicles.png",
        "zone_rates.png",
    ]  # fmt: skip
    for name in images:
        assert (index.parent / name).read_bytes().startswith(PNG)
    html = index.read_text(encoding="utf-8")
    assert "09:00–12:00" in html and "33.3%" in html and 'href="report.json"' in html
    assert (index.parent / "report.json").exists()
    assert "two zones &lt;small&gt;" in html  # notes shown, escaped


def test_an_empty_day_still_gets_every_chart(tmp_path: Path) -> None:
    index = write_html(score(DayLog(DAY, "UTC")), tmp_path)
    images = linked_images(index)
    assert len(images) == 5
    assert all((tmp_path / name).read_bytes().startswith(PNG) for name in images)


def test_the_comparison_html_has_its_forest_plot(tmp_path: Path) -> None:
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", B_ON_TIME, A_KM))
    index = write_html(result, tmp_path)
    assert linked_images(index) == ["forest.png"]
    assert (tmp_path / "forest.png").read_bytes().startswith(PNG)
    html = index.read_text(encoding="utf-8")
    assert 'class="b_better">B better' in html and "1, 2, 3, 4, 5" in html


def test_an_empty_day_prints_dashes_not_errors() -> None:
    text = rendered(print_scorecard, score(DayLog(DAY, "UTC")))
    assert "On time in window" in text and "0 / 0" in text and "–" in text


def test_a_narrow_terminal_gets_readable_group_tables_with_the_key_kpis() -> None:
    console = Console(record=True, width=100)
    print_scorecard(console, score(handmade_day()))
    text = console.export_text()
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "6.25 km" in text and "09:00–12:00" in text  # full values, not cut to "6…"
    assert "dwell P90" not in text and "every KPI per group" in text
