"""The epoch clock keeps the scenario policy's phases inside the epoch's limit."""

from __future__ import annotations

import time

import pytest

from lastmile.dispatch.dynamic.rollout import EpochClock


def test_phase_ends_are_shares_of_the_same_limit() -> None:
    clock = EpochClock(start=100.0, limit_s=60.0)
    assert clock.at(0.7) == pytest.approx(142.0)
    assert clock.at(1.0) == pytest.approx(160.0)


def test_final_solve_gets_a_margin_of_what_is_left() -> None:
    clock = EpochClock(start=time.perf_counter() - 20.0, limit_s=60.0)
    assert clock.final_s() == pytest.approx(0.9 * 40.0, abs=0.5)


def test_an_overrun_phase_leaves_the_final_solve_its_minimum_not_a_negative_limit() -> None:
    clock = EpochClock(start=time.perf_counter() - 70.0, limit_s=60.0)
    assert clock.final_s() == 0.05
