from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from lastmile.dispatch.dynamic import rollout, scenarios
from lastmile.dispatch.dynamic.environment import DynamicEnvironment
from lastmile.dispatch.dynamic.epoch_solve import route_requests
from lastmile.dispatch.dynamic.hindsight import (
    hindsight_problem,
    per_epoch_routes,
    sample_day,
    solve_hindsight,
)
from lastmile.dispatch.dynamic.policies import GreedyPolicy, make_policy
from lastmile.dispatch.dynamic.rollout import ScenarioPolicy, ScenarioSettings
from lastmile.dispatch.dynamic.rules import EpochState, check_epoch_routes, route_duration
from lastmile.dispatch.dynamic.runner import run_day
from lastmile.domain.errors import InvalidInput
from tests.unit.dispatch.dynamic.tiny import tiny_instance


@pytest.mark.parametrize("name", ["greedy", "lazy", "random"])
def test_every_baseline_plays_a_whole_day_within_the_rules(name: str) -> None:
    result = run_day(tiny_instance(), seed=11, policy_name=name, epoch_time_limit_s=0.05)
    assert result.requests is not None
    sent = [r for e in result.epochs for route in e.routes for r in route]
    assert sorted(sent) == list(range(result.requests.customers.size))
    assert result.total_cost == sum(e.cost for e in result.epochs) > 0


def test_greedy_sends_everything_and_lazy_only_what_must_go() -> None:
    greedy = run_day(tiny_instance(), 12, "greedy", 0.05)
    lazy = run_day(tiny_instance(), 12, "lazy", 0.05)
    assert all(e.dispatched == e.open_requests for e in greedy.epochs)
    assert all(e.dispatched == e.must_dispatch for e in lazy.epochs)


def test_random_sends_every_must_dispatch_request_and_holds_some_others() -> None:
    result = run_day(tiny_instance(), 13, "random", 0.05)
    assert all(e.must_dispatch <= e.dispatched <= e.open_requests for e in result.epochs)
    assert any(e.dispatched < e.open_requests for e in result.epochs)


def test_a_baseline_bounded_by_iterations_plays_the_same_day_whatever_its_time() -> None:
    days = [
        run_day(tiny_instance(), 23, "greedy", limit, policy=GreedyPolicy(23, max_iterations=50))
        for limit in (30.0, 300.0)
    ]
    assert [e.routes for e in days[0].epochs] == [e.routes for e in days[1].epochs]
    assert days[0].total_cost == days[1].total_cost


def test_an_unknown_policy_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="unknown policy 'smart'"):
        make_policy("smart", 1)


def test_the_scenario_policy_holds_requests_and_still_keeps_every_rule() -> None:
    settings = ScenarioSettings(scenario_iterations=20, max_scenario_s=0.1, workers=2)
    policy = ScenarioPolicy(seed=3, settings=settings)
    try:
        result = run_day(tiny_instance(), 14, "lastmile", 1.0, policy=policy)
    finally:
        policy.close()
    assert any(e.dispatched < e.open_requests for e in result.epochs[:-1])
    assert result.epochs[-1].dispatched == result.epochs[-1].open_requests


def test_the_final_solve_keeps_to_the_chosen_requests_whatever_the_warm_start() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=17)
    state = env.observe()
    chosen = np.zeros(state.size, dtype=np.bool_)
    chosen[: state.size // 2] = True
    warm = [list(range(state.size))]  # also holds requests that were not chosen
    routes = route_requests(state, chosen, 0.1, seed=1, warm_start=warm)
    assert sorted(r for route in routes for r in route) == sorted(
        int(r) for r in state.request_ids[chosen]
    )
    check_epoch_routes(state, routes)


def test_hindsight_routes_cover_the_day_and_leave_after_their_releases() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=15)
    while not env.done:
        state = env.observe()
        env.dispatch([[int(r)] for r in state.request_ids])
    day = env.requests()
    best = solve_hindsight(env.instance, day, time_limit_s=0.3)
    assert sorted(r for route in best.routes for r in route) == list(range(day.customers.size))
    release = hindsight_problem(env.instance, day).release_s
    assert release is not None
    for route, start in zip(best.routes, best.start_times_s, strict=True):
        assert start >= int(np.max(release[route]))


def test_the_day_a_seed_samples_does_not_depend_on_the_policy() -> None:
    played = run_day(tiny_instance(), 16, "random", 0.05).requests
    assert played is not None
    sampled = sample_day(tiny_instance(), 16)
    assert np.array_equal(played.customers, sampled.customers)
    assert np.array_equal(played.time_windows, sampled.time_windows)
    assert np.array_equal(played.epochs, sampled.epochs)


def test_hindsight_is_never_dearer_than_the_day_routed_epoch_by_epoch() -> None:
    instance = tiny_instance(customers=20)
    day = sample_day(instance, 18)
    problem = hindsight_problem(instance, day)
    by_epoch = per_epoch_routes(problem, day.epochs, time_limit_s=0.2, seed=2)
    assert sorted(r for route in by_epoch for r in route) == list(range(day.customers.size))
    epochs_of = [set(day.epochs[route].tolist()) for route in by_epoch]
    assert all(len(e) == 1 for e in epochs_of)  # each start route keeps to one epoch
    by_epoch_cost = sum(route_duration(instance, day.customers[r].tolist()) for r in by_epoch)
    best = solve_hindsight(instance, day, time_limit_s=0.5, seed=2)
    assert best.cost <= by_epoch_cost


def test_the_final_solve_on_two_workers_keeps_every_rule_and_the_chosen_requests() -> None:
    settings = ScenarioSettings(scenario_iterations=20, max_scenario_s=0.1, workers=2)
    policy = ScenarioPolicy(seed=4, settings=settings)
    env = DynamicEnvironment(tiny_instance(), seed=19)
    state = env.observe()
    chosen = np.ones(state.size, dtype=np.bool_)
    try:
        routes = policy._route_on_workers(state, chosen, 0.2, None)
    finally:
        policy.close()
    assert sorted(r for route in routes for r in route) == sorted(map(int, state.request_ids))
    check_epoch_routes(state, routes)


@pytest.fixture
def bounded() -> ScenarioSettings:
    """Iteration-bounded settings: a day plays the same whatever the machine's load."""
    return ScenarioSettings(
        scenario_iterations=20,
        max_scenario_s=30.0,
        scenarios_per_round=4,
        base_iterations=50,
        final_iterations=200,
        workers=2,
    )


def test_the_iteration_bounded_scenario_policy_plays_the_same_day_twice(
    bounded: ScenarioSettings,
) -> None:
    days = []
    for _ in range(2):
        policy = ScenarioPolicy(seed=5, settings=bounded)
        try:
            days.append(run_day(tiny_instance(), 20, "lastmile", 300.0, policy=policy))
        finally:
            policy.close()
    first, second = ([e.routes for e in d.epochs] for d in days)
    assert first == second
    assert days[0].total_cost == days[1].total_cost


def test_optional_requests_join_the_routes_only_where_their_prize_pays() -> None:
    env = DynamicEnvironment(tiny_instance(), seed=17)
    state = env.observe()
    chosen = np.zeros(state.size, dtype=np.bool_)
    chosen[: state.size // 2] = True
    served: dict[str, set[int]] = {}
    for label, prize in (("none", 0), ("huge", 10**7)):
        prizes = np.where(chosen, 0, prize).astype(np.int64)
        routes = route_requests(state, chosen, 0.2, seed=1, prizes=prizes)
        check_epoch_routes(state, routes)
        served[label] = {r for route in routes for r in route}
    required = {int(r) for r in state.request_ids[chosen]}
    assert served["none"] == required
    assert served["huge"] == {int(r) for r in state.request_ids}


def test_with_prizes_must_dispatch_requests_still_go_and_held_ones_may_join(
    bounded: ScenarioSettings,
) -> None:
    settings = replace(bounded, hold_prize=0.3, undecided_prize=0.6)
    policy = ScenarioPolicy(seed=3, settings=settings)
    try:
        result = run_day(tiny_instance(), 14, "lastmile", 300.0, policy=policy)
    finally:
        policy.close()  # run_day checks every epoch: must-dispatch requests went
    assert result.epochs[-1].dispatched == result.epochs[-1].open_requests
    assert any(e.dispatched < e.open_requests for e in result.epochs[:-1])


def test_a_round_stops_at_its_scenario_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    counts: list[int] = []
    real = scenarios.dispatch_votes

    def counting(state: EpochState, solutions: list[list[list[int]]], *rest: Any) -> np.ndarray:
        counts.append(len(solutions))
        return real(state, solutions, *rest)

    monkeypatch.setattr(rollout, "dispatch_votes", counting)
    settings = ScenarioSettings(
        scenario_iterations=20, max_scenario_s=0.5, workers=2, max_scenarios_per_round=3
    )
    policy = ScenarioPolicy(seed=5, settings=settings)
    try:
        state = DynamicEnvironment(tiny_instance(), seed=19).observe()
        policy.dispatch(state, 1.0)  # the workers import the solver on their first job
        counts.clear()
        routes = policy.dispatch(state, 6.0)
    finally:
        policy.close()
    check_epoch_routes(state, routes)
    # ~1.4 s per round affords dozens of 20-iteration solves of this day; the cap holds
    assert counts and max(counts) == 3
