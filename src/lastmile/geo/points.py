"""Coordinates as numpy arrays, and the great-circle maths every provider shares."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lastmile.domain import Coordinate, InvalidInput

EARTH_RADIUS_M = 6_371_008.8
FloatArray = npt.NDArray[np.float64]


def as_lat_lon(points: Sequence[Coordinate], field: str = "points") -> FloatArray:
    """An ``(n, 2)`` float array of (lat, lon) degrees; refuses anything not a Coordinate."""
    for index, point in enumerate(points):
        if not isinstance(point, Coordinate):
            raise InvalidInput(
                f"expected a Coordinate, got {type(point).__name__}", field=f"{field}[{index}]"
            )
    if not points:
        return np.zeros((0, 2), dtype=np.float64)
    return np.array([(p.lat, p.lon) for p in points], dtype=np.float64)


def haversine_m(origins: FloatArray, destinations: FloatArray) -> FloatArray:
    """Great-circle metres from every origin row to every destination row, ``(n, m)``.

    The half-angle differences are expanded (sin(a-b) = sin a cos b - cos a sin b) so only
    outer products, not trigonometry, run on the n x m grid; the result stays exactly
    symmetric.
    """
    half1 = np.radians(origins) / 2
    half2 = np.radians(destinations) / 2
    s1, c1 = np.sin(half1), np.cos(half1)
    s2, c2 = np.sin(half2), np.cos(half2)
    dlat = s2[None, :, 0] * c1[:, None, 0] - c2[None, :, 0] * s1[:, None, 0]
    dlon = s2[None, :, 1] * c1[:, None, 1] - c2[None, :, 1] * s1[:, None, 1]
    cos_lat1 = np.cos(2 * half1[:, 0])[:, None]
    cos_lat2 = np.cos(2 * half2[:, 0])[None, :]
    a: FloatArray = dlat * dlat + (cos_lat1 * cos_lat2) * (dlon * dlon)
    np.clip(a, 0.0, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_M
    return a


def haversine_pairs_m(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle metres between row i of ``a`` and row i of ``b``."""
    lat1, lon1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lat2, lon2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


def local_xy_m(lat_lon: FloatArray, origin: tuple[float, float]) -> FloatArray:
    """Equirectangular metres around ``origin``: accurate to well under 1 % across a city.

    KD-trees and geofences need Euclidean distances, which degrees are not.
    """
    lat0, lon0 = np.radians(origin[0]), np.radians(origin[1])
    lat = np.radians(lat_lon[:, 0])
    lon = np.radians(lat_lon[:, 1])
    x = (lon - lon0) * np.cos(lat0) * EARTH_RADIUS_M
    y = (lat - lat0) * EARTH_RADIUS_M
    return np.column_stack([x, y])
