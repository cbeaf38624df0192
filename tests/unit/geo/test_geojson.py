"""Zones read from GeoJSON, with errors that say which feature is wrong and why."""

from __future__ import annotations

from typing import Any

import pytest

from lastmile.domain import AccessRule, InvalidInput
from lastmile.geo.geojson import zones_from_geojson, zones_to_geojson

SQUARE = [[[24.93, 60.16], [24.95, 60.16], [24.95, 60.17], [24.93, 60.17], [24.93, 60.16]]]


def feature(**props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE},
            "properties": props}  # fmt: skip


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_a_feature_collection_becomes_zones_with_their_access_rules() -> None:
    zones = zones_from_geojson(collection(
        feature(ref="CORE", name="Core", access=["low_emission", "no trucks"], hub_ref="H1"),
        feature(ref="OLD", access="cargo bikes only"),
    ))  # fmt: skip
    assert [z.ref for z in zones] == ["CORE", "OLD"]
    assert zones[0].access == {AccessRule.LOW_EMISSION, AccessRule.NO_TRUCKS}
    assert zones[0].hub_ref == "H1"
    assert zones[1].access == {AccessRule.CARGO_BIKE_ONLY}
    assert zones[0].polygon[0][0] == (24.93, 60.16)


def test_zones_survive_a_round_trip_through_geojson() -> None:
    zones = zones_from_geojson(collection(feature(ref="CORE", access=["pedestrian"])))
    again = zones_from_geojson(zones_to_geojson(zones))
    assert again[0].polygon == zones[0].polygon
    assert again[0].access == zones[0].access


def test_an_h3_only_zone_is_drawn_as_the_outline_of_its_cells() -> None:
    only_cells = {"type": "Feature", "geometry": None,
                  "properties": {"ref": "CELLS", "h3_cells": ["891126d3413ffff"]}}  # fmt: skip
    zones = zones_from_geojson(collection(only_cells))
    drawn = zones_to_geojson(zones)["features"][0]["geometry"]
    assert drawn["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "Topology"}, "expected a GeoJSON FeatureCollection"),
        (collection(feature(name="no ref")), r"feature 0, field 'ref'"),
        (collection(feature(ref="A"), feature(ref="B", access=["no_vans"])),
         r"feature 1, field 'access': unknown access rule 'no_vans'"),
        (collection({"type": "Feature", "properties": {"ref": "P"},
                     "geometry": {"type": "Point", "coordinates": [24.9, 60.1]}}),
         "must be a Polygon, got 'Point'"),
        (collection({"type": "Feature", "properties": {"ref": "O"},
                     "geometry": {"type": "Polygon", "coordinates": [SQUARE[0][:3]]}}),
         r"feature 0, field 'polygon'.*close on itself"),
        (collection(feature(ref="A"), feature(ref="A")), "duplicate zone refs: A"),
        (collection({"type": "Feature", "properties": {"ref": "N"}, "geometry": None}),
         "needs a polygon or H3 cells"),
    ],
)  # fmt: skip
def test_bad_geojson_is_refused_naming_the_feature_and_field(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        zones_from_geojson(data)
