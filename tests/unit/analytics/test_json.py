"""The scorecard's JSON is stable: same day, same bytes; and it reads back to the same tree."""

from __future__ import annotations

import json

import pytest

from lastmile.analytics.model import Scorecard
from lastmile.analytics.scorecard import score
from lastmile.analytics.serial import from_dict, from_json, to_json
from lastmile.domain.errors import InvalidInput
from tests.unit.analytics.day import handmade_day


def test_json_round_trip_is_identical() -> None:
    card = score(handmade_day())
    text = to_json(card)
    back = from_json(Scorecard, text)
    assert back == card
    assert to_json(back) == text


def test_two_scorings_of_the_same_day_give_the_same_bytes() -> None:
    assert to_json(score(handmade_day())) == to_json(score(handmade_day()))


def test_empty_figures_are_null_not_nan() -> None:
    data = json.loads(to_json(score(handmade_day())))
    none = next(z for z in data["by_zone"] if z["group"] == "no zone")
    assert none["on_time"] == {"numerator": 0, "denominator": 0, "value": None}
    assert none["fleet"]["km_per_stop"] is None


def test_reading_a_bad_file_names_the_path_of_the_bad_value() -> None:
    data = json.loads(to_json(score(handmade_day())))
    data["by_zone"][1]["on_time"]["numerator"] = "two"
    with pytest.raises(InvalidInput, match=r"\$\.by_zone\[1\]\.on_time\.numerator"):
        from_dict(Scorecard, data)
    del data["overall"]["otif"]
    with pytest.raises(InvalidInput, match="missing key 'otif'"):
        from_dict(Scorecard, data)
