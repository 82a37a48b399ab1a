"""The counsellor's desk for walk-ins: being there, and what the desk page shows.

The queue's changes (calls and the desk's actions) are in booking/services/walkins.py; this
module only reads for the page, marks a counsellor at or away from their desk, and resolves
the targets of a transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from booking import queue
from booking.errors import Invalid, NotFound
from booking.models import Counsellor, Location, Organisation, StaffUser, Ticket
from booking.services import walkins
from booking.services.accounts import audit
from booking.services.days import load_day, local_date
from booking.services.schedule import default_location, location_by_code

MAX_ID = 2**31 - 1  # an INTEGER column: larger numbers name no record (and would not bind)


async def counsellor_of(user: StaffUser) -> Counsellor:
    """The counsellor profile behind a counsellor's account; NotFound without one."""
    counsellor_id: int | None = user.counsellor_id  # type: ignore[attr-defined]
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


def is_present(counsellor: Counsellor, location: Location, now: datetime) -> bool:
    """At this location's desk today (a mark from yesterday has lapsed)."""
    return (
        counsellor.desk_location_id == location.id
        and counsellor.desk_since is not None
        and local_date(counsellor.desk_since, location) == local_date(now, location)
    )


async def arrive(counsellor: Counsellor, location: Location, actor: str, now: datetime) -> None:
    """Marks the counsellor at this location's desk ("I am at my desk"): walk-ins' estimates
    count on them from now on."""
    await Counsellor.filter(id=counsellor.id).update(
        desk_location_id=location.id, desk_since=now.astimezone(UTC)
    )
    await audit(actor, "desk_arrive", "counsellor", counsellor.id, location.code, now)


async def leave(counsellor: Counsellor, actor: str, now: datetime) -> None:
    """Clears the mark ("I am leaving the desk"): no longer counted on for walk-ins."""
    await Counsellor.filter(id=counsellor.id).update(desk_location_id=None, desk_since=None)
    await audit(actor, "desk_leave", "counsellor", counsellor.id, "", now)


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


def _queued(row: Ticket, location: Location, now: datetime) -> QueuedTicket:
    return QueuedTicket(
        row.id,
        walkins.ticket_label(location.ticket_prefix, row.number),
        row.topic,
        row.language,
        row.priority,
        max(0, int((now - row.arrived_at).total_seconds() // 60)),
    )


def _current(row: Ticket, location: Location, now: datetime) -> CurrentTicket:
    may_mark = row.calls >= walkins.NO_SHOW_AFTER_CALLS or (
        row.called_at is not None and now - row.called_at >= walkins.NO_SHOW_TIMEOUT
    )
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
        booking_id=row.booking_id,  # type: ignore[attr-defined]
        may_mark_no_show=row.status == queue.CALLED and may_mark,
    )


async def desk_view(counsellor: Counsellor, location: Location, now: datetime) -> DeskView:
    """What the desk page shows a counsellor at one location today."""
    today = local_date(now, location)
    organisations = await Organisation.filter(active=True).order_by("name")
    codes = {o.id: o.code for o in await Organisation.all()}
    # The queue's own view of tickets and desks, so the list shows what "call next" would do.
    me = walkins.desk_of(counsellor, codes[counsellor.organisation_id])  # type: ignore[attr-defined]
    rows = await Ticket.filter(
        location_id=location.id,
        day=today,
        status__in=(queue.WAITING, queue.PARKED, queue.CALLED, queue.SERVING, queue.DONE),
    ).prefetch_related("room")
    waiting = [r for r in rows if r.status == queue.WAITING]
    as_queued = {r.id: walkins.as_queued(r, codes) for r in rows}
    by_id = {r.id: r for r in rows}
    fitting = [t for t in queue.queue_order(as_queued[r.id] for r in waiting) if queue.fits(t, me)]
    parked = queue.queue_order(as_queued[r.id] for r in rows if r.status == queue.PARKED)
    mine = [r for r in rows if r.counsellor_id == counsellor.id]  # type: ignore[attr-defined]
    current = next((r for r in mine if r.status in (queue.CALLED, queue.SERVING)), None)
    done = [r for r in mine if r.status == queue.DONE and r.booking_id is not None]  # type: ignore[attr-defined]
    finished = max(done, key=lambda r: r.finished_at or r.arrived_at, default=None)
    # Transfer targets: colleagues on duty today who could take the ticket, and their
    # organisations; handing it to someone it does not fit would leave it uncallable.
    day = await load_day(location, today)
    fitting_desks = [
        queue.Desk(c.id, c.organisation, c.languages, c.topics)
        for c in day.counsellors
        if c.id != counsellor.id
    ]
    if current is not None:
        # Language and topic only: a new transfer replaces an earlier one.
        plain = replace(walkins.as_queued(current, codes), counsellor_id=None, organisation=None)
        fitting_desks = [d for d in fitting_desks if queue.fits(plain, d)]
    colleagues = await Counsellor.filter(
        id__in=[d.counsellor_id for d in fitting_desks], active=True
    ).prefetch_related("organisation")
    reachable = {d.organisation for d in fitting_desks}
    return DeskView(
        location=location,
        present=is_present(counsellor, location, now),
        current=_current(current, location, now) if current else None,
        waiting=[_queued(by_id[t.id], location, now) for t in fitting],
        others_waiting=len(waiting) - len(fitting),
        parked=[_queued(by_id[t.id], location, now) for t in parked],
        finished=_current(finished, location, now) if finished else None,
        counsellors=[
            TransferChoice(f"counsellor:{c.id}", f"{c.display_name} ({c.organisation.name})")
            for c in sorted(colleagues, key=lambda c: c.display_name)
        ],
        organisations=[
            TransferChoice(f"organisation:{o.code}", o.name)
            for o in organisations
            if o.code in reachable
        ],
    )
