from __future__ import annotations

import numpy as np
import pytest

from lastmile.dispatch.dynamic.environment import DynamicEnvironment
from lastmile.dispatch.dynamic.rules import RuleViolation, route_duration
from tests.unit.dispatch.dynamic.tiny import tiny_instance


def singletons(env: DynamicEnvironment, only_must: bool) -> list[list[int]]:
    state = env.observe()
    return [
        [int(r)]
        for r, m in zip(state.request_ids, state.must_dispatch, strict=True)
        if m or not only_must
    ]


def test_the_same_seed_samples_the_same_day() -> None:
    days = []
    for _ in range(2):
        env = DynamicEnvironment(tiny_instance(), seed=3)
        while not env.done:
            env.dispatch(singletons(env, only_must=True))
        days.append(env.requests())
    assert np.array_equal(days[0].customers, days[1].customers)
    assert np.array_equal(days[0].epochs, days[1].epochs)


def test_windows_are_shifted_to_the_departure_and_past_starts_clipped_to_zero() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=1)
    state = env.observe()
    day = env.requests()
    shifted = day.time_windows[state.request_ids] - state.departure_s
    assert np.array_equal(state.time_windows, np.maximum(shifted, 0))
    assert state.horizon_s == env.instance.horizon_s - state.departure_s


def test_a_request_must_go_when_leaving_an_epoch_later_would_miss_its_window() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=5)
    while not env.done:
        state = env.observe()
        d = env.instance.durations
        arrival = np.maximum(3600 + d[0, state.customers], state.time_windows[:, 0])
        late = (arrival > state.time_windows[:, 1]) | (
            arrival + state.service_s + d[state.customers, 0] > state.horizon_s
        )
        expected = np.ones_like(late) if state.is_last else late
        assert np.array_equal(state.must_dispatch, expected)
        env.dispatch(singletons(env, only_must=True))


def test_dispatched_requests_are_gone_and_the_others_stay_open() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=2)
    state = env.observe()
    sent = [int(state.request_ids[0])]
    cost = env.dispatch([sent])
    assert cost == route_duration(env.instance, [int(state.customers[0])])
    following = env.observe()
    assert sent[0] not in following.request_ids
    assert set(state.request_ids[1:].tolist()) <= set(following.request_ids.tolist())


def test_leaving_a_must_dispatch_request_open_fails_the_epoch() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=4)
    while not env.done:
        state = env.observe()
        if state.must_dispatch.any():
            with pytest.raises(RuleViolation, match="must-dispatch"):
                env.dispatch([])
            return
        env.dispatch([])
    pytest.fail("the day had no must-dispatch request")


def test_an_overloaded_route_fails_with_the_capacity_named() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=6)
    state = env.observe()
    heavy = np.argsort(-state.demands)
    route, load = [], 0
    for i in heavy:
        route.append(int(state.request_ids[i]))
        load += int(state.demands[i])
        if load > env.instance.capacity:
            break
    with pytest.raises(RuleViolation, match="capacity") as caught:
        env.dispatch([route])
    assert caught.value.field == "capacity"


def test_unknown_or_repeated_requests_are_refused() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=6)
    first = int(env.observe().request_ids[0])
    with pytest.raises(RuleViolation, match="not open"):
        env.dispatch([[10_000]])
    with pytest.raises(RuleViolation, match="twice"):
        env.dispatch([[first], [first]])


def test_a_route_reaching_a_request_after_its_window_fails() -> None:
    env = DynamicEnvironment(tiny_instance(customers=30), seed=8)
    state = env.observe()
    d, c, tw, srv = env.instance.durations, state.customers, state.time_windows, state.service_s
    late = [
        (i, j)
        for i in range(state.size)
        for j in range(state.size)
        if i != j
        and max(int(d[0, c[i]]), int(tw[i, 0])) + int(srv[i]) + int(d[c[i], c[j]]) > int(tw[j, 1])
    ]
    assert late, "the tiny day should hold two requests that cannot share a route"
    i, j = late[0]
    with pytest.raises(RuleViolation, match="after its window") as caught:
        env.dispatch([[int(state.request_ids[i]), int(state.request_ids[j])]])
    assert caught.value.field == "time_windows"
