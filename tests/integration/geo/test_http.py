"""Travel times from an OSRM- or Valhalla-style server, and clear errors when it misbehaves."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest

from lastmile.domain import Coordinate, InvalidInput
from lastmile.geo.congestion import CongestionCurve
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.http import OsrmProvider, TravelServiceError, ValhallaProvider
from lastmile.geo.travel import Profile
from tests.integration.geo.routing_server import Behaviour, routing_server

POINTS = [Coordinate(60.16 + i * 0.003, 24.93 + (i % 4) * 0.004) for i in range(7)]
EXPECTED = HaversineProvider().matrix(POINTS, POINTS, hour=3)
Server = tuple[str, Behaviour]


@pytest.fixture
def server() -> Iterator[Server]:
    with routing_server() as running:
        yield running


def no_sleep(_seconds: float) -> None:
    """Retries pause for real in production; tests need not wait."""


@pytest.mark.parametrize("provider_class", [OsrmProvider, ValhallaProvider])
def test_the_matrix_matches_what_the_server_computed(server: Server, provider_class: type) -> None:
    provider = provider_class(server[0])
    result = provider.matrix(POINTS, POINTS)
    assert np.array_equal(result.durations_s, EXPECTED.durations_s)
    assert np.abs(result.distances_m - EXPECTED.distances_m).max() <= 1


def test_a_large_matrix_is_split_into_blocks_the_server_accepts(server: Server) -> None:
    url, behaviour = server
    result = OsrmProvider(url, max_locations=4).matrix(POINTS, POINTS[:5])
    assert np.array_equal(result.durations_s, EXPECTED.durations_s[:, :5])
    assert len(behaviour.requests) == 12  # 7 origins in 4 blocks of <= 2, 5 targets in 3
    for request in behaviour.requests:
        coordinates = request["path"].split("/")[-1].split(";")
        assert len(coordinates) <= 4


def test_osrm_is_asked_for_durations_and_distances_with_the_profile_name(server: Server) -> None:
    url, behaviour = server
    OsrmProvider(url).matrix(POINTS[:2], POINTS[2:4], profile=Profile.BICYCLE)
    request = behaviour.requests[0]
    assert request["path"].startswith("/table/v1/cycling/24.930000,60.160000;")
    assert request["query"]["annotations"] == ["duration,distance"]
    assert request["query"]["sources"] == ["0;1"]
    assert request["query"]["destinations"] == ["2;3"]


def test_valhalla_gets_costing_and_its_concise_answer_is_understood(server: Server) -> None:
    url, behaviour = server
    behaviour.concise = True
    result = ValhallaProvider(url).matrix(POINTS, POINTS, profile=Profile.TRUCK)
    assert behaviour.requests[0]["body"]["costing"] == "truck"
    assert np.array_equal(result.durations_s, EXPECTED.durations_s)


def test_a_congestion_curve_can_be_applied_on_top_of_free_flow_server_times(
    server: Server,
) -> None:
    slow = OsrmProvider(server[0], congestion=CongestionCurve.of([2.0] * 24))
    result = slow.matrix(POINTS[:2], POINTS[:2])
    assert result.durations_s[0, 1] == pytest.approx(2 * EXPECTED.durations_s[0, 1], abs=1)


def test_a_busy_server_is_retried_and_then_answers(server: Server) -> None:
    url, behaviour = server
    behaviour.fail_first = 2
    pauses: list[float] = []
    result = OsrmProvider(url, retries=2, sleep=pauses.append).matrix(POINTS, POINTS)
    assert np.array_equal(result.durations_s, EXPECTED.durations_s)
    assert pauses == [0.5, 1.0]


def test_a_server_that_stays_busy_gives_up_after_the_bounded_retries(server: Server) -> None:
    url, behaviour = server
    behaviour.fail_first = 10
    with pytest.raises(TravelServiceError, match=r"answered HTTP 503 after 3 attempt\(s\)"):
        OsrmProvider(url, retries=2, sleep=no_sleep).matrix(POINTS, POINTS)
    assert len(behaviour.requests) == 3


def test_a_server_that_is_down_is_reported_with_its_address() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(TravelServiceError, match=f"OSRM server at {url} is unreachable"):
        OsrmProvider(url, retries=1, sleep=no_sleep).matrix(POINTS, POINTS)


def test_a_server_too_slow_to_answer_times_out(server: Server) -> None:
    url, behaviour = server
    behaviour.delay_s = 0.5
    with pytest.raises(TravelServiceError, match="did not answer in time"):
        ValhallaProvider(url, timeout_s=0.1, retries=0).matrix(POINTS, POINTS)


def test_an_answer_that_is_not_json_is_a_clear_error(server: Server) -> None:
    url, behaviour = server
    behaviour.garbage = True
    with pytest.raises(TravelServiceError, match="not JSON: '<html>proxy error"):
        ValhallaProvider(url).matrix(POINTS, POINTS)


def test_a_missing_route_names_the_pair(server: Server) -> None:
    url, behaviour = server
    behaviour.unroutable = True
    with pytest.raises(TravelServiceError, match=r"no route for 1 pair\(s\): 0->6"):
        OsrmProvider(url).matrix(POINTS, POINTS)


def test_a_wrong_address_shows_the_servers_own_message(server: Server) -> None:
    with pytest.raises(TravelServiceError, match=r"HTTP 404.*sources_to_targets"):
        ValhallaProvider(server[0] + "/wrong").matrix(POINTS, POINTS)


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(InvalidInput, match="http"):
        OsrmProvider("localhost:5000")
