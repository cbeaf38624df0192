"""One error root for the whole platform; the API maps these to HTTP in one place."""

from __future__ import annotations


class LastMileError(Exception):
    """Root of every error lastmile raises on purpose."""


class InvalidInput(LastMileError):
    """Input that cannot be accepted, naming where it is wrong.

    ``location`` is where the value came from (a file and row, a request body), ``field`` the
    offending field, ``reason`` a sentence a person can act on.
    """

    def __init__(self, reason: str, *, field: str | None = None, location: str | None = None):
        self.reason = reason
        self.field = field
        self.location = location
        parts = [p for p in (location, f"field {field!r}" if field else None) if p]
        super().__init__(f"{', '.join(parts)}: {reason}" if parts else reason)


class NotFound(LastMileError):
    """A referenced entity does not exist."""

    def __init__(self, kind: str, ref: str):
        self.kind = kind
        self.ref = ref
        super().__init__(f"{kind} {ref!r} not found")


class Conflict(LastMileError):
    """The request contradicts the current state (concurrent edit, illegal transition...)."""


class IllegalTransition(Conflict):
    """A journey change the state machine does not allow."""

    def __init__(self, order_ref: str, current: str, target: str):
        self.order_ref = order_ref
        self.current = current
        self.target = target
        super().__init__(f"order {order_ref!r}: cannot go from {current!r} to {target!r}")
