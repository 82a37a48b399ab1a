"""The counsellor's desk for walk-ins: being there, and what the desk page shows.

The queue's changes (calls and the desk's actions) are in booking/services/walkins/; this
module only reads for the page, marks a counsellor at or away from their desk, and resolves
the targets of a transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from booking import queue
from booking.errors import Invalid, NotFound
from booking.models import Counsellor, Location, Organisation, StaffUser, Ticket
from booking.services import walkins
from booking.services.accounts import audit
from booking.services.schedule import default_location, location_by_code
from booking.settings import Settings

MAX_ID = 2**31 - 1  # an INTEGER column: larger numbers name no record (and would not bind)


async def counsellor_of(user: StaffUser) -> Counsellor:
    """The counsellor profile behind a counsellor's account; NotFound without one."""
    counsellor_id: int | None = user.counsellor_id
    counsellor = None
    if counsellor_id is not None:
        counsellor = await Counsellor.get_or_none(id=counsellor_id, active=True)
    if counsellor is None:
        raise NotFound()
    return counsellor


async def desk_location(counsellor: Counsellor, code: str | None) -> Location:
    """The location named, else the one the counsellor last sat at, else the first one."""
    if code:
        return await location_by_code(code)
    if counsellor.desk_location_id is not None:
        found = await Location.get_or_none(id=counsellor.desk_location_id, active=True)
        if found is not None:
            return found
    first = await default_location()
    if first is None:
        raise NotFound()
    return first


async def arrive(
    counsellor: Counsellor, location: Location, actor: str, now: datetime, room: str | None = None
) -> None:
    """Marks the counsellor at this location's desk ("I am at my desk") in a room (the one
    chosen, else the planned one): walk-ins' estimates count on them from now on, and their
    calls show that room. RoomNeeded when neither is known."""
    room_id = await walkins.rooms.desk_room(counsellor, location, now, room)
    await Counsellor.filter(id=counsellor.id).update(
        desk_location_id=location.id, desk_since=now.astimezone(UTC), desk_room_id=room_id
    )
    await audit(actor, "desk_arrive", "counsellor", counsellor.id, location.code, now)


async def leave(counsellor: Counsellor, actor: str, now: datetime) -> None:
    """Clears the mark ("I am leaving the desk"): no longer counted on for walk-ins, and off
    the ready list."""
    await Counsellor.filter(id=counsellor.id).update(
        desk_location_id=None,
        desk_since=None,
        desk_room_id=None,
        ready_since=None,
        ready_until=None,
    )
    await audit(actor, "desk_leave", "counsellor", counsellor.id, "", now)


async def sign_off(counsellor_id: int) -> None:
    """Signing off the staff pages ends readiness for walk-ins (the desk mark stays: the
    estimates still count on them until they leave the desk or the day ends)."""
    await Counsellor.filter(id=counsellor_id).update(ready_since=None, ready_until=None)


def no_show_rule(settings: Settings) -> queue.NoShowRule:
    """BOOKING_NO_SHOW_CALLS and BOOKING_NO_SHOW_MINUTES as the queue's rule."""
    return queue.NoShowRule(settings.no_show_calls, settings.no_show_minutes)


def ticket_in_range(ticket_id: int) -> int:
    """The id, if it can name a ticket at all (NotFound otherwise)."""
    if not 0 < ticket_id <= MAX_ID:
        raise NotFound()
    return ticket_id


async def transfer_target(
    counsellor_id: object, organisation_code: object
) -> tuple[int | None, int | None]:
    """(counsellor id, organisation id) of a transfer: exactly one of them, and it exists.

    Raises Invalid naming the field that is wrong."""
    given_counsellor = counsellor_id is not None
    given_organisation = organisation_code is not None and organisation_code != ""
    if given_counsellor == given_organisation:
        raise Invalid({"counsellor" if given_counsellor else "to": "choose_transfer"})
    if given_counsellor:
        if (
            not isinstance(counsellor_id, int)
            or isinstance(counsellor_id, bool)
            or not 0 < counsellor_id <= MAX_ID
            or not await Counsellor.exists(id=counsellor_id, active=True)
        ):
            raise Invalid({"counsellor": "choose_counsellor"})
        return counsellor_id, None
    organisation = None
    if isinstance(organisation_code, str) and len(organisation_code) <= 32:
        organisation = await Organisation.get_or_none(code=organisation_code, active=True)
    if organisation is None:
        raise Invalid({"organisation": "choose_organisation"})
    return None, organisation.id


@dataclass(frozen=True)
class QueuedTicket:
    """A ticket as the desk lists it: no name."""

    id: int
    label: str
    topic: str
    language: str
    priority: str
    waited_minutes: int


@dataclass(frozen=True)
class CurrentTicket:
    """The ticket the counsellor holds: called (the visitor is on their way) or serving."""

    id: int
    label: str
    status: str
    topic: str
    language: str
    priority: str
    room: str | None
    calls: int
    called_at: datetime | None
    booking_id: int | None
    may_mark_no_show: bool


@dataclass(frozen=True)
class TransferChoice:
    value: str  # "counsellor:<id>" or "organisation:<code>"
    label: str


@dataclass(frozen=True)
class DeskView:
    location: Location
    present: bool
    current: CurrentTicket | None
    waiting: list[QueuedTicket]  # the waiting tickets that fit this counsellor, in queue order
    others_waiting: int  # waiting, but not for them (language, topic or transferred)
    parked: list[QueuedTicket]  # at the immigration counter; any desk may put them back
    finished: CurrentTicket | None  # the latest one they finished today: its outcome form
    counsellors: list[TransferChoice]
    organisations: list[TransferChoice]
    ready: bool = False  # on the ready list
    rooms: tuple[str, ...] = ()  # the location's rooms, for "I am at my desk"
    room: str | None = None  # the desk's room today, else the planned one (preselected)
    no_show: queue.NoShowRule = queue.DEFAULT_NO_SHOW


def _queued(row: Ticket, location: Location, now: datetime) -> QueuedTicket:
    return QueuedTicket(
        row.id,
        walkins.ticket_label(location.ticket_prefix, row.number),
        row.topic,
        row.language,
        row.priority,
        max(0, int((now - row.arrived_at).total_seconds() // 60)),
    )


def _current(
    row: Ticket, location: Location, now: datetime, rule: queue.NoShowRule
) -> CurrentTicket:
    may_mark = queue.no_show_allowed(row.status, row.calls, row.round_called_at, now, rule)
    return CurrentTicket(
        id=row.id,
        label=walkins.ticket_label(location.ticket_prefix, row.number),
        status=row.status,
        topic=row.topic,
        language=row.language,
        priority=row.priority,
        room=row.room.name if row.room else None,
        calls=row.calls,
        called_at=row.called_at,
        booking_id=row.booking_id,
        may_mark_no_show=may_mark,
    )


async def desk_view(
    counsellor: Counsellor,
    location: Location,
    now: datetime,
    rule: queue.NoShowRule = queue.DEFAULT_NO_SHOW,
) -> DeskView:
    """What the desk page shows a counsellor at one location today."""
    here = await walkins.floor(location, now)
    me = here.counsellors.get(counsellor.id, counsellor)
    organisations = await Organisation.filter(active=True).order_by("name")
    # The queue's own view of tickets and desks, so the list shows what "call next" would do.
    desk = here.desk(me)
    rows = await Ticket.filter(
        location_id=location.id, day=here.today, status__in=walkins.common.OPEN_TODAY
    ).prefetch_related("room")
    waiting = [r for r in rows if r.status == queue.WAITING]
    as_queued = {r.id: walkins.as_queued(r, here.codes) for r in rows}
    by_id = {r.id: r for r in rows}
    fitting = [
        t for t in queue.queue_order(as_queued[r.id] for r in waiting) if queue.fits(t, desk)
    ]
    parked = queue.queue_order(as_queued[r.id] for r in rows if r.status == queue.PARKED)
    mine = [r for r in rows if r.counsellor_id == counsellor.id]
    current = next((r for r in mine if r.status in (queue.CALLED, queue.SERVING)), None)
    done = [r for r in mine if r.status == queue.DONE and r.booking_id is not None]
    finished = max(done, key=lambda r: r.finished_at or r.arrived_at, default=None)
    # Transfer targets: colleagues present now (at their desk today or ready) who could take
    # the ticket, and their organisations; anyone else would leave it waiting for nobody.
    colleagues = walkins.present_targets(here, current, counsellor.id) if current else []
    reachable = {here.code_of(c) for c in colleagues}
    org_names = {o.id: o.name for o in here.organisations}
    rooms = await walkins.rooms_of(location)
    names = {v: k for k, v in rooms.items()}
    room_id = me.desk_room_id if here.present(me) else None
    if room_id is None:
        room_id = await walkins.planned_room(me, location, now)
    return DeskView(
        location=location,
        present=here.present(me),
        current=_current(current, location, now, rule) if current else None,
        waiting=[_queued(by_id[t.id], location, now) for t in fitting],
        others_waiting=len(waiting) - len(fitting),
        parked=[_queued(by_id[t.id], location, now) for t in parked],
        finished=_current(finished, location, now, rule) if finished else None,
        counsellors=[
            TransferChoice(
                f"counsellor:{c.id}",
                f"{c.display_name} ({org_names.get(c.organisation_id, '')})",
            )
            for c in sorted(colleagues, key=lambda c: c.display_name)
        ],
        organisations=[
            TransferChoice(f"organisation:{o.code}", o.name)
            for o in organisations
            if o.code in reachable
        ],
        ready=here.is_ready(me),
        rooms=tuple(sorted(rooms)),
        room=names.get(room_id) if room_id is not None else None,
        no_show=rule,
    )
