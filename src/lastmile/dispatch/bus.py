"""The message bus: each command goes to one handler, each event to all its handlers.

Every handler looks alike — ``handler(message, context, uow) -> follow-up messages`` — and
runs in its own unit of work: the events it returns are published to the outbox in the same
transaction, then handled in turn. A failing command handler raises to the caller; a
failing event handler is logged and the others still run (Cosmic Python's rule).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain.events import Command, DomainEvent

log = logging.getLogger(__name__)

Message = Command | DomainEvent
Handler = Callable[[Any, Any, UnitOfWork], list[Message]]


class MessageBus:
    """Routes messages to handlers; ``handle`` returns every event the message led to."""

    def __init__(
        self,
        context: object,
        uow_factory: Callable[[], UnitOfWork],
        commands: Mapping[type[Command], Handler],
        events: Mapping[type[DomainEvent], Sequence[Handler]],
    ) -> None:
        self.context = context
        self.uow_factory = uow_factory
        self.commands = dict(commands)
        self.events = {k: list(v) for k, v in events.items()}

    def handle(self, message: Message) -> list[DomainEvent]:
        queue: list[Message] = [message]
        seen: list[DomainEvent] = []
        while queue:
            current = queue.pop(0)
            if isinstance(current, DomainEvent):
                seen.append(current)
                queue.extend(self._event(current))
            else:
                queue.extend(self._command(current))
        return seen

    def _run(self, handler: Handler, message: Message) -> list[Message]:
        with self.uow_factory() as uow:
            out = handler(message, self.context, uow)
            uow.publish([m for m in out if isinstance(m, DomainEvent)])
            uow.commit()
        return out

    def _command(self, command: Command) -> list[Message]:
        handler = self.commands.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for command {type(command).__name__}")
        return self._run(handler, command)

    def _event(self, event: DomainEvent) -> list[Message]:
        out: list[Message] = []
        for handler in self.events.get(type(event), []):
            try:
                out.extend(self._run(handler, event))
            except Exception:
                log.exception("handler %s failed on %s", handler.__name__, event.name)
        return out
