"""A webhook receiver on loopback that verifies signatures and remembers what it got."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lastmile.domain.errors import InvalidInput
from lastmile.notify.signing import SIGNATURE_HEADER, verify


@dataclass
class Received:
    secret: str = ""
    fail_first: int = 0
    delay_s: float = 0.0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    aborted: int = 0  # requests cut short by a sender that died mid-send
    header_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ids(self) -> set[str]:
        with self.lock:
            return {b["id"] for b in self.bodies}


class Receiver:
    """``with Receiver(secret) as r: r.url``: serves until the block ends."""

    def __init__(self, received: Received) -> None:
        self.received = received
        state = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The sender died mid-request (the SIGKILL test): the body is cut short,
                    # nothing was delivered, and the sender will retry. Not a bad signature.
                    state.aborted += 1
                    return
                time.sleep(state.delay_s)
                with state.lock:
                    if state.fail_first > 0:
                        state.fail_first -= 1
                        self.send_response(503)
                        self.end_headers()
                        return
                    try:
                        verify(state.secret, self.headers[SIGNATURE_HEADER], raw, int(time.time()))
                    except InvalidInput:
                        state.bad_signatures += 1
                        self.send_response(401)
                        self.end_headers()
                        return
                    state.bodies.append(json.loads(raw))
                    state.header_ids.append(self.headers["Lastmile-Event-Id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
