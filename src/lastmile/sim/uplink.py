"""How simulated devices reach the platform: in this process, or over HTTP to ``lastmile serve``.

A driver app uploads its pings, scans and proofs of delivery in batches and tells the server
which route it follows when it receives one. ``InProcess`` calls the tracking services and
the live monitor directly (the default: fast, no server). ``HttpUplink`` posts the same
batches to a running server's ``/v1/tracking`` endpoints, so the server's ingestion, geofences
and ETAs do the work, exactly as for a real device. Each upload carries its own
Idempotency-Key (this run's id and the upload's number), kept across its retries: a retry
after a timeout or a dropped connection cannot store anything twice, while following the
same route again after a re-plan is a new request. A refusal (bad key, 422) stops the day
with the URL, status and body.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from lastmile.dispatch.tracking import capture_pod, ingest_pings, record_scans
from lastmile.dispatch.tracking_live import LiveMonitor
from lastmile.dispatch.tracking_ports import TrackingStore, TrackingUnitOfWork
from lastmile.domain.errors import LastMileError
from lastmile.domain.events import DomainEvent
from lastmile.domain.values import Coordinate
from lastmile.tracking.model import Ping, Scan
from lastmile.tracking.wire import TOPIC_PREFIX, ping_to_json

#: A tiny signature so every delivered order carries a real, verifiable POD.
SIGNATURE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><path d="M0 5h40"/></svg>'
)
#: Largest batches the API takes (see ``api/routers/tracking.py``).
MAX_PINGS, MAX_SCANS = 10_000, 1_000
#: Answers worth another try with the same Idempotency-Key: the server is busy or restarting.
TRANSIENT = {429, 502, 503, 504}
#: Reads back what the server's monitor raised (see ``sim.server_events``); None: nothing.
EventSource = Callable[[], list[DomainEvent]]


@dataclass(frozen=True)
class PodUpload:
    """A proof of delivery as the driver app captured it."""

    order_ref: str
    at: datetime
    position: Coordinate
    name: str


class Uplink(Protocol):
    """What a device sends; the events returned are those the platform raised in response."""

    def follow(self, device_id: str, plan_ref: str, route_ref: str) -> None: ...

    def pings(self, pings: Sequence[Ping], now: datetime) -> list[DomainEvent]: ...

    def scans(self, scans: Sequence[Scan], now: datetime) -> list[DomainEvent]: ...

    def hub_scans(self, scans: Sequence[Scan], now: datetime) -> None: ...

    def pod(self, pod: PodUpload, now: datetime) -> None: ...

    def close(self) -> None: ...


class ServerRefused(LastMileError):
    """The server answered a device's upload with an error that retrying will not fix."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        self.url, self.status, self.body = url, status, body
        super().__init__(f"{method} {url} answered {status}: {body[:500]}")


@dataclass
class InProcess:
    """The tracking services and the monitor called directly, on the simulated clock."""

    uow: Callable[[], TrackingUnitOfWork]
    store: TrackingStore
    monitor: LiveMonitor

    def follow(self, device_id: str, plan_ref: str, route_ref: str) -> None:
        self.monitor.follow(device_id, plan_ref, route_ref)

    def pings(self, pings: Sequence[Ping], now: datetime) -> list[DomainEvent]:
        report = ingest_pings(self.store, pings, now=now)
        accepted = [p for p in pings if p.key not in report.rejected]
        return self.monitor.observe(accepted, now)

    def scans(self, scans: Sequence[Scan], now: datetime) -> list[DomainEvent]:
        """As ``POST /v1/tracking/scans``: ETAs move for the scans that changed a journey."""
        reports = record_scans(self.uow, scans, now=now)
        applied = [r.order_ref for r in reports if r.result == "applied"]
        return self.monitor.after_scans(applied) if applied else []

    def hub_scans(self, scans: Sequence[Scan], now: datetime) -> None:
        self.scans(scans, now)

    def pod(self, pod: PodUpload, now: datetime) -> None:
        capture_pod(
            self.uow, self.store, order_ref=pod.order_ref, captured_at=pod.at,
            position=pod.position, now=now, recipient_name=pod.name,
            signature=("image/svg+xml", SIGNATURE),
        )  # fmt: skip

    def close(self) -> None:
        return None


class HttpUplink:
    """Devices posting to a running ``lastmile serve`` at ``base_url`` with one API key.

    The key needs to write ``routes`` (role dispatcher or admin: one key speaks for every
    van). ``events`` reads back the events the server's monitor raised after an upload that
    reports some; without it the simulator hears only what the dispatcher itself raised.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        events: EventSource | None = None,
        attempts: int = 6,
        backoff_s: float = 0.2,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.events, self.attempts, self.backoff_s = events, max(1, attempts), backoff_s
        self.requests, self.uploads = 0, 0
        #: Pings, scans and PODs the server acknowledged.
        self.sent: Counter[str] = Counter()
        self.run = uuid.uuid4().hex[:16]
        self._client = httpx.Client(
            base_url=self.base_url, headers={"X-API-Key": api_key}, timeout=timeout_s,
            transport=transport,
        )  # fmt: skip

    def follow(self, device_id: str, plan_ref: str, route_ref: str) -> None:
        body = {"plan_ref": plan_ref, "route_ref": route_ref}
        self._post(f"/v1/tracking/devices/{device_id}/follow", body)

    def pings(self, pings: Sequence[Ping], now: datetime) -> list[DomainEvent]:
        return self._batches("pings", [_ping_json(p) for p in pings], MAX_PINGS)

    def scans(self, scans: Sequence[Scan], now: datetime) -> list[DomainEvent]:
        return self._batches("scans", [_scan_json(s) for s in scans], MAX_SCANS)

    def _batches(self, kind: str, items: list[dict[str, Any]], size: int) -> list[DomainEvent]:
        """``items`` posted to ``/v1/tracking/<kind>`` in batches the API takes."""
        raised = False
        for n in range(0, len(items), size):
            body = {kind: items[n : n + size]}
            raised |= bool(self._post(f"/v1/tracking/{kind}", body).get("events"))
        self.sent[kind] += len(items)
        return self._read_events(raised)

    def hub_scans(self, scans: Sequence[Scan], now: datetime) -> None:
        self.scans(scans, now)

    def pod(self, pod: PodUpload, now: datetime) -> None:
        fields = {
            "lat": repr(pod.position.lat), "lon": repr(pod.position.lon),
            "captured_at": pod.at.isoformat(), "recipient_name": pod.name,
        }  # fmt: skip
        files = {"signature": ("signature.svg", SIGNATURE, "image/svg+xml")}
        self._post(f"/v1/tracking/orders/{pod.order_ref}/pod", None, form=fields, files=files)
        self.sent["pods"] += 1

    def close(self) -> None:
        self._client.close()

    def _read_events(self, raised: bool) -> list[DomainEvent]:
        return self.events() if raised and self.events is not None else []

    def _post(
        self,
        path: str,
        body: dict[str, Any] | None,
        *,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """POST with retries on transient failures, every try under the same key."""
        self.uploads += 1
        key = f"sim-{self.run}-{self.uploads}"
        headers = {"Idempotency-Key": key}
        if files is not None:
            headers["Content-Type"] = f"multipart/form-data; boundary=lastmile-{key}"
        url = f"{self.base_url}{path}"
        for attempt in range(self.attempts):
            wait = self.backoff_s * 2**attempt
            try:
                self.requests += 1
                response = self._client.post(
                    path, json=body, data=form, files=files, headers=headers
                )
            except httpx.TransportError as exc:
                if attempt + 1 == self.attempts:
                    raise ServerRefused("POST", url, 0, f"no answer: {exc!r}") from exc
            else:
                if response.is_success:
                    answer: dict[str, Any] = response.json()
                    return answer
                if not _transient(response) or attempt + 1 == self.attempts:
                    raise ServerRefused("POST", url, response.status_code, response.text)
                wait = max(wait, _retry_after(response))
            time.sleep(min(wait, 30.0))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _transient(response: httpx.Response) -> bool:
    """Busy, restarting, or our own earlier try still running under the same key."""
    if response.status_code in TRANSIENT:
        return True
    if response.status_code == 409:
        try:
            return bool(response.json()["error"]["code"] == "in_progress")
        except (ValueError, KeyError, TypeError):
            return False
    return False


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0


def _ping_json(ping: Ping) -> dict[str, Any]:
    body = {"device_id": ping.device_id, **ping_to_json(ping)}
    if ping.vehicle_ref is not None:
        body["vehicle_ref"] = ping.vehicle_ref
    return body


def _scan_json(scan: Scan) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": scan.event_id, "order_ref": scan.order_ref, "kind": scan.kind.value,
        "at": scan.at.isoformat(), "lat": scan.lat, "lon": scan.lon, "note": scan.note,
        "device_id": scan.device_id,
    }  # fmt: skip
    if scan.reason is not None:
        body["reason"] = scan.reason.value
    return body


class MqttUplink:
    """Pings published to the broker ``lastmile mqtt-bridge`` listens to; the rest over HTTP.

    MQTT carries pings only (topic ``<prefix><device>/pings``, QoS 1), so following a route,
    scans and proofs of delivery go through ``http``. The bridge stores pings on its own
    clock: with ``stored`` (which ping keys the database holds) each upload waits until the
    bridge has them, so the scan that follows never overtakes its pings.
    """

    def __init__(
        self,
        host: str,
        port: int,
        http: HttpUplink,
        *,
        prefix: str = TOPIC_PREFIX,
        stored: Callable[[Sequence[str]], set[str]] | None = None,
        wait_s: float = 30.0,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.http, self.prefix, self.stored, self.wait_s = http, prefix, stored, wait_s
        self.where = f"mqtt://{host}:{port}"
        self.messages, self.sent = 0, http.sent
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"lastmile-sim-{uuid.uuid4().hex[:12]}"
        )
        try:
            self._client.connect(host, port, keepalive=30)
        except OSError as exc:
            raise ServerRefused("CONNECT", self.where, 0, f"no broker answers: {exc}") from exc
        self._client.loop_start()

    def follow(self, device_id: str, plan_ref: str, route_ref: str) -> None:
        self.http.follow(device_id, plan_ref, route_ref)

    def pings(self, pings: Sequence[Ping], now: datetime) -> list[DomainEvent]:
        by_device: dict[str, list[Ping]] = {}
        for ping in pings:
            by_device.setdefault(ping.device_id, []).append(ping)
        sent = []
        for device, batch in sorted(by_device.items()):
            payload = json.dumps([ping_to_json(p) for p in batch])
            topic = f"{self.prefix}{device}/pings"
            sent.append((topic, self._client.publish(topic, payload, qos=1)))
        for topic, info in sent:
            info.wait_for_publish(self.wait_s)
            if not info.is_published():
                raise ServerRefused("PUBLISH", f"{self.where}/{topic}", 0, "the broker did not ack")
            self.messages += 1
        self._await_bridge([p.key for p in pings])
        self.sent["pings"] += len(pings)
        return []

    def _await_bridge(self, keys: list[str]) -> None:
        if self.stored is None or not keys:
            return
        deadline = time.monotonic() + self.wait_s
        missing = set(keys)
        while missing:
            missing -= self.stored(sorted(missing))
            if missing and time.monotonic() > deadline:
                raise ServerRefused(
                    "PUBLISH", self.where, 0,
                    f"{len(missing)} pings not stored after {self.wait_s:.0f} s: "
                    "is `lastmile mqtt-bridge` running on the same database?",
                )  # fmt: skip
            if missing:
                time.sleep(0.02)

    def scans(self, scans: Sequence[Scan], now: datetime) -> list[DomainEvent]:
        return self.http.scans(scans, now)

    def hub_scans(self, scans: Sequence[Scan], now: datetime) -> None:
        self.http.hub_scans(scans, now)

    def pod(self, pod: PodUpload, now: datetime) -> None:
        self.http.pod(pod, now)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
        self.http.close()
