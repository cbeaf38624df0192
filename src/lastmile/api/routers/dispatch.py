"""Dispatching a plan: events of the street, each re-planning the day when the rules say so.

``POST /v1/dispatch/{ref}/events`` takes one event on plan ``ref``'s day; the first one
starts dispatching the plan. The answer says what the re-plan changed and why, and names the
plan in force (a re-plan stores a new plan, ``{ref}.{step}``, and marks the one it replaces
``superseded``). ``GET /v1/dispatch/{ref}`` lists the day's steps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from lastmile.api.auth import Action, Principal, Role, allowed
from lastmile.api.deps import PrincipalDep, ServicesDep, require
from lastmile.api.dispatch_steps import day_view
from lastmile.api.dispatcher import observe, report, zone_orders
from lastmile.dispatch import commands as c
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import stop_for_order
from lastmile.domain.errors import InvalidInput, NotFound
from lastmile.domain.events import Command

router = APIRouter(prefix="/v1/dispatch", tags=["dispatch"])
READ = Depends(require("plans", Action.READ))


def _reporter(who: PrincipalDep) -> Principal:
    """Dispatchers and admins report any event; a driver reports its own van's delays,
    failed attempts and breakdowns (checked against the plan in force)."""
    if who.role is Role.DRIVER or allowed(who.role, "plans", Action.WRITE):
        return who
    raise HTTPException(403, f"role {who.role.value!r} may not write plans")


REPORT = Depends(_reporter)
Ref = Annotated[str, Field(min_length=1, max_length=128)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="when it happened (default: now); never before the last event"
    )


class OrderAdded(_Event):
    """A stored order joins today's plan (create it with POST /v1/orders first)."""

    type: Literal["order_added"]
    order_ref: Ref

    def command(self, uow: UnitOfWork) -> Command:
        order = uow.orders.get(self.order_ref)
        if order is None:
            raise NotFound("order", self.order_ref)
        stop = stop_for_order(order)
        return c.AddStopToDay(
            stop_ref=order.ref,
            hub_ref=order.hub_ref,
            location=stop.location.coordinate,
            windows=tuple((w.start, w.end) for w in stop.windows),
            service_s=stop.service_s,
            weight_g=stop.load.weight_g,
            volume_cm3=stop.load.volume_cm3,
            parcels=stop.load.parcels,
            ready_at=stop.ready_at,
            skills=stop.skills,
        )


class StopCancelled(_Event):
    type: Literal["stop_cancelled"]
    stop_ref: Ref
    reason: str = Field(default="cancelled by the customer", max_length=500)

    def command(self, uow: UnitOfWork) -> Command:
        return c.CancelStop(stop_ref=self.stop_ref, reason=self.reason)


class ReadinessSlipped(_Event):
    type: Literal["readiness_slipped"]
    stop_refs: list[Ref] = Field(min_length=1, max_length=10_000)
    ready_at: AwareDatetime

    def command(self, uow: UnitOfWork) -> Command:
        return c.SlipReadiness(stop_refs=tuple(self.stop_refs), ready_at=self.ready_at)


class VehicleDelayed(_Event):
    type: Literal["vehicle_delayed"]
    vehicle_ref: Ref
    delay_s: int = Field(ge=0, le=86_400)

    def command(self, uow: UnitOfWork) -> Command:
        return c.ReportDelay(vehicle_ref=self.vehicle_ref, delay_s=self.delay_s)


class AttemptFailed(_Event):
    type: Literal["attempt_failed"]
    stop_ref: Ref
    reason: str = Field(min_length=1, max_length=500)
    retry_after_s: int = Field(default=1800, ge=0, le=86_400)

    def command(self, uow: UnitOfWork) -> Command:
        return c.RecordFailedAttempt(
            stop_ref=self.stop_ref, reason=self.reason, retry_after_s=self.retry_after_s
        )


class VehicleBrokeDown(_Event):
    type: Literal["vehicle_broke_down"]
    vehicle_ref: Ref
    rescue_vehicle_ref: Ref | None = None
    transfer_s: int = Field(default=600, ge=0, le=86_400)
    back_to_hub_s: int = Field(default=3600, ge=0, le=86_400)

    def command(self, uow: UnitOfWork) -> Command:
        return c.ReportBreakdown(
            vehicle_ref=self.vehicle_ref,
            rescue_vehicle_ref=self.rescue_vehicle_ref,
            transfer_s=self.transfer_s,
            back_to_hub_s=self.back_to_hub_s,
        )


class ZoneSlowed(_Event):
    type: Literal["zone_slowed"]
    zone_ref: Ref
    factor: float = Field(ge=1.0, le=10.0, description="travel into the zone takes this x long")

    def command(self, uow: UnitOfWork) -> Command:
        zone = uow.zones.get(self.zone_ref)
        if zone is None:
            raise NotFound("zone", self.zone_ref)
        return c.ReportSlowdown(zone=zone, factor=self.factor)


class SlotsFilling(_Event):
    """How fast a zone's slots before the cutoff are filling, from the booking system: the
    rules (``slots_filling``) may start that zone's wave early."""

    type: Literal["slots_filling"]
    zone_ref: Ref
    filled_per_hour: float = Field(ge=0, le=100_000, description="slots booked in the last hour")

    def command(self, uow: UnitOfWork) -> Command:
        if uow.zones.get(self.zone_ref) is None:
            raise NotFound("zone", self.zone_ref)
        return c.ObserveSlots(
            zone_ref=self.zone_ref,
            filled_per_hour=self.filled_per_hour,
            stop_refs=zone_orders(uow, self.zone_ref),
        )


class ReplanAsked(_Event):
    type: Literal["replan"]
    reason: str = Field(default="asked by the dispatcher", min_length=1, max_length=500)

    def command(self, uow: UnitOfWork) -> Command:
        return c.Replan(reason=self.reason, trigger="manual")


class ImproveAsked(_Event):
    """Search the day again; the plan changes only if the search finds a better one."""

    type: Literal["improve"]

    def command(self, uow: UnitOfWork) -> Command:
        return c.ImprovePlan(trigger="manual")


Event = Annotated[
    OrderAdded
    | StopCancelled
    | ReadinessSlipped
    | VehicleDelayed
    | AttemptFailed
    | VehicleBrokeDown
    | ZoneSlowed
    | SlotsFilling
    | ReplanAsked
    | ImproveAsked,
    Field(discriminator="type"),
]


@router.post(
    "/{ref}/events",
    summary="Report an event of the street on a dispatched plan",
    operation_id="report_dispatch_event",
)
def report_event(
    ref: str,
    event: Event,
    svc: ServicesDep,
    who: Annotated[Principal, REPORT],
    budget_s: Annotated[
        float, Query(gt=0, le=60, description="seconds the re-plan may search")
    ] = 5.0,
) -> dict[str, Any]:
    at: datetime | None = event.at
    if isinstance(event, ReadinessSlipped) and at is not None and event.ready_at < at:
        raise InvalidInput("ready_at is before the event", field="ready_at")
    driver = None
    if who.role is Role.DRIVER:
        if not isinstance(event, VehicleDelayed | AttemptFailed | VehicleBrokeDown):
            raise HTTPException(
                403, "a driver reports only its van's delays, failed attempts and breakdowns"
            )
        if isinstance(event, VehicleBrokeDown) and event.rescue_vehicle_ref is not None:
            raise InvalidInput(
                "the dispatcher sends the rescue van; report the breakdown without it",
                field="rescue_vehicle_ref",
            )
        driver = who.driver_ref or ""
    return report(svc, ref, event.command, at, budget_s, who.actor, driver=driver)


class Look(_Event):
    """Record what tracking saw up to ``at``, with no other event."""


@router.post(
    "/{ref}/observe",
    summary="Record the scans tracking saw on a dispatched plan's day",
    operation_id="observe_dispatch_day",
)
def observe_day(
    ref: str,
    svc: ServicesDep,
    who: Annotated[Principal, Depends(require("plans", Action.WRITE))],
    look: Look | None = None,
    budget_s: Annotated[
        float, Query(gt=0, le=60, description="seconds a re-plan may search")
    ] = 5.0,
) -> dict[str, Any]:
    """Stops completed and failed attempts the orders' journeys show since the day last
    looked become steps by actor ``tracking`` (``tracked_steps``; none when nothing is
    new); a van off its plan by more than the rules allow is re-planned. ``lastmile
    serve`` does this on its own every ``--follow-tracking-s`` seconds."""
    return observe(svc, ref, look.at if look else None, budget_s)


@router.get("/{ref}", summary="A dispatched day and its steps", operation_id="get_dispatch_day")
def get_day(ref: str, svc: ServicesDep, _: Annotated[Principal, READ]) -> dict[str, Any]:
    return day_view(svc, ref)
