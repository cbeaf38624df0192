"""OpenStreetMap road-network provider: read an extract, build graphs per profile, route."""

from lastmile.geo.osm.geometry import RouteGeometry
from lastmile.geo.osm.network import RoadNetwork
from lastmile.geo.osm.provider import OsmProvider

__all__ = ["OsmProvider", "RoadNetwork", "RouteGeometry"]
