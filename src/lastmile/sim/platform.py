"""The platform as the street meets it: storage, the tracking services and the live monitor.

Drivers' pings, scans and proofs of delivery go through the same services the API calls
(``dispatch.tracking.ingest_pings``, ``record_scans``, ``capture_pod`` and the
``LiveMonitor``), on the SQL store, or over HTTP/MQTT to a running server through an
:mod:`~lastmile.sim.uplink`. A device uploads what it recorded every ``flush_s`` simulated
seconds, as a phone app on a patchy network does; scans go with the same upload, after the
pings, so a geofenced arrival is on the timeline before the doorstep scan that follows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from lastmile.dispatch.tracking_live import LiveMonitor
from lastmile.dispatch.tracking_ports import TrackingStore, TrackingUnitOfWork
from lastmile.domain import Coordinate, Hub, Order, Plan, Zone
from lastmile.domain.enums import LifecycleState, Outcome
from lastmile.domain.events import DomainEvent, OrderPlaced
from lastmile.geo.travel import TravelTimeProvider
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import PlanResult
from lastmile.sim.uplink import InProcess, PodUpload, Uplink
from lastmile.tracking.eta.prediction import EtaPrediction
from lastmile.tracking.model import Ping, Scan, ScanKind

T = TypeVar("T")
#: Order states a plan may take a parcel from (back on the shelf counts).
PLANNABLE = (LifecycleState.CREATED, LifecycleState.READY, LifecycleState.RETURNED)


@dataclass
class Platform:
    """lastmile's services over one database, fed by the simulated devices."""

    uow: Callable[[], TrackingUnitOfWork]
    store: TrackingStore
    provider: TravelTimeProvider
    origin: datetime
    service_date: str
    plan_ref: str
    #: How the devices reach the platform; ``None``: in this process (see ``sim.uplink``).
    uplink: Uplink | None = None
    monitor: LiveMonitor = field(init=False)
    pings: list[Ping] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    pods: list[PodUpload] = field(default_factory=list)
    #: Every event the platform raised, with the simulated second it was raised at.
    events: list[tuple[float, DomainEvent]] = field(default_factory=list)
    dispatched: set[str] = field(default_factory=set)
    followed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pods_stored: set[str] = field(default_factory=set)
    #: Route ref -> the version stored last (routes are updated optimistically).
    versions: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Progress is re-read after every arrival, departure and scan: no wall-clock expiry,
        # so a replayed day sees the same ETAs.
        self.monitor = LiveMonitor(self.uow, self.store, self.provider, progress_ttl_s=1e12)
        if self.uplink is None:
            self.uplink = InProcess(self.uow, self.store, self.monitor)

    @property
    def device(self) -> Uplink:
        assert self.uplink is not None, "set in __post_init__"
        return self.uplink

    def at(self, t_s: float) -> datetime:
        return self.origin + timedelta(seconds=round(t_s, 3))

    def load_network(
        self, hubs: Sequence[Hub], zones: Sequence[Zone], entities: Iterable[object]
    ) -> None:
        """Hubs, zones, vehicles, drivers and shifts, as an import would store them."""
        with self.uow() as uow:
            for hub in hubs:
                uow.hubs.add(hub)
            for zone in zones:
                uow.zones.add(zone)
            for entity in entities:
                name = type(entity).__name__.lower() + "s"
                getattr(uow, name).add(entity)
            uow.commit()

    def place(self, orders: Sequence[Order]) -> None:
        """Orders accepted by the API (checkout, marketplace, import)."""
        with self.uow() as uow:
            for order in orders:
                # Placed at its simulated time, so the journey's clock is the day's clock.
                order.events.append(
                    OrderPlaced(
                        order_ref=order.ref, hub_ref=order.hub_ref, occurred_at=order.created_at
                    )
                )
                uow.orders.add(order)
            uow.commit()

    def publish(self, problem: PlanningProblem, plan: PlanResult, now_s: float) -> None:
        """Store the day's plan, dispatch its parcels to their routes, follow each van."""
        domain = plan.to_domain(problem, self.plan_ref, self.service_date)
        domain.routes = [
            replace(r, ref=ref, version=self.versions.get(ref, 1))
            for r in domain.routes
            for ref in [self.route_ref(r.vehicle_ref)]
        ]
        fresh = [
            ref
            for r in plan.routes
            for v in r.visits
            for ref in v.order_refs
            if ref not in self.dispatched
        ]
        with self.uow() as uow:
            uow.plans.add(domain)
            for ref in fresh:
                order = uow.orders.get(ref)
                if order is None or not _dispatch(order, self.at(now_s)):
                    continue
                uow.orders.add(order)
                self.dispatched.add(ref)
            uow.commit()
        self.versions.update({r.ref: r.version for r in domain.routes})
        self._follow(domain)

    def route_ref(self, vehicle_ref: str) -> str:
        return f"{self.plan_ref}-{vehicle_ref}"

    def _follow(self, plan: Plan) -> None:
        for route in plan.routes:
            stops = tuple(v.stop_ref for v in route.visits)
            if self.followed.get(route.vehicle_ref) != stops:
                self.device.follow(route.vehicle_ref, self.plan_ref, route.ref)
                self.followed[route.vehicle_ref] = stops

    def returned(self, ref: str) -> None:
        """A parcel is back on the shelf: the next plan that takes it dispatches it again."""
        self.dispatched.discard(ref)

    def ping(self, ping: Ping) -> None:
        self.pings.append(ping)

    def scan(self, scan: Scan, *, now_s: float | None = None) -> None:
        """Queue a scan for the next upload, or record it at once (at the hub, on wifi)."""
        if now_s is None:
            self.scans.append(scan)
        else:
            self.device.hub_scans([scan], self.at(now_s))

    def cancel(self, order_ref: str, now_s: float) -> None:
        """The customer cancels an order whose parcel has not left the hub."""
        with self.uow() as uow:
            order = uow.orders.get(order_ref)
            if order is not None and not order.is_terminal and not order.is_on_vehicle:
                order.cancel(reason="cancelled by the customer", at=self.at(now_s))
                uow.orders.add(order)
            uow.commit()

    def pod(self, order_ref: str, at: datetime, position: Coordinate, name: str) -> None:
        self.pods.append(PodUpload(order_ref, at, position, name))

    def flush(self, now_s: float) -> None:
        """Upload what the devices recorded up to now, through the ingestion services."""
        now = self.at(now_s)
        due, self.pings = _split(self.pings, lambda p: p.recorded_at <= now)
        if due:
            self._raised(now_s, self.device.pings(due, now))
        scans, self.scans = _split(self.scans, lambda s: s.at <= now)
        if scans:
            self._raised(now_s, self.device.scans(scans, now))
        pods, self.pods = _split(self.pods, lambda p: p.at <= now)
        for p in pods:
            self.device.pod(p, now)
            self.pods_stored.add(p.order_ref)

    def raised(self, now_s: float, events: Iterable[DomainEvent]) -> None:
        self._raised(now_s, events)

    def _raised(self, now_s: float, events: Iterable[DomainEvent]) -> None:
        self.events.extend((now_s, e) for e in events)

    def close_day(self, reasons: dict[str, str], now_s: float) -> None:
        """Orders that did not end today move to another day, with the reason."""
        at = self.at(now_s)
        with self.uow() as uow:
            for ref, reason in sorted(reasons.items()):
                order = uow.orders.get(ref)
                if order is None or order.is_terminal:
                    continue
                if order.state is LifecycleState.COMPLETED and order.outcome is Outcome.FAILED:
                    continue  # back at the hub already journalled; the failure stands
                if order.state in (LifecycleState.DISPATCHED,):
                    order.advance(LifecycleState.PLANNED, at=at, reason="route recalled")
                if order.state in (
                    LifecycleState.CREATED,
                    LifecycleState.READY,
                    LifecycleState.PLANNED,
                    LifecycleState.RETURNED,
                ):
                    order.reschedule(None, reason=reason, at=at)
                    uow.orders.add(order)
            uow.commit()

    def eta_snapshots(self) -> list[EtaPrediction]:
        return self.store.eta_snapshots()

    def has_pod(self, order_ref: str) -> bool:
        return bool(self.store.pods(order_ref))


def _dispatch(order: Order, at: datetime) -> bool:
    """Walk a plannable order to ``dispatched``; False when it is not plannable now."""
    if order.state is LifecycleState.RETURNED:
        order.advance(LifecycleState.READY, at=at, reason="back on the shelf")
    if order.state in (LifecycleState.CREATED, LifecycleState.READY):
        order.advance(LifecycleState.PLANNED, at=at, reason="planned")
    if order.state is LifecycleState.PLANNED:
        order.advance(LifecycleState.DISPATCHED, at=at, reason="route sent to the driver")
        return True
    return False


def _split(items: list[T], due: Callable[[T], bool]) -> tuple[list[T], list[T]]:
    now = [x for x in items if due(x)]
    later = [x for x in items if not due(x)]
    return now, later


def scan(kind: ScanKind, ref: str, van: str, at: datetime, where: Coordinate, **kw: object) -> Scan:
    """A driver-app scan, its event id derived from what it says (replays are harmless)."""
    return Scan(
        event_id=f"sim:{van}:{ref}:{kind.value}:{at.isoformat()}",
        order_ref=ref,
        kind=kind,
        at=at,
        actor=f"driver:{van}",
        lat=where.lat,
        lon=where.lon,
        device_id=van,
        **kw,  # type: ignore[arg-type]
    )
