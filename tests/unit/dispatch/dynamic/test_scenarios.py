from __future__ import annotations

import numpy as np

from lastmile.dispatch.dynamic.environment import DynamicEnvironment
from lastmile.dispatch.dynamic.rules import EpochState
from lastmile.dispatch.dynamic.sampling import EPOCH_S
from lastmile.dispatch.dynamic.scenarios import can_wait, dispatch_votes, sample_scenario
from tests.unit.dispatch.dynamic.tiny import tiny_instance


def first_state(seed: int = 21) -> EpochState:
    return DynamicEnvironment(tiny_instance(customers=20), seed).observe()


def test_a_scenario_keeps_the_open_requests_first_and_releases_the_sampled_later() -> None:
    state = first_state()
    postponed = np.zeros(state.size, dtype=np.bool_)
    postponed[0] = True
    problem = sample_scenario(state, np.random.default_rng(1), 2, postponed)
    assert problem.release_s is not None
    assert np.array_equal(problem.locations[: state.size], state.customers)
    assert problem.release_s[0] == EPOCH_S
    assert (problem.release_s[1 : state.size] == 0).all()
    assert (problem.release_s[state.size :] >= EPOCH_S).all()
    assert (problem.release_s[state.size :] % EPOCH_S == 0).all()


def test_requests_marked_for_dispatch_can_only_be_reached_by_a_route_leaving_now() -> None:
    state = first_state()
    marked = np.zeros(state.size, dtype=np.bool_)
    marked[:3] = True
    nothing = np.zeros(state.size, dtype=np.bool_)
    problem = sample_scenario(state, np.random.default_rng(2), 1, nothing, marked)
    to_client = state.instance.durations[0, state.customers]
    late = problem.tw_late[: state.size]
    early = state.time_windows[:, 0]
    reach_later = np.maximum(EPOCH_S + to_client, early)
    assert ((reach_later > late) | (early >= EPOCH_S + to_client))[:3].all()
    assert np.array_equal(late[3:], state.time_windows[3:, 1])
    assert (late >= np.maximum(to_client, early)).all()  # still servable leaving now


def test_a_route_with_a_marked_request_votes_every_open_request_on_it_for_now() -> None:
    state = first_state()
    n = state.size
    marked = np.zeros(n, dtype=np.bool_)
    marked[0] = True
    nothing = np.zeros(n, dtype=np.bool_)
    solutions = [[[0, 1, n], [2, n + 1]], [[1, 2]]]
    votes = dispatch_votes(state, solutions, marked, nothing)
    assert votes[0] == 1 and votes[1] == 1  # with request 0 in the first scenario only
    assert votes[2] == (0 if can_wait(state, [1, 2]) else 1)
    assert votes[3:].sum() == 0


def test_a_route_of_open_requests_only_can_vote_for_now_even_when_it_could_wait() -> None:
    state = first_state()
    n = state.size
    nothing = np.zeros(n, dtype=np.bool_)
    waiting = next(i for i in range(n) if can_wait(state, [i]))
    solutions = [[[waiting]]]
    assert dispatch_votes(state, solutions, nothing, nothing)[waiting] == 0
    assert dispatch_votes(state, solutions, nothing, nothing, free_routes_leave=True)[waiting] == 1
