"""Per-key token buckets."""

from __future__ import annotations

from lastmile.api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_burst_is_allowed_then_requests_wait_for_tokens() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=2, burst=3, clock=clock)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == 0.5
    clock.t = 0.5
    assert limiter.take("k") == 0.0


def test_each_key_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, clock=Clock())
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    assert limiter.take("b") == 0.0
