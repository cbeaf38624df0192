"""The HTTP uplink's retries: transient failures are retried under the same Idempotency-Key,
refusals are not, and every upload gets a key of its own."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from lastmile.domain.values import Coordinate
from lastmile.sim.uplink import HttpUplink, PodUpload, ServerRefused
from lastmile.tracking.model import Ping

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
OK = {"received": 1, "accepted": 1, "stored": 1, "duplicates": 0, "rejected": {}, "events": []}


def uplink(answers: list[httpx.Response | Exception], seen: list[httpx.Request]) -> HttpUplink:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return HttpUplink("http://lastmile.test", "lm_k_s", backoff_s=0.0,
                      transport=httpx.MockTransport(handle))  # fmt: skip


def test_a_busy_or_unreachable_server_gets_the_same_upload_again_under_the_same_key() -> None:
    seen: list[httpx.Request] = []
    answers: list[httpx.Response | Exception] = [
        httpx.ConnectError("connection refused"),
        httpx.Response(503, json={"error": {"code": "unavailable"}}),
        httpx.Response(429, json={"detail": "rate limit"}, headers={"Retry-After": "0"}),
        httpx.Response(409, json={"error": {"code": "in_progress", "message": "running"}}),
        httpx.Response(200, json=OK),
    ]
    up = uplink(answers, seen)
    up.pings([Ping("VAN-1", 1, NOW, 60.17, 24.94)], NOW)
    assert len(seen) == 5 and up.sent["pings"] == 1
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 1
    assert len({r.content for r in seen}) == 1
    assert seen[0].headers["X-API-Key"] == "lm_k_s"


def test_each_upload_has_its_own_key_even_when_it_says_the_same() -> None:
    seen: list[httpx.Request] = []
    answers = [httpx.Response(200, json={"stops": 3}) for _ in range(2)]
    up = uplink(answers, seen)
    up.follow("VAN-1", "P-1", "R-1")
    up.follow("VAN-1", "P-1", "R-1")  # the same route again, after a re-plan
    assert seen[0].content == seen[1].content
    assert seen[0].headers["Idempotency-Key"] != seen[1].headers["Idempotency-Key"]


def test_a_refusal_stops_at_once_with_the_url_the_status_and_the_answer() -> None:
    seen: list[httpx.Request] = []
    body = {"error": {"code": "invalid_input", "message": "captured_at is in the future"}}
    up = uplink([httpx.Response(422, json=body)], seen)
    pod = PodUpload("O-1", NOW, Coordinate(60.17, 24.94), "Ann")
    with pytest.raises(ServerRefused) as refused:
        up.pod(pod, NOW)
    assert len(seen) == 1
    message = str(refused.value)
    assert "POST http://lastmile.test/v1/tracking/orders/O-1/pod answered 422" in message
    assert "captured_at is in the future" in message
    assert seen[0].headers["Content-Type"].startswith("multipart/form-data; boundary=")


def test_a_server_that_never_answers_is_reported_after_the_last_try() -> None:
    seen: list[httpx.Request] = []
    up = uplink([httpx.ReadTimeout("slow") for _ in range(6)], seen)
    with pytest.raises(ServerRefused, match="no answer"):
        up.follow("VAN-1", "P-1", "R-1")
    assert len(seen) == up.attempts
