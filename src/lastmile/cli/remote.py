"""``lastmile simulate --via URL [--mqtt HOST:PORT]``: the day's devices talk to a running server.

The simulator keeps the back office's part (orders placed, plans published, cancellations)
and writes it to the server's database, which it must therefore share (``--database``); the
devices' part (following a route, pings, scans, proofs of delivery) goes over the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lastmile.domain.errors import InvalidInput

if TYPE_CHECKING:
    from lastmile.bootstrap import SqlUnitOfWorkFactory
    from lastmile.sim.uplink import Uplink


@dataclass(frozen=True)
class Remote:
    """Where the devices upload and with which key."""

    via: str | None
    api_key: str | None
    mqtt: str | None = None

    @property
    def where(self) -> str:
        return f"{self.via} + mqtt://{self.mqtt}" if self.mqtt else str(self.via)

    def check(self, database: str | None, compare: object) -> None:
        """Refuse option sets that cannot work, before any planning is done."""
        if not self.via:
            raise InvalidInput(
                "--mqtt carries pings only: give --via URL for scans and proofs of delivery",
                field="--via",
            )
        if not self.via.startswith(("http://", "https://")):
            raise InvalidInput(f"expected http(s)://host:port, got {self.via!r}", field="--via")
        if not self.api_key:
            raise InvalidInput(
                "--via needs --api-key (or LASTMILE_API_KEY), a key that writes routes, "
                "e.g. from `lastmile apikey create --role dispatcher`",
                field="--api-key",
            )
        if database is None:
            raise InvalidInput(
                "--via needs --database: the URL of the database the server serves (orders "
                "and plans are written there, as the platform's dispatcher does)",
                field="--database",
            )
        if compare is not None:
            raise InvalidInput("--via runs one day; --compare runs in this process only")
        if self.mqtt:
            self.broker()

    def broker(self) -> tuple[str, int]:
        host, _, port = (self.mqtt or "").rpartition(":")
        if not host or not port.isdigit():
            raise InvalidInput(f"expected HOST:PORT, got {self.mqtt!r}", field="--mqtt")
        return host, int(port)

    def uplink(self, factory: SqlUnitOfWorkFactory) -> Uplink:
        """HTTP (and MQTT) uplinks reading the server's monitor events from the database."""
        from lastmile.sim.server_events import OutboxEvents
        from lastmile.sim.uplink import HttpUplink, MqttUplink
        from lastmile.store.tracking_repositories import SqlTrackingStore

        assert self.via is not None and self.api_key is not None, "checked by check()"
        http = HttpUplink(self.via, self.api_key, events=OutboxEvents(factory.engine))
        if not self.mqtt:
            return http
        host, port = self.broker()
        store = SqlTrackingStore(factory.engine)
        return MqttUplink(host, port, http, stored=store.known)
