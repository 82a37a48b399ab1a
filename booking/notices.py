"""Which e-mails a change to a session causes, to whom and from when: the pure rules (issue 5).

A change is described by the session before and after it (``None`` before: a new booking).
The applicant hears about every change they would see in their calendar: a new session, a new
time or room, a cancellation, and a reminder the day before. A counsellor who wants invitation
mails hears about sessions that arrive in, move within or leave their own schedule. A change
that neither side can see (a counsellor swap, for the applicant) sends nothing to that side.

Everything here is a pure function over plain data; the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# What a message says about the session.
CONFIRMED = "confirmed"  # a new session (for a counsellor: new in their schedule)
UPDATED = "updated"  # new time or room
CANCELLED = "cancelled"  # cancelled (for a counsellor: gone from their schedule)
REMINDER = "reminder"  # the day before; no calendar part
KINDS = (CONFIRMED, UPDATED, CANCELLED, REMINDER)

APPLICANT = "applicant"
COUNSELLOR = "counsellor"

# Why the service (not the applicant) cancelled a session, said in the applicant's mail.
DESK_CLOSED = "closed"  # the counselling desk is closed that day
NOBODY_FREE = "nobody_free"  # the counsellor cannot come and no colleague is free
CANCEL_REASONS = (DESK_CLOSED, NOBODY_FREE)


@dataclass(frozen=True)
class SessionFacts:
    """One session as the messages about it describe it."""

    booking_id: int
    reference: str
    sequence: int  # the booking's iCalendar SEQUENCE after the change
    active: bool
    start: datetime
    end: datetime
    zone: ZoneInfo
    topic: str
    language: str  # of the session
    ui_language: str  # the applicant's language for pages and mails
    location_name: str
    address: str
    room: str  # the room's name, "" if none is set
    appointment_start: datetime | None  # the immigration-office appointment
    applicant_name: str
    applicant_email: str
    counsellor_id: int
    counsellor_name: str
    counsellor_email: str
    counsellor_wants_mail: bool
    organisation_name: str = ""  # the welfare organisation that counsels, named to applicants


@dataclass(frozen=True)
class Notice:
    """One message to write to the outbox."""

    recipient: str  # APPLICANT or COUNSELLOR
    kind: str
    session: SessionFacts  # what the message describes (for a counsellor who lost it: before)
    send_after: datetime
    thread: str  # messages of a thread go out in the order written
    reason: str = ""  # a cancellation by the service: one of CANCEL_REASONS

    @property
    def method(self) -> str | None:
        """The iTIP method of the calendar part; a reminder has none."""
        if self.kind == REMINDER:
            return None
        return "CANCEL" if self.kind == CANCELLED else "REQUEST"


def applicant_thread(booking_id: int) -> str:
    return f"{booking_id}:applicant"


def reminder_thread(booking_id: int) -> str:
    # Its own thread: a reminder waits until the day before and must not hold up the
    # invitations written after it.
    return f"{booking_id}:reminder"


def counsellor_thread(booking_id: int, counsellor_id: int) -> str:
    return f"{booking_id}:counsellor:{counsellor_id}"


def reminder_moment(start: datetime, zone: ZoneInfo, at: time) -> datetime:
    """``at`` o'clock local time on the day before the session."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, at, tzinfo=zone)


def _to_applicant(kind: str, session: SessionFacts, now: datetime) -> list[Notice]:
    if not session.applicant_email:
        return []
    return [Notice(APPLICANT, kind, session, now, applicant_thread(session.booking_id))]


def _to_counsellor(kind: str, session: SessionFacts, now: datetime) -> list[Notice]:
    if not (session.counsellor_wants_mail and session.counsellor_email):
        return []
    thread = counsellor_thread(session.booking_id, session.counsellor_id)
    return [Notice(COUNSELLOR, kind, session, now, thread)]


def _reminder(session: SessionFacts, now: datetime, at: time | None) -> list[Notice]:
    if at is None or not session.active or not session.applicant_email:
        return []
    moment = reminder_moment(session.start, session.zone, at)
    if not now < moment < session.start:
        return []  # booked after the reminder time: the confirmation is reminder enough
    return [Notice(APPLICANT, REMINDER, session, moment, reminder_thread(session.booking_id))]


def notices(
    before: SessionFacts | None, after: SessionFacts, now: datetime, reminder_at: time | None
) -> list[Notice]:
    """The messages a change causes, in the order they are written.

    Any pending reminder of the booking is replaced by the one returned here (if any), so the
    caller deletes pending reminders first; a reminder always describes the latest state.
    """
    found: list[Notice] = []
    if before is None or not before.active:
        if after.active:
            found += _to_applicant(CONFIRMED, after, now)
            found += _to_counsellor(CONFIRMED, after, now)
    elif not after.active:
        found += _to_applicant(CANCELLED, after, now)
        # The counsellor who held it; their calendar gets the new SEQUENCE.
        found += _to_counsellor(CANCELLED, _with_counsellor(after, before), now)
    else:
        moved = (before.start, before.end) != (after.start, after.end)
        elsewhere = (before.location_name, before.address, before.room) != (
            after.location_name,
            after.address,
            after.room,
        )
        # The applicant's mails name the organisation: a colleague of another one is news.
        other_organisation = before.organisation_name != after.organisation_name
        if moved or elsewhere or other_organisation:
            found += _to_applicant(UPDATED, after, now)
        if before.counsellor_id == after.counsellor_id:
            if moved or elsewhere:
                found += _to_counsellor(UPDATED, after, now)
        else:
            found += _to_counsellor(CANCELLED, _with_counsellor(after, before), now)
            found += _to_counsellor(CONFIRMED, after, now)
    return found + _reminder(after, now, reminder_at)


def _with_counsellor(session: SessionFacts, holder: SessionFacts) -> SessionFacts:
    """``session`` as ``holder``'s counsellor knew it: their id, name and mail settings, the
    time and room they had it at, and the SEQUENCE after the change."""
    return replace(holder, sequence=session.sequence, active=session.active)
