"""Proof of delivery: signature, photos, recipient, where and when, sealed by content hashes.

Files are recognised by their bytes, not by the name or type the client claims: a PNG must
start with the PNG signature, an SVG must be an ``<svg>`` document without scripts or entity
declarations. Each file gets a SHA-256, and the POD as a whole a hash over its fields and the
file hashes, so a dispute months later can show the record was not altered. A POD captured
farther than ``max_distance_m`` from the delivery address is kept but flagged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import Coordinate, require_aware

MAX_SIGNATURE_BYTES = 256 * 1024
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 5
DEFAULT_MAX_DISTANCE_M = 150.0
SIGNATURE_TYPES = ("image/svg+xml", "image/png")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")

_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
}
_SVG_ROOT = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<svg[\s>]", re.DOTALL)
_SVG_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY|<script|\son\w+\s*=|javascript:", re.I)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A validated file: what it is, its bytes and their SHA-256."""

    role: str
    content_type: str
    content: bytes
    sha256: str


def sniff(content: bytes) -> str | None:
    """The content type the bytes actually are (PNG, JPEG, WebP, SVG), or ``None``."""
    for content_type, prefixes in _MAGIC.items():
        if any(content.startswith(p) for p in prefixes):
            if content_type == "image/webp" and content[8:12] != b"WEBP":
                continue
            return content_type
    if _SVG_ROOT.match(content[:4096]):
        return "image/svg+xml"
    return None


def attachment(
    role: str, declared_type: str, content: bytes, allowed: Sequence[str], max_bytes: int
) -> Attachment:
    """Check one upload's type and size; the error names the file and what is wrong."""
    if not content:
        raise InvalidInput("the file is empty", field=role)
    if len(content) > max_bytes:
        raise InvalidInput(
            f"{len(content):,} bytes is over the {max_bytes:,} byte limit", field=role
        )
    actual = sniff(content)
    if actual is None or actual not in allowed:
        raise InvalidInput(
            f"{actual or 'unrecognised content'} is not accepted (allowed: {', '.join(allowed)})",
            field=role,
        )
    declared = declared_type.split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream" and declared != actual:
        raise InvalidInput(f"declared {declared} but the bytes are {actual}", field=role)
    if actual == "image/svg+xml" and _SVG_FORBIDDEN.search(content):
        raise InvalidInput("SVG with scripts, DOCTYPE or entities is refused", field=role)
    return Attachment(role, actual, content, hashlib.sha256(content).hexdigest())


@dataclass(frozen=True)
class ProofOfDelivery:
    order_ref: str
    captured_at: datetime
    lat: float
    lon: float
    recipient_name: str
    attachments: tuple[Attachment, ...]
    distance_m: float
    flagged: bool
    content_hash: str


def _seal(fields: dict[str, object], attachments: Sequence[Attachment]) -> str:
    body = {**fields, "files": [[a.role, a.content_type, a.sha256] for a in attachments]}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def build_pod(
    *,
    order_ref: str,
    captured_at: datetime,
    position: Coordinate,
    address: Coordinate,
    recipient_name: str = "",
    signature: tuple[str, bytes] | None = None,
    photos: Sequence[tuple[str, bytes]] = (),
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
) -> ProofOfDelivery:
    """Validate every part of a POD and seal it; refuse a POD with nothing to prove."""
    require_aware(captured_at, "captured_at")
    if signature is None and not photos and not recipient_name.strip():
        raise InvalidInput("a POD needs a signature, a photo or a recipient name", field="pod")
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"{len(photos)} photos; at most {MAX_PHOTOS}", field="photos")
    if len(recipient_name) > 200:
        raise InvalidInput("recipient name is longer than 200 characters", field="recipient_name")
    files: list[Attachment] = []
    if signature is not None:
        files.append(attachment("signature", *signature, SIGNATURE_TYPES, MAX_SIGNATURE_BYTES))
    for i, (content_type, content) in enumerate(photos):
        files.append(
            attachment(f"photos[{i}]", content_type, content, PHOTO_TYPES, MAX_PHOTO_BYTES)
        )
    distance = position.distance_m(address)
    fields: dict[str, object] = {
        "order_ref": order_ref, "captured_at": captured_at.astimezone(UTC).isoformat(),
        "lat": position.lat, "lon": position.lon, "recipient_name": recipient_name.strip(),
    }  # fmt: skip
    return ProofOfDelivery(
        order_ref=order_ref, captured_at=captured_at, lat=position.lat, lon=position.lon,
        recipient_name=recipient_name.strip(), attachments=tuple(files),
        distance_m=round(distance, 1), flagged=distance > max_distance_m,
        content_hash=_seal(fields, files),
    )  # fmt: skip


def verify(pod: ProofOfDelivery) -> bool:
    """True when the files and fields still hash to the sealed value."""
    if any(hashlib.sha256(a.content).hexdigest() != a.sha256 for a in pod.attachments):
        return False
    fields: dict[str, object] = {
        "order_ref": pod.order_ref, "captured_at": pod.captured_at.astimezone(UTC).isoformat(),
        "lat": pod.lat, "lon": pod.lon, "recipient_name": pod.recipient_name,
    }  # fmt: skip
    return _seal(fields, pod.attachments) == pod.content_hash
