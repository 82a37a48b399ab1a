"""The bookings needing attention and what a coordinator does about them (issue 15).

A closure day, an absence or a deactivation can leave booked sessions whose counsellor cannot
hold them (booking/services/admin_plans.py lists them). When no colleague is free at the same
time, the coordinator can move a session to another free time in the applicant's window
(around their office appointment) or to another day, or cancel it with a message that tells
the applicant, in the language they booked in, why and what to do, with the CANCEL invitation.
Each of these exists per booking and for every listed booking at once.

Every move and cancellation runs like the applicant's own (booking/services/bookings.py): in
one transaction whose first statement is the location's booking lock, the free times computed
again under it. The page shows how to reach each person; every such read is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from booking.admin_forms import MOVE, Decision
from booking.conflicts import Plan, Replacement, Session
from booking.errors import Busy, NotChangeable, NotFound, SlotTaken
from booking.models import CANCELLED, Booking, OfficeAppointment, OutboxMessage
from booking.notices import CANCEL_REASONS, DESK_CLOSED, NOBODY_FREE
from booking.services import fairness, outbox
from booking.services.accounts import audit
from booking.services.admin_plans import load_plan, move_stranded, needing_attention
from booking.services.bookings import (
    cancel_locked,
    changeable,
    lock_location,
    move_to_slot,
    other_times,
    requested_organisation,
)
from booking.services.days import Day, load_day, local_date, whole_day_slots
from booking.services.outbox import Mailer
from booking.slots import Slot

SHOWN_TIMES = 24  # other times offered per booking on the list; another day has its own page


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    language: str  # the language they booked in: their mails are in it


@dataclass(frozen=True)
class Message:
    """One message about the booking, as the list shows it (no content)."""

    kind: str
    recipient: str
    status: str
    at: datetime  # sent, or written if not sent yet


@dataclass(frozen=True)
class Item:
    session: Session
    replacements: tuple[Replacement, ...]
    contact: Contact
    messages: tuple[Message, ...]
    times: tuple[Slot, ...]  # other free times in the applicant's window
    reason: str  # what a cancellation tells the applicant (booking/notices.py CANCEL_REASONS)


def cancel_reason(session: Session, plan: Plan) -> str:
    """The desk is closed that day (closure, holiday, location off), or nobody is free."""
    place = plan.places.get(session.location_id)
    if place is None or not place.open_on(place.local_date(session.start)):
        return DESK_CLOSED
    return NOBODY_FREE


async def _booking(booking_id: int) -> Booking:
    booking = await Booking.get_or_none(id=booking_id).prefetch_related("location", "organisation")
    if booking is None:
        raise NotFound()
    return booking


async def listing(actor: str, now: datetime, first: int, count: int) -> tuple[list[Item], int]:
    """``count`` bookings needing attention from the ``first``, and how many there are. Reading
    them shows contact data: each shown booking's read is audited."""
    stranded = await needing_attention(now)
    shown = stranded[first : first + count]
    ids = [a.session.booking_id for a in shown]
    rows = {b.id: b for b in await Booking.filter(id__in=ids).prefetch_related("location")}
    sent: dict[int, list[Message]] = {booking_id: [] for booking_id in ids}
    for m in await OutboxMessage.filter(booking_id__in=ids).order_by("id"):
        assert m.booking_id is not None, "filtered by booking_id__in"
        when = m.sent_at or m.created_at
        sent[m.booking_id].append(Message(m.kind, m.recipient, m.status, when))
    plan = await load_plan(now)
    items = []
    for found in shown:
        booking = rows[found.session.booking_id]
        times = tuple((await window_times(booking, now))[:SHOWN_TIMES])
        contact = Contact(booking.name, booking.email, booking.phone, booking.ui_language)
        await audit(actor, "read", "booking", booking.reference, "contact, attention list", now)
        reason = cancel_reason(found.session, plan)
        items.append(
            Item(found.session, found.replacements, contact, tuple(sent[booking.id]), times, reason)
        )
    return items, len(stranded)


async def window_times(booking: Booking, now: datetime) -> list[Slot]:
    """Other free times in the applicant's window around their office appointment (none for
    a session without one: it moves to another day)."""
    if not changeable(booking, now) or booking.appointment_id is None:
        return []
    return (await other_times(booking, now))[1]


async def _times(booking: Booking, when: date, now: datetime) -> tuple[Day, list[Slot]]:
    """The free times a coordinator may move the booking to on ``when``: on the day of the
    office appointment those of the applicant's window, on another day the whole opening day,
    with the organisation the applicant asked for, if they did."""
    location = booking.location
    appointment_id: int | None = booking.appointment_id
    if appointment_id is not None:
        appointment = await OfficeAppointment.get(id=appointment_id)
        if local_date(appointment.start, location) == when:
            return await other_times(booking, now)
    day = await load_day(location, when, exclude_booking_id=booking.id)
    if when < local_date(now, location):
        return day, []
    organisation = requested_organisation(booking)
    slots = whole_day_slots(day, when, location, organisation, booking.topic, booking.language, now)
    return day, [s for s in slots if s.start != booking.start]


async def day_times(booking_id: int, when: date, now: datetime) -> tuple[Booking, list[Slot]]:
    """The booking and the free times it can move to on ``when``."""
    booking = await _booking(booking_id)
    if not changeable(booking, now):
        raise NotChangeable()
    return booking, (await _times(booking, when, now))[1]


async def move(
    booking_id: int,
    start: datetime,
    actor: str,
    now: datetime,
    mailer: Mailer | None = None,
    balance_rules: fairness.Rules = fairness.DEFAULT_RULES,
) -> Booking:
    """Move the session to ``start`` (in the applicant's window or on another day). A
    counsellor free then keeps it; otherwise the balancing rules choose, as for a booking."""
    booking = await _booking(booking_id)
    if not changeable(booking, now):
        raise NotChangeable()
    try:
        async with in_transaction():
            await lock_location(booking.location.id)
            await booking.refresh_from_db()
            if not changeable(booking, now):
                raise NotChangeable()
            before = await outbox.facts(booking)
            day, offered = await _times(booking, local_date(start, booking.location), now)
            slot = next((s for s in offered if s.start == start), None)
            if slot is None:
                raise SlotTaken(offered)
            await move_to_slot(booking, day, slot, balance_rules, now)
            counsellor_id: int = booking.counsellor_id
            await outbox.record_change(mailer, before, booking, now)
            summary = f"to {booking.start.isoformat()}, counsellor {counsellor_id}"
            await audit(actor, "move", "booking", booking.id, summary, now)
    except IntegrityError:
        raise SlotTaken([]) from None
    return booking


async def cancel(
    booking_id: int, reason: str, actor: str, now: datetime, mailer: Mailer | None = None
) -> bool:
    """Cancel the session and tell the applicant why (``reason``); False if it was cancelled
    already."""
    assert reason in CANCEL_REASONS, f"unknown reason {reason!r}"
    booking = await _booking(booking_id)
    if booking.status == CANCELLED:
        return False
    if not changeable(booking, now):
        raise NotChangeable()
    async with in_transaction():
        changed = await cancel_locked(booking, now, mailer, reason)
        if changed:
            await audit(actor, "cancel", "booking", booking.id, reason, now)
    return changed


@dataclass(frozen=True)
class Done:
    moved: int = 0
    cancelled: int = 0
    left: int = 0  # still needing attention


async def cancel_all(actor: str, now: datetime, mailer: Mailer | None = None) -> Done:
    """Cancel every booking needing attention, each with the reason that fits it."""
    plan = await load_plan(now)
    cancelled = left = 0
    for found in await needing_attention(now):
        try:
            done = await cancel(
                found.session.booking_id, cancel_reason(found.session, plan), actor, now, mailer
            )
        except (NotChangeable, NotFound):
            done = False
        cancelled += done
        left += not done
    return Done(cancelled=cancelled, left=left)


async def move_all(actor: str, now: datetime, mailer: Mailer | None = None) -> Done:
    """Move every booking needing attention: to a free colleague at the same time if there is
    one, else to the first free time in the applicant's window; the rest stay listed."""
    moved = left = 0
    for found in await needing_attention(now):
        booking_id = found.session.booking_id
        try:
            if found.replacements:
                outcome = await move_stranded(booking_id, Decision(MOVE, {}), actor, now, mailer)
                if outcome.moved:
                    moved += 1
                    continue
            times = await window_times(await _booking(booking_id), now)
            if times:
                await move(booking_id, times[0].start, actor, now, mailer)
                moved += 1
                continue
        except (SlotTaken, NotChangeable, NotFound, Busy):
            pass
        left += 1
    return Done(moved=moved, left=left)
