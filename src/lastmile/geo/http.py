"""Travel times from a routing server the user runs: OSRM ``table``, Valhalla matrix.

The Valhalla service is ``sources_to_targets``. Big matrices are split into blocks the
server accepts (OSRM's default ``max-table-size`` is 100 locations). Connection failures,
timeouts, 429 and 5xx answers are retried a bounded number of times with a growing pause;
anything else, and any answer without the documented shape, becomes a
:class:`TravelServiceError` saying which server and what went wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from lastmile.domain import Coordinate, InvalidInput, LastMileError
from lastmile.geo.congestion import CongestionCurve, check_hour
from lastmile.geo.points import as_lat_lon
from lastmile.geo.travel import Profile, TravelMatrix

FloatArray = npt.NDArray[np.float64]
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class TravelServiceError(LastMileError):
    """The routing server is unreachable, refused the request, or answered nonsense."""


class _HttpMatrixProvider:
    """Blocks, retries and error reporting shared by both server dialects."""

    kind = "routing"

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        max_locations: int = 100,
        congestion: CongestionCurve | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"expected an http(s) URL, got {base_url!r}", field="base_url")
        if max_locations < 2:
            raise InvalidInput("max_locations must be at least 2", field="max_locations")
        if retries < 0 or timeout_s <= 0:
            raise InvalidInput("retries must be ≥ 0 and timeout positive", field="retries")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_locations = max_locations
        self.congestion = congestion or CongestionCurve.free_flow()
        self._client = client or httpx.Client(timeout=timeout_s)
        self._sleep = sleep

    @property
    def cache_token(self) -> str:
        curve = ",".join(f"{f:g}" for f in self.congestion.factors)
        return f"{self.kind}:{self.base_url}:{curve}"

    def band(self, hour: int) -> str:
        return f"h{check_hour(hour):02d}"

    def close(self) -> None:
        self._client.close()

    def _send(self, request: httpx.Request) -> Any:
        """The decoded JSON answer, retrying what may pass; raising what will not."""
        where = f"{self.kind} server at {self.base_url}"
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = self._client.send(request)
            except httpx.TimeoutException:
                problem = "did not answer in time"
                continue
            except httpx.TransportError as exc:
                problem = f"is unreachable ({type(exc).__name__}: {exc})"
                continue
            if response.status_code in _RETRY_STATUS:
                problem = f"answered HTTP {response.status_code}"
                continue
            return self._decode(response, where)
        raise TravelServiceError(f"{where} {problem} after {self.retries + 1} attempt(s)")

    def _decode(self, response: httpx.Response, where: str) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise TravelServiceError(
                f"{where} answered HTTP {response.status_code} with something that is not "
                f"JSON: {response.text[:120]!r}"
            ) from None
        if response.status_code >= 400:
            message = body.get("message") or body.get("error") if isinstance(body, dict) else None
            raise TravelServiceError(
                f"{where} refused the request (HTTP {response.status_code}): {message or body}"
            )
        return body

    def _block(
        self, src: FloatArray, dst: FloatArray, profile: Profile, hour: int
    ) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        """Seconds and metres from the server, assembled from blocks it accepts."""
        profile = Profile(profile)
        factor = self.congestion.factor(profile, hour)
        src, dst = as_lat_lon(origins, "origins"), as_lat_lon(destinations, "destinations")
        seconds = np.zeros((len(src), len(dst)))
        metres = np.zeros((len(src), len(dst)))
        half = self.max_locations // 2
        for i in range(0, len(src), half):
            for j in range(0, len(dst), half):
                block = self._block(src[i : i + half], dst[j : j + half], profile, hour)
                seconds[i : i + half, j : j + half] = block[0]
                metres[i : i + half, j : j + half] = block[1]
        return TravelMatrix(
            durations_s=np.rint(seconds * factor).astype(np.int64),
            distances_m=np.rint(metres).astype(np.int64),
        )

    def _grid(self, rows: Any, shape: tuple[int, int], name: str) -> FloatArray:
        """A numeric ``shape`` grid from the answer, naming unreachable pairs."""
        where = f"{self.kind} server at {self.base_url}"
        try:
            grid = np.array(
                [[np.nan if v is None else float(v) for v in row] for row in rows], dtype=float
            )
        except (TypeError, ValueError):
            raise TravelServiceError(f"{where} answered {name} that are not numbers") from None
        if grid.shape != shape:
            raise TravelServiceError(
                f"{where} answered {name} of shape {grid.shape}, expected {shape}"
            )
        missing = np.argwhere(np.isnan(grid))
        if len(missing):
            pairs = ", ".join(f"{a}->{b}" for a, b in missing[:5].tolist())
            raise TravelServiceError(f"{where} found no route for {len(missing)} pair(s): {pairs}")
        return grid


OSRM_PROFILES: Mapping[Profile, str] = MappingProxyType(
    {Profile.CAR: "driving", Profile.TRUCK: "driving", Profile.BICYCLE: "cycling",
     Profile.FOOT: "walking"}
)  # fmt: skip


class OsrmProvider(_HttpMatrixProvider):
    """``GET /table/v1/{profile}/{lon,lat;...}?annotations=duration,distance``."""

    kind = "OSRM"

    def _block(
        self, src: FloatArray, dst: FloatArray, profile: Profile, hour: int
    ) -> tuple[FloatArray, FloatArray]:
        points = np.concatenate([src, dst])
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points.tolist())
        params = {
            "sources": ";".join(str(i) for i in range(len(src))),
            "destinations": ";".join(str(len(src) + j) for j in range(len(dst))),
            "annotations": "duration,distance",
        }
        url = f"{self.base_url}/table/v1/{OSRM_PROFILES[profile]}/{coords}"
        body = self._send(self._client.build_request("GET", url, params=params))
        if not isinstance(body, dict) or body.get("code") != "Ok":
            code = body.get("code") if isinstance(body, dict) else None
            raise TravelServiceError(f"OSRM server at {self.base_url} answered code {code!r}")
        shape = (len(src), len(dst))
        return (
            self._grid(body.get("durations"), shape, "durations"),
            self._grid(body.get("distances"), shape, "distances"),
        )


VALHALLA_COSTING: Mapping[Profile, str] = MappingProxyType(
    {Profile.CAR: "auto", Profile.TRUCK: "truck", Profile.BICYCLE: "bicycle",
     Profile.FOOT: "pedestrian"}
)  # fmt: skip


class ValhallaProvider(_HttpMatrixProvider):
    """``POST /sources_to_targets`` with a JSON body; distances come back in kilometres."""

    kind = "Valhalla"

    def _block(
        self, src: FloatArray, dst: FloatArray, profile: Profile, hour: int
    ) -> tuple[FloatArray, FloatArray]:
        payload = {
            "sources": [{"lat": lat, "lon": lon} for lat, lon in src.tolist()],
            "targets": [{"lat": lat, "lon": lon} for lat, lon in dst.tolist()],
            "costing": VALHALLA_COSTING[profile],
            "units": "kilometers",
        }
        url = f"{self.base_url}/sources_to_targets"
        body = self._send(self._client.build_request("POST", url, json=payload))
        table = body.get("sources_to_targets") if isinstance(body, dict) else None
        shape = (len(src), len(dst))
        if isinstance(table, dict):  # concise answer: {"durations": [[...]], "distances": ...}
            times, kilometres = table.get("durations"), table.get("distances")
        elif isinstance(table, list):  # verbose answer: rows of {"time", "distance", ...}
            try:
                times = [[cell.get("time") for cell in row] for row in table]
                kilometres = [[cell.get("distance") for cell in row] for row in table]
            except (AttributeError, TypeError):
                times = kilometres = None
        else:
            times = kilometres = None
        if times is None or kilometres is None:
            raise TravelServiceError(
                f"Valhalla server at {self.base_url} answered without a sources_to_targets table"
            )
        return (
            self._grid(times, shape, "durations"),
            self._grid(kilometres, shape, "distances") * 1000.0,
        )
