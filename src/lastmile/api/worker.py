"""Wiring of the webhook worker to SQL storage; used in-process by ``serve`` and by ``worker``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from lastmile.dispatch.ports import UnitOfWork
from lastmile.notify.webhooks import Backoff, HttpxPoster, WebhookWorker


class UnitOfWorkEntities:
    """``notify.ports.EntityReader``: what an event is about, as the API shows it now.

    Order events carry the order, plan events the plan; route and tracking events
    (``route.dispatched``, ``eta.changed``, drift, ``exception.opened`` ...) carry the order
    they name, else the route with its stops; geofence events (``vehicle.*``) the vehicle.
    """

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def current(self, event_type: str, aggregate_ref: str) -> Mapping[str, Any] | None:
        from lastmile.api.records import context_of, write_row
        from lastmile.api.routers.orders import order_view
        from lastmile.api.views import plan_view
        from lastmile.exchange import Kind

        with self._uow() as uow:
            if event_type.startswith("Plan"):
                plan = uow.plans.get(aggregate_ref)
                return plan_view(plan) if plan else None
            order = uow.orders.get(aggregate_ref)
            if order is not None:
                return order_view(order, context_of(uow))
            if event_type.startswith("Order"):
                return None
            route = _route(uow, aggregate_ref)
            if route is not None:
                return route
            vehicle = uow.vehicles.get(aggregate_ref)  # geofence events name the vehicle
            return write_row(Kind.VEHICLES, vehicle, context_of(uow)) if vehicle else None


def _route(uow: UnitOfWork, route_ref: str) -> Mapping[str, Any] | None:
    from lastmile.api.planner import find_route
    from lastmile.api.views import route_view
    from lastmile.domain.errors import NotFound

    try:
        plan, route = find_route(uow, route_ref)
    except NotFound:
        return None
    return route_view(plan, route)


def build_worker(
    url: str, backoff: Backoff | None = None
) -> tuple[WebhookWorker, Callable[[], None]]:
    """A worker over the database at ``url`` and a function that releases its connections."""
    from lastmile.bootstrap import uow_factory
    from lastmile.store.outbox import SqlOutbox
    from lastmile.store.webhook_repositories import SqlWebhookStore

    factory = uow_factory(url)
    worker = WebhookWorker(
        SqlOutbox(factory.engine),
        SqlWebhookStore(factory.engine),
        UnitOfWorkEntities(factory),
        HttpxPoster(),
        backoff=backoff,
    )
    return worker, factory.dispose


def start_in_thread(url: str, interval_s: float) -> Callable[[], None]:
    """Run the worker beside the API; returns the function that stops it."""
    worker, dispose = build_worker(url)
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(stop, interval_s), name="webhooks", daemon=True
    )
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=10)
        dispose()

    return halt
