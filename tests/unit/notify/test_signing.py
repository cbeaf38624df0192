"""The signature recipe: what a receiver checks before trusting a webhook."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastmile.domain.errors import InvalidInput
from lastmile.notify.signing import sign, verify

NOW = 1_800_000_000


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=40))
def test_a_signed_body_verifies_with_the_same_secret(body: bytes, secret: str) -> None:
    verify(secret, sign(secret, NOW, body), body, NOW)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1800000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", NOW, b"{}") == f"t=1800000000,v1={expected}"


@pytest.mark.parametrize(
    ("secret", "body", "now", "reason"),
    [
        ("other", b"{}", NOW, "does not match"),
        ("s3cret", b'{"x":1}', NOW, "does not match"),
        ("s3cret", b"{}", NOW + 301, "outside the tolerance"),
    ],
)
def test_a_wrong_secret_a_changed_body_or_an_old_timestamp_is_refused(
    secret: str, body: bytes, now: int, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason):
        verify(secret, sign("s3cret", NOW, b"{}"), body, now)


def test_a_malformed_header_names_the_header() -> None:
    with pytest.raises(InvalidInput) as caught:
        verify("s", "garbage", b"", NOW)
    assert caught.value.field == "Lastmile-Signature"
