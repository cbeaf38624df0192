"""The road-network travel-time provider: OSM graph, snapping, Dijkstra, congestion by hour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from lastmile.domain import Coordinate
from lastmile.geo.congestion import CongestionCurve, check_hour
from lastmile.geo.osm.geometry import RouteGeometry, shortest_route
from lastmile.geo.osm.network import ALL_PROFILES, RoadNetwork
from lastmile.geo.osm.routing import Router, Snapped
from lastmile.geo.points import as_lat_lon
from lastmile.geo.travel import Profile, TravelMatrix

# The stretch from a point to its snapped road node is crossed slowly (parking, a drive-way,
# a yard); km/h per profile.
APPROACH_KMH: Mapping[Profile, float] = MappingProxyType(
    {Profile.CAR: 10.0, Profile.TRUCK: 8.0, Profile.BICYCLE: 10.0, Profile.FOOT: 5.0}
)


def identical_pairs(
    src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(i, j) where origin i and destination j are the very same coordinate."""
    _, codes = np.unique(np.concatenate([src, dst]), axis=0, return_inverse=True)
    codes = codes.ravel()
    src_code, dst_code = codes[: len(src)], codes[len(src) :]
    order = np.argsort(dst_code, kind="stable")
    lo = np.searchsorted(dst_code[order], src_code, side="left")
    hi = np.searchsorted(dst_code[order], src_code, side="right")
    i = np.repeat(np.arange(len(src)), hi - lo)
    j = order[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])]
    return i, j.astype(np.int64)


class OsmProvider:
    """Travel times over a real road network; one router per profile, built on first use."""

    def __init__(self, network: RoadNetwork, *, congestion: CongestionCurve | None = None):
        self.network = network
        self.congestion = congestion or CongestionCurve()
        self._routers: dict[Profile, Router] = {}

    @classmethod
    def from_file(
        cls,
        osm_path: Path | str,
        *,
        cache_dir: Path | str | None = None,
        profiles: Sequence[Profile] = ALL_PROFILES,
        congestion: CongestionCurve | None = None,
    ) -> OsmProvider:
        """Build from an extract; with ``cache_dir`` the built graph is reused across runs."""
        network = (
            RoadNetwork.from_osm(osm_path, profiles)
            if cache_dir is None
            else RoadNetwork.load_or_build(osm_path, cache_dir, profiles)
        )
        return cls(network, congestion=congestion)

    @property
    def cache_token(self) -> str:
        curve = ",".join(f"{f:g}" for f in self.congestion.factors)
        return f"osm:v1:{self.network.digest}:{curve}"

    def band(self, hour: int) -> str:
        return f"h{check_hour(hour):02d}"

    def router(self, profile: Profile) -> Router:
        profile = Profile(profile)
        if profile not in self._routers:
            self._routers[profile] = Router(self.network.graph(profile))
        return self._routers[profile]

    def snap(self, points: Sequence[Coordinate], profile: Profile = Profile.CAR) -> Snapped:
        """Nearest routable road node for each point (never on an unreachable island)."""
        return self.router(profile).snap(as_lat_lon(points))

    def road_distance_m(
        self, points: Sequence[Coordinate], profile: Profile = Profile.CAR
    ) -> npt.NDArray[np.float64]:
        """Metres from each point to the nearest road the profile can use (address checks)."""
        return self.router(profile).road_distance_m(as_lat_lon(points))

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        """Fastest-path seconds and that path's metres, including the walk-in from the road."""
        profile = Profile(profile)
        factor = self.congestion.factor(profile, hour)
        src, dst = as_lat_lon(origins, "origins"), as_lat_lon(destinations, "destinations")
        if len(src) == 0 or len(dst) == 0:
            empty = np.zeros((len(src), len(dst)), dtype=np.int64)
            return TravelMatrix(empty, empty.copy())
        router = self.router(profile)
        a, b = router.locate(src), router.locate(dst)
        deciseconds, metres = router.located_matrix(a, b)
        approach = 3.6 / APPROACH_KMH[profile] * 10  # deciseconds per metre
        off_a, off_b = np.rint(a.distance_m), np.rint(b.distance_m)
        deciseconds += np.ceil(off_a * approach).astype(np.int64)[:, None]
        deciseconds += np.ceil(off_b * approach).astype(np.int64)[None, :]
        metres += off_a.astype(np.int64)[:, None]
        metres += off_b.astype(np.int64)[None, :]
        # Integer arithmetic with the factor in thousandths, rounded up: whole seconds keep
        # the triangle inequality exactly (ceil(a + b) <= ceil(a) + ceil(b)).
        per_mille = round(factor * 1000)
        seconds = deciseconds * per_mille
        seconds += 9999
        seconds //= 10_000
        i, j = identical_pairs(src, dst)
        seconds[i, j] = 0
        metres[i, j] = 0
        return TravelMatrix(durations_s=seconds, distances_m=metres)

    def route(
        self,
        origin: Coordinate,
        destination: Coordinate,
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> RouteGeometry:
        """The road path between two points, for maps (GeoJSON via ``as_geojson``)."""
        factor = self.congestion.factor(profile, hour)
        return shortest_route(
            self.router(profile), origin, destination, factor, APPROACH_KMH[Profile(profile)]
        )
