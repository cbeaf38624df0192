"""Tracking over HTTP: ping and scan uploads, carrier events, proof of delivery, timelines
and ETAs.

Uploads are batches (offline driver apps send hours at once) and idempotent: pings on their
event id or ``device:seq``, scans on their event id, PODs on their content hash. Permissions
reuse the existing resources: drivers and dispatchers write ``routes`` (pings, scans, PODs),
integrators write ``orders`` (carrier events), disputes read ``orders`` (PODs, timelines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import AwareDatetime, BaseModel, Field

from lastmile.api.auth import Action, Principal, Role
from lastmile.api.deps import ServicesDep, require
from lastmile.domain.enums import FailureReason
from lastmile.domain.errors import NotFound
from lastmile.domain.values import Coordinate
from lastmile.tracking.model import MAX_SEQ, Ping, Scan, ScanKind

router = APIRouter(prefix="/v1/tracking", tags=["tracking"])
DRIVE = Depends(require("routes", Action.WRITE))
SEE_ROUTES = Depends(require("routes", Action.READ))
INTEGRATE = Depends(require("orders", Action.WRITE))
DISPUTE = Depends(require("orders", Action.READ))


class PingIn(BaseModel):
    device_id: str = Field(min_length=1, max_length=128)
    seq: int = Field(ge=0, le=MAX_SEQ)
    t: AwareDatetime
    lat: float
    lon: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    battery: float | None = None
    event_id: str | None = Field(None, max_length=200)
    vehicle_ref: str | None = None


class PingBatch(BaseModel):
    pings: list[PingIn] = Field(max_length=10_000)


class ScanIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=200)
    order_ref: str
    kind: ScanKind
    at: AwareDatetime
    lat: float | None = None
    lon: float | None = None
    reason: FailureReason | None = None
    device_id: str | None = None
    note: str = Field("", max_length=2000)


class ScanBatch(BaseModel):
    scans: list[ScanIn] = Field(max_length=1_000)


class CarrierEvent(BaseModel):
    source: str = Field(min_length=1, max_length=64)
    status: str = Field(min_length=1, max_length=128)
    event_id: str = Field(min_length=1, max_length=200)
    order_ref: str
    at: AwareDatetime
    lat: float | None = None
    lon: float | None = None


class Follow(BaseModel):
    plan_ref: str
    route_ref: str


@dataclass
class Tracking:
    """Tracking adapters over the app's engine, made once per app."""

    store: Any
    uow: Any
    monitor: Any
    carriers: Any


def tracking(request: Request, svc: ServicesDep) -> Tracking:
    found: Tracking | None = getattr(request.app.state, "tracking", None)
    if found is None:
        from lastmile.dispatch.tracking_live import LiveMonitor
        from lastmile.geo.haversine import HaversineProvider
        from lastmile.store.tracking_journal import SqlTrackingUnitOfWork
        from lastmile.store.tracking_repositories import SqlTrackingStore
        from lastmile.tracking.carriers import CarrierMap

        engine = svc.uow.engine
        store = SqlTrackingStore(engine)

        def uow() -> SqlTrackingUnitOfWork:
            return SqlTrackingUnitOfWork(engine)

        monitor = LiveMonitor(uow, store, HaversineProvider(), model=_eta_model())
        found = Tracking(store, uow, monitor, _carrier_map(CarrierMap))
        request.app.state.tracking = found
    return found


TrackingDep = Annotated[Tracking, Depends(tracking)]


def _eta_model() -> Any:
    """The learned ETA model named by ``LASTMILE_ETA_MODEL`` (from ``lastmile eta train``)."""
    import os
    from pathlib import Path

    path = os.environ.get("LASTMILE_ETA_MODEL")
    if not path:
        return None
    from lastmile.tracking.eta.learned import EtaModel

    return EtaModel.load(Path(path))


def _carrier_map(cls: Any) -> Any:
    """Shipped mappings, extended by ``LASTMILE_CARRIER_MAPPINGS`` (a CSV file or a folder)."""
    import os
    from pathlib import Path

    mapping = cls.shipped()
    extra = os.environ.get("LASTMILE_CARRIER_MAPPINGS")
    if extra:
        mapping = mapping.extended(cls.from_paths(Path(extra)))
    return mapping


def _actor(who: Principal) -> str:
    return f"driver:{who.driver_ref}" if who.driver_ref else who.actor


def _check_driver(tr: Tracking, who: Principal, order_refs: set[str]) -> None:
    """A driver may scan and prove only the orders of routes assigned to them; others look
    absent (404), as in the routes API."""
    if who.role is not Role.DRIVER:
        return
    own: set[str] = set()
    if who.driver_ref is not None:
        with tr.uow() as uow:
            own = {
                ref
                for plan in uow.plans.list_by(driver_ref=who.driver_ref)
                for route in plan.routes
                if route.driver_ref == who.driver_ref
                for visit in route.visits
                for ref in visit.order_refs
            }
    for ref in sorted(order_refs - own):
        raise NotFound("order", ref)


def _check_route(tr: Tracking, who: Principal, route_ref: str) -> None:
    """A driver may follow and see the ETAs of its own routes only; others look absent."""
    if who.role is not Role.DRIVER:
        return
    with tr.uow() as uow:
        own = any(
            route.ref == route_ref and route.driver_ref == who.driver_ref
            for plan in uow.plans.list_by(route_ref=route_ref)
            for route in plan.routes
        )
    if who.driver_ref is None or not own:
        raise NotFound("route", route_ref)


@router.post("/pings", summary="Upload a batch of GPS pings", operation_id="upload_pings")
def upload_pings(
    body: PingBatch, tr: TrackingDep, who: Annotated[Principal, DRIVE]
) -> dict[str, Any]:
    from lastmile.dispatch.tracking import ingest_pings

    now = datetime.now(UTC)
    pings = [
        Ping(p.device_id, p.seq, p.t, p.lat, p.lon, p.accuracy_m, p.speed_mps, p.heading_deg,
             p.battery, p.event_id, p.vehicle_ref)
        for p in body.pings
    ]  # fmt: skip
    report = ingest_pings(tr.store, pings, now=now)
    accepted = [p for p in pings if p.key not in report.rejected]
    events = tr.monitor.observe(accepted, now) if tr.monitor.followed else []
    return {
        "received": report.received, "accepted": report.accepted, "stored": report.stored,
        "duplicates": report.duplicates, "rejected": report.rejected,
        "events": [type(e).__name__ for e in events],
    }  # fmt: skip


@router.post("/scans", summary="Upload a batch of parcel scans", operation_id="upload_scans")
def upload_scans(
    body: ScanBatch, tr: TrackingDep, who: Annotated[Principal, DRIVE]
) -> dict[str, Any]:
    from lastmile.dispatch.tracking import record_scans

    _check_driver(tr, who, {s.order_ref for s in body.scans})
    scans = [
        Scan(s.event_id, s.order_ref, s.kind, s.at, _actor(who), s.lat, s.lon, s.reason,
             device_id=s.device_id, note=s.note)
        for s in body.scans
    ]  # fmt: skip
    reports = record_scans(tr.uow, scans, now=datetime.now(UTC))
    applied = [r.order_ref for r in reports if r.result == "applied"]
    events = tr.monitor.after_scans(applied) if applied and tr.monitor.followed else []
    return {"results": [vars(r) for r in reports], "events": [type(e).__name__ for e in events]}


@router.post(
    "/carrier-events", summary="A third-party carrier status", operation_id="carrier_event"
)
def carrier_event(
    body: CarrierEvent, tr: TrackingDep, who: Annotated[Principal, INTEGRATE]
) -> dict[str, Any]:
    from lastmile.dispatch.tracking import carrier_scan, record_scans

    scan = carrier_scan(
        tr.carriers, source=body.source, status=body.status, event_id=body.event_id,
        order_ref=body.order_ref, at=body.at, lat=body.lat, lon=body.lon,
    )  # fmt: skip
    if scan is None:
        return {"event_id": body.event_id, "result": "no_journey_change"}
    [report] = record_scans(
        tr.uow, [scan], now=datetime.now(UTC), carrier_statuses={scan.event_id: body.status}
    )
    return {**vars(report), "scan_kind": scan.kind.value}


@router.post(
    "/devices/{device_id}/follow",
    summary="Follow a route with a device (geofences, drift, ETAs on each ping)",
    operation_id="follow_route",
)
def follow_route(
    device_id: str, body: Follow, tr: TrackingDep, who: Annotated[Principal, DRIVE]
) -> dict[str, Any]:
    _check_route(tr, who, body.route_ref)
    followed = tr.monitor.follow(device_id, body.plan_ref, body.route_ref)
    return {"device_id": device_id, "route_ref": followed.route_ref,
            "stops": len(followed.dwell.stops)}  # fmt: skip


@router.get("/routes/{route_ref}/etas", summary="Current ETAs", operation_id="route_etas")
def route_etas(
    route_ref: str, tr: TrackingDep, who: Annotated[Principal, SEE_ROUTES]
) -> dict[str, Any]:
    _check_route(tr, who, route_ref)
    etas = tr.store.etas(route_ref)
    return {"route_ref": route_ref, "stops": [_eta_view(p) for p in etas.values()]}


def _eta_view(p: Any) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v else None

    return {
        "stop_ref": p.stop_ref, "order_refs": list(p.order_refs), "eta": iso(p.eta),
        "p10": iso(p.p10), "p50": iso(p.p50), "p90": iso(p.p90),
        "computed_at": iso(p.computed_at),
        "in_window": p.window is None or p.best < p.window.end,
    }  # fmt: skip


@router.get("/orders/{order_ref}/timeline", summary="The order's journey", operation_id="timeline")
def timeline(order_ref: str, tr: TrackingDep, who: Annotated[Principal, DISPUTE]) -> dict[str, Any]:
    with tr.uow() as uow:
        if uow.orders.get(order_ref) is None:
            raise NotFound("order", order_ref)
        steps = uow.scans.timeline(order_ref)
        scans = uow.scans.for_order(order_ref)
    return {
        "order_ref": order_ref,
        "steps": steps,
        "scans": [
            {"event_id": r.scan.event_id, "kind": r.scan.kind.value, "at": r.scan.at.isoformat(),
             "actor": r.scan.actor, "source": r.scan.source, "result": r.result,
             "detail": r.detail}
            for r in scans
        ],
    }  # fmt: skip


@router.post(
    "/orders/{order_ref}/pod", summary="Capture proof of delivery", operation_id="capture_pod",
    status_code=201,
)  # fmt: skip
def capture(
    order_ref: str,
    tr: TrackingDep,
    who: Annotated[Principal, DRIVE],
    lat: Annotated[float, Form()],
    lon: Annotated[float, Form()],
    captured_at: Annotated[AwareDatetime, Form()],
    recipient_name: Annotated[str, Form(max_length=200)] = "",
    signature: Annotated[UploadFile | None, File()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> dict[str, Any]:
    from lastmile.dispatch.tracking import capture_pod

    _check_driver(tr, who, {order_ref})
    sign = None
    if signature is not None:
        sign = (signature.content_type or "", signature.file.read())
    pictures = [(p.content_type or "", p.file.read()) for p in photos or []]
    pod = capture_pod(
        tr.uow, tr.store, order_ref=order_ref, captured_at=captured_at,
        position=Coordinate(lat, lon), now=datetime.now(UTC), recipient_name=recipient_name,
        signature=sign, photos=pictures,
    )  # fmt: skip
    return _pod_view(pod)


def _pod_view(pod: Any) -> dict[str, Any]:
    return {
        "order_ref": pod.order_ref, "content_hash": pod.content_hash,
        "captured_at": pod.captured_at.isoformat(), "lat": pod.lat, "lon": pod.lon,
        "recipient_name": pod.recipient_name, "distance_m": pod.distance_m,
        "flagged": pod.flagged,
        "files": [{"role": a.role, "content_type": a.content_type, "sha256": a.sha256,
                   "bytes": len(a.content)} for a in pod.attachments],
    }  # fmt: skip


@router.get("/orders/{order_ref}/pod", summary="Proofs of delivery", operation_id="list_pods")
def list_pods(
    order_ref: str, tr: TrackingDep, who: Annotated[Principal, DISPUTE]
) -> dict[str, Any]:
    from lastmile.tracking.pod import verify

    pods = tr.store.pods(order_ref)
    return {"order_ref": order_ref, "pods": [{**_pod_view(p), "verified": verify(p)} for p in pods]}


@router.get(
    "/orders/{order_ref}/pod/{content_hash}/files/{role}",
    summary="One POD file", operation_id="pod_file",
    response_class=Response,
)  # fmt: skip
def pod_file(
    order_ref: str, content_hash: str, role: str, tr: TrackingDep,
    who: Annotated[Principal, DISPUTE],
) -> Response:  # fmt: skip
    for pod in tr.store.pods(order_ref):
        if pod.content_hash == content_hash:
            for a in pod.attachments:
                if a.role == role:
                    return Response(a.content, media_type=a.content_type,
                                    headers={"X-Content-SHA256": a.sha256})  # fmt: skip
    raise NotFound("pod file", f"{content_hash}/{role}")
