"""ASGI middleware: refuse oversized bodies, and replay POSTs by their Idempotency-Key.

Same key + same body returns the first response byte for byte; the same key with another body
is a 409, and so is a retry that arrives while the first request still runs (the key is claimed
before the request runs, so nothing is created twice). Keys are scoped to the whole API key
presented (its hash), so two clients cannot collide and nobody who knows only a key's id can
read another client's stored answers. Stored answers expire after ``IDEMPOTENCY_TTL``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lastmile.domain.errors import Conflict
from lastmile.store.api_repositories import SqlApiStore, StoredResponse

#: Responses worth replaying; auth failures and rate limits are not the request's outcome.
_NOT_STORED = {401, 403, 429}


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def _error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


class GuardMiddleware:
    """Body size limit for every request, idempotent replay for POST."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, store: Callable[[], SqlApiStore]) -> None:
        self.app, self.max_body_bytes, self.store = app, max_body_bytes, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_json(send, 413, _error("too_large", "request body is too large"))
            return
        body = await self._read(receive)
        if body is None:
            await _send_json(send, 413, _error("too_large", "request body is too large"))
            return
        replay = _replaying(body)
        key = headers.get("idempotency-key")
        if scope["method"] != "POST" or not key:
            await self.app(scope, replay, send)
            return
        await self._idempotent(scope, replay, send, headers, key, body)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _idempotent(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        key: str,
        body: bytes,
    ) -> None:
        if len(key) > 255:
            await _send_json(send, 422, _error("invalid_input", "key too long", "Idempotency-Key"))
            return
        presented = headers.get("x-api-key", "")
        owner = hashlib.sha256(presented.encode()).hexdigest() if presented else "anonymous"
        digest = request_digest(scope["method"], scope["path"], headers, body)
        store = self.store()
        # Database calls leave the event loop so other requests keep being served meanwhile.
        try:
            stored = await anyio.to_thread.run_sync(store.claim, owner, key, digest)
        except Conflict as exc:
            await _send_json(send, 409, _error("in_progress", str(exc), "Idempotency-Key"))
            return
        if stored is not None:
            await self._replay(send, stored, digest, key)
            return
        await self._run_and_keep(scope, receive, send, store, (owner, key, digest))

    async def _run_and_keep(
        self, scope: Scope, receive: Receive, send: Send, store: SqlApiStore,
        claim: tuple[str, str, str],
    ) -> None:  # fmt: skip
        """Run the request on our claim, then keep its answer or release the key."""
        owner, key, digest = claim
        captured: dict[str, Any] = {"body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        response = None
        try:
            await self.app(scope, receive, capture)
            response = _storable(captured, digest)
        finally:
            if response is None:
                await anyio.to_thread.run_sync(store.release, owner, key)
            else:
                await anyio.to_thread.run_sync(store.store_response, owner, key, response)

    @staticmethod
    async def _replay(send: Send, stored: StoredResponse, digest: str, key: str) -> None:
        if stored.status_code == 0:
            message = f"a request with Idempotency-Key {key!r} is still being processed"
            await _send_json(send, 409, _error("in_progress", message, "Idempotency-Key"))
            return
        if stored.request_hash != digest:
            message = f"Idempotency-Key {key!r} was already used with a different request"
            await _send_json(send, 409, _error("conflict", message, "Idempotency-Key"))
            return
        raw = stored.body.encode()
        out = [(k.lower().encode(), v.encode("latin-1")) for k, v in stored.headers.items()]
        out += [(b"content-length", str(len(raw)).encode()), (b"idempotent-replay", b"true")]
        await send({"type": "http.response.start", "status": stored.status_code, "headers": out})
        await send({"type": "http.response.body", "body": raw})


def request_digest(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """What "the same request" means: method, path and body, with a multipart boundary
    replaced by a fixed one (clients draw a new boundary on every retry of the same form)."""
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "boundary" and value:
                body = body.replace(value.strip('"').encode("latin-1"), b"BOUNDARY")
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _storable(captured: dict[str, Any], digest: str) -> StoredResponse | None:
    """The response to remember, or ``None`` for outcomes a retry should not replay."""
    status = int(captured.get("status", 500))
    if status >= 500 or status in _NOT_STORED:
        return None
    kept = {
        k.decode(): v.decode("latin-1")
        for k, v in captured.get("headers", [])
        if k.decode().lower() in ("content-type", "etag", "location")
    }
    text = b"".join(captured["body"]).decode("utf-8", "replace")
    return StoredResponse(digest, status, kept, text)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
