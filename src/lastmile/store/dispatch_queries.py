"""The dispatched days' tables (``dispatch_days``, ``dispatch_day_hubs``, ``dispatch_steps``)
and what dispatch reads of the rest: the orders' journeys and geofence dwells (what tracking
saw) and the orders booked (how fast slots fill). Part of the API's store
(:class:`~lastmile.store.api_repositories.SqlApiStore`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain.errors import Conflict
from lastmile.store import api_tables as a
from lastmile.store import tables as t
from lastmile.store import tracking_tables as tt
from lastmile.store.repositories import among, chunks


@dataclass(frozen=True)
class Completion:
    """An order's latest stop event: when, how it ended ("arrived" while the van is there,
    "departed" once its geofence saw it leave before any scan), and why when it failed."""

    at: datetime
    outcome: str
    reason: str | None = None


class DispatchQueries:
    _engine: Engine

    def dispatch_day(self, plan_ref: str) -> dict[str, Any] | None:
        """The dispatched day whose first plan or plan in force is ``plan_ref``."""
        d = a.dispatch_days.c
        stmt = sa.select(a.dispatch_days).where(
            sa.or_(d.plan_ref == plan_ref, d.current_plan_ref == plan_ref)
        )
        with self._engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return {k: v for k, v in row.items() if k != "id"} if row else None

    def dispatch_day_on(self, hub_ref: str, service_date: str) -> dict[str, Any] | None:
        """The day dispatching ``hub_ref`` on that date, alone or with other hubs."""
        h = a.dispatch_day_hubs.c
        first = sa.select(h.plan_ref).where(h.hub_ref == hub_ref, h.service_date == service_date)
        stmt = sa.select(a.dispatch_days).where(a.dispatch_days.c.plan_ref.in_(first))
        with self._engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return {k: v for k, v in row.items() if k != "id"} if row else None

    def dispatch_days_on(self, service_dates: Sequence[str]) -> list[dict[str, Any]]:
        """The days dispatched on these dates, oldest first."""
        d = a.dispatch_days.c
        stmt = sa.select(a.dispatch_days).where(d.service_date.in_(list(service_dates)))
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.order_by(d.service_date, d.plan_ref)).mappings().all()
        return [{k: v for k, v in row.items() if k != "id"} for row in rows]

    def recent_steps(self, plan_ref: str, command: str, since: datetime) -> list[dict[str, Any]]:
        """The day's steps of ``command`` dated ``since`` or later: their time and payload."""
        s = a.dispatch_steps.c
        stmt = sa.select(s.at, s.payload).where(
            s.plan_ref == plan_ref, s.command == command, s.at >= since
        )
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt.order_by(s.seq)).mappings()]

    def orders_booked(
        self, hub_refs: Sequence[str], service_date: str, since: datetime, until: datetime
    ) -> dict[str, int]:
        """Orders for that date at those hubs created in (since, until], per zone: how
        fast each zone's slots are filling."""
        o = t.orders.c
        when = sa.and_(o.created_at > since, o.created_at <= until)
        day = sa.and_(o.hub_ref.in_(list(hub_refs)), o.service_date == service_date)
        stmt = (
            sa.select(o.zone_ref, sa.func.count())
            .where(day, when, o.zone_ref.is_not(None))
            .group_by(o.zone_ref)
        )
        with self._engine.connect() as conn:
            return {str(zone): int(n) for zone, n in conn.execute(stmt)}

    def last_dispatch_step(self, plan_ref: str) -> dict[str, Any] | None:
        """The day's latest step: its number, command, plans and when it was stored."""
        s = a.dispatch_steps.c
        stmt = (
            sa.select(s.seq, s.command, s.plan_refs, s.created_at)
            .where(s.plan_ref == plan_ref)
            .order_by(s.seq.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return dict(row) if row else None

    def dispatch_steps(self, plan_ref: str, after: int = 0) -> list[dict[str, Any]]:
        """The day's steps numbered above ``after``, in order."""
        s = a.dispatch_steps.c
        stmt = sa.select(a.dispatch_steps).where(s.plan_ref == plan_ref, s.seq > after)
        stmt = stmt.order_by(s.seq)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [{k: v for k, v in row.items() if k != "id"} for row in rows]

    def take_dispatch_day(self, plan_ref: str, holder: str, now: datetime, until: datetime) -> bool:
        """Whether ``holder`` has the day now, taking it unless another holder's lease runs
        past ``now``; it then holds it to ``until`` or until it gives it back."""
        d = a.dispatch_days.c
        free = sa.or_(d.taken_until.is_(None), d.taken_until <= now, d.taken_by == holder)
        stmt = sa.update(a.dispatch_days).where(d.plan_ref == plan_ref, free)
        with self._engine.begin() as conn:
            taken = conn.execute(stmt.values(taken_by=holder, taken_until=until)).rowcount
        return bool(taken)

    def give_back_dispatch_day(self, plan_ref: str, holder: str) -> None:
        """End ``holder``'s lease on the day (nothing when another holder has it)."""
        d = a.dispatch_days.c
        stmt = sa.update(a.dispatch_days).where(d.plan_ref == plan_ref, d.taken_by == holder)
        with self._engine.begin() as conn:
            conn.execute(stmt.values(taken_by=None, taken_until=None))

    def add_dispatch_step(
        self,
        day: dict[str, Any],
        step: dict[str, Any],
        conn: sa.Connection,
        hub_refs: Sequence[str] = (),
    ) -> None:
        """The step and the day's new head, on ``conn``; the first step also claims the day's
        hubs (``hub_refs``) on its date. A day another request moved on meanwhile (its step
        count is not the one read), or a hub another plan dispatches, is a Conflict, and
        nothing is written."""
        d = a.dispatch_days.c
        values = {k: day[k] for k in ("current_plan_ref", "steps", "updated_at")}
        try:
            with conn.begin_nested():
                if step["seq"] == 1:
                    conn.execute(sa.insert(a.dispatch_days), [day])
                    hubs = [
                        {"plan_ref": day["plan_ref"], "hub_ref": h,
                         "service_date": day["service_date"]}
                        for h in hub_refs
                    ]  # fmt: skip
                    if hubs:
                        conn.execute(sa.insert(a.dispatch_day_hubs), hubs)
                else:
                    stmt = sa.update(a.dispatch_days).where(
                        d.plan_ref == day["plan_ref"], d.steps == step["seq"] - 1
                    )
                    if conn.execute(stmt.values(values)).rowcount != 1:
                        raise sa.exc.IntegrityError("steps moved on", None, Exception())
                conn.execute(sa.insert(a.dispatch_steps), [step])
        except sa.exc.IntegrityError:
            raise Conflict(
                f"the day of plan {day['plan_ref']!r} changed meanwhile (another event, or "
                "another plan of that hub and date being dispatched); send the event again"
            ) from None

    def fleet_print(
        self, hub_refs: Sequence[str], shifts_from: datetime, shifts_to: datetime
    ) -> str:
        """A digest of what a dispatched day's problem is built from besides its orders:
        its hubs, their vehicles, their shifts starting in [``shifts_from``, ``shifts_to``),
        every driver and every zone, as stored. Any change to one of those rows changes it.
        Raw rows, not domain objects: for 500 vans, 1,000 drivers and 300 zones, reading
        them as objects took 0.16–0.29 s at every event and look."""
        refs = sorted(set(hub_refs))
        h, v, sh = t.hubs.c, t.vehicles.c, t.shifts.c
        window = sa.and_(sh.hub_ref.in_(refs), sh.start >= shifts_from, sh.start < shifts_to)
        queries = [
            _as_text(t.hubs).where(h.ref.in_(refs)).order_by(h.ref),
            _as_text(t.vehicles).where(v.hub_ref.in_(refs)).order_by(v.ref),
            _as_text(t.shifts).where(window).order_by(sh.ref),
            _as_text(t.drivers).order_by(t.drivers.c.ref),
            _as_text(t.zones).order_by(t.zones.c.ref),
        ]
        digest = hashlib.sha256()
        with self._engine.connect() as conn:
            for query in queries:
                for row in conn.execute(query):
                    digest.update("\x1f".join("\x00" if x is None else x for x in row).encode())
                    digest.update(b"\x1e")
                digest.update(b"\x1d")
        return digest.hexdigest()

    def supersede(self, plan_ref: str, conn: sa.Connection) -> dict[str, tuple[str, str | None]]:
        """Mark the plan ``superseded``, on ``conn``, without reading it, and return its
        routes' status and driver by vehicle: what the plan replacing it keeps of them."""
        p, r = t.plans.c, t.routes.c
        conn.execute(sa.update(t.plans).where(p.ref == plan_ref).values(status="superseded"))
        rows = conn.execute(
            sa.select(r.vehicle_ref, r.status, r.driver_ref).where(r.plan_ref == plan_ref)
        )
        return {str(v): (str(status), driver) for v, status, driver in rows}

    def tracks(
        self, starts: Mapping[str, datetime], until: datetime
    ) -> dict[str, list[tuple[datetime, float, float]]]:
        """Each vehicle's GPS fixes (when, lat, lon) in (its start, ``until``], in time
        order: what its devices sent. A vehicle's devices are those whose latest position
        names it, so only devices that are still its are read, on the pings' device and
        time index, in one query for them all."""
        if not starts:
            return {}
        p, q = tt.positions.c, tt.pings.c
        devices = sa.select(p.device_id, p.vehicle_ref).where(
            p.vehicle_ref.in_(sorted(starts)), p.recorded_at > min(starts.values())
        )
        out: dict[str, list[tuple[datetime, float, float]]] = {}
        with self._engine.connect() as conn:
            owner = {str(d): str(v) for d, v in conn.execute(devices).all()}
            for chunk in chunks(conn, sorted(owner)):
                stmt = sa.select(q.device_id, q.recorded_at, q.lat, q.lon).where(
                    among(conn, q.device_id, chunk),
                    q.recorded_at > min(starts[owner[d]] for d in chunk),
                    q.recorded_at <= until,
                )
                for device, at, lat, lon in conn.execute(stmt):
                    vehicle = owner[device]
                    if at > starts[vehicle]:
                        out.setdefault(vehicle, []).append((at, lat, lon))
        return {v: sorted(fixes) for v, fixes in out.items()}

    def completions(self, order_refs: Sequence[str]) -> dict[str, Completion]:
        """Each of these orders' latest stop event from its journey: completed (delivered or
        a failed attempt) or, when later, arrived (``outcome`` "arrived": a geofence or the
        driver's scan). What tracking saw, for dispatch to place the vans."""
        e = t.order_events.c
        rows: list[tuple[str, datetime, str, str | None, str | None]] = []
        refs = list(dict.fromkeys(order_refs))
        with self._engine.connect() as conn:
            for chunk in chunks(conn, refs):
                stmt = sa.select(e.order_ref, e.occurred_at, e.to_state, e.outcome, e.reason)
                stmt = stmt.where(
                    among(conn, e.order_ref, chunk), e.to_state.in_(["completed", "arrived"])
                )
                rows += [tuple(r) for r in conn.execute(stmt)]
        out: dict[str, Completion] = {}
        # In time order, a completion after an arrival at the same moment.
        for ref, at, state, outcome, reason in sorted(
            rows, key=lambda r: (r[1], r[2] != "arrived")
        ):
            if state == "arrived":
                out[ref] = Completion(at, "arrived")
            else:
                out[ref] = Completion(at, outcome or "delivered", reason)
        return self._departed(out)

    def _departed(self, seen: dict[str, Completion]) -> dict[str, Completion]:
        """A stop the van arrived at and has left since (its geofence's dwell ended), with
        no completion scanned yet, is "departed" at that moment: the van has moved on."""
        came = {ref: c.at for ref, c in seen.items() if c.outcome == "arrived"}
        d = tt.dwells.c
        refs = sorted(came)
        with self._engine.connect() as conn:
            for chunk in chunks(conn, refs):
                stmt = sa.select(d.stop_ref, d.departed_at).where(among(conn, d.stop_ref, chunk))
                for ref, left in conn.execute(stmt):
                    last = seen[ref]
                    if left > came[ref] and (last.outcome == "arrived" or left > last.at):
                        seen[ref] = Completion(left, "departed")
        return seen


def _as_text(table: sa.Table) -> sa.Select[*tuple[Any, ...]]:
    """Every column as the database's text, not decoded (JSON, datetimes): a digest needs
    the stored values, and decoding them was most of the time."""
    return sa.select(*(sa.cast(c, sa.Text) for c in table.c))
