"""Parse and validate structured addresses: street, house number, unit, postcode, city.

Free text comes in from web shops and CSV files as "Mannerheimintie 12 B 5, 00100 Helsinki"
or "221B Baker Street, London NW1 6XE". The parser handles the two common European orders
(number after or before the street); validation says what is missing or malformed, so a
dispatcher fixes it before a driver stands in front of the wrong door.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from lastmile.domain import Address, AddressType, InvalidInput

# Postcode shapes by ISO country code (upper-cased, spaces normalised).
POSTCODE_PATTERNS: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {
        "FI": re.compile(r"\d{5}"), "DE": re.compile(r"\d{5}"), "FR": re.compile(r"\d{5}"),
        "ES": re.compile(r"\d{5}"), "IT": re.compile(r"\d{5}"), "US": re.compile(r"\d{5}(-\d{4})?"),
        "AD": re.compile(r"AD\d{3}"), "NL": re.compile(r"\d{4} ?[A-Z]{2}"),
        "BE": re.compile(r"\d{4}"), "AT": re.compile(r"\d{4}"), "CH": re.compile(r"\d{4}"),
        "DK": re.compile(r"\d{4}"), "NO": re.compile(r"\d{4}"), "SE": re.compile(r"\d{3} ?\d{2}"),
        "PT": re.compile(r"\d{4}-\d{3}"), "PL": re.compile(r"\d{2}-\d{3}"),
        "GB": re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"),
    }
)  # fmt: skip
_ANY_POSTCODE = re.compile(
    r"\b(AD\d{3}|\d{4}-\d{3}|\d{2}-\d{3}|\d{3} \d{2}|\d{4} ?[A-Z]{2}"
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4,5}(?:-\d{4})?)\b"
)
_NUMBER_AFTER = re.compile(
    r"^(?P<street>[^\d,]*?[^\W\d][^\d,]*?)\s+(?P<number>\d+[A-Za-z]?(?:-\d+[A-Za-z]?)?)"
    r"(?:\s+(?P<unit>[A-Za-z]{0,3}\s?\d{0,4}[A-Za-z]?))?$"
)
_NUMBER_BEFORE = re.compile(r"^(?P<number>\d+[A-Za-z]?(?:-\d+)?),?\s+(?P<street>\D.*)$")
_UNIT_WORDS = re.compile(r"\b(?:apt|apartment|flat|unit|as\.?|lgh|piso|pis)\s*(\S+)", re.I)


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The parts found in an address text; empty strings for parts not present."""

    street: str = ""
    house_number: str = ""
    unit: str = ""
    postcode: str = ""
    city: str = ""


def normalise_postcode(postcode: str) -> str:
    return re.sub(r"\s+", " ", postcode.strip().upper())


def _split_street(part: str) -> tuple[str, str, str]:
    """(street, house number, unit) from the first comma-separated part."""
    unit = ""
    words = _UNIT_WORDS.search(part)
    if words:
        unit = words.group(1)
        part = (part[: words.start()] + part[words.end() :]).strip(" ,")
    for pattern in (_NUMBER_AFTER, _NUMBER_BEFORE):
        match = pattern.match(part.strip())
        if match:
            found_unit = (match.groupdict().get("unit") or "").strip()
            return match["street"].strip(" ,"), match["number"], unit or found_unit
    return part.strip(), "", unit


def parse_address(raw: str) -> ParsedAddress:
    """Split a one-line address into parts.

    "Mannerheimintie 12 B 5, 00100 Helsinki" -> street "Mannerheimintie", number "12",
    unit "B 5", postcode "00100", city "Helsinki".
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("address text is empty", field="address")
    if not raw.replace(",", "").strip():
        raise InvalidInput(f"address text {raw!r} has only commas", field="address")
    return _parse(raw)


@lru_cache(maxsize=65_536)  # the checks parse each address several times; results are frozen
def _parse(raw: str) -> ParsedAddress:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    street, number, unit = _split_street(parts[0])
    postcode = city = ""
    for part in parts[1:]:
        match = _ANY_POSTCODE.search(part.upper())
        if match and not postcode:
            postcode = normalise_postcode(match.group(1))
            rest = (part[: match.start()] + part[match.end() :]).strip(" ,")
            city = city or rest
        elif not city:
            city = part
    return ParsedAddress(street, number, unit, postcode, city)


def postcode_problem(postcode: str, country: str) -> str | None:
    """Why a postcode does not fit its country's format, or None when it fits (or is unknown)."""
    pattern = POSTCODE_PATTERNS.get(country.strip().upper())
    if not postcode or pattern is None:
        return None
    if not pattern.fullmatch(normalise_postcode(postcode)):
        return f"postcode {postcode!r} does not look like a {country.upper()} postcode"
    return None


def address_problems(address: Address) -> list[str]:
    """What is missing or malformed, as sentences; empty when the address looks complete.

    Parts missing from the structured fields are taken from the raw text when it has them.
    """
    parsed = parse_address(address.raw) if address.raw.strip() else ParsedAddress()
    street = address.street or parsed.street
    number = address.house_number or parsed.house_number
    postcode = address.postcode or parsed.postcode
    problems = []
    if not street:
        problems.append("no street")
    if not number and address.address_type is not AddressType.LOCKER:
        problems.append("no house number")
    if not postcode:
        problems.append("no postcode")
    problem = postcode_problem(postcode, address.country)
    if problem:
        problems.append(problem)
    if address.address_type is AddressType.APARTMENT and not (address.unit or parsed.unit):
        problems.append("apartment without a flat or unit number")
    return problems


def effective_postcode(address: Address) -> str:
    """The structured postcode, or the one in the raw text."""
    if address.postcode:
        return normalise_postcode(address.postcode)
    return parse_address(address.raw).postcode if address.raw.strip() else ""
