"""Zones from and to GeoJSON FeatureCollections, with errors that point at the feature."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lastmile.domain import AccessRule, InvalidInput, LastMileError, Zone

_ACCESS_WORDS = {rule.value: rule for rule in AccessRule} | {
    "cargo bikes only": AccessRule.CARGO_BIKE_ONLY,
    "no trucks": AccessRule.NO_TRUCKS,
    "low-emission zone": AccessRule.LOW_EMISSION,
    "lez": AccessRule.LOW_EMISSION,
}


def _read(source: Path | str | dict[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(source, dict):
        return source, "GeoJSON"
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("no such GeoJSON file", location=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not valid JSON: {exc}", location=str(path)) from None
    if not isinstance(data, dict):
        raise InvalidInput("expected a GeoJSON object", location=str(path))
    return data, str(path)


def _access(value: Any, where: str) -> frozenset[AccessRule]:
    words = value.split(",") if isinstance(value, str) else value
    if words is None:
        return frozenset()
    if not isinstance(words, list):
        raise InvalidInput("access must be a list or a comma-separated text", field="access",
                           location=where)  # fmt: skip
    rules = set()
    for word in words:
        key = str(word).strip().lower().replace("_", " ")
        rule = _ACCESS_WORDS.get(key) or _ACCESS_WORDS.get(key.replace(" ", "_"))
        if rule is None:
            known = ", ".join(r.value for r in AccessRule)
            raise InvalidInput(f"unknown access rule {word!r} (known: {known})", field="access",
                               location=where)  # fmt: skip
        rules.add(rule)
    return frozenset(rules)


def _rings(geometry: Any, where: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    if geometry is None:
        return ()
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "MultiPolygon" and len(geometry.get("coordinates") or []) == 1:
        geometry = {"type": "Polygon", "coordinates": geometry["coordinates"][0]}
    elif kind != "Polygon":
        raise InvalidInput(
            f"zone geometry must be a Polygon, got {kind!r}; split a MultiPolygon into one "
            "feature per part", field="geometry", location=where,
        )  # fmt: skip
    try:
        return tuple(
            tuple((float(lon), float(lat)) for lon, lat, *_ in ring)
            for ring in geometry["coordinates"]
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("polygon coordinates must be rings of [lon, lat] pairs",
                           field="geometry", location=where) from None  # fmt: skip


def _zone(feature: Any, where: str) -> Zone:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput("expected a GeoJSON Feature", location=where)
    props = feature.get("properties") or {}
    ref = props.get("ref", feature.get("id"))
    if ref is None:
        raise InvalidInput("a zone needs a 'ref' property (or a feature id)", field="ref",
                           location=where)  # fmt: skip
    cells = props.get("h3_cells") or ()
    try:
        return Zone(
            ref=str(ref),
            name=str(props.get("name", ref)),
            hub_ref=props.get("hub_ref"),
            polygon=_rings(feature.get("geometry"), where),
            h3_cells=tuple(str(c) for c in cells),
            access=_access(props.get("access"), where),
            not_home_rate=float(props.get("not_home_rate", 0.05)),
        )
    except InvalidInput as exc:
        raise InvalidInput(exc.reason, field=exc.field, location=where) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"bad zone property: {exc}", location=where) from None


def zones_from_geojson(source: Path | str | dict[str, Any]) -> list[Zone]:
    """Every Feature of a FeatureCollection (or a single Feature) as a domain Zone.

    Properties: ``ref`` (or the feature ``id``), ``name``, ``hub_ref``, ``access`` (list or
    comma-separated: ``cargo_bike_only``, ``no_trucks``, ``low_emission``, ``pedestrian``),
    ``h3_cells``, ``not_home_rate``. A feature may have no geometry when it has H3 cells.
    """
    data, origin = _read(source)
    if data.get("type") == "Feature":
        features: Sequence[Any] = [data]
    elif data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list):
        features = data["features"]
    else:
        raise InvalidInput("expected a GeoJSON FeatureCollection", location=origin)
    zones = [_zone(f, f"{origin} feature {i}") for i, f in enumerate(features)]
    refs = [z.ref for z in zones]
    duplicated = sorted({r for r in refs if refs.count(r) > 1})
    if duplicated:
        raise InvalidInput(f"duplicate zone refs: {', '.join(duplicated)}", field="ref",
                           location=origin)  # fmt: skip
    return zones


def zones_to_geojson(zones: Sequence[Zone]) -> dict[str, Any]:
    """A FeatureCollection for maps; H3-only zones are drawn as their cells' outline."""
    import h3
    import shapely

    features = []
    for zone in zones:
        if zone.polygon:
            rings = [[list(point) for point in ring] for ring in zone.polygon]
            geometry: dict[str, Any] = {"type": "Polygon", "coordinates": rings}
        else:
            try:
                geometry = h3.cells_to_geo(list(zone.h3_cells))
            except (h3.H3BaseException, ValueError) as exc:
                raise LastMileError(f"zone {zone.ref}: cannot outline its cells ({exc})") from exc
        geometry = shapely.geometry.mapping(shapely.geometry.shape(geometry))
        features.append({
            "type": "Feature", "id": zone.ref, "geometry": geometry,
            "properties": {"ref": zone.ref, "name": zone.name, "hub_ref": zone.hub_ref,
                           "access": sorted(r.value for r in zone.access),
                           "h3_cells": list(zone.h3_cells), "not_home_rate": zone.not_home_rate},
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
