"""Staff schedules: a location's day as entries, attendance and outcomes, check-in at the desk.

Every read of applicants' data (even first name and initial) and every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.expressions import Q
from tortoise.models import Model

from booking import queue
from booking.access import Principal, sees_organisation
from booking.errors import NotChangeable, NotFound
from booking.models import (
    CANCELLED,
    AuditEntry,
    Booking,
    Counsellor,
    Location,
    Organisation,
    Room,
)
from booking.plan import at
from booking.schedule import (
    BOOKING,
    DeskState,
    Entry,
    Outcome,
    Scope,
    desk_state,
    display_name,
    may_record,
)
from booking.services.accounts import audit
from booking.services.days import load_day, local_date, zone_of
from booking.services.walkins.rows import ticket_rows
from booking.slots import Interval


def _fits_column(model: type[Model], name: str, value: str) -> bool:
    """Whether a value can be looked up in a text column at all: longer values name no record
    (and Tortoise refuses them in a filter with a ValidationError)."""
    longest: int = model._meta.fields_map[name].max_length  # type: ignore[attr-defined]
    return len(value) <= longest


async def location_by_code(code: str) -> Location:
    location = None
    if _fits_column(Location, "code", code):
        location = await Location.get_or_none(code=code, active=True)
    if location is None:
        raise NotFound()
    return location


async def default_location() -> Location | None:
    return await Location.filter(active=True).order_by("id").first()


async def organisation_by_code(code: str) -> Organisation:
    organisation = await Organisation.get_or_none(code=code)
    if organisation is None:
        raise NotFound()
    return organisation


async def counsellor_organisation(counsellor_id: int) -> int:
    counsellor = await Counsellor.get_or_none(id=counsellor_id)
    if counsellor is None:
        raise NotFound()
    organisation_id: int = counsellor.organisation_id
    return organisation_id


def _day_bounds(location: Location, day: date) -> tuple[datetime, datetime]:
    start = at(day, time(0), zone_of(location))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _entry(booking: Booking) -> Entry:
    return Entry(
        id=booking.id,
        start=booking.start,
        end=booking.end,
        counsellor_id=booking.counsellor.id,
        counsellor_name=booking.counsellor.display_name,
        organisation=booking.organisation.code,
        organisation_name=booking.organisation.name,
        room=booking.room.name if booking.room else None,
        kind=BOOKING,
        topic=booking.topic,
        language=booking.language,
        reference=booking.reference,
        status=booking.status,
        display_name=display_name(booking.name),
        appointment_start=booking.appointment.start if booking.appointment else None,
        checked_in_at=booking.checked_in_at,
        outcome_topics=tuple(booking.outcome_topics),
        referral=booking.referral,
        channel=booking.channel,
    )


REREAD_WITHIN = timedelta(minutes=10)


async def entries(location: Location, scope: Scope, actor: str, now: datetime) -> list[Entry]:
    """The scope's sessions of the day by time (cancelled ones too: they are what happened)."""
    first, last = _day_bounds(location, scope.day)
    query = Booking.filter(location_id=location.id, start__gte=first, start__lt=last)
    if scope.organisation_id is not None:
        query = query.filter(organisation_id=scope.organisation_id)
    if scope.counsellor_id is not None:
        query = query.filter(counsellor_id=scope.counsellor_id)
    found = await query.order_by("start", "counsellor_id").prefetch_related(
        "counsellor", "organisation", "room", "appointment"
    )
    listed = sorted(
        [_entry(b) for b in found] + await ticket_rows(location, scope),
        key=lambda e: (e.start, e.counsellor_id or 0),
    )
    record = f"{location.code}/{scope.day.isoformat()}"
    # A page that refreshes itself (the desk, every 20 s) is one reading, not thousands.
    recently = await AuditEntry.filter(
        actor=actor,
        action="read",
        record_type="schedule",
        record_id=record,
        at__gte=(now - REREAD_WITHIN).astimezone(UTC),
    ).exists()
    if listed and not recently:
        await audit(
            actor,
            "read",
            "schedule",
            record,
            f"{len(listed)} entries",
            now,
        )
    return listed


async def booking_for_staff(booking_id: int, principal: Principal) -> Booking:
    booking = await Booking.get_or_none(id=booking_id).prefetch_related(
        "counsellor", "organisation", "room", "appointment", "location"
    )
    if booking is None or not sees_organisation(
        principal,
        booking.organisation_id,
    ):
        raise NotFound()  # another organisation's booking does not exist for this reader
    return booking


async def audit_read(actor: str, booking: Booking, now: datetime) -> None:
    await audit(actor, "read", "booking", booking.reference, "outcome note", now)


async def record_outcome(
    booking_id: int, principal: Principal, outcome: Outcome, now: datetime
) -> Booking:
    booking = await booking_for_staff(booking_id, principal)
    if not may_record(booking.status, booking.start, now):
        raise NotChangeable()
    booking.status = outcome.status
    booking.outcome_topics = list(outcome.topics)
    booking.referral = outcome.referral
    if booking.anonymised_at is None:  # a note after anonymisation would be personal data again
        booking.outcome_note = outcome.note
    await booking.save(
        update_fields=["status", "outcome_topics", "referral", "outcome_note", "updated_at"]
    )
    await audit(principal.username, "outcome", "booking", booking.reference, outcome.status, now)
    return booking


async def booking_by_reference(reference: str) -> Booking:
    """A booking by the reference printed on its confirmation (the API checks in by it)."""
    booking = None
    if _fits_column(Booking, "reference", reference):
        booking = await Booking.get_or_none(reference=reference).prefetch_related("location")
    if booking is None:
        raise NotFound()
    return booking


async def check_in(booking_id: int, actor: str, now: datetime) -> bool:
    """Mark today's visitor as arrived; False if they had already been checked in."""
    booking = await Booking.get_or_none(id=booking_id).prefetch_related("location")
    if booking is None:
        raise NotFound()
    if booking.status == CANCELLED or local_date(booking.start, booking.location) != local_date(
        now, booking.location
    ):
        raise NotChangeable()
    # One statement: two clicks at two desks check in once.
    changed = await Booking.filter(id=booking_id, checked_in_at=None).update(checked_in_at=now)
    if changed:
        await audit(actor, "check_in", "booking", booking.reference, "", now)
    return bool(changed)


@dataclass(frozen=True)
class OnDuty:
    counsellor_id: int
    name: str
    organisation: str
    languages: tuple[str, ...]
    room: str | None
    state: DeskState


async def on_duty(location: Location, now: datetime) -> list[OnDuty]:
    """The counsellors working at the location today, and whether each is free now."""
    day = await load_day(location, local_date(now, location))
    if day.location.closed:
        return []
    first, last = _day_bounds(location, local_date(now, location))
    sessions: dict[int, list[Interval]] = {}
    for row in await Booking.filter(
        Q(location_id=location.id, start__gte=first, start__lt=last), ~Q(status=CANCELLED)
    ).values("counsellor_id", "start", "end"):
        sessions.setdefault(row["counsellor_id"], []).append(Interval(row["start"], row["end"]))
    planned = {c.id for c in day.counsellors}
    # At their desk today but not in the plan (extra hours): on duty for reception too.
    present = Q(desk_location_id=location.id, desk_since__gte=first, active=True)
    names = {
        c.id: c
        for c in await Counsellor.filter(Q(id__in=planned) | present).prefetch_related(
            "organisation"
        )
    }
    rooms = {r.id: r.name for r in await Room.filter(location_id=location.id)}
    closing = max((o.end for o in day.location.opening), default=None)
    shifts_of = {c: [(s.interval, s.room_id) for s in day.shifts[c]] for c in planned}
    for extra in names.keys() - planned:
        since = names[extra].desk_since
        assert since is not None
        shifts_of[extra] = [(Interval(since, queue.at_desk_until(now, closing)), None)]
    listed = []
    for counsellor_id, shifts in shifts_of.items():
        state = desk_state(
            [interval for interval, _ in shifts], sorted(sessions.get(counsellor_id, [])), now
        )
        current_room = next((room for interval, room in shifts if interval.start <= now), None)
        room_id = current_room if current_room is not None else shifts[0][1]
        profile = names[counsellor_id]
        at_desk = (
            profile.desk_location_id == location.id
            and profile.desk_since is not None
            and local_date(profile.desk_since, location) == local_date(now, location)
        )
        if at_desk and profile.desk_room_id is not None:
            room_id = profile.desk_room_id  # where they said they sit: as the display shows
        listed.append(
            OnDuty(
                counsellor_id,
                profile.display_name,
                profile.organisation.name,
                tuple(profile.languages),
                rooms.get(room_id) if room_id is not None else None,
                state,
            )
        )
    return sorted(listed, key=lambda d: (d.state.state != "free", d.name))
