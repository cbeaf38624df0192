"""Hypothesis strategies for valid orders, within what both databases can hold.

Text never contains NUL (PostgreSQL refuses it in text) or lone surrogates (not encodable);
integers stay within 32-bit columns. Everything else is as wide as the domain allows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from lastmile.domain import (
    Address,
    AddressType,
    Channel,
    Contact,
    Coordinate,
    FailureReason,
    GeocodePrecision,
    Item,
    LifecycleState,
    Order,
    Outcome,
    Preference,
    ServiceLevel,
    Skill,
    TimeWindow,
)

INT32 = 2**31 - 1
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
refs = text.filter(lambda s: 0 < len(s.strip()) <= 128)
zones = st.sampled_from([UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/Sao_Paulo")])
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=zones
)


@st.composite
def windows(draw: st.DrawFn) -> TimeWindow:
    start = draw(moments)
    length = timedelta(seconds=draw(st.integers(1, 7 * 86400)))
    return TimeWindow(start, (start.astimezone(UTC) + length).astimezone(start.tzinfo))


items = st.builds(
    Item,
    sku=text,
    count=st.integers(1, 10_000),
    weight_g=st.integers(0, 10**7),
    volume_cm3=st.integers(0, 10**8),
    description=text,
)

addresses = st.builds(
    Address,
    raw=text,
    coordinate=st.builds(
        Coordinate,
        st.floats(-90, 90, allow_nan=False),
        st.floats(-180, 180, allow_nan=False),
    ),
    street=text,
    house_number=text,
    postcode=text,
    city=text,
    country=text,
    unit=text,
    address_type=st.sampled_from(AddressType),
    precision=st.sampled_from(GeocodePrecision),
    confidence=st.floats(0, 1),
)

orders = st.builds(
    Order,
    ref=refs,
    hub_ref=refs,
    address=addresses,
    channel=st.sampled_from(Channel),
    service_level=st.sampled_from(ServiceLevel),
    window=st.none() | windows(),
    items=st.lists(items, max_size=4).map(tuple),
    skills=st.frozensets(st.sampled_from(Skill)),
    preferences=st.frozensets(st.sampled_from(Preference)),
    recipient=st.builds(Contact, text, text, text),
    instructions=text,
    access_notes=text,
    service_s=st.none() | st.integers(0, INT32),
    priority=st.integers(-INT32, INT32),
    ready_at=st.none() | moments,
    zone_ref=st.none() | refs,
    created_at=moments,
    state=st.sampled_from(LifecycleState),
    outcome=st.none() | st.sampled_from(Outcome),
    failure_reason=st.none() | st.sampled_from(FailureReason),
    attempts=st.integers(0, 1000),
)
