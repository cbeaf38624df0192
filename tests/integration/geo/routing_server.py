"""A small local server speaking the documented OSRM table and Valhalla matrix shapes.

It answers with haversine travel times so tests can check the numbers, and can be told to
fail (503s, garbage, slowness, missing routes) to exercise retries and error reporting.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lastmile.domain import Coordinate
from lastmile.geo.haversine import HaversineProvider


@dataclass
class Behaviour:
    """What the server does next; tests flip these between calls."""

    fail_first: int = 0  # answer 503 to this many requests
    garbage: bool = False
    delay_s: float = 0.0
    unroutable: bool = False
    concise: bool = False  # Valhalla's {"durations": ..., "distances": ...} form
    requests: list[dict[str, Any]] = field(default_factory=list)


def _matrix(src: list[Coordinate], dst: list[Coordinate]) -> tuple[list, list]:
    result = HaversineProvider().matrix(src, dst, hour=3)
    return result.durations_s.tolist(), result.distances_m.tolist()


class _Handler(BaseHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: test output stays readable."""

    def _reply(self, status: int, body: Any) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _gate(self) -> bool:
        b = self.behaviour
        if b.delay_s:
            time.sleep(b.delay_s)
        if b.fail_first > 0:
            b.fail_first -= 1
            self._reply(503, {"message": "busy"})
            return False
        if b.garbage:
            self._reply(200, b"<html>proxy error</html>")
            return False
        return True

    def do_GET(self) -> None:
        url = urlsplit(self.path)  # not urlparse: it cuts ';' params off the path
        parts = url.path.split("/")
        self.behaviour.requests.append({"path": url.path, "query": parse_qs(url.query)})
        if len(parts) != 5 or parts[1:3] != ["table", "v1"]:
            self._reply(400, {"code": "InvalidUrl", "message": f"URL string malformed: {url.path}"})
            return
        if not self._gate():
            return
        points = [Coordinate(float(p.split(",")[1]), float(p.split(",")[0]))
                  for p in parts[4].split(";")]  # fmt: skip
        query = parse_qs(url.query)
        sources = [points[int(i)] for i in query["sources"][0].split(";")]
        targets = [points[int(i)] for i in query["destinations"][0].split(";")]
        durations, distances = _matrix(sources, targets)
        if self.behaviour.unroutable:
            durations[0][-1] = None
        self._reply(200, {"code": "Ok", "durations": durations, "distances": distances})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.behaviour.requests.append({"path": self.path, "body": body})
        if self.path != "/sources_to_targets":
            self._reply(404, {"error": "Try any of: '/sources_to_targets'", "error_code": 106})
            return
        if not self._gate():
            return
        src = [Coordinate(p["lat"], p["lon"]) for p in body["sources"]]
        dst = [Coordinate(p["lat"], p["lon"]) for p in body["targets"]]
        durations, distances = _matrix(src, dst)
        km = [[d / 1000 for d in row] for row in distances]
        if self.behaviour.concise:
            table: Any = {"durations": durations, "distances": km}
        else:
            table = [
                [{"from_index": i, "to_index": j, "time": t, "distance": d}
                 for j, (t, d) in enumerate(zip(times, kms, strict=True))]
                for i, (times, kms) in enumerate(zip(durations, km, strict=True))
            ]  # fmt: skip
        self._reply(200, {"sources_to_targets": table, "units": "kilometers"})


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) is expected, not worth a traceback."""


@contextmanager
def routing_server() -> Iterator[tuple[str, Behaviour]]:
    """A server on a free loopback port, stopped on exit."""
    behaviour = Behaviour()
    handler = type("Handler", (_Handler,), {"behaviour": behaviour})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", behaviour
    finally:
        server.shutdown()
        server.server_close()
