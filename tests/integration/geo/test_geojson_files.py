"""Zones loaded from GeoJSON files on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lastmile.domain import AccessRule, Coordinate, InvalidInput
from lastmile.geo.geojson import zones_from_geojson
from lastmile.geo.zones import access_rules_for

SQUARE = [[[24.93, 60.16], [24.95, 60.16], [24.95, 60.17], [24.93, 60.17], [24.93, 60.16]]]


def test_a_zones_file_is_loaded_and_its_rules_apply_to_points(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "LEZ", "geometry": {"type": "Polygon", "coordinates": SQUARE},
         "properties": {"name": "Low-emission zone", "access": "low_emission"}},
    ]}))  # fmt: skip
    zones = zones_from_geojson(path)
    rules = access_rules_for([Coordinate(60.165, 24.94), Coordinate(60.2, 24.9)], zones)
    assert rules == [frozenset({AccessRule.LOW_EMISSION}), frozenset()]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such GeoJSON file"), ("{not json", "not valid JSON"), ("[1, 2]", "GeoJSON object")],
)
def test_an_unreadable_zones_file_is_refused_naming_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "zones.geojson"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        zones_from_geojson(path)
    assert "zones.geojson" in str(caught.value)
