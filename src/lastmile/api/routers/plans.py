"""Plans: creating one starts an optimization job; poll the job, then fetch the plan."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from lastmile.api import pagination
from lastmile.api.auth import Action, Principal
from lastmile.api.deps import ServicesDep, audit_now, require
from lastmile.api.planner import run_job
from lastmile.api.routers import filters
from lastmile.api.views import plan_view
from lastmile.domain.errors import NotFound

router = APIRouter(prefix="/v1/plans", tags=["plans"])
READ = Depends(require("plans", Action.READ))
WRITE = Depends(require("plans", Action.WRITE))


class PlanRequest(BaseModel):
    hub_ref: str = Field(min_length=1, max_length=128)
    service_date: date
    time_limit_s: float = Field(default=5.0, gt=0, le=600)


class PlanJob(BaseModel):
    id: str
    status: str = Field(description="queued, running, done or failed")
    hub_ref: str
    service_date: str
    plan_ref: str | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime


def _job(row: dict[str, Any]) -> PlanJob:
    return PlanJob(
        id=row["ref"], **{k: v for k, v in row.items() if k not in ("ref", "time_limit_s")}
    )


@router.post("", status_code=202, summary="Start planning a hub's day", operation_id="create_plan")
def create_plan(
    body: PlanRequest, response: Response, svc: ServicesDep, who: Annotated[Principal, WRITE]
) -> PlanJob:
    with svc.uow() as uow:
        if uow.hubs.get(body.hub_ref) is None:
            raise NotFound("hub", body.hub_ref)
    now = datetime.now(UTC)
    ref = uuid.uuid4().hex[:16]
    day = body.service_date.isoformat()
    row = {
        "ref": ref, "hub_ref": body.hub_ref, "service_date": day,
        "time_limit_s": body.time_limit_s, "status": "queued", "plan_ref": None, "error": None,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    with svc.api_store.begin() as conn:
        svc.api_store.add_plan_job(row, conn=conn)
        shown = {"hub_ref": body.hub_ref, "date": day, "time_limit_s": body.time_limit_s}
        audit_now(svc, conn, who, "plan.create", f"plan-jobs/{ref}", None, shown)
    svc.jobs.submit(run_job, svc, ref, body.hub_ref, day, body.time_limit_s)
    response.headers["Location"] = f"/v1/plans/jobs/{ref}"
    return _job(row)


@router.get("/jobs/{job_id}", summary="Status of a plan job", operation_id="get_plan_job")
def get_plan_job(job_id: str, svc: ServicesDep, _: Annotated[Principal, READ]) -> PlanJob:
    row = svc.api_store.plan_job(job_id)
    if row is None:
        raise NotFound("plan job", job_id)
    return _job(row)


@router.get("", summary="List plans", operation_id="list_plans", dependencies=[filters.STRICT])
def list_plans(
    svc: ServicesDep,
    _: Annotated[Principal, READ],
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 50,
    cursor: str | None = None,
    hub: filters.HubQuery = None,
    date: filters.DateQuery = None,
) -> pagination.Page:
    """Plans have no status filter: every stored plan is a draft until routes are dispatched."""
    after = pagination.decode(cursor)
    date = filters.service_date(date)
    with svc.uow() as uow:
        plans = uow.plans.list_by(service_date=date, hub_ref=hub)
    rows = [plan_view(p) for p in plans if after is None or p.ref > after]
    return pagination.page_of(rows[:limit], limit, len(rows) > limit)


@router.get(
    "/{ref}", summary="A plan with its routes and unassigned stops", operation_id="get_plan"
)
def get_plan(ref: str, svc: ServicesDep, _: Annotated[Principal, READ]) -> dict[str, Any]:
    with svc.uow() as uow:
        plan = uow.plans.get(ref)
        if plan is None:
            raise NotFound("plan", ref)
        return plan_view(plan)
