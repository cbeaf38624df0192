from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import Coordinate
from lastmile.tracking.pod import MAX_SIGNATURE_BYTES, build_pod, sniff, verify

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOME = Coordinate(48.85, 2.35)
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L9 9"/></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def pod(**kw: object) -> object:
    args: dict[str, object] = {
        "order_ref": "o-1", "captured_at": AT, "position": HOME, "address": HOME,
        "recipient_name": "A. Martin", "signature": ("image/svg+xml", SVG),
    }  # fmt: skip
    return build_pod(**{**args, **kw})  # type: ignore[arg-type]


def test_a_pod_is_sealed_and_verifiable() -> None:
    p = pod(photos=[("image/jpeg", JPEG)])
    assert verify(p)  # type: ignore[arg-type]
    assert len(p.content_hash) == 64  # type: ignore[attr-defined]
    assert [a.role for a in p.attachments] == ["signature", "photos[0]"]  # type: ignore[attr-defined]


def test_a_tampered_pod_no_longer_verifies() -> None:
    p = pod()
    changed = dataclasses.replace(p, recipient_name="Someone else")  # type: ignore[type-var]
    assert not verify(changed)


def test_a_pod_far_from_the_address_is_flagged_with_the_distance() -> None:
    far = pod(position=Coordinate(48.853, 2.35))  # ~330 m north
    assert far.flagged and far.distance_m == pytest.approx(333, abs=5)  # type: ignore[attr-defined]
    assert not pod().flagged  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"signature": ("image/png", b"GIF89a...")}, "signature.*not accepted"),
        ({"signature": ("image/png", SVG)}, "declared image/png but the bytes are image/svg"),
        ({"signature": ("image/png", PNG + b"\x00" * MAX_SIGNATURE_BYTES)}, "byte limit"),
        ({"signature": ("image/svg+xml", b"<svg><script>x</script></svg>")}, "scripts"),
        ({"photos": [("image/jpeg", SVG)]}, r"photos\[0\].*not accepted"),
        ({"photos": [("image/jpeg", b"")]}, "empty"),
        ({"photos": [("image/jpeg", JPEG)] * 6}, "at most 5"),
        ({"signature": None, "recipient_name": ""}, "needs a signature"),
    ],
)
def test_wrong_uploads_are_refused_naming_the_file(kw: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        pod(**kw)


def test_content_is_recognised_by_its_bytes() -> None:
    assert sniff(PNG) == "image/png"
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"  <svg width='1'></svg>") == "image/svg+xml"
    assert sniff(b"%PDF-1.7") is None
