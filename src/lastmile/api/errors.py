"""The one place errors become HTTP: 422/404/409 with the field and reason, 500 with an id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lastmile.domain.errors import Conflict, InvalidInput, LastMileError, NotFound

log = logging.getLogger("lastmile.api")


def problem(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, **extra}}
    return JSONResponse(body, status_code=status)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInput)
    return problem(422, "invalid_input", exc.reason, field=exc.field, location=exc.location)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFound)
    return problem(404, "not_found", str(exc), kind=exc.kind, ref=exc.ref)


async def _conflict(_: Request, exc: Exception) -> JSONResponse:
    return problem(409, "conflict", str(exc))


async def _other_domain(_: Request, exc: Exception) -> JSONResponse:
    return problem(400, "bad_request", str(exc))


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "reason": e.get("msg", "")}
        for e in errors
    ]
    return problem(
        422, "invalid_input", str(first.get("msg", "invalid")), field=field, details=details
    )


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, "http_error", str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _unstorable(_: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (NUL in text, an integer beyond 64 bits) is bad input."""
    assert isinstance(exc, DataError)
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "value cannot be stored"
    return problem(422, "invalid_input", f"a value cannot be stored: {reason}")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    error_id = uuid.uuid4().hex[:12]
    log.error("unhandled error %s", error_id, exc_info=exc)
    return problem(500, "internal", "unexpected error; quote the error id", error_id=error_id)


def install(app: FastAPI) -> None:
    """Register every handler; more specific errors first."""
    app.add_exception_handler(InvalidInput, _invalid)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(LastMileError, _other_domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(Exception, _unexpected)
