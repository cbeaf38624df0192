"""Re-plans recorded through the SQL unit of work: each one lands in the outbox table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lastmile.bootstrap import init_database, uow_factory
from lastmile.dispatch import commands as c
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replan_log import records_from_outbox
from lastmile.dispatch.replanning import dispatch_bus
from lastmile.dispatch.state import advance
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.store import tables as t
from tests.unit.dispatch.day import HOUR, day, plan

pytestmark = pytest.mark.storage


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    yield init_database(database_url)


def test_every_re_plan_is_stored_with_its_reason_and_changes(url: str) -> None:
    problem = day(20, 2, windows=True)
    state = advance(problem, plan(problem), int(4 * HOUR))
    ctx = DispatchContext(state, PyVRPSolver(), ReplanPolicy(time_limit_s=0.3, workers=1))
    factory = uow_factory(url)
    try:
        bus = dispatch_bus(ctx, factory)
        waiting = [r for r in state.open_jobs() if state.carrier(r) is None]
        bus.handle(c.CancelStop(stop_ref=waiting[0], reason="customer away"))
        bus.handle(c.Replan(reason="end of wave check"))
        with factory.engine.connect() as conn:
            rows = conn.execute(sa.select(t.outbox.c.event_type, t.outbox.c.payload)).all()
    finally:
        factory.dispose()
    types = [r.event_type for r in rows]
    assert "StopCancelled" in types
    records = records_from_outbox(r.payload for r in rows)
    assert [r.replan_id for r in records] == [r.replan_id for r in ctx.log]
    assert records[0].trigger == "StopCancelled"
    assert records[1].reason == "end of wave check"
    assert ("removed", waiting[0], "cancelled") in records[0].changes
