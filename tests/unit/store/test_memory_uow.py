"""The in-memory unit of work keeps the same promises as the SQL one (see contract.py)."""

from __future__ import annotations

from tests.unit.store.contract import *  # noqa: F403  (the shared sentences, run on memory)


def test_units_from_one_factory_share_what_was_committed_and_only_that() -> None:
    from lastmile.bootstrap import memory_uow_factory
    from tests.unit.store import examples as ex

    new_uow = memory_uow_factory()
    with new_uow() as writer:
        writer.orders.add(ex.order("ORD-1"))
        writer.commit()
        writer.orders.add(ex.order("ORD-2"))
        assert writer.orders.count() == 2  # flushed into the writer's transaction
        with new_uow() as reader:
            assert [o.ref for o in reader.orders.list()] == ["ORD-1"]
    with new_uow() as later:
        assert later.orders.count() == 1
