"""Cell readers accept what people write and refuse, with the column, what they cannot read."""

from __future__ import annotations

from typing import Any

import pytest

from lastmile.domain import Channel, InvalidInput
from lastmile.exchange import Format, Kind, parse_table, read_table
from lastmile.exchange.network import parse_opening_hours
from tests.unit.exchange import samples


def parse(kind: Kind, content: str, fmt: Format = Format.CSV) -> tuple[list[Any], list[str]]:
    parsed = parse_table(kind, read_table(content, f"{kind}.{fmt}", fmt), samples.HUB_TZ)
    return [r.entity for r in parsed.records], [str(r) for r in parsed.rejections]


def test_a_local_time_repeated_by_the_autumn_clock_change_is_refused_as_ambiguous() -> None:
    content = "ref,hub_ref,lat,lon,weight_kg,window_start,window_end\n"
    content += "O-1,HEL-1,60,24,1,2026-10-25T03:30,2026-10-25T05:00\n"
    _, rejections = parse(Kind.ORDERS, content)
    assert rejections == [
        "orders.csv:2 window_start: 2026-10-25T03:30:00 is ambiguous in Europe/Helsinki "
        "(clock change); give a UTC offset"
    ]


def test_enumerations_forgive_case_dashes_and_spaces() -> None:
    content = "ref,hub_ref,lat,lon,weight_kg,channel\nO-1,HEL-1,60,24,1,Store Pickup\n"
    [order], _ = parse(Kind.ORDERS, content)
    assert order.channel is Channel.STORE_PICKUP


def test_a_byte_order_mark_from_a_spreadsheet_is_ignored() -> None:
    [hub], rejections = parse(Kind.HUBS, "\ufeffref,name,lat,lon\nH,Hub,60,24\n")
    assert rejections == [] and hub.ref == "H"


def test_json_numbers_may_be_given_as_text() -> None:
    content = '[{"ref": "O-1", "hub_ref": "HEL-1", "lat": "60.1", "lon": 24, "weight_kg": "1.5"}]'
    [order], _ = parse(Kind.ORDERS, content, Format.JSON)
    assert order.load.weight_g == 1500


@pytest.mark.parametrize(
    ("content", "words"),
    [("", "empty"), ("ref,ref,name\n", "twice: ref")],
)
def test_a_file_without_a_usable_header_is_refused_as_a_whole(content: str, words: str) -> None:
    with pytest.raises(InvalidInput) as error:
        read_table(content, "hubs.csv", Format.CSV)
    assert error.value.location == "hubs.csv" and words in error.value.reason


@pytest.mark.parametrize("content", ["{not json", '{"a": 1}', "42"])
def test_json_that_is_not_a_list_of_objects_is_refused_as_a_whole(content: str) -> None:
    with pytest.raises(InvalidInput) as error:
        read_table(content, "orders.json", Format.JSON)
    assert error.value.location == "orders.json"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("sat-mon 08:00-12:00", "backwards"),
        ("xyz 08:00-12:00", "mon..sun"),
        ("mon 12:00-08:00", "closes"),
    ],
)
def test_bad_opening_hours_are_refused(value: str, words: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_opening_hours(value)
    assert error.value.field == "opening_hours" and words in str(error.value)


@pytest.mark.parametrize("value", ["4:75", "4h30", "-1:00", "1:2:3:4"])
def test_bad_durations_are_refused_with_an_example(value: str) -> None:
    _, rejections = parse(Kind.DRIVERS, f"ref,name,break_after\nD,Dee,{value}\n")
    assert rejections == [
        f"drivers.csv:2 break_after: cannot read duration '{value}'; use h:mm, e.g. 4:30"
    ]
