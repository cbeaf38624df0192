"""Street nodes from an OpenStreetMap extract, so customers can live on real streets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lastmile.domain import Coordinate, InvalidInput
from lastmile.sim.city import City, FloatArray

#: Streets people live and receive parcels on; footways, tracks and motorways are left out.
ADDRESS_STREETS = frozenset(
    {
        "residential",
        "living_street",
        "unclassified",
        "tertiary",
        "secondary",
        "primary",
        "pedestrian",
        "service",
        "tertiary_link",
        "secondary_link",
    }
)


@dataclass(frozen=True)
class Streets:
    """Named street nodes: positions (degrees) and the name of the street each lies on."""

    lat: FloatArray
    lon: FloatArray
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    def city_around(self, base: City) -> City:
        """A city laid over the extract: centred on its streets, sized to reach most of them."""
        centre = Coordinate(float(np.median(self.lat)), float(np.median(self.lon)))
        placed = City(base.name, base.country, base.timezone, centre, 1.0, 1.0, 1.0, (-180, 180))
        xy = placed.to_xy(self.lat, self.lon)
        outer = float(np.percentile(np.hypot(xy[:, 0], xy[:, 1]), 95))
        return City(
            base.name,
            base.country,
            base.timezone,
            centre,
            core_radius_m=outer * 0.2,
            inner_radius_m=outer * 0.5,
            outer_radius_m=outer,
            land=(-180.0, 180.0),
        )


def read_streets(path: Path) -> Streets:
    """Every node of a named, addressable street way in ``path`` (.osm.pbf, .osm, ...)."""
    import osmium

    if not path.is_file():
        raise InvalidInput(f"no OpenStreetMap file at {path}", field="osm")
    seen: dict[int, tuple[float, float, str]] = {}
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        )
        for way in processor:
            name = way.tags.get("name")
            if not isinstance(way, osmium.osm.Way) or not name:
                continue
            if way.tags.get("highway") not in ADDRESS_STREETS:
                continue
            for node in way.nodes:
                if node.location.valid() and node.ref not in seen:
                    seen[node.ref] = (node.location.lat, node.location.lon, name)
    except RuntimeError as exc:
        raise InvalidInput(
            f"cannot read {path} as OpenStreetMap data: {exc}", field="osm"
        ) from None
    if len(seen) < 10:
        raise InvalidInput(f"{path} holds fewer than 10 named street nodes", field="osm")
    ordered = [seen[ref] for ref in sorted(seen)]
    return Streets(
        np.array([p[0] for p in ordered]),
        np.array([p[1] for p in ordered]),
        tuple(p[2] for p in ordered),
    )


def snap(streets: Streets, city: City, xy: FloatArray) -> tuple[FloatArray, FloatArray, list[str]]:
    """The nearest street node to each point: its coordinate and street name."""
    from scipy.spatial import cKDTree

    tree = cKDTree(city.to_xy(streets.lat, streets.lon))
    _, index = tree.query(xy)
    return streets.lat[index], streets.lon[index], [streets.names[i] for i in index]
