"""CLI commands: ``serve`` (the HTTP API), ``worker`` (webhooks), ``apikey create|revoke``."""

from __future__ import annotations

from pathlib import Path

import typer

from lastmile.domain.errors import LastMileError

apikey_app = typer.Typer(help="Create and revoke API keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(apikey_app, name="apikey")
    apikey_app.command("create")(apikey_create)
    apikey_app.command("revoke")(apikey_revoke)


def _database(url: str | None) -> str:
    from lastmile.bootstrap import init_database

    try:
        return init_database(url or None)
    except LastMileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="Deliver webhooks here."),
    dispatch_rules: Path | None = typer.Option(
        None,
        "--dispatch-rules",
        help="YAML rules: when a dispatched day re-plans, and what a re-plan weighs.",
    ),
    follow_tracking_s: float = typer.Option(
        30.0,
        "--follow-tracking-s",
        min=0,
        help="Seconds between looks at the scans of dispatched days (0: only on events).",
    ),
    improve_idle_s: float = typer.Option(
        20.0,
        "--improve-idle-s",
        min=0,
        help="Search a dispatched day once more after a re-plan idle this long (0: never).",
    ),
) -> None:
    """Run the HTTP API (OpenAPI at /docs) with the webhook worker in-process."""
    import uvicorn

    from lastmile.api.app import create_app
    from lastmile.api.services import ApiSettings
    from lastmile.dispatch.rules import load_rules

    rules = None
    if dispatch_rules is not None:
        try:
            rules = load_rules(dispatch_rules)
        except (LastMileError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    url = _database(database)
    settings = ApiSettings(
        database_url=url, run_worker=worker, dispatch_rules=rules,
        follow_tracking_s=follow_tracking_s, improve_idle_s=improve_idle_s,
    )  # fmt: skip
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info")


def worker(
    database: str | None = typer.Option(None, "--database", help="Database URL."),
    interval: float = typer.Option(0.5, "--interval", help="Seconds between idle polls."),
) -> None:
    """Deliver webhooks from the outbox until interrupted (SIGINT/SIGTERM)."""
    import signal
    import threading

    from lastmile.api.worker import build_worker

    url = _database(database)
    runner, dispose = build_worker(url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo(f"delivering webhooks from {url.split('@')[-1]}", err=True)
    try:
        runner.run(stop, interval)
    except KeyboardInterrupt:
        pass
    finally:
        dispose()


def apikey_create(
    role: str = typer.Option(..., "--role", help="admin, dispatcher, driver, integrator, analyst"),
    name: str = typer.Option("", "--name", help="Who or what the key is for."),
    driver: str | None = typer.Option(None, "--driver", help="Driver reference (role driver)."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """Create a key and print it once; only its hash is stored."""
    from lastmile.api.auth import parse_role
    from lastmile.api.routers.keys import create_key
    from lastmile.api.services import ApiSettings, build_services, close_services

    url = _database(database)
    services = build_services(ApiSettings(database_url=url))
    try:
        row, plaintext = create_key(services, parse_role(role), name, driver, by="cli")
    except LastMileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        close_services(services)
    typer.echo(plaintext)
    typer.echo(
        f"key id {row.key_id}, role {row.role}: store it now, it is not shown again", err=True
    )


def apikey_revoke(
    key_id: str = typer.Argument(..., help="The key id (the part after lm_)."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """Revoke a key at once; requests with it get 401."""
    from datetime import UTC, datetime

    from lastmile.store.api_repositories import SqlApiStore
    from lastmile.store.db import make_engine

    url = _database(database)
    engine = make_engine(url)
    try:
        now, store = datetime.now(UTC), SqlApiStore(engine)
        with store.begin() as conn:  # the revocation and its audit entry together
            store.revoke_key(key_id, now, conn=conn)
            after = {"revoked_at": now.isoformat()}
            store.audit("cli", "api_key.revoke", f"api-keys/{key_id}", None, after, now, conn)
    except LastMileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"revoked {key_id}")
