"""The one travel-time Protocol every provider implements, and its result type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from lastmile.domain import Coordinate, VehicleKind


class Profile(StrEnum):
    """Road-network profile: which ways are usable and how fast."""

    CAR = "car"
    TRUCK = "truck"
    BICYCLE = "bicycle"
    FOOT = "foot"


PROFILE_OF_KIND: dict[VehicleKind, Profile] = {
    VehicleKind.VAN: Profile.CAR,
    VehicleKind.CAR: Profile.CAR,
    VehicleKind.EV_VAN: Profile.CAR,
    VehicleKind.TRUCK: Profile.TRUCK,
    VehicleKind.CARGO_BIKE: Profile.BICYCLE,
    VehicleKind.ON_FOOT: Profile.FOOT,
}


@dataclass(frozen=True)
class TravelMatrix:
    """Integer seconds and metres, ``[i, j]`` from origin i to destination j."""

    durations_s: npt.NDArray[np.int64]
    distances_m: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        if self.durations_s.shape != self.distances_m.shape:
            raise ValueError("durations and distances must have the same shape")


class TravelTimeProvider(Protocol):
    """Durations and distances between points for a profile and an hour-of-day band."""

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix: ...
