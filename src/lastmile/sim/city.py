"""The shape of a synthetic city: a dense centre, an inner ring, suburbs, and its zones.

Geometry is done in local metres around the centre (equirectangular, well under 1 % off across
a city), which keeps sampling vectorised and zone membership a matter of radius and bearing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lastmile.domain import AccessRule, Coordinate, Zone

EARTH_RADIUS_M = 6_371_008.8
FloatArray = npt.NDArray[np.float64]
SECTORS = ("N", "E", "S", "W")
HELSINKI_CENTRE = Coordinate(60.1699, 24.9384)


@dataclass(frozen=True)
class City:
    """Where the city is and how big; ``land`` is the bearing range suburbs may lie in
    (Helsinki has the sea to the south)."""

    name: str = "Helsinki"
    country: str = "FI"
    timezone: str = "Europe/Helsinki"
    centre: Coordinate = HELSINKI_CENTRE
    core_radius_m: float = 1_300.0
    inner_radius_m: float = 4_500.0
    outer_radius_m: float = 14_000.0
    land: tuple[float, float] = (-115.0, 115.0)

    def to_coordinates(self, xy: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Local metres (x east, y north) to latitude and longitude arrays."""
        lat0 = math.radians(self.centre.lat)
        lat = self.centre.lat + np.degrees(xy[:, 1] / EARTH_RADIUS_M)
        lon = self.centre.lon + np.degrees(xy[:, 0] / (EARTH_RADIUS_M * math.cos(lat0)))
        return lat, lon

    def to_xy(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        lat0 = math.radians(self.centre.lat)
        x = np.radians(lon - self.centre.lon) * EARTH_RADIUS_M * math.cos(lat0)
        y = np.radians(lat - self.centre.lat) * EARTH_RADIUS_M
        return np.column_stack([x, y])

    def point(self, distance_m: float, bearing_deg: float) -> Coordinate:
        b = math.radians(bearing_deg)
        xy = np.array([[distance_m * math.sin(b), distance_m * math.cos(b)]])
        lat, lon = self.to_coordinates(xy)
        return Coordinate(round(float(lat[0]), 6), round(float(lon[0]), 6))

    def zone_refs(self, xy: FloatArray) -> npt.NDArray[np.str_]:
        """The zone each point falls in, by ring and compass sector."""
        radius = np.hypot(xy[:, 0], xy[:, 1])
        bearing = np.degrees(np.arctan2(xy[:, 0], xy[:, 1])) % 360.0
        sector = np.array(SECTORS)[((bearing + 45.0) // 90.0).astype(int) % 4]
        ring = np.where(radius <= self.inner_radius_m, "INNER", "OUTER")
        refs = np.char.add(np.char.add("Z-", ring), np.char.add("-", sector))
        return np.where(radius <= self.core_radius_m, "Z-CORE", refs)

    def zones(self, hub_for: dict[str, str]) -> list[Zone]:
        """The core (cargo bikes only), four low-emission inner sectors and four suburbs."""
        core = _ring(self, self.core_radius_m, 0.0, 360.0)
        zones = [
            Zone(
                "Z-CORE",
                f"{self.name} core",
                hub_ref=hub_for["Z-CORE"],
                polygon=(core,),
                access=frozenset({AccessRule.CARGO_BIKE_ONLY, AccessRule.LOW_EMISSION}),
                not_home_rate=0.04,
            )
        ]
        for ring, (inner, outer), access, rate in (
            ("INNER", (self.core_radius_m, self.inner_radius_m), {AccessRule.LOW_EMISSION}, 0.06),
            ("OUTER", (self.inner_radius_m, self.outer_radius_m), {AccessRule.NO_TRUCKS}, 0.09),
        ):
            for index, sector in enumerate(SECTORS):
                ref = f"Z-{ring}-{sector}"
                start, end = index * 90.0 - 45.0, index * 90.0 + 45.0
                outline = _sector(self, inner, outer, start, end)
                label = f"{self.name} {ring.lower()} {sector}"
                zones.append(
                    Zone(ref, label, hub_for[ref], (outline,), (), frozenset(access), rate)
                )
        return zones


Ring = tuple[tuple[float, float], ...]


def _arc(
    city: City, radius: float, start: float, end: float, steps: int
) -> list[tuple[float, float]]:
    bearings = np.radians(np.linspace(start, end, steps))
    xy = np.column_stack([radius * np.sin(bearings), radius * np.cos(bearings)])
    lat, lon = city.to_coordinates(xy)
    return [(round(float(x), 6), round(float(y), 6)) for x, y in zip(lon, lat, strict=True)]


def _ring(city: City, radius: float, start: float, end: float) -> Ring:
    points = _arc(city, radius, start, end, 33)[:-1]
    return (*points, points[0])


def _sector(city: City, inner: float, outer: float, start: float, end: float) -> Ring:
    points = _arc(city, outer, start, end, 13) + _arc(city, inner, end, start, 7)
    return (*points, points[0])


def sample_customers(city: City, rng: np.random.Generator, count: int) -> FloatArray:
    """Customer positions in local metres: a dense centre, a mid ring and suburban clusters."""
    shares = rng.multinomial(count, [0.30, 0.35, 0.35])
    core = rng.normal(0.0, city.core_radius_m * 0.55, size=(shares[0], 2))
    inner = _polar(
        city.core_radius_m
        + rng.gamma(2.0, (city.inner_radius_m - city.core_radius_m) / 4, shares[1]),
        rng.uniform(max(-180.0, city.land[0] - 25.0), min(180.0, city.land[1] + 25.0), shares[1]),
    )
    clusters = 9
    centres = _polar(
        rng.uniform(city.inner_radius_m * 1.15, city.outer_radius_m * 0.8, clusters),
        rng.uniform(city.land[0], city.land[1], clusters),
    )
    sizes = rng.dirichlet(np.full(clusters, 2.0))
    which = rng.choice(clusters, size=shares[2], p=sizes)
    suburbs = centres[which] + rng.normal(0.0, city.outer_radius_m * 0.05, size=(shares[2], 2))
    points = np.concatenate([core, inner, suburbs])
    radius = np.hypot(points[:, 0], points[:, 1])
    limit = city.outer_radius_m * 0.98
    scale = np.where(radius > limit, limit / np.maximum(radius, 1.0), 1.0)
    return points * scale[:, None]


def _polar(radius: FloatArray, bearing_deg: FloatArray) -> FloatArray:
    b = np.radians(bearing_deg)
    return np.column_stack([radius * np.sin(b), radius * np.cos(b)])
