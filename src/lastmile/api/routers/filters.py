"""The list filters every resource shares: ``date``, ``hub``, ``zone``, ``status``.

They are parsed here once so that a bad value is the same ``422`` naming the query parameter on
every list, and so that a filter a list does not have is refused rather than silently ignored
(which would hand back the whole list as if it had matched).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date as Date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from lastmile.domain import LifecycleState
from lastmile.domain.errors import InvalidInput

#: What a route can be: made by a plan, then handed to its driver.
ROUTE_STATUSES = ("planned", "dispatched")
#: Only this spelling: ``fromisoformat`` also takes 20261124 and 2026-W48-2.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

DateQuery = Annotated[str | None, Query(description="service date YYYY-MM-DD (hub-local)")]
HubQuery = Annotated[str | None, Query(description="hub reference")]
ZoneQuery = Annotated[str | None, Query(description="zone reference")]
StatesQuery = Annotated[
    str | None,
    Query(description=f"order states, comma separated: {', '.join(LifecycleState)}"),
]
RouteStatusQuery = Annotated[
    str | None,
    Query(description=f"route statuses, comma separated: {', '.join(ROUTE_STATUSES)}"),
]


def service_date(value: str | None) -> str | None:
    """``value`` checked as a calendar date; the filter compares it as text."""
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        Date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"must be a date YYYY-MM-DD, got {value!r}", field="date", location="query"
        ) from None
    return value


def _choices(value: str, allowed: Iterable[str]) -> frozenset[str]:
    known = tuple(allowed)
    wanted = value.split(",")
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InvalidInput(
            f"unknown status {unknown[0]!r}; one of {', '.join(known)}",
            field="status",
            location="query",
        )
    return frozenset(wanted)


def states(value: str | None) -> list[LifecycleState] | None:
    """Order states from ``status=a,b``; an unknown one is a 422 naming ``status``."""
    if value is None:
        return None
    return sorted(LifecycleState(s) for s in _choices(value, LifecycleState))


def route_statuses(value: str | None) -> frozenset[str] | None:
    """Route statuses from ``status=a,b``; an unknown one is a 422 naming ``status``."""
    return None if value is None else _choices(value, ROUTE_STATUSES)


def _query_names(dependant: Dependant) -> set[str]:
    names = {str(p.alias) for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def known_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not declare (``zone`` on a list without it)."""
    route: Any = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)  # a few fields: cheaper than caching it safely
    for name in request.query_params:
        if name not in known:
            raise InvalidInput(
                f"not a parameter of this list; it takes {', '.join(sorted(known))}",
                field=name,
                location="query",
            )


#: Add to a list endpoint's ``dependencies`` to refuse undeclared query parameters.
STRICT = Depends(known_query)
