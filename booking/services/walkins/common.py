"""What every part of the walk-in queue shares: labels, the queue's view of rows, and the
"floor" — one pass over the location's tickets, counsellors and today's sessions that calls,
actions and registrations read under the lock before the pure core (booking/queue.py) decides.

Taking a ticket for a counsellor (the call itself) lives here too: a press of "call next" and
the balance among ready counsellors both end in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import F

from booking import balance, queue
from booking.i18n import DEFAULT_LANGUAGE, visitor_language
from booking.models import (
    BOOKED,
    CANCELLED,
    AllocationShare,
    Booking,
    Counsellor,
    Location,
    Organisation,
    PlanException,
    Room,
    Ticket,
    WorkShift,
)
from booking.plan import at, room_for, shifts_on
from booking.services import fairness
from booking.services.accounts import audit
from booking.services.bookings import hash_token, new_reference, new_token
from booking.services.days import dated_change, local_date, weekly_block, zone_of
from booking.slots import Interval

WALK_IN = "walk_in"
CANCELLED_STATUS = CANCELLED
NAME_MAX = 40
CLOSED_AT_CLOSING = "closing_time"
OPEN_TODAY = (queue.WAITING, queue.CALLED, queue.SERVING, queue.PARKED, queue.DONE)


def ticket_label(prefix: str, number: int) -> str:
    """What the ticket, the display and the status page show: "W 007"."""
    return f"{prefix} {number:03d}"


class Held(Exception):
    """Nothing called: the counsellor's next booked session begins too soon (they may call
    anyway)."""


class RoomNeeded(Exception):
    """A call needs a room and none is known for the counsellor: they choose one of these."""

    def __init__(self, rooms: list[str]) -> None:
        super().__init__("room_needed")
        self.rooms = rooms


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
        return self.codes[counsellor.organisation_id]  # type: ignore[attr-defined]

    def desk(self, counsellor: Counsellor) -> queue.Desk:
        return desk_of(counsellor, self.code_of(counsellor))

    def waiting(self) -> list[Ticket]:
        return [t for t in self.tickets if t.status == queue.WAITING]

    def holding(self, counsellor_id: int) -> Ticket | None:
        return next(
            (
                t
                for t in self.tickets
                if t.counsellor_id == counsellor_id  # type: ignore[attr-defined]
                and t.status in (queue.CALLED, queue.SERVING)
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


async def rooms_of(location: Location) -> dict[str, int]:
    """The location's rooms by name, as the desk's choice lists them."""
    return {r.name: r.id for r in await Room.filter(location_id=location.id, active=True)}


async def planned_room(counsellor: Counsellor, location: Location, now: datetime) -> int | None:
    """The room of the counsellor's shift now (or their first today), from the plan."""
    today = local_date(now, location)
    weekly = [
        weekly_block(b)
        for b in await WorkShift.filter(
            counsellor_id=counsellor.id, location_id=location.id, weekday=today.weekday()
        )
    ]
    changes = [
        dated_change(c)
        for c in await PlanException.filter(
            counsellor_id=counsellor.id, location_id=location.id, day=today
        )
    ]
    shifts = shifts_on(today, weekly, changes, zone_of(location))
    end = now + timedelta(minutes=location.session_minutes)
    found = room_for(shifts, Interval(now, end))
    if found is None:
        found = next((s.room_id for s in shifts if s.room_id is not None), None)
    return found


async def desk_room(
    counsellor: Counsellor, location: Location, now: datetime, asked: str | None
) -> int:
    """The room a call of this counsellor shows: the one asked for (a name of the location's
    rooms), else the one recorded at the desk today, else the planned one. RoomNeeded (with the
    choice) when none is known or the name is not one of the location's rooms."""
    present = (
        counsellor.desk_location_id == location.id
        and counsellor.desk_since is not None
        and local_date(counsellor.desk_since, location) == local_date(now, location)
    )
    if asked is None and present and counsellor.desk_room_id is not None:
        return counsellor.desk_room_id
    rooms = await rooms_of(location)
    if asked is not None:
        if asked not in rooms:
            raise RoomNeeded(sorted(rooms))
        return rooms[asked]
    planned = await planned_room(counsellor, location, now)
    if planned is None or planned not in rooms.values():
        raise RoomNeeded(sorted(rooms))
    return planned


async def take(
    floor_: Floor,
    ticket: Ticket,
    counsellor: Counsellor,
    room_id: int,
    decision: balance.Decision,
    weights: fairness.Weights,
    actor: str,
    mark: dict[str, Any] | None = None,
) -> Ticket:
    """Call ``ticket`` for ``counsellor`` in ``room_id``: the session is a walk-in Booking with
    the balance's decision recorded; the ticket's conditional UPDATE stands behind the lock.
    Clears the counsellor's readiness (they are busy now), with ``mark`` (their desk) in the
    same statement. ``actor`` pressed or registered."""
    location, now = floor_.location, floor_.now
    utc_now = now.astimezone(UTC)
    month = fairness.month_of(now, location)
    end = now + timedelta(minutes=location.session_minutes)
    booking = await Booking.create(
        reference=new_reference(),
        location_id=location.id,
        appointment_id=None,
        counsellor_id=counsellor.id,
        organisation_id=counsellor.organisation_id,  # type: ignore[attr-defined]
        room_id=room_id,
        start=utc_now,
        end=end.astimezone(UTC),
        topic=ticket.topic,
        language=ticket.language,
        ui_language=visitor_language(ticket.language) or DEFAULT_LANGUAGE,
        channel=WALK_IN,
        status=BOOKED,
        name=ticket.name,
        manage_token_hash=hash_token(new_token()),
        allocation=fairness.explanation(decision, weights, now),
    )
    counted = queue.counts_as_call(None, now, queue.DEFAULT_NO_SHOW)  # a first call counts
    called = await Ticket.filter(id=ticket.id, status=queue.WAITING).update(
        status=queue.CALLED,
        counsellor_id=counsellor.id,
        room_id=room_id,
        booking_id=booking.id,
        called_at=utc_now,
        first_called_at=ticket.first_called_at or utc_now,
        round_called_at=ticket.round_called_at or utc_now,
        calls=F("calls") + int(counted),
    )
    if called != 1:
        raise RuntimeError("a waiting ticket under the lock was not callable")
    ids = {code: oid for oid, code in floor_.codes.items()}
    await AllocationShare.bulk_create(
        [
            AllocationShare(
                booking_id=booking.id,
                location_id=location.id,
                organisation_id=ids[code],
                month=month,
                share=share,
            )
            for code, share in decision.shares.items()
        ]
    )
    await Counsellor.filter(id=counsellor.id).update(
        ready_since=None, ready_until=None, **(mark or {})
    )
    await audit(
        actor, "call", "ticket", ticket.id, ticket_label(location.ticket_prefix, ticket.number), now
    )
    ticket.status, ticket.room_id, ticket.booking_id = queue.CALLED, room_id, booking.id
    ticket.counsellor_id = counsellor.id
    ticket.called_at = utc_now
    ticket.first_called_at = ticket.first_called_at or utc_now
    ticket.round_called_at = ticket.round_called_at or utc_now
    ticket.calls += int(counted)
    floor_.sessions.setdefault(counsellor.id, []).append(
        {"counsellor_id": counsellor.id, "start": utc_now, "end": end, "channel": WALK_IN}
    )
    counsellor.ready_since = counsellor.ready_until = None
    return ticket


async def dispatch(
    floor_: Floor, ticket: Ticket, weights: fairness.Weights, rules: fairness.Rules, actor: str
) -> Ticket | None:
    """A ticket that just became callable goes to a ready counsellor at once, if one fits:
    the balance among the ready decides (booking/queue.py's plan for a new ticket). None when
    nobody ready fits; it waits for the next press of "call next"."""
    ready = floor_.ready_desks()
    if not ready:
        return None
    plain = as_queued(ticket, floor_.codes)
    month = fairness.month_of(floor_.now, floor_.location)
    so_far = await fairness.tally(floor_.location, month, rules, organisations=floor_.organisations)
    decision = queue.plan_new_ticket(
        plain, ready, floor_.now, floor_.typical(ticket.topic), weights.values, so_far
    )
    if decision is None:
        return None
    chosen = floor_.counsellors[decision.counsellor_id]
    room_id = chosen.desk_room_id
    assert room_id is not None, "the ready list holds only counsellors with a room"
    return await take(floor_, ticket, chosen, room_id, decision, weights, actor)


async def weights_now(location: Location, now: datetime, rules: fairness.Rules) -> fairness.Weights:
    """The target weights in force: read before the lock (admins' settings and the month's
    plan, not what the queue changes)."""
    return await fairness.weights(location, fairness.month_of(now, location), now, rules)
