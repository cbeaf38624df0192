"""Every bad row is rejected with the file, the row and the field a person has to fix."""

from __future__ import annotations

import pytest

from lastmile.exchange import Context, Format, Kind, Rejection, parse_table, read_table
from tests.unit.exchange import samples

HEADER = "ref,hub_ref,lat,lon,weight_kg,window_start,window_end,skills,timezone"


def reject_one(line: str, *, context: Context = samples.HUB_TZ) -> Rejection:
    table = read_table(f"{HEADER}\n{line}\n", "orders.csv", Format.CSV)
    parsed = parse_table(Kind.ORDERS, table, context)
    assert not parsed.records, "the bad row must not be accepted"
    [rejection] = parsed.rejections
    return rejection


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("O-1,HEL-1,,24.9,1,,,,", "lat", "required"),
        (",HEL-1,60.1,24.9,1,,,,", "ref", "required"),
        ("O-1,HEL-1,91.5,24.9,1,,,,", "lat", "outside"),
        ("O-1,HEL-1,60.1,east,1,,,,", "lon", "number"),
        ("O-1,HEL-1,60.1,24.9,1,2026-11-24T11:00,2026-11-24T09:00,,", "window_end", "before"),
        ("O-1,HEL-1,60.1,24.9,1,,,teleport,", "skills", "unknown value 'teleport'"),
        ("O-1,HEL-1,60.1,24.9,-2.5,,,,", "weight_kg", "negative"),
        ("O-1,HEL-1,60.1,24.9,1,24/11/2026 9am,2026-11-24T11:00,,", "window_start", "cannot read"),
        (
            "O-1,HEL-1,60.1,24.9,1,2026-11-24T09:00,2026-11-24T11:00,,Mars/Olympus",
            "timezone",
            "IANA",
        ),
        ("O-1,HEL-1,60.1,24.9,1,2026-11-24T09:00,,,", "window_end", "both"),
        ("O-1,HEL-1,60.1,24.9,0.0001,,,,", "weight_kg", "finer than one gram"),
    ],
)
def test_a_bad_order_row_is_rejected_naming_file_row_and_field(
    line: str, field: str, words: str
) -> None:
    rejection = reject_one(line)
    assert (rejection.source, rejection.row, rejection.field) == ("orders.csv", 2, field)
    assert words in rejection.reason
    assert str(rejection).startswith(f"orders.csv:2 {field}: ")


def test_a_local_time_for_a_hub_with_no_known_timezone_is_rejected() -> None:
    rejection = reject_one(
        "O-1,OSLO,60.1,24.9,1,2026-11-24T09:00,2026-11-24T11:00,,", context=Context()
    )
    assert rejection.field == "window_start"
    assert "hub's timezone is unknown" in rejection.reason


def test_a_local_time_skipped_by_the_spring_clock_change_is_rejected() -> None:
    rejection = reject_one("O-1,HEL-1,60.1,24.9,1,2026-03-29T03:30,2026-03-29T05:00,,")
    assert rejection.field == "window_start"
    assert "does not exist in Europe/Helsinki" in rejection.reason


def test_local_times_are_read_in_the_hubs_timezone() -> None:
    table = read_table(
        f"{HEADER}\nO-1,HEL-1,60.1,24.9,1,2026-11-24T09:00,2026-11-24T11:00,,\n",
        "o.csv",
        Format.CSV,
    )
    [record] = parse_table(Kind.ORDERS, table, samples.HUB_TZ).records
    assert record.entity.window.start.isoformat() == "2026-11-24T09:00:00+02:00"


def test_only_the_bad_rows_are_rejected_and_the_good_ones_are_kept() -> None:
    content = (
        f"{HEADER}\nO-1,HEL-1,60.1,24.9,1,,,,\nO-2,HEL-1,99,24.9,1,,,,\nO-3,HEL-1,60.2,24.9,2,,,,\n"
    )
    parsed = parse_table(Kind.ORDERS, read_table(content, "o.csv", Format.CSV), samples.HUB_TZ)
    assert [r.ref for r in parsed.records] == ["O-1", "O-3"]
    assert [(r.row, r.ref) for r in parsed.rejections] == [(3, "O-2")]


def test_a_reference_given_twice_in_one_file_is_rejected_at_the_second_row() -> None:
    content = f"{HEADER}\nO-1,HEL-1,60.1,24.9,1,,,,\nO-1,HEL-1,60.2,24.9,2,,,,\n"
    parsed = parse_table(Kind.ORDERS, read_table(content, "o.csv", Format.CSV), samples.HUB_TZ)
    [rejection] = parsed.rejections
    assert (rejection.row, rejection.field) == (3, "ref")
    assert "row 2" in rejection.reason


def test_a_bad_item_inside_the_items_list_is_named_by_its_position() -> None:
    items = '[{""sku"":""a"",""weight_kg"":1},{""sku"":""b"",""weight_kg"":-1}]'
    content = f'ref,hub_ref,lat,lon,items\nO-1,HEL-1,60.1,24.9,"{items}"\n'
    parsed = parse_table(Kind.ORDERS, read_table(content, "o.csv", Format.CSV), samples.HUB_TZ)
    assert parsed.rejections[0].field == "items[1].weight_kg"


def test_items_and_one_line_columns_together_are_refused_as_ambiguous() -> None:
    content = 'ref,hub_ref,lat,lon,weight_kg,items\nO-1,HEL-1,60.1,24.9,2,"[{""weight_kg"":1}]"\n'
    parsed = parse_table(Kind.ORDERS, read_table(content, "o.csv", Format.CSV), samples.HUB_TZ)
    assert parsed.rejections[0].field == "items"
    assert "not both" in parsed.rejections[0].reason


def test_a_row_with_more_cells_than_the_header_is_rejected() -> None:
    content = f"{HEADER}\nO-1,HEL-1,60.1,24.9,1,,,,,surplus\n"
    parsed = parse_table(Kind.ORDERS, read_table(content, "o.csv", Format.CSV), samples.HUB_TZ)
    assert parsed.rejections[0].row == 2
    assert "more cells" in parsed.rejections[0].reason


def test_an_unknown_column_is_a_warning_with_the_closest_known_name() -> None:
    content = "ref,hub_ref,lat,lon,weight_kgs,weight_kg\nO-1,HEL-1,60.1,24.9,3,1\n"
    parsed = parse_table(Kind.ORDERS, read_table(content, "o.csv", Format.CSV), samples.HUB_TZ)
    assert len(parsed.records) == 1
    assert parsed.warnings == [
        "o.csv: column 'weight_kgs' is not used and was ignored (did you mean 'weight_kg'?)"
    ]


@pytest.mark.parametrize(
    ("kind", "content", "field"),
    [
        (Kind.HUBS, "ref,name,lat,lon,timezone\nH,Hub,60,24,Europe/Helsingfors\n", "timezone"),
        (Kind.HUBS, "ref,name,lat,lon,opening_hours\nH,Hub,60,24,mon-fri 9-5\n", "opening_hours"),
        (Kind.ZONES, 'ref,name,polygon\nZ,Zone,"[[[0,0],[1,1]]]"\n', "polygon"),
        (Kind.ZONES, 'ref,name,polygon\nZ,Zone,"[[[0,95],[1,1],[1,0],[0,95]]]"\n', "polygon"),
        (Kind.ZONES, "ref,name,polygon,access\nZ,Z,,no_trucks\n", "polygon"),
        (
            Kind.VEHICLES,
            "ref,kind,hub_ref,capacity_kg,capacity_l,capacity_parcels\nV,hovercraft,H,1,1,1\n",
            "kind",
        ),
        (
            Kind.VEHICLES,
            "ref,kind,hub_ref,capacity_kg,capacity_l\nV,van,H,1,1\n",
            "capacity_parcels",
        ),
        (
            Kind.VEHICLES,
            "ref,kind,hub_ref,capacity_kg,capacity_l,capacity_parcels,range_km\nV,van,H,1,1,1,0\n",
            "range_km",
        ),
        (Kind.DRIVERS, "ref,name,skills\nD,Dee,forklift\n", "skills"),
        (Kind.DRIVERS, "ref,name,max_work\nD,Dee,ten hours\n", "max_work"),
        (
            Kind.SHIFTS,
            "ref,driver_ref,hub_ref,start,end\nS,D,HEL-1,2026-11-24T16:00,2026-11-24T08:00\n",
            "end",
        ),
        (Kind.SHIFTS, "ref,driver_ref,hub_ref,start,end\nS,D,HEL-1,,2026-11-24T08:00\n", "start"),
    ],
)
def test_bad_rows_of_every_kind_name_their_field(kind: Kind, content: str, field: str) -> None:
    parsed = parse_table(kind, read_table(content, f"{kind}.csv", Format.CSV), samples.HUB_TZ)
    assert not parsed.records
    assert [(r.row, r.field) for r in parsed.rejections] == [(2, field)]


def test_a_json_entry_that_is_not_an_object_is_rejected_by_position() -> None:
    content = '[{"ref": "H", "name": "Hub", "lat": 60, "lon": 24}, 42]'
    parsed = parse_table(Kind.HUBS, read_table(content, "hubs.json", Format.JSON), Context())
    assert [r.ref for r in parsed.records] == ["H"]
    assert str(parsed.rejections[0]) == "hubs.json:2 -: expected an object"
