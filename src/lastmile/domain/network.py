"""Hubs and zones: where parcels start from and the areas a city is split into."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lastmile.domain.errors import InvalidInput
from lastmile.domain.order import require_ref
from lastmile.domain.values import Coordinate, OpeningHours, zone_info


@dataclass(eq=False)
class Hub:
    """A depot or micro-hub; windows shown to people are in its ``timezone``."""

    ref: str
    name: str
    location: Coordinate
    timezone: str = "UTC"
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    address: str = ""

    def __post_init__(self) -> None:
        self.ref = require_ref(self.ref)
        zone_info(self.timezone)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hub) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)


class AccessRule(StrEnum):
    """Restrictions a zone puts on vehicles; the planner honours them."""

    CARGO_BIKE_ONLY = "cargo_bike_only"
    NO_TRUCKS = "no_trucks"
    LOW_EMISSION = "low_emission"
    PEDESTRIAN = "pedestrian"


@dataclass(eq=False)
class Zone:
    """A service area or sub-area: a polygon (lon, lat rings, GeoJSON order) and/or H3 cells."""

    ref: str
    name: str
    hub_ref: str | None = None
    polygon: tuple[tuple[tuple[float, float], ...], ...] = ()
    h3_cells: tuple[str, ...] = ()
    access: frozenset[AccessRule] = frozenset()
    not_home_rate: float = 0.05

    def __post_init__(self) -> None:
        self.ref = require_ref(self.ref)
        if not self.polygon and not self.h3_cells:
            raise InvalidInput(f"zone {self.ref}: needs a polygon or H3 cells", field="polygon")
        for ring in self.polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise InvalidInput(
                    f"zone {self.ref}: each ring needs ≥ 4 points and must close on itself",
                    field="polygon",
                )
            for lon, lat in ring:
                Coordinate(lat, lon)
        if not 0.0 <= self.not_home_rate <= 1.0:
            raise InvalidInput("not_home_rate must be within 0..1", field="not_home_rate")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Zone) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)
