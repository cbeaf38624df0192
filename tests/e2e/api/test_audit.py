"""The audit log is written in the same transaction as the write it describes."""

from __future__ import annotations

import pytest

from lastmile.api.auth import Role
from lastmile.store.api_repositories import AuditedUnitOfWork, SqlApiStore
from lastmile.store.db import make_engine
from lastmile.store.uow import SqlUnitOfWork
from tests.e2e.api.conftest import HUB, Api, order

pytestmark = pytest.mark.storage


def _audit(api: Api) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = api.client.get("/v1/audit", headers=api.as_(Role.ADMIN)).json()
    return rows


def test_a_successful_write_has_one_entry_with_who_what_when_before_and_after(api: Api) -> None:
    admin = api.as_(Role.ADMIN)
    api.client.post("/v1/hubs", json=HUB, headers=admin)
    api.client.post("/v1/hubs", json={**HUB, "name": "Renamed"}, headers=admin)
    api.client.post("/v1/hubs", json={**HUB, "name": "Renamed"}, headers=admin)  # no change
    entries = _audit(api)
    assert [e["action"] for e in entries] == ["hub.upsert", "hub.upsert"]
    newest = entries[0]
    assert newest["actor"] == f"key:{api.keys[Role.ADMIN].split('_')[1]}"
    assert newest["target"] == "hubs/H1" and newest["at"]
    assert newest["before"]["name"] == "Mitte" and newest["after"]["name"] == "Renamed"  # type: ignore[index]


def test_a_write_that_fails_at_commit_leaves_neither_the_change_nor_an_entry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = api.as_(Role.ADMIN)
    assert api.client.post("/v1/hubs", json=HUB, headers=admin).status_code == 201

    def broken(self: SqlUnitOfWork, events: object) -> None:
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(SqlUnitOfWork, "_write_events", broken)
    failed = api.client.post("/v1/orders", json=order("O1"), headers=admin)
    assert failed.status_code == 500 and "Traceback" not in failed.text
    monkeypatch.undo()
    assert api.client.get("/v1/orders/O1", headers=admin).status_code == 404
    assert [e["action"] for e in _audit(api)] == ["hub.upsert"]


def test_an_api_key_whose_audit_entry_cannot_be_written_is_not_created(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = api.as_(Role.ADMIN)
    keys_before = api.client.get("/v1/api-keys", headers=admin).json()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(SqlApiStore, "audit", broken)
    failed = api.client.post("/v1/api-keys", json={"role": "analyst"}, headers=admin)
    assert failed.status_code == 500
    monkeypatch.undo()
    assert api.client.get("/v1/api-keys", headers=admin).json() == keys_before
    assert _audit(api) == []


def test_a_rolled_back_unit_of_work_forgets_its_queued_entries(api: Api) -> None:
    engine = make_engine(api.url)
    try:
        with AuditedUnitOfWork(engine) as uow:
            uow.audit("key:x", "hub.upsert", "hubs/H9", None, {"ref": "H9"})
            uow.rollback()
            uow.commit()
        with AuditedUnitOfWork(engine) as uow:
            uow.audit("key:x", "hub.upsert", "hubs/H8", None, {"ref": "H8"})
            uow.commit()
    finally:
        engine.dispose()
    assert [e["target"] for e in _audit(api)] == ["hubs/H8"]


def test_a_batch_has_one_entry_with_each_changed_order_before_and_after(api: Api) -> None:
    admin = api.as_(Role.ADMIN)
    api.client.post("/v1/hubs", json=HUB, headers=admin)
    api.client.post("/v1/orders", json=order("O1"), headers=admin)
    batch = {"orders": [order("O1", priority=3), order("O2", 1), order("O3", 2)]}
    api.client.post("/v1/orders/batch", json=batch, headers=admin)
    api.client.post("/v1/orders/batch", json=batch, headers=admin)  # nothing changes
    entries = [e for e in _audit(api) if e["action"] == "order.batch"]
    assert len(entries) == 1
    before, after = entries[0]["before"], entries[0]["after"]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert sorted(after) == ["O1", "O2", "O3"] and sorted(before) == ["O1", "O2", "O3"]
    assert before["O2"] is None and after["O2"]["ref"] == "O2"
    assert before["O1"]["priority"] != 3 and after["O1"]["priority"] == 3
