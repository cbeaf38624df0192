"""Geocode confidence: each suspicious sign is flagged, named, and lowers the score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lastmile.domain import Address, Coordinate, GeocodePrecision, Zone
from lastmile.geo.confidence import AddressFlag, check_addresses, needs_review

F = AddressFlag
AREA = Zone(ref="HEL", name="Helsinki",
            polygon=(((24.90, 60.15), (25.00, 60.15), (25.00, 60.20), (24.90, 60.20),
                      (24.90, 60.15)),))  # fmt: skip


def address(
    n: int,
    lat: float,
    lon: float,
    postcode: str = "00100",
    precision: GeocodePrecision = GeocodePrecision.ROOFTOP,
) -> Address:
    raw = f"Street{chr(65 + n % 26)} {n + 1}, {postcode} Helsinki"
    return Address(raw=raw, coordinate=Coordinate(lat, lon), country="FI", precision=precision)


def good_block(count: int = 6) -> list[tuple[str, Address]]:
    return [(f"O{i}", address(i, 60.170 + i * 0.0005, 24.940 + i * 0.0007)) for i in range(count)]


class FakeRoads:
    """Road distance by a rule instead of a road network: the lon says how far off it is."""

    def road_distance_m(self, points: Sequence[Coordinate]) -> np.ndarray:
        return np.array([400.0 if p.lon > 24.99 else 10.0 for p in points])


def test_clean_rooftop_addresses_score_high_with_no_flags() -> None:
    checks = check_addresses(good_block(), zones=[AREA], roads=FakeRoads())
    assert all(c.flags == frozenset() for c in checks)
    assert all(c.confidence == 1.0 for c in checks)
    assert needs_review(checks) == []


def test_a_point_far_from_any_road_is_flagged_with_the_distance() -> None:
    items = [*good_block(), ("FAR", address(9, 60.17, 24.995))]
    check = check_addresses(items, roads=FakeRoads())[-1]
    assert check.flags == {F.FAR_FROM_ROAD}
    assert check.reasons[F.FAR_FROM_ROAD] == "400 m from the nearest road"
    assert check.confidence < 0.6


def test_a_point_outside_every_service_area_is_flagged() -> None:
    items = [*good_block(), ("OUT", address(9, 60.30, 24.94, postcode="00990"))]
    check = check_addresses(items, zones=[AREA])[-1]
    assert check.flags == {F.OUTSIDE_SERVICE_AREA}
    assert check.confidence < 0.6


def test_a_postcode_centroid_geocode_is_flagged_and_scores_lower() -> None:
    items = [*good_block(), ("PC", address(9, 60.171, 24.941, precision=GeocodePrecision.POSTCODE))]
    check = check_addresses(items)[-1]
    assert check.flags == {F.POSTCODE_PRECISION}
    assert check.confidence == 0.5


def test_many_distinct_addresses_on_one_coordinate_are_flagged() -> None:
    same = [(f"S{i}", address(i, 60.1800, 24.9500)) for i in range(3)]
    checks = check_addresses([*good_block(), *same])
    assert all(F.SHARED_COORDINATE in c.flags for c in checks[-3:])
    assert "2 other distinct address(es)" in checks[-1].reasons[F.SHARED_COORDINATE]
    assert all(F.SHARED_COORDINATE not in c.flags for c in checks[:-3])


def test_flats_of_one_building_sharing_a_coordinate_are_not_suspicious() -> None:
    building = Coordinate(60.18, 24.95)
    flats = [
        (f"F{i}", Address(raw=f"Kalevankatu 4 A {i}, 00100 Helsinki", coordinate=building))
        for i in range(5)
    ]
    assert all(F.SHARED_COORDINATE not in c.flags for c in check_addresses(flats))


def test_a_coordinate_far_from_the_rest_of_its_postcode_is_flagged() -> None:
    stray = ("STRAY", address(9, 60.25, 25.10))  # 00100 is in the centre; this is ~12 km away
    check = check_addresses([*good_block(), stray])[-1]
    assert check.flags == {F.POSTCODE_MISMATCH}
    assert "km from the other addresses in 00100" in check.reasons[F.POSTCODE_MISMATCH]


def test_an_incomplete_address_is_flagged_with_what_is_missing() -> None:
    bare = Address(raw="Mannerheimintie, Helsinki", coordinate=Coordinate(60.17, 24.94),
                   precision=GeocodePrecision.ROOFTOP)  # fmt: skip
    check = check_addresses([("BARE", bare)])[0]
    assert check.reasons[F.INCOMPLETE] == "no house number; no postcode"
    assert 0.6 <= check.confidence < 1.0


def test_the_review_list_is_worst_first_and_respects_the_threshold() -> None:
    items = [
        *good_block(),
        ("PC", address(9, 60.171, 24.941, precision=GeocodePrecision.POSTCODE)),
        ("CITY", address(10, 60.172, 24.942, precision=GeocodePrecision.CITY)),
    ]
    checks = check_addresses(items)
    assert [c.ref for c in needs_review(checks)] == ["CITY", "PC"]
    assert [c.ref for c in needs_review(checks, min_confidence=0.3)] == ["CITY"]
