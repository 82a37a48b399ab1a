"""What every part of the walk-in queue shares: labels, the queue's view of rows, and the
"floor" — one pass over the location's tickets, counsellors and today's sessions that calls,
actions and registrations read under the lock before the pure core (booking/queue.py) decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from booking import queue
from booking.models import (
    CANCELLED,
    Booking,
    Counsellor,
    Location,
    Organisation,
    Ticket,
)
from booking.plan import at
from booking.services.days import local_date, zone_of

WALK_IN = "walk_in"
CANCELLED_STATUS = CANCELLED
NAME_MAX = 40
CLOSED_AT_CLOSING = "closing_time"
OPEN_TODAY = (queue.WAITING, queue.CALLED, queue.SERVING, queue.PARKED, queue.DONE)


def ticket_label(prefix: str, number: int) -> str:
    """What the ticket, the display and the status page show: "W 007"."""
    return f"{prefix} {number:03d}"


def as_queued(row: Ticket, org_codes: dict[int, str]) -> queue.Ticket:
    return queue.Ticket(
        id=row.id,
        number=row.number,
        topic=row.topic,
        language=row.language,
        priority=bool(row.priority),
        queued_at=row.queued_at,
        counsellor_id=row.for_counsellor_id,
        organisation=org_codes.get(row.for_organisation_id) if row.for_organisation_id else None,
    )


def desk_of(counsellor: Counsellor, code: str) -> queue.Desk:
    return queue.Desk(
        counsellor.id, code, frozenset(counsellor.languages), frozenset(counsellor.topics)
    )


def day_bounds(location: Location, day: date) -> tuple[datetime, datetime]:
    start = at(day, time(0), zone_of(location))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@dataclass
class Floor:
    """The location's queue and desks right now, read in one pass (four statements)."""

    location: Location
    now: datetime
    today: date
    codes: dict[int, str]  # organisation id -> code
    organisations: list[Organisation]
    tickets: list[Ticket]  # today's, at this location, not closed
    counsellors: dict[int, Counsellor]  # active, of an active organisation
    sessions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # today's bookings

    def code_of(self, counsellor: Counsellor) -> str:
        return self.codes[counsellor.organisation_id]

    def desk(self, counsellor: Counsellor) -> queue.Desk:
        return desk_of(counsellor, self.code_of(counsellor))

    def waiting(self) -> list[Ticket]:
        return [t for t in self.tickets if t.status == queue.WAITING]

    def holding(self, counsellor_id: int) -> Ticket | None:
        return next(
            (
                t
                for t in self.tickets
                if t.counsellor_id == counsellor_id and t.status in (queue.CALLED, queue.SERVING)
            ),
            None,
        )

    def present(self, counsellor: Counsellor) -> bool:
        """At this location's desk today (a mark from yesterday has lapsed)."""
        return (
            counsellor.desk_location_id == self.location.id
            and counsellor.desk_since is not None
            and local_date(counsellor.desk_since, self.location) == self.today
        )

    def busy(self, counsellor_id: int) -> bool:
        """In a session right now (booked, or a walk-in they hold)."""
        running = any(
            s["start"] <= self.now < s["end"] and s["channel"] != WALK_IN
            for s in self.sessions.get(counsellor_id, [])
        )
        return running or self.holding(counsellor_id) is not None

    def next_booking(self, counsellor_id: int) -> datetime | None:
        starts = [
            s["start"]
            for s in self.sessions.get(counsellor_id, [])
            if s["channel"] != WALK_IN and s["start"] >= self.now
        ]
        return min(starts, default=None)

    def is_ready(self, counsellor: Counsellor) -> bool:
        starts = [
            s["start"] for s in self.sessions.get(counsellor.id, []) if s["channel"] != WALK_IN
        ]
        return self.present(counsellor) and queue.ready(
            counsellor.ready_since,
            counsellor.ready_until,
            self.now,
            starts,
            busy=self.busy(counsellor.id),
        )

    def ready_desks(self) -> list[queue.ReadyDesk]:
        """The ready list: ready counsellors with a known room, longest ready first."""
        found = [
            queue.ReadyDesk(
                self.desk(c),
                c.ready_since or self.now,
                len(self.sessions.get(c.id, [])),
                self.next_booking(c.id),
            )
            for c in self.counsellors.values()
            if c.desk_room_id is not None and self.is_ready(c)
        ]
        return sorted(found, key=lambda r: (r.since, r.desk.counsellor_id))

    def finished_minutes(self) -> dict[str, list[float]]:
        """Today's finished walk-in sessions per topic, in minutes: the estimate learns."""
        found: dict[str, list[float]] = {}
        for t in self.tickets:
            if t.status == queue.DONE and t.started_at and t.finished_at:
                minutes = (t.finished_at - t.started_at).total_seconds() / 60
                found.setdefault(t.topic, []).append(minutes)
        return found

    def typical(self, topic: str) -> timedelta:
        return timedelta(minutes=queue.typical_minutes(topic, self.finished_minutes()))


async def floor(location: Location, now: datetime) -> Floor:
    """Read the floor: organisations, today's tickets, counsellors, today's sessions."""
    today = local_date(now, location)
    organisations = await Organisation.all()
    codes = {o.id: o.code for o in organisations}
    tickets = await Ticket.filter(location_id=location.id, day=today, status__in=OPEN_TODAY)
    counsellors = {c.id: c for c in await Counsellor.filter(active=True, organisation__active=True)}
    first, last = day_bounds(location, today)
    sessions: dict[int, list[dict[str, Any]]] = {}
    for row in (
        await Booking.filter(start__lt=last, end__gt=first)
        .exclude(status=CANCELLED)
        .values("counsellor_id", "start", "end", "channel")
    ):
        sessions.setdefault(row["counsellor_id"], []).append(row)
    return Floor(location, now, today, codes, organisations, tickets, counsellors, sessions)
