"""Day schedules as the staff see them: pure rules over plain data.

Who may see which part of a location's day, how an applicant is named on a schedule (first name
and initial only), which outcomes a session may get, and who is free at the desk right now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from booking.access import Principal
from booking.errors import ScopeRefused
from booking.models import ADMIN, ATTENDED, BOOKED, CANCELLED, COUNSELLOR, NO_SHOW, RECEPTION
from booking.slots import Interval, union
from booking.staff_vocabulary import REFERRALS
from booking.vocabulary import ONLINE, TOPICS

BOOKING = "booking"  # a session: booked online, at the desk, or a walk-in called
# A walk-in ticket between two calls (parked at the office counter, or waiting again after a
# transfer or a resume): one row with its current state, so the schedule shows every ticket
# once, never as a cancelled duplicate.
TICKET = "ticket"


def display_name(full_name: str) -> str:
    """First name and the initial of the last name: "Amina Test" -> "Amina T."."""
    parts = full_name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0]}."


@dataclass(frozen=True)
class Scope:
    """The part of one location's day a request may see."""

    day: date
    organisation_id: int | None  # None: every organisation
    counsellor_id: int | None  # None: every counsellor in the organisation(s)


@dataclass(frozen=True)
class Entry:
    """One line of a schedule, as the pages and the API show it."""

    id: int
    start: datetime
    end: datetime
    counsellor_id: int | None  # None: a ticket waiting for an organisation
    counsellor_name: str
    organisation: str
    organisation_name: str
    room: str | None
    kind: str
    topic: str
    language: str
    reference: str
    status: str
    display_name: str
    appointment_start: datetime | None  # None for a walk-in
    checked_in_at: datetime | None
    outcome_topics: tuple[str, ...]
    referral: str
    channel: str = ONLINE  # walk-ins are at the desk already: nobody checks them in

    @property
    def is_session(self) -> bool:
        """A session (booked, walk-in or follow-up), not a ticket between two calls."""
        return self.kind != TICKET


def schedule_scope(
    principal: Principal,
    day: date,
    today: date,
    *,
    organisation_id: int | None = None,
    counsellor_id: int | None = None,
    counsellor_organisation_id: int | None = None,
) -> Scope:
    """Narrow a request to what the principal may see, or refuse it.

    Counsellors see their own organisation on any day; reception sees the whole location, but
    for today only; admins see everything. ``counsellor_organisation_id`` is the organisation
    of the counsellor asked for, if one is.
    """
    if principal.role == COUNSELLOR:
        own = principal.organisation_id
        if organisation_id is not None and organisation_id != own:
            raise ScopeRefused("other_organisation")
        if counsellor_id is not None and counsellor_organisation_id != own:
            raise ScopeRefused("other_organisation")
        return Scope(day, own, counsellor_id)
    if principal.role == RECEPTION:
        if day != today:
            raise ScopeRefused("today_only")
        return Scope(day, organisation_id, counsellor_id)
    if principal.role == ADMIN:
        return Scope(day, organisation_id, counsellor_id)
    raise ScopeRefused("forbidden")


OUTCOME_STATUSES = (ATTENDED, NO_SHOW, BOOKED)


@dataclass(frozen=True)
class Outcome:
    status: str
    topics: tuple[str, ...]
    referral: str
    note: str


NOTE_LIMIT = 500


def read_outcome(
    status: str, topics: Sequence[str], referral: str, note: str
) -> tuple[Outcome | None, dict[str, str]]:
    """An outcome from form values: the value, or error codes by field."""
    errors: dict[str, str] = {}
    if status not in OUTCOME_STATUSES:
        errors["status"] = "choose_status"
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        errors["topics"] = "choose_topic"
    if referral and referral not in REFERRALS:
        errors["referral"] = "choose_referral"
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        errors["note"] = "too_long"
    if errors:
        return None, errors
    ordered = tuple(t for t in TOPICS if t in set(topics))
    return Outcome(status, ordered, referral, note), {}


def may_record(status: str, start: datetime, now: datetime) -> bool:
    """Attendance is recorded once a session has begun, never for a cancelled one."""
    return status != CANCELLED and start <= now


# What the desk shows about a counsellor on duty right now.
FREE = "free"
IN_SESSION = "in_session"
ON_BREAK = "on_break"
OFF_DUTY = "off_duty"


@dataclass(frozen=True)
class DeskState:
    state: str
    until: datetime | None  # when the state ends, if it ends today


def desk_state(
    shifts: Iterable[Interval], sessions: Sequence[Interval], now: datetime
) -> DeskState:
    """Whether a counsellor is free, in a session, on a break or off duty at ``now``."""
    shifts = union(shifts)  # extra hours may overlap the weekly plan
    if not shifts or now >= shifts[-1].end:
        return DeskState(OFF_DUTY, None)
    current = next((s for s in sessions if s.start <= now < s.end), None)
    if current is not None:
        return DeskState(IN_SESSION, current.end)
    on_shift = next((s for s in shifts if s.start <= now < s.end), None)
    if on_shift is None:
        upcoming = next(s for s in shifts if s.start > now)
        return DeskState(OFF_DUTY if now < shifts[0].start else ON_BREAK, upcoming.start)
    later = [s.start for s in sessions if now < s.start < on_shift.end]
    return DeskState(FREE, min(later, default=on_shift.end))
