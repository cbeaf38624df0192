"""What the routers share: storage, the API's own tables, the rate limiter and the job pool."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from lastmile.api.ratelimit import RateLimiter
from lastmile.dispatch.rules import RuleSet
from lastmile.store.api_repositories import AuditedUnitOfWork, SqlApiStore
from lastmile.store.webhook_repositories import SqlWebhookStore


@dataclass(frozen=True)
class ApiSettings:
    """How the app runs; ``lastmile serve`` fills it from options and the environment."""

    database_url: str
    rate_per_s: float = 20.0
    burst: int = 100
    max_body_bytes: int = 2_000_000
    run_worker: bool = False
    worker_interval_s: float = 0.5
    plan_workers: int = 1
    #: When a dispatched day re-plans (``lastmile serve --dispatch-rules FILE``); None: the
    #: default rules (docs/dispatch.md).
    dispatch_rules: RuleSet | None = None
    #: Seconds between looks at what tracking saw on the days being dispatched (a van
    #: late on its scans re-plans without waiting for an event); 0: only on events.
    follow_tracking_s: float = 0.0
    #: Seconds a dispatched day stays idle after a re-plan before the follower searches it
    #: once more (one ``improve`` step: a 5 s re-plan is within about 1 % of a long search
    #: only after it); 0: never. Needs ``follow_tracking_s``.
    improve_idle_s: float = 0.0


class AuditedUnits:
    """Hands out units of work over one engine whose commits carry their audit entries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> AuditedUnitOfWork:
        return AuditedUnitOfWork(self.engine)


@dataclass
class Services:
    settings: ApiSettings
    uow: AuditedUnits
    limiter: RateLimiter
    api_store: SqlApiStore
    webhooks: SqlWebhookStore
    jobs: ThreadPoolExecutor
    disposers: list[Callable[[], None]] = field(default_factory=list)
    #: Dispatched days as the last accepted event left them (``api.dispatcher``), oldest
    #: first; a request takes its day out under the lock, so no two requests share one.
    dispatch_days: dict[str, Any] = field(default_factory=dict)
    dispatch_lock: threading.Lock = field(default_factory=threading.Lock)
    #: Days a request has taken out (by first plan): the next request on such a day waits
    #: for it (``api.dispatch_day.take``) instead of rebuilding the day and racing it.
    dispatch_out: set[str] = field(default_factory=set)
    dispatch_back: threading.Condition = field(init=False)
    #: This process among the API processes sharing the database: the name of its lease
    #: on a dispatched day (``dispatch_days.taken_by``), so another process waits for it.
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.dispatch_back = threading.Condition(self.dispatch_lock)


def build_services(settings: ApiSettings) -> Services:
    """Engine, stores and pools for one app; call ``close_services`` when the app stops."""
    from lastmile.bootstrap import uow_factory

    factory = uow_factory(settings.database_url)
    services = Services(
        settings=settings,
        uow=AuditedUnits(factory.engine),
        limiter=RateLimiter(settings.rate_per_s, settings.burst),
        api_store=SqlApiStore(factory.engine),
        webhooks=SqlWebhookStore(factory.engine),
        jobs=ThreadPoolExecutor(settings.plan_workers, thread_name_prefix="plan"),
    )
    services.disposers.append(factory.dispose)
    return services


def close_services(services: Services) -> None:
    services.jobs.shutdown(wait=True, cancel_futures=True)
    for dispose in services.disposers:
        dispose()
