from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lastmile.domain.errors import InvalidInput
from lastmile.tracking.eta.accuracy import from_errors
from lastmile.tracking.eta.features import FEATURES
from lastmile.tracking.eta.learned import EtaModel, TrainSettings, conformal_margin, train
from lastmile.tracking.eta.traces import generate

SMALL = TrainSettings(trees=40, min_data_in_leaf=20)


@pytest.fixture(scope="module")
def model_and_test() -> tuple[EtaModel, object]:
    history = generate(3, 6, seed=1, stops=(15, 25))
    model = train(history.features, history.error_s, SMALL, groups=history.route)
    return model, generate(1, 6, seed=2, stops=(15, 25))


def test_the_learned_p50_beats_the_route_eta_on_unseen_days(model_and_test: tuple) -> None:
    model, test = model_and_test
    accuracy = from_errors(test.error_s, model.predict(test.features))
    assert accuracy.improvement is not None and accuracy.improvement > 0.25
    assert accuracy.p10_p90_coverage is not None and 0.6 < accuracy.p10_p90_coverage < 0.95


def test_quantiles_never_cross(model_and_test: tuple) -> None:
    model, test = model_and_test
    q = model.predict(test.features)
    assert (q[:, 0] <= q[:, 1]).all() and (q[:, 1] <= q[:, 2]).all()


def test_a_saved_model_predicts_the_same_after_loading(
    model_and_test: tuple, tmp_path: Path
) -> None:
    model, test = model_and_test
    model.save(tmp_path / "eta.json")
    again = EtaModel.load(tmp_path / "eta.json")
    np.testing.assert_allclose(again.predict(test.features), model.predict(test.features))


def test_a_file_that_is_not_a_model_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": "something"}')
    with pytest.raises(InvalidInput, match=r"other\.json"):
        EtaModel.load(path)


def test_features_of_the_wrong_shape_are_refused(model_and_test: tuple) -> None:
    with pytest.raises(InvalidInput, match="feature columns"):
        model_and_test[0].predict(np.zeros((3, len(FEATURES) - 1)))


def test_too_little_history_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="too few"):
        train(np.zeros((10, len(FEATURES))), np.zeros(10))


def test_the_conformal_margin_makes_the_interval_hold_the_target_share() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(0, 100, 5000)
    low, high = np.full(5000, -10.0), np.full(5000, 10.0)
    margin = conformal_margin(low, high, y, 0.8)
    inside = ((low - margin <= y) & (y <= high + margin)).mean()
    assert 0.79 <= inside <= 0.82


def test_the_same_seed_gives_the_same_traces() -> None:
    a, b = generate(1, 2, seed=5, stops=(5, 8)), generate(1, 2, seed=5, stops=(5, 8))
    np.testing.assert_array_equal(a.error_s, b.error_s)
