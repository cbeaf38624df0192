"""Hubs, zones, vehicles, drivers and shifts: create-or-update by reference, read, list.

No ``from __future__ import annotations`` here: the endpoints are made per kind inside
functions, and FastAPI must see their annotations as objects, not as names to resolve later.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from lastmile.api import pagination
from lastmile.api.auth import Action, Principal
from lastmile.api.deps import ServicesDep, audit, require
from lastmile.api.records import body_model, context_of, first_error, row_of, upsert_rows, write_row
from lastmile.api.routers import filters
from lastmile.domain.errors import NotFound
from lastmile.exchange import Kind
from lastmile.store.api_repositories import AuditedUnitOfWork

#: Kinds served by this generic router (orders have their own, with more filters).
KINDS = (Kind.HUBS, Kind.ZONES, Kind.VEHICLES, Kind.DRIVERS, Kind.SHIFTS)


@dataclass(frozen=True)
class _Filters:
    hub: str | None = None
    date: str | None = None

    def keeps(self, row: dict[str, Any]) -> bool:
        """``date`` is the day a shift starts, read in its hub's zone (as the row shows it)."""
        if self.hub is not None and row.get("hub_ref") != self.hub:
            return False
        return self.date is None or str(row.get("start") or "").startswith(self.date)


def _none() -> _Filters:
    return _Filters()


def _by_hub(hub: filters.HubQuery = None) -> _Filters:
    return _Filters(hub=hub)


def _by_hub_and_date(
    hub: filters.HubQuery = None,
    date: Annotated[str | None, Query(description="day the shift starts, YYYY-MM-DD")] = None,
) -> _Filters:
    return _Filters(hub=hub, date=filters.service_date(date))


#: The filters that make sense per kind: hubs have none, shifts also have a day.
FILTERS: dict[Kind, Callable[..., _Filters]] = {
    Kind.HUBS: _none,
    Kind.ZONES: _by_hub,
    Kind.VEHICLES: _by_hub,
    Kind.DRIVERS: _by_hub,
    Kind.SHIFTS: _by_hub_and_date,
}


def _add_reads(router: APIRouter, kind: Kind) -> None:
    name, noun = kind.value, kind.value[:-1]
    reader = Depends(require(name, Action.READ))
    chosen = Depends(FILTERS[kind])

    @router.get(
        "", summary=f"List {name}", operation_id=f"list_{name}", dependencies=[filters.STRICT]
    )
    def list_all(
        svc: ServicesDep,
        _: Annotated[Principal, reader],
        found: Annotated[_Filters, chosen],
        limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
        cursor: str | None = None,
    ) -> pagination.Page:
        after = pagination.decode(cursor)
        with svc.uow() as uow:
            context = context_of(uow)
            entities = sorted(getattr(uow, name).list(), key=lambda e: e.ref)
            rows = [write_row(kind, e, context) for e in entities if after is None or e.ref > after]
        rows = [r for r in rows if found.keeps(r)]
        return pagination.page_of(rows[:limit], limit, len(rows) > limit)

    @router.get("/{ref}", summary=f"Get one {noun}", operation_id=f"get_{noun}")
    def get_one(ref: str, svc: ServicesDep, _: Annotated[Principal, reader]) -> dict[str, Any]:
        with svc.uow() as uow:
            entity = getattr(uow, name).get(ref)
            if entity is None:
                raise NotFound(noun, ref)
            return write_row(kind, entity, context_of(uow))


def _add_upsert(router: APIRouter, kind: Kind) -> None:
    name, noun = kind.value, kind.value[:-1]
    model = body_model(kind)
    writer = Depends(require(name, Action.WRITE))

    @router.post(
        "", summary=f"Create or update a {noun} by reference", operation_id=f"upsert_{noun}",
        status_code=201,
    )  # fmt: skip
    def upsert(
        body: model,  # type: ignore[valid-type]
        response: Response,
        svc: ServicesDep,
        who: Annotated[Principal, writer],
    ) -> dict[str, Any]:
        row = row_of(body)
        with svc.uow() as uow:
            old = getattr(uow, name).get(row["ref"])
            before = write_row(kind, old, context_of(uow)) if old is not None else None

        def stored(uow: AuditedUnitOfWork) -> dict[str, Any]:
            return write_row(kind, getattr(uow, name).get(row["ref"]), context_of(uow))

        work = svc.uow()
        audit(work, who, f"{noun}.upsert", f"{name}/{row['ref']}", before, stored)
        report = upsert_rows(work, kind, [row], all_or_nothing=True)
        if report.rejections:
            raise first_error(report)
        with svc.uow() as uow:
            after = stored(uow)
        if not report.inserted:
            response.status_code = 200
        return after


def build(kind: Kind) -> APIRouter:
    """The router for one kind; the body schema is the kind's import row."""
    router = APIRouter(prefix=f"/v1/{kind.value}", tags=[kind.value])
    _add_reads(router, kind)
    _add_upsert(router, kind)
    return router


def routers() -> list[APIRouter]:
    return [build(kind) for kind in KINDS]
