"""A simulation's settings are checked up front, naming the field at fault."""

from __future__ import annotations

import pytest

from lastmile.domain import InvalidInput
from lastmile.sim.day import SimConfig


@pytest.mark.parametrize("value", [0, -100])
def test_a_deferral_value_that_is_not_positive_is_refused(value: int) -> None:
    with pytest.raises(InvalidInput) as error:
        SimConfig(defer_value_cents=value)
    assert error.value.field == "defer_value_cents"


def test_no_deferral_value_means_serve_every_stop_that_fits() -> None:
    assert SimConfig(defer_value_cents=None).defer_value_cents is None
