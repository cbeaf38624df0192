"""The learned ETA correction: LightGBM quantile models of the route-based ETA's error.

Three boosters predict the 10th, 50th and 90th percentile of (actual arrival − route ETA)
from :mod:`features`. Quantile boosters alone tend to give intervals that hold too few
arrivals, so the interval is then *conformalised* (Romano et al., 2019) on a calibration
split held out from training: widened by the smallest margin that makes 80 % of calibration
arrivals fall inside P10–P90. The model is saved as JSON (the boosters' own text format
inside), so loading it needs no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lastmile.domain.errors import InvalidInput
from lastmile.tracking.eta.features import CATEGORICAL, FEATURES

QUANTILES = (0.1, 0.5, 0.9)
TARGET_COVERAGE = 0.8
FORMAT = "lastmile-eta-model/1"
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainSettings:
    trees: int = 100
    learning_rate: float = 0.05
    leaves: int = 15
    min_data_in_leaf: int = 50
    calibration_share: float = 0.2
    seed: int = 0
    threads: int = 1


class EtaModel:
    """Predicts P10/P50/P90 of the route ETA's error, in seconds, for feature rows."""

    def __init__(self, boosters: list[Any], margin_s: float, meta: dict[str, Any]) -> None:
        self._boosters = boosters
        self.margin_s = margin_s
        self.meta = meta

    def predict(self, features: Array) -> Array:
        """``(n, 3)`` seconds to add to the route ETA: P10, P50, P90, never crossing."""
        if features.ndim != 2 or features.shape[1] != len(FEATURES):
            raise InvalidInput(
                f"expected {len(FEATURES)} feature columns, got shape {features.shape}",
                field="features",
            )
        raw = np.column_stack([b.predict(features, num_threads=1) for b in self._boosters])
        raw.sort(axis=1)
        raw[:, 0] -= self.margin_s
        raw[:, 2] += self.margin_s
        return raw

    def save(self, path: Path) -> None:
        body = {
            "format": FORMAT, "features": list(FEATURES), "quantiles": list(QUANTILES),
            "margin_s": self.margin_s, "meta": self.meta,
            "boosters": [b.model_to_string() for b in self._boosters],
        }  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> EtaModel:
        import lightgbm as lgb

        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read an ETA model: {exc}", location=str(path)) from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise InvalidInput(f"not a {FORMAT} file", location=str(path))
        if body.get("features") != list(FEATURES):
            raise InvalidInput(
                "model was trained on other features; retrain it", location=str(path)
            )
        boosters = [lgb.Booster(model_str=text) for text in body["boosters"]]
        return cls(boosters, float(body["margin_s"]), dict(body.get("meta", {})))


def _fit_one(x: Array, y: Array, alpha: float, s: TrainSettings) -> Any:
    import lightgbm as lgb

    params = {
        "objective": "quantile", "alpha": alpha, "learning_rate": s.learning_rate,
        "num_leaves": s.leaves, "min_data_in_leaf": s.min_data_in_leaf,
        "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
        "seed": s.seed, "num_threads": s.threads, "verbose": -1, "deterministic": True,
    }  # fmt: skip
    categorical = [FEATURES.index(c) for c in CATEGORICAL]
    data = lgb.Dataset(x, y, feature_name=list(FEATURES), categorical_feature=categorical)
    return lgb.train(params, data, num_boost_round=s.trees)


def conformal_margin(low: Array, high: Array, y: Array, coverage: float) -> float:
    """Smallest widening (s) of [low, high] that covers ``coverage`` of ``y`` (split CQR)."""
    scores = np.maximum(low - y, y - high)
    n = len(scores)
    level = min(1.0, np.ceil((n + 1) * coverage) / n)
    return float(np.quantile(scores, level, method="higher"))


def train(
    features: Array,
    error_s: Array,
    settings: TrainSettings | None = None,
    groups: npt.NDArray[np.int64] | None = None,
    zone_codes: dict[str, int] | None = None,
) -> EtaModel:
    """Fit the three quantile boosters, then calibrate the interval on a held-out share.

    ``groups`` (a route id per row) keeps whole routes together in the calibration share:
    rows of one route share its pace, so a row-wise split would calibrate on near-copies of
    the training rows and give intervals too narrow for new days. ``zone_codes`` (zone ref
    -> the code used in the features) is saved with the model for prediction time.
    """
    s = settings or TrainSettings()
    if len(error_s) < 200:
        raise InvalidInput(f"{len(error_s)} rows is too few to learn from (need 200)", field="rows")
    rng = np.random.default_rng(s.seed)
    if groups is None:
        calibrate = rng.random(len(error_s)) < s.calibration_share
    else:
        unique = np.unique(groups)
        chosen = unique[rng.random(len(unique)) < s.calibration_share]
        calibrate = np.isin(groups, chosen)
    if calibrate.all() or not calibrate.any():
        raise InvalidInput("too few routes to hold some out for calibration", field="rows")
    fit_x, fit_y = features[~calibrate], error_s[~calibrate]
    boosters = [_fit_one(fit_x, fit_y, q, s) for q in QUANTILES]
    model = EtaModel(boosters, 0.0, {})
    raw = model.predict(features[calibrate])
    margin = conformal_margin(raw[:, 0], raw[:, 2], error_s[calibrate], TARGET_COVERAGE)
    meta = {
        "trained_at": datetime.now(UTC).isoformat(), "rows": len(error_s),
        "calibration_rows": int(calibrate.sum()), "trees": s.trees, "seed": s.seed,
        "zone_codes": dict(zone_codes or {}),
    }  # fmt: skip
    return EtaModel(boosters, margin, meta)
