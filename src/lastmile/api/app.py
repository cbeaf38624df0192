"""The FastAPI app: every router is listed in ``ROUTERS``, errors map in ``api.errors``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from lastmile.api import errors
from lastmile.api.middleware import GuardMiddleware
from lastmile.api.services import ApiSettings, Services, build_services, close_services


def routers() -> list[APIRouter]:
    """Every resource router, in the order they appear in /docs; add new ones here."""
    from lastmile.api.routers import (
        customer,
        dispatch,
        keys,
        orders,
        plans,
        resources,
        routes,
        webhooks,
    )
    from lastmile.api.routers import tracking as tracking_routes

    return [
        *resources.routers(),
        orders.router,
        plans.router,
        routes.router,
        dispatch.router,
        webhooks.router,
        keys.router,
        customer.router,
        tracking_routes.router,
    ]


def create_app(settings: ApiSettings) -> FastAPI:
    """The app over ``settings.database_url`` (migrated by the caller)."""
    holder: dict[str, Services] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stops = []
        if settings.run_worker:
            from lastmile.api.worker import start_in_thread

            stops.append(start_in_thread(settings.database_url, settings.worker_interval_s))
        if settings.follow_tracking_s > 0:
            from lastmile.api.dispatch_follow import start_following

            stops.append(start_following(holder["services"], settings.follow_tracking_s))
        try:
            yield
        finally:
            for stop in reversed(stops):
                stop()
            close_services(holder["services"])

    app = FastAPI(
        title="lastmile",
        version="1",
        description="Last-mile delivery platform API. Authenticate with `X-API-Key`.",
        lifespan=lifespan,
    )
    services = build_services(settings)
    holder["services"] = services
    app.state.services = services
    errors.install(app)
    app.add_middleware(
        GuardMiddleware, max_body_bytes=settings.max_body_bytes, store=lambda: services.api_store
    )
    for router in routers():
        app.include_router(router)
    return app
