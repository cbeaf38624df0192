from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastmile.domain.errors import InvalidInput
from lastmile.tracking.ingest import RejectReason, newest, prepare_batch
from lastmile.tracking.model import Ping

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ping(seq: int, seconds: float, lat: float = 48.85, lon: float = 2.35, **kw: object) -> Ping:
    at = NOW - timedelta(hours=1) + timedelta(seconds=seconds)
    return Ping(
        device_id=str(kw.pop("device", "d1")), seq=seq, recorded_at=at, lat=lat, lon=lon, **kw
    )  # type: ignore[arg-type]


def test_a_replayed_ping_is_kept_once() -> None:
    batch = prepare_batch([ping(1, 0), ping(1, 0), ping(2, 10)], now=NOW)
    assert [p.seq for p in batch.accepted] == [1, 2]
    assert batch.duplicates == 1


def test_the_client_event_id_is_the_key_when_given() -> None:
    a = ping(1, 0, event_id="e-1")
    b = ping(2, 0, event_id="e-1")
    assert prepare_batch([a, b], now=NOW).duplicates == 1


def test_out_of_order_pings_come_out_in_time_order() -> None:
    batch = prepare_batch([ping(3, 30), ping(1, 10), ping(2, 20)], now=NOW)
    assert [p.seq for p in batch.accepted] == [1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"lat": 95.0}, RejectReason.LAT_OUT_OF_RANGE),
        ({"lon": -181.0}, RejectReason.LON_OUT_OF_RANGE),
        ({"lat": 0.0, "lon": 0.0}, RejectReason.NULL_ISLAND),
        ({"accuracy_m": -3.0}, RejectReason.BAD_ACCURACY),
        ({"battery": 1.7}, RejectReason.BAD_BATTERY),
        ({"heading_deg": 400.0}, RejectReason.BAD_HEADING),
    ],
)
def test_impossible_values_are_rejected_with_a_reason(
    kwargs: dict[str, float], reason: RejectReason
) -> None:
    batch = prepare_batch([ping(1, 0, **kwargs)], now=NOW)  # type: ignore[arg-type]
    assert not batch.accepted
    assert batch.rejected[0].reason is reason
    assert batch.rejected[0].detail


def test_a_ping_from_the_future_is_rejected_but_small_clock_skew_is_not() -> None:
    skewed = Ping("d1", 1, NOW + timedelta(seconds=60), 48.85, 2.35)
    future = Ping("d1", 2, NOW + timedelta(hours=2), 48.85, 2.35)
    batch = prepare_batch([skewed, future], now=NOW)
    assert [p.seq for p in batch.accepted] == [1]
    assert batch.rejected[0].reason is RejectReason.IN_THE_FUTURE


def test_a_jump_faster_than_the_vehicle_is_rejected_and_does_not_become_the_anchor() -> None:
    # 0.02 degrees of latitude is about 2.2 km: impossible in 10 s.
    pings = [ping(1, 0), ping(2, 10, lat=48.87), ping(3, 20, lat=48.8501)]
    batch = prepare_batch(pings, now=NOW)
    assert [p.seq for p in batch.accepted] == [1, 3]
    assert batch.rejected[0].reason is RejectReason.IMPOSSIBLE_JUMP
    assert "m/s" in batch.rejected[0].detail


def test_a_bike_is_held_to_a_lower_speed_than_a_van() -> None:
    pings = [ping(1, 0), ping(2, 60, lat=48.86)]  # ~1.1 km in a minute: 18 m/s
    assert len(prepare_batch(pings, now=NOW).accepted) == 2
    slow = prepare_batch(pings, now=NOW, max_speed_mps={"d1": 15.0})
    assert len(slow.accepted) == 1


def test_the_jump_check_starts_from_the_devices_stored_position() -> None:
    stored = ping(0, -10)
    batch = prepare_batch([ping(1, 0, lat=48.95)], now=NOW, latest={"d1": stored})
    assert batch.rejected and batch.rejected[0].reason is RejectReason.IMPOSSIBLE_JUMP


def test_a_late_ping_never_becomes_the_current_position() -> None:
    late, fresh = ping(1, 0), ping(2, 100)
    assert newest([fresh, late])["d1"] is fresh


def test_a_ping_without_timezone_is_an_input_error_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="recorded_at"):
        Ping("d1", 1, datetime(2026, 1, 1), 48.0, 2.0)


def test_a_negative_sequence_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="seq"):
        Ping("d1", -1, NOW, 48.0, 2.0)


@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=60),
    st.randoms(use_true_random=False),
)
def test_every_valid_ping_is_accepted_once_whatever_the_replays_and_order(
    seqs: list[int], rnd: object
) -> None:
    pings = [ping(s, s * 5.0, lat=48.85 + s * 1e-4) for s in seqs]
    rnd.shuffle(pings)  # type: ignore[attr-defined]
    batch = prepare_batch(pings, now=NOW)
    assert [p.seq for p in batch.accepted] == sorted(set(seqs))
    assert batch.duplicates == len(seqs) - len(set(seqs))


def test_a_glitch_as_first_fix_costs_one_ping_not_the_whole_track() -> None:
    glitch = ping(0, 0, lat=48.95)  # 11 km away from the real track
    track = [ping(i, i * 5) for i in range(1, 6)]
    batch = prepare_batch([glitch, *track], now=NOW)
    assert [p.seq for p in batch.accepted] == [0, 2, 3, 4, 5]
    assert [r.ping.seq for r in batch.rejected] == [1]
