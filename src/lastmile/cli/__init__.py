"""The `lastmile` command. Each concern registers its commands from its own module."""

from __future__ import annotations

import typer

from lastmile.cli import (
    data,
    demo,
    dispatching,
    geography,
    planning,
    serving,
    simulating,
    tracking,
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="lastmile",
        help="Open-source last-mile delivery management.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    for module in (data, geography, planning, dispatching, serving, demo, tracking, simulating):
        module.register(app)
    return app


def main() -> None:
    build_app()()
