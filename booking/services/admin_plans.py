"""Plan changes that may leave booked sessions without their counsellor: checked, then saved.

Every such change runs in one transaction whose first statement bumps the booking lock of every
location (the lock each booking transaction takes first), so that no session can be booked or
moved between the check and the save. Under the lock the plan is loaded, the edit applied to a
copy and the two compared (booking/conflicts.py). If booked sessions would be affected and the
coordinator has not decided yet, nothing is saved and the affected sessions come back with the
counsellors who could take them over. With "move" the change is saved and each session moves to
the chosen (or first eligible) counsellor at the same time; with "leave" it is saved and the
sessions stay where they are, listed as needing attention.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from booking.admin_forms import MOVE, ClosureForm, CounsellorForm, Decision, ExceptionForm
from booking.conflicts import (
    AddChanges,
    CloseDay,
    DropBlock,
    DropChange,
    Edit,
    Move,
    Place,
    PlacedBlock,
    PlacedChange,
    Plan,
    Replacement,
    Session,
    SetCounsellor,
    SetLocationActive,
    SetOrganisationActive,
    Staffing,
    affected,
    apply,
    plan_moves,
    replacements,
    uncovered,
)
from booking.errors import Busy, NotFound, Rejected
from booking.models import (
    BOOKED,
    CANCELLED,
    Booking,
    ClosureDay,
    Counsellor,
    Location,
    Organisation,
    PlanException,
    WorkShift,
    clock_time,
)
from booking.plan import DatedChange
from booking.services import outbox
from booking.services.accounts import audit
from booking.services.bookings import slot_key
from booking.services.days import dated_change, weekly_block
from booking.services.outbox import Mailer
from booking.slots import Interval


@dataclass(frozen=True)
class Affected:
    session: Session
    replacements: tuple[Replacement, ...]


@dataclass(frozen=True)
class Outcome:
    saved: bool
    affected: tuple[Affected, ...] = ()
    moved: tuple[Move, ...] = ()  # sessions that moved to another counsellor
    left: tuple[Session, ...] = ()  # sessions that stayed without their counsellor


Write = Callable[[], Awaitable[None]]


async def _lock_all_locations() -> None:
    """The first statement: one write over every location row. A booking transaction locks
    one of these rows first, so a check and save here never races with a booking."""
    await Location.all().update(booking_lock=F("booking_lock") + 1)


async def load_plan(now: datetime) -> Plan:
    """The stored plan from yesterday on (a day earlier than any location's today)."""
    since = (now - timedelta(days=1)).date()
    closures: dict[int, set[date]] = defaultdict(set)
    for closure in await ClosureDay.filter(day__gte=since):
        closures[closure.location_id].add(closure.day)
    places = {
        location.id: Place(
            location.id,
            ZoneInfo(location.timezone),
            location.active,
            frozenset(closures.get(location.id, ())),
            location.holiday_country,
            location.holiday_subdivision,
        )
        for location in await Location.all()
    }
    blocks: dict[int, list[PlacedBlock]] = defaultdict(list)
    for shift in await WorkShift.all():
        blocks[shift.counsellor_id].append(
            PlacedBlock(
                shift.id,
                shift.location_id,
                weekly_block(shift),
            )
        )
    changes: dict[int, list[PlacedChange]] = defaultdict(list)
    for row in await PlanException.filter(day__gte=since):
        changes[row.counsellor_id].append(PlacedChange(row.id, row.location_id, dated_change(row)))
    staffing = {
        c.id: Staffing(
            c.id,
            c.organisation_id,
            c.active,
            frozenset(c.languages),
            frozenset(c.topics),
            tuple(blocks.get(c.id, ())),
            tuple(changes.get(c.id, ())),
        )
        for c in await Counsellor.all()
    }
    organisations = {o.id: o.active for o in await Organisation.all()}
    return Plan(staffing, places, organisations)


async def future_sessions(now: datetime) -> list[Session]:
    """Booked sessions that have not begun (only those can still be moved)."""
    rows = await Booking.filter(status=BOOKED, start__gt=now.astimezone(UTC)).only(
        "id", "reference", "location_id", "counsellor_id", "start", "end", "topic", "language"
    )
    return [session_of(row) for row in rows]


def session_of(booking: Booking) -> Session:
    """The plain facts of a booked session that the plan checks decide on."""
    return Session(
        booking.id,
        booking.reference,
        booking.location_id,
        booking.counsellor_id,
        booking.start,
        booking.end,
        booking.topic,
        booking.language,
    )


async def busy_around(sessions: Iterable[Session]) -> dict[int, list[Interval]]:
    """Every counsellor's active sessions from the day before the first to the day after the
    last of the given sessions: enough to see who is busy and how full their days are."""
    sessions = list(sessions)
    if not sessions:
        return {}
    low = min(s.start for s in sessions) - timedelta(days=1)
    high = max(s.end for s in sessions) + timedelta(days=1)
    busy: dict[int, list[Interval]] = defaultdict(list)
    rows = (
        await Booking.filter(start__lt=high.astimezone(UTC), end__gt=low.astimezone(UTC))
        .exclude(status=CANCELLED)
        .only("id", "counsellor_id", "start", "end")
    )
    for row in rows:
        busy[row.counsellor_id].append(Interval(row.start, row.end))
    return dict(busy)


async def _move(move: Move, actor: str, now: datetime, mailer: Mailer | None) -> bool:
    session, to = move.session, move.to
    assert to is not None, "only a move with a target is applied"
    booking = await Booking.get(id=session.booking_id)
    before = await outbox.facts(booking)
    changed = await Booking.filter(
        id=session.booking_id, status=BOOKED, counsellor_id=session.counsellor_id
    ).update(
        counsellor_id=to.counsellor_id,
        organisation_id=to.organisation_id,
        room_id=to.room_id,
        slot_key=slot_key(to.counsellor_id, session.start),
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    if changed:
        summary = f"counsellor {session.counsellor_id} -> {to.counsellor_id}"
        await audit(actor, "move", "booking", session.booking_id, summary, now)
        await booking.refresh_from_db()
        await outbox.record_change(mailer, before, booking, now)
    return changed == 1


async def _apply_moves(
    sessions: list[Session],
    plan: Plan,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> tuple[list[Move], list[Session]]:
    busy = await busy_around(sessions)
    moved: list[Move] = []
    left: list[Session] = []
    for move in plan_moves(sessions, plan, busy, decision.choices):
        if move.to is not None and await _move(move, actor, now, mailer):
            moved.append(move)
        else:
            left.append(move.session)
    return moved, left


async def checked_save(
    edit: Edit,
    write: Write,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    """Save the edit unless it affects booked sessions the coordinator has not decided on."""
    try:
        async with in_transaction():
            await _lock_all_locations()
            before = await load_plan(now)
            after = apply(before, edit)
            hit = affected(await future_sessions(now), before, after)
            if hit and decision.resolution is None:
                busy = await busy_around(hit)
                found = tuple(Affected(s, tuple(replacements(s, after, busy))) for s in hit)
                return Outcome(saved=False, affected=found)
            await write()
            if not hit:
                return Outcome(saved=True)
            if decision.resolution == MOVE:
                moved, left = await _apply_moves(hit, after, decision, actor, now, mailer)
            else:
                moved, left = [], hit
            for session in left:
                await audit(actor, "leave", "booking", session.booking_id, "needs attention", now)
            found = tuple(Affected(s, ()) for s in hit)
            return Outcome(True, found, tuple(moved), tuple(left))
    except IntegrityError:  # only if a row was written around the lock
        raise Busy() from None


async def close_day(
    location: Location,
    form: ClosureForm,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    async def write() -> None:
        if await ClosureDay.exists(location_id=location.id, day=form.day):
            raise Rejected({"day": "closure_exists"})
        await ClosureDay.create(location_id=location.id, day=form.day, reason=form.reason)
        await audit(actor, "close_day", "location", location.id, form.day.isoformat(), now)

    if await ClosureDay.exists(location_id=location.id, day=form.day):
        raise Rejected({"day": "closure_exists"})
    return await checked_save(CloseDay(location.id, form.day), write, decision, actor, now, mailer)


async def set_location_active(
    location: Location,
    active: bool,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    async def write() -> None:
        await Location.filter(id=location.id).update(active=active)
        action = "activate" if active else "deactivate"
        await audit(actor, action, "location", location.id, location.code, now)

    edit = SetLocationActive(location.id, active)
    return await checked_save(edit, write, decision, actor, now, mailer)


async def set_organisation_active(
    organisation: Organisation,
    active: bool,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    async def write() -> None:
        await Organisation.filter(id=organisation.id).update(active=active)
        action = "activate" if active else "deactivate"
        await audit(actor, action, "organisation", organisation.id, organisation.code, now)

    edit = SetOrganisationActive(organisation.id, active)
    return await checked_save(edit, write, decision, actor, now, mailer)


async def update_counsellor(
    counsellor: Counsellor,
    form: CounsellorForm,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    """Name, organisation, languages, topics and e-mail; dropping a language or topic that a
    booked session needs is a conflict like an absence."""

    async def write() -> None:
        await Counsellor.filter(id=counsellor.id).update(
            display_name=form.display_name,
            organisation_id=form.organisation_id,
            languages=list(form.languages),
            topics=list(form.topics),
            email=form.email,
            mail_invitations=form.mail_invitations,
        )
        await audit(actor, "update", "counsellor", counsellor.id, form.display_name, now)

    edit = SetCounsellor(
        counsellor.id,
        form.organisation_id,
        counsellor.active,
        frozenset(form.languages),
        frozenset(form.topics),
    )
    return await checked_save(edit, write, decision, actor, now, mailer)


async def set_counsellor_active(
    counsellor: Counsellor,
    active: bool,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    async def write() -> None:
        await Counsellor.filter(id=counsellor.id).update(active=active)
        action = "activate" if active else "deactivate"
        await audit(actor, action, "counsellor", counsellor.id, counsellor.display_name, now)

    edit = SetCounsellor(
        counsellor.id,
        counsellor.organisation_id,
        active,
        frozenset(counsellor.languages),
        frozenset(counsellor.topics),
    )
    return await checked_save(edit, write, decision, actor, now, mailer)


async def remove_block(
    block: WorkShift, decision: Decision, actor: str, now: datetime, mailer: Mailer | None = None
) -> Outcome:
    counsellor_id: int = block.counsellor_id

    async def write() -> None:
        await WorkShift.filter(id=block.id).delete()
        summary = f"counsellor {counsellor_id} weekday {block.weekday} {block.starts}-{block.ends}"
        await audit(actor, "remove_block", "work_shift", block.id, summary, now)

    return await checked_save(
        DropBlock(counsellor_id, block.id), write, decision, actor, now, mailer
    )


async def _absence_locations(counsellor_id: int, form: ExceptionForm) -> list[int]:
    """Where an absence without a location applies: every location the counsellor works at
    that day (weekly blocks and extra hours), else every location of their plan."""
    if form.location_id is not None:
        return [form.location_id]
    weekly = await WorkShift.filter(counsellor_id=counsellor_id, weekday=form.day.weekday())
    extra = await PlanException.filter(counsellor_id=counsellor_id, day=form.day)
    found = sorted({b.location_id for b in weekly} | {e.location_id for e in extra})
    if not found:
        every = await WorkShift.filter(counsellor_id=counsellor_id)
        found = sorted({row.location_id for row in every})
    if not found:
        first = await Location.filter(active=True).order_by("id").first()
        if first is None:
            raise Rejected({"location": "location_invalid"})
        found = [first.id]
    return found


async def add_exception(
    counsellor: Counsellor,
    form: ExceptionForm,
    decision: Decision,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
) -> Outcome:
    location_ids = await _absence_locations(counsellor.id, form)
    starts = None if form.starts is None else clock_time(form.starts)
    ends = None if form.ends is None else clock_time(form.ends)
    dated = DatedChange(form.day, form.kind, starts, ends, form.room_id)
    edit = AddChanges(counsellor.id, tuple(PlacedChange(None, lid, dated) for lid in location_ids))

    async def write() -> None:
        for location_id in location_ids:
            row = await PlanException.create(
                counsellor_id=counsellor.id,
                location_id=location_id,
                room_id=form.room_id,
                day=form.day,
                kind=form.kind,
                starts=form.starts,
                ends=form.ends,
                note=form.note,
            )
            summary = f"counsellor {counsellor.id} {form.kind} {form.day.isoformat()}"
            await audit(actor, "add_exception", "plan_exception", row.id, summary, now)

    return await checked_save(edit, write, decision, actor, now, mailer)


async def remove_exception(
    row: PlanException, decision: Decision, actor: str, now: datetime, mailer: Mailer | None = None
) -> Outcome:
    counsellor_id: int = row.counsellor_id

    async def write() -> None:
        await PlanException.filter(id=row.id).delete()
        summary = f"counsellor {counsellor_id} {row.kind} {row.day.isoformat()}"
        await audit(actor, "remove_exception", "plan_exception", row.id, summary, now)

    return await checked_save(
        DropChange(counsellor_id, row.id), write, decision, actor, now, mailer
    )


async def needing_attention(now: datetime) -> list[Affected]:
    """Booked future sessions whose counsellor cannot hold them under the current plan, with
    who could take them over."""
    plan = await load_plan(now)
    stranded = uncovered(await future_sessions(now), plan)
    busy = await busy_around(stranded)
    return [Affected(s, tuple(replacements(s, plan, busy))) for s in stranded]


async def move_stranded(
    booking_id: int, decision: Decision, actor: str, now: datetime, mailer: Mailer | None = None
) -> Outcome:
    """Move one session that needs attention to the chosen (or first eligible) counsellor."""
    try:
        async with in_transaction():
            await _lock_all_locations()
            plan = await load_plan(now)
            session = next(
                (s for s in await future_sessions(now) if s.booking_id == booking_id), None
            )
            if session is None:
                raise NotFound()
            if not uncovered([session], plan):
                return Outcome(saved=True)
            moved, left = await _apply_moves([session], plan, decision, actor, now, mailer)
            return Outcome(True, (Affected(session, ()),), tuple(moved), tuple(left))
    except IntegrityError:
        raise Busy() from None


@dataclass(frozen=True)
class Labels:
    """What the pages show for ids: counsellors' names and organisations, locations' zones."""

    counsellors: dict[int, str]
    organisations: dict[int, str]  # counsellor id -> organisation name
    zones: dict[int, ZoneInfo]
    locations: dict[int, str]


async def labels() -> Labels:
    counsellors = await Counsellor.all().prefetch_related("organisation")
    locations = await Location.all()
    return Labels(
        counsellors={c.id: c.display_name for c in counsellors},
        organisations={c.id: c.organisation.name for c in counsellors},
        zones={loc.id: ZoneInfo(loc.timezone) for loc in locations},
        locations={loc.id: loc.name for loc in locations},
    )
