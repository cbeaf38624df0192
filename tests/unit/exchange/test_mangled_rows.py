"""Whatever a file holds, reading it yields records and row rejections, never a crash."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.exchange import SPECS, Format, Kind, parse_table, read_table
from tests.unit.exchange import samples

FILES = {
    Kind.HUBS: samples.HUBS,
    Kind.ZONES: samples.ZONES,
    Kind.VEHICLES: samples.VEHICLES,
    Kind.DRIVERS: samples.DRIVERS,
    Kind.SHIFTS: samples.SHIFTS,
    Kind.ORDERS: samples.ORDERS,
}

garbage = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-1", "1e400", "nan", "inf", "[]", "{}", "[[[", "2026-13-40T25:61", "NaT",
                     "0", "99999999999999999999", "none", ";", "Europe/Nowhere", "mon-sun x"]),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


def valid_rows(kind: Kind) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(FILES[kind])))


@st.composite
def mangled(draw: st.DrawFn) -> tuple[Kind, list[dict[str, object]]]:
    kind = draw(st.sampled_from(list(Kind)))
    rows: list[dict[str, object]] = [dict(r) for r in valid_rows(kind)]
    for row in rows:
        for column in draw(st.lists(st.sampled_from(SPECS[kind].columns), max_size=4)):
            if draw(st.booleans()):
                row.pop(column, None)
            else:
                row[column] = draw(garbage)
    return kind, rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_json_rows_are_either_records_or_rejections_naming_a_row(
    case: tuple[Kind, list[dict[str, object]]],
) -> None:
    kind, rows = case
    content = json.dumps(rows, allow_nan=True)
    parsed = parse_table(kind, read_table(content, "f.json", Format.JSON), samples.HUB_TZ)
    assert len(parsed.records) + len(parsed.rejections) == len(rows)
    for rejection in parsed.rejections:
        assert 1 <= rejection.row <= len(rows)
        assert rejection.reason


@settings(max_examples=300, deadline=None)
@given(mangled())
def test_mangled_csv_rows_are_either_records_or_rejections_naming_a_row(
    case: tuple[Kind, list[dict[str, object]]],
) -> None:
    kind, rows = case
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SPECS[kind].columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    parsed = parse_table(kind, read_table(out.getvalue(), "f.csv", Format.CSV), samples.HUB_TZ)
    assert len(parsed.records) + len(parsed.rejections) == len(rows)
    rows_seen = {r.row for r in parsed.rejections} | {r.row for r in parsed.records}
    assert len(rows_seen) == len(rows)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(list(Kind)), st.sampled_from(list(Format)))
def test_any_text_is_read_or_refused_as_a_whole_file_with_a_reason(
    content: str, kind: Kind, fmt: Format
) -> None:
    from lastmile.domain import InvalidInput

    try:
        table = read_table(content, "f", fmt)
    except InvalidInput as error:
        assert error.location == "f"
        return
    parse_table(kind, table, samples.HUB_TZ)
