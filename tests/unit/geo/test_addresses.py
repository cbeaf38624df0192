"""Address texts are split into parts, and missing or malformed parts are named."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.domain import Address, AddressType, Coordinate, InvalidInput
from lastmile.geo.addresses import ParsedAddress, address_problems, parse_address

HERE = Coordinate(60.17, 24.94)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mannerheimintie 12 B 5, 00100 Helsinki",
         ParsedAddress("Mannerheimintie", "12", "B 5", "00100", "Helsinki")),
        ("Kalevankatu 4 as. 12, 00100 Helsinki",
         ParsedAddress("Kalevankatu", "4", "12", "00100", "Helsinki")),
        ("221B Baker Street, London NW1 6XE",
         ParsedAddress("Baker Street", "221B", "", "NW1 6XE", "London")),
        ("Carrer Major 5, AD500 Andorra la Vella",
         ParsedAddress("Carrer Major", "5", "", "AD500", "Andorra la Vella")),
        ("Damrak 1, 1012 LG Amsterdam", ParsedAddress("Damrak", "1", "", "1012 LG", "Amsterdam")),
        ("Storgatan 1, 111 51 Stockholm",
         ParsedAddress("Storgatan", "1", "", "111 51", "Stockholm")),
        ("12 Main Street, Springfield, 62704",
         ParsedAddress("Main Street", "12", "", "62704", "Springfield")),
        ("Avinguda Meritxell, AD500 Andorra la Vella",
         ParsedAddress("Avinguda Meritxell", "", "", "AD500", "Andorra la Vella")),
    ],
)  # fmt: skip
def test_common_european_and_american_address_orders_are_split_into_parts(
    raw: str, expected: ParsedAddress
) -> None:
    assert parse_address(raw) == expected


def test_an_empty_address_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="address text is empty"):
        parse_address("  ")


def test_a_complete_address_has_no_problems() -> None:
    address = Address(raw="Mannerheimintie 12, 00100 Helsinki", coordinate=HERE, country="FI")
    assert address_problems(address) == []


def test_missing_parts_and_a_foreign_looking_postcode_are_named() -> None:
    address = Address(raw="Mannerheimintie, Helsinki", coordinate=HERE, country="FI")
    assert address_problems(address) == ["no house number", "no postcode"]
    wrong = Address(raw="Mannerheimintie 12, 1012 LG Helsinki", coordinate=HERE, country="FI")
    assert address_problems(wrong) == ["postcode '1012 LG' does not look like a FI postcode"]


def test_structured_fields_win_over_the_text_and_a_flat_needs_its_number() -> None:
    flat = Address(raw="somewhere", coordinate=HERE, street="Kalevankatu", house_number="4",
                   postcode="00100", country="FI", address_type=AddressType.APARTMENT)  # fmt: skip
    assert address_problems(flat) == ["apartment without a flat or unit number"]


def test_a_parcel_locker_needs_no_house_number() -> None:
    locker = Address(raw="Locker Kamppi, 00100 Helsinki", coordinate=HERE,
                     address_type=AddressType.LOCKER)  # fmt: skip
    assert address_problems(locker) == []


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_text_either_parses_or_is_refused_as_empty(raw: str) -> None:
    if not raw.replace(",", "").strip():
        with pytest.raises(InvalidInput):
            parse_address(raw)
        return
    parsed = parse_address(raw)
    for part in (parsed.street, parsed.house_number, parsed.postcode, parsed.city):
        assert part == part.strip()
