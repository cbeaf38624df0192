"""`lastmile serve` over real HTTP; `apikey create` prints a key once, `revoke` ends it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lastmile.cli import build_app
from lastmile.store.api_repositories import SqlApiStore
from lastmile.store.db import make_engine

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.storage
def test_serve_answers_with_a_key_from_the_cli_and_refuses_it_once_revoked(
    database_url: str,
) -> None:
    runner = CliRunner()
    created = runner.invoke(build_app(), ["apikey", "create", "--role", "analyst",
                                          "--database", database_url])  # fmt: skip
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("lm_")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = "from lastmile.cli import main; main()"
    server = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port), "--database", database_url],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                docs = httpx.get(f"{base}/docs", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "lastmile serve did not start"
                time.sleep(0.2)
        assert docs.status_code == 200
        assert httpx.get(f"{base}/v1/hubs", headers={"X-API-Key": key}).status_code == 200
        key_id = key.split("_")[1]
        revoked = runner.invoke(build_app(), ["apikey", "revoke", key_id,
                                              "--database", database_url])  # fmt: skip
        assert revoked.exit_code == 0, revoked.output
        assert httpx.get(f"{base}/v1/hubs", headers={"X-API-Key": key}).status_code == 401
    finally:
        server.terminate()
        server.wait(10)
    engine = make_engine(database_url)
    entries = SqlApiStore(engine).audit_entries(10)
    engine.dispose()
    assert [(e["actor"], e["action"], e["target"]) for e in reversed(entries)] == [
        ("cli", "api_key.create", f"api-keys/{key_id}"),
        ("cli", "api_key.revoke", f"api-keys/{key_id}"),
    ]


def test_an_unknown_role_is_refused_naming_the_roles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    result = CliRunner().invoke(build_app(), ["apikey", "create", "--role", "boss",
                                              "--database", url])  # fmt: skip
    assert result.exit_code == 2 and "dispatcher" in result.output
