"""Pick the travel-time provider: the road network when an extract is given, else haversine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lastmile.geo.cache import CachedProvider
from lastmile.geo.congestion import CongestionCurve
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import Profile, TravelTimeProvider


def travel_provider(
    osm: Path | str | None = None,
    *,
    cache_dir: Path | str | None = None,
    profiles: Sequence[Profile] = tuple(Profile),
    congestion: CongestionCurve | None = None,
) -> CachedProvider:
    """A cached provider over the OSM extract ``osm``, or over haversine without one.

    With ``cache_dir``, the built road graph goes to ``cache_dir/graphs`` (reused while the
    extract is unchanged) and matrices to ``cache_dir/matrices``.
    """
    base = Path(cache_dir) if cache_dir is not None else None
    inner: TravelTimeProvider
    if osm is None:
        inner = HaversineProvider(congestion=congestion)
    else:
        from lastmile.geo.osm import OsmProvider

        inner = OsmProvider.from_file(
            osm,
            cache_dir=base / "graphs" if base is not None else None,
            profiles=profiles,
            congestion=congestion,
        )
    return CachedProvider(inner, base / "matrices" if base is not None else None)
