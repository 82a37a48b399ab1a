"""Which booked sessions a change of the plan leaves without their counsellor, and who could
take them over: pure functions over plain frozen data, no clock of their own.

The service gathers the plan (weekly blocks, dated changes, closure days, who is active) into a
``Plan``, applies the proposed edit to a copy (``apply``) and compares the two. A session is
*covered* while its counsellor and their organisation are active, speak its language, offer its
topic, and have a shift at its location that contains it, on a day the location is open (no
closure day, no public holiday). An edit *affects* the sessions it turns from covered into
uncovered; those are shown to the coordinator before anything is saved.

Invariants (tested as properties in tests/test_conflicts.py):
- a replacement is available, is not the session's counsellor, speaks the language, offers the
  topic, has a shift at the location containing the session, and is busy at no overlapping time;
- ``plan_moves`` never gives one counsellor two overlapping sessions, and leaves a session
  unmoved only when nobody eligible is left for it;
- an edit that only adds working time affects nothing; a covered session stays covered under
  ``apply`` of an edit that concerns another counsellor, location or organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from booking.plan import DatedChange, Shift, WeeklyBlock, public_holiday, room_for, shifts_on
from booking.slots import Interval


@dataclass(frozen=True)
class Session:
    """A booked, future session, as the checks see it (no personal data)."""

    booking_id: int
    reference: str
    location_id: int
    counsellor_id: int
    start: datetime
    end: datetime
    topic: str
    language: str

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class PlacedBlock:
    id: int
    location_id: int
    block: WeeklyBlock


@dataclass(frozen=True)
class PlacedChange:
    id: int | None  # None: not stored yet
    location_id: int
    change: DatedChange


@dataclass(frozen=True)
class Staffing:
    counsellor_id: int
    organisation_id: int
    active: bool
    languages: frozenset[str]
    topics: frozenset[str]
    blocks: tuple[PlacedBlock, ...] = ()
    changes: tuple[PlacedChange, ...] = ()

    def shifts(self, place: Place, day: date) -> list[Shift]:
        """This counsellor's shifts at the place on the local date (as load_day computes them)."""
        return shifts_on(
            day,
            [b.block for b in self.blocks if b.location_id == place.location_id],
            [c.change for c in self.changes if c.location_id == place.location_id],
            place.zone,
        )


@dataclass(frozen=True)
class Place:
    location_id: int
    zone: ZoneInfo
    active: bool = True
    closures: frozenset[date] = frozenset()
    holiday_country: str = "DE"
    holiday_subdivision: str = "NI"

    def open_on(self, day: date) -> bool:
        return (
            self.active
            and day not in self.closures
            and public_holiday(day, self.holiday_country, self.holiday_subdivision) is None
        )

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


@dataclass(frozen=True)
class Plan:
    staffing: Mapping[int, Staffing]  # counsellor id ->
    places: Mapping[int, Place]  # location id ->
    organisations: Mapping[int, bool]  # organisation id -> active

    def available(self, staff: Staffing) -> bool:
        return staff.active and self.organisations.get(staff.organisation_id, False)


# The edits a coordinator can make that may take working time away.


@dataclass(frozen=True)
class AddChanges:
    counsellor_id: int
    changes: tuple[PlacedChange, ...]


@dataclass(frozen=True)
class DropChange:
    counsellor_id: int
    change_id: int


@dataclass(frozen=True)
class DropBlock:
    counsellor_id: int
    block_id: int


@dataclass(frozen=True)
class CloseDay:
    location_id: int
    day: date


@dataclass(frozen=True)
class SetCounsellor:
    counsellor_id: int
    organisation_id: int
    active: bool
    languages: frozenset[str]
    topics: frozenset[str]


@dataclass(frozen=True)
class SetOrganisationActive:
    organisation_id: int
    active: bool


@dataclass(frozen=True)
class SetLocationActive:
    location_id: int
    active: bool


Edit = (
    AddChanges
    | DropChange
    | DropBlock
    | CloseDay
    | SetCounsellor
    | SetOrganisationActive
    | SetLocationActive
)


def _with_staff(plan: Plan, staff: Staffing) -> Plan:
    return replace(plan, staffing={**plan.staffing, staff.counsellor_id: staff})


def apply(plan: Plan, edit: Edit) -> Plan:
    """The plan as it would be after the edit; the plan given is left as it was."""
    if isinstance(edit, SetOrganisationActive):
        return replace(
            plan, organisations={**plan.organisations, edit.organisation_id: edit.active}
        )
    if isinstance(edit, SetLocationActive | CloseDay):
        place = plan.places.get(edit.location_id)
        if place is None:
            return plan
        if isinstance(edit, CloseDay):
            place = replace(place, closures=place.closures | {edit.day})
        else:
            place = replace(place, active=edit.active)
        return replace(plan, places={**plan.places, place.location_id: place})
    staff = plan.staffing.get(edit.counsellor_id)
    if staff is None:
        return plan
    if isinstance(edit, AddChanges):
        return _with_staff(plan, replace(staff, changes=staff.changes + edit.changes))
    if isinstance(edit, DropChange):
        kept = tuple(c for c in staff.changes if c.id != edit.change_id)
        return _with_staff(plan, replace(staff, changes=kept))
    if isinstance(edit, DropBlock):
        blocks = tuple(b for b in staff.blocks if b.id != edit.block_id)
        return _with_staff(plan, replace(staff, blocks=blocks))
    return _with_staff(
        plan,
        replace(
            staff,
            organisation_id=edit.organisation_id,
            active=edit.active,
            languages=edit.languages,
            topics=edit.topics,
        ),
    )


def _shift_containing(
    staff: Staffing, place: Place, interval: Interval
) -> tuple[bool, list[Shift]]:
    day = place.local_date(interval.start)
    if not place.open_on(day) or place.local_date(interval.end) != day:
        return False, []
    shifts = staff.shifts(place, day)
    return any(s.interval.contains(interval) for s in shifts), shifts


def covered(session: Session, plan: Plan) -> bool:
    """Whether the session's own counsellor can still hold it under the plan."""
    staff = plan.staffing.get(session.counsellor_id)
    place = plan.places.get(session.location_id)
    if staff is None or place is None or not plan.available(staff):
        return False
    if session.language not in staff.languages or session.topic not in staff.topics:
        return False
    return _shift_containing(staff, place, session.interval)[0]


def _in_order(sessions: Iterable[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.start, s.booking_id))


def uncovered(sessions: Iterable[Session], plan: Plan) -> list[Session]:
    """The sessions whose counsellor cannot hold them under the plan, in time order."""
    return _in_order(s for s in sessions if not covered(s, plan))


def affected(sessions: Iterable[Session], before: Plan, after: Plan) -> list[Session]:
    """The sessions covered before and uncovered after: what the edit takes away."""
    return _in_order(s for s in sessions if covered(s, before) and not covered(s, after))


@dataclass(frozen=True)
class Replacement:
    counsellor_id: int
    organisation_id: int
    room_id: int | None


def _sessions_on(busy: Sequence[Interval], place: Place, day: date) -> int:
    return sum(1 for interval in busy if place.local_date(interval.start) == day)


def replacements(
    session: Session, plan: Plan, busy: Mapping[int, Sequence[Interval]]
) -> list[Replacement]:
    """Who could take the session over at the same time and place, the one with the fewest
    sessions that day first (ties to the lowest id), as the booking itself would choose."""
    place = plan.places.get(session.location_id)
    if place is None:
        return []
    day = place.local_date(session.start)
    found: list[tuple[int, int, Replacement]] = []
    for staff in plan.staffing.values():
        if staff.counsellor_id == session.counsellor_id or not plan.available(staff):
            continue
        if session.language not in staff.languages or session.topic not in staff.topics:
            continue
        own = busy.get(staff.counsellor_id, ())
        if any(interval.overlaps(session.interval) for interval in own):
            continue
        inside, shifts = _shift_containing(staff, place, session.interval)
        if not inside:
            continue
        replacement = Replacement(
            staff.counsellor_id, staff.organisation_id, room_for(shifts, session.interval)
        )
        found.append((_sessions_on(own, place, day), staff.counsellor_id, replacement))
    return [r for _n, _id, r in sorted(found, key=lambda item: (item[0], item[1]))]


@dataclass(frozen=True)
class Move:
    session: Session
    to: Replacement | None  # None: nobody eligible is left; the session stays where it is


def plan_moves(
    sessions: Sequence[Session],
    plan: Plan,
    busy: Mapping[int, Sequence[Interval]],
    choices: Mapping[int, int] | None = None,
) -> list[Move]:
    """Where each session goes: to the chosen counsellor (booking id -> counsellor id) if still
    eligible, else to the first eligible one; one after another in time order, each move
    counted as busy for the next, so that no counsellor gets two overlapping sessions."""
    taken: dict[int, list[Interval]] = {cid: list(intervals) for cid, intervals in busy.items()}
    moves: list[Move] = []
    for session in _in_order(sessions):
        options = replacements(session, plan, taken)
        if not options:
            moves.append(Move(session, None))
            continue
        wanted = (choices or {}).get(session.booking_id)
        target = next((o for o in options if o.counsellor_id == wanted), options[0])
        taken.setdefault(target.counsellor_id, []).append(session.interval)
        moves.append(Move(session, target))
    return moves
