"""Which ways each vehicle may use, in which direction and how fast, from OSM tags."""

from __future__ import annotations

import pytest

from lastmile.geo.osm.profiles import parse_maxspeed, way_rule
from lastmile.geo.travel import Profile

CAR, TRUCK, BIKE, FOOT = Profile.CAR, Profile.TRUCK, Profile.BICYCLE, Profile.FOOT


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50", 50.0), ("30 mph", 30 * 1.609344), ("50;70", 50.0), ("none", None), ("walk", None),
     (None, None), ("FR:urban", None)],
)  # fmt: skip
def test_posted_speed_limits_are_read_in_kmh(value: str | None, expected: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(expected) if expected else None)


def test_a_van_may_drive_a_residential_street_both_ways() -> None:
    rule = way_rule(CAR, {"highway": "residential"})
    assert rule is not None and rule.forward and rule.backward


def test_a_one_way_street_is_one_way_for_a_van_but_not_for_a_walker() -> None:
    tags = {"highway": "residential", "oneway": "yes"}
    van, walker = way_rule(CAR, tags), way_rule(FOOT, tags)
    assert van is not None and (van.forward, van.backward) == (True, False)
    assert walker is not None and (walker.forward, walker.backward) == (True, True)


def test_a_reversed_one_way_and_a_roundabout_are_understood() -> None:
    reverse = way_rule(CAR, {"highway": "primary", "oneway": "-1"})
    roundabout = way_rule(CAR, {"highway": "primary", "junction": "roundabout"})
    assert reverse is not None and (reverse.forward, reverse.backward) == (False, True)
    assert roundabout is not None and (roundabout.forward, roundabout.backward) == (True, False)


def test_a_cyclist_may_ride_against_a_one_way_with_a_contraflow_tag() -> None:
    rule = way_rule(BIKE, {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"})
    assert rule is not None and rule.backward


@pytest.mark.parametrize(
    ("profile", "tags", "usable"),
    [
        (CAR, {"highway": "cycleway"}, False),
        (BIKE, {"highway": "cycleway"}, True),
        (CAR, {"highway": "footway", "access": "yes"}, False),
        (BIKE, {"highway": "footway"}, False),
        (BIKE, {"highway": "footway", "bicycle": "yes"}, True),
        (FOOT, {"highway": "footway"}, True),
        (FOOT, {"highway": "motorway"}, False),
        (BIKE, {"highway": "motorway"}, False),
        (CAR, {"highway": "residential", "access": "private"}, False),
        (CAR, {"highway": "residential", "access": "destination"}, True),
        (CAR, {"highway": "residential", "motor_vehicle": "no"}, False),
        (BIKE, {"highway": "residential", "motor_vehicle": "no"}, True),
        (CAR, {"highway": "track"}, False),
        (CAR, {"highway": "track", "motor_vehicle": "yes"}, True),
        (TRUCK, {"highway": "residential", "hgv": "no"}, False),
        (CAR, {"highway": "residential", "hgv": "no"}, True),
        (TRUCK, {"highway": "residential", "maxheight": "2.5"}, False),
        (TRUCK, {"highway": "residential", "maxweight": "3.5"}, False),
        (TRUCK, {"highway": "primary", "maxweight": "24"}, True),
        (BIKE, {"highway": "primary", "bicycle": "use_sidepath"}, False),
        (CAR, {"highway": "pedestrian", "area": "yes"}, False),
        (CAR, {"highway": "construction"}, False),
    ],
)
def test_access_tags_open_or_close_ways_per_vehicle(
    profile: Profile, tags: dict[str, str], usable: bool
) -> None:
    assert (way_rule(profile, tags) is not None) is usable


def test_a_posted_limit_sets_the_speed_and_trucks_are_capped() -> None:
    van = way_rule(CAR, {"highway": "trunk", "maxspeed": "120"})
    truck = way_rule(TRUCK, {"highway": "trunk", "maxspeed": "120"})
    assert van is not None and van.speed_forward_kmh == pytest.approx(96)
    assert truck is not None and truck.speed_forward_kmh == 80


def test_direction_specific_limits_apply_to_their_direction() -> None:
    rule = way_rule(CAR, {"highway": "primary", "maxspeed:forward": "50", "maxspeed": "90"})
    assert rule is not None
    assert rule.speed_forward_kmh == pytest.approx(40)
    assert rule.speed_backward_kmh == pytest.approx(72)


def test_steps_are_slow_on_foot_and_closed_to_bicycles() -> None:
    walker = way_rule(FOOT, {"highway": "steps"})
    path = way_rule(FOOT, {"highway": "footway"})
    assert walker is not None and path is not None
    assert walker.speed_forward_kmh < path.speed_forward_kmh
    assert way_rule(BIKE, {"highway": "steps"}) is None
