"""A follow-up session booked at the desk for a walk-in (issue 6): a normal booking without an
office appointment, on any open day, with the counsellor's own organisation.

The times offered are the free slots of the whole opening day (no office appointment, so no
window around one) for the ticket's topic and language, among the counsellor's organisation.
The booking runs like ``create_booking``: one transaction that starts with the location's
lock, availability recomputed under it, the unique slot key behind it, and the confirmation
(with its calendar invitation) written to the outbox when an e-mail address is given.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from booking import queue
from booking.applicant import email_problem, name_problem, phone_problem
from booking.errors import Invalid, NotChangeable, NotFound, SlotTaken
from booking.i18n import DEFAULT_LANGUAGE, visitor_language
from booking.models import (
    Booking,
    ClosureDay,
    Counsellor,
    Location,
    OpeningHours,
    Organisation,
    Ticket,
)
from booking.plan import public_holiday, room_for
from booking.services import fairness, outbox
from booking.services.bookings import (
    Booked,
    hash_token,
    lock_location,
    new_reference,
    new_token,
    slot_key,
)
from booking.services.days import Day, load_day, local_date, whole_day_slots
from booking.slots import Slot
from booking.vocabulary import FOLLOW_UP

SEARCH_DAYS = 14  # how far ahead the next open day is looked for


async def ticket_to_follow_up(ticket_id: int, counsellor: Counsellor, now: datetime) -> Ticket:
    """The walk-in this counsellor is serving or finished today; NotChangeable otherwise."""
    ticket = await Ticket.get_or_none(id=ticket_id).prefetch_related("location")
    if ticket is None:
        raise NotFound()
    if (
        ticket.status not in (queue.SERVING, queue.DONE)
        or ticket.counsellor_id != counsellor.id
        or ticket.day != local_date(now, ticket.location)
    ):
        raise NotChangeable()
    return ticket


async def next_open_day(location: Location, after: date) -> date:
    """The first day after ``after`` with opening hours that is no holiday or closure day (the
    day after, if none comes within two weeks)."""
    weekdays: set[object] = set(
        await OpeningHours.filter(location_id=location.id).values_list("weekday", flat=True)
    )
    for ahead in range(1, SEARCH_DAYS + 1):
        day = after + timedelta(days=ahead)
        if (
            day.weekday() in weekdays
            and not public_holiday(day, location.holiday_country, location.holiday_subdivision)
            and not await ClosureDay.exists(location_id=location.id, day=day)
        ):
            return day
    return after + timedelta(days=1)


def _slots_of(
    day: Day, when: date, location: Location, ticket: Ticket, organisation: str, now: datetime
) -> list[Slot]:
    return whole_day_slots(day, when, location, organisation, ticket.topic, ticket.language, now)


async def _organisation_code(counsellor: Counsellor) -> str:
    organisation = await Organisation.get(id=counsellor.organisation_id)
    return organisation.code


async def follow_up_slots(
    ticket: Ticket, counsellor: Counsellor, when: date, now: datetime
) -> list[Slot]:
    """The times that can be offered on that day for the ticket's topic and language."""
    location: Location = ticket.location
    day = await load_day(location, when)
    return _slots_of(day, when, location, ticket, await _organisation_code(counsellor), now)


def check_contact(email: str, name: str, phone: str = "") -> None:
    """All optional; raises Invalid naming the fields that are wrong."""
    errors = {
        field: problem
        for field, problem in (
            ("email", email_problem(email) if email else None),
            ("name", name_problem(name) if name else None),
            ("phone", phone_problem(phone) if phone else None),
        )
        if problem
    }
    if errors:
        raise Invalid(errors)


async def book_follow_up(
    ticket_id: int,
    counsellor: Counsellor,
    day: date,
    start: datetime,
    email: str,
    name: str,
    now: datetime,
    rules: fairness.Rules = fairness.DEFAULT_RULES,
    mailer: outbox.Mailer | None = None,
    phone: str = "",
) -> Booked:
    """Book a follow-up session for the walk-in this counsellor is serving or finished today.

    The session stays with the counsellor's organisation: the balancing rules decide the slot
    as if the visitor had asked for that organisation (rule "requested", so it counts in the
    tally like any booking), and within it the counsellor keeps the visitor when they are free
    at that time; otherwise the organisation's usual order picks a colleague. No e-mail, no
    mail; the name defaults to the ticket's first name; the phone, too, is optional. Raises
    NotChangeable for someone else's ticket, Invalid for a bad e-mail, name or phone, SlotTaken
    with the remaining times.
    """
    email, name, phone = email.strip(), " ".join(name.split()), phone.strip()
    check_contact(email, name, phone)
    ticket = await ticket_to_follow_up(ticket_id, counsellor, now)
    location: Location = ticket.location
    organisation = await _organisation_code(counsellor)
    nonce = outbox.new_nonce() if mailer else None
    token = mailer.manage_token(nonce) if mailer and nonce else new_token()
    for _attempt in range(3):  # a fresh reference if one ever collides
        try:
            async with in_transaction():
                await lock_location(location.id)
                loaded = await load_day(location, day)
                offered = _slots_of(loaded, day, location, ticket, organisation, now)
                slot = next((s for s in offered if s.start == start), None)
                if slot is None:
                    raise SlotTaken(offered)
                placement = await fairness.decide(
                    location, loaded, slot, rules, now, requested=organisation
                )
                if counsellor.id in slot.counsellor_ids:
                    decision = replace(placement.decision, counsellor_id=counsellor.id)
                    placement = replace(placement, decision=decision)
                counsellor_id = placement.decision.counsellor_id
                booking = await Booking.create(
                    reference=new_reference(),
                    location_id=location.id,
                    appointment_id=None,
                    counsellor_id=counsellor_id,
                    organisation_id=loaded.organisation_ids[counsellor_id],
                    room_id=room_for(loaded.shifts.get(counsellor_id, []), slot.interval),
                    start=slot.start,
                    end=slot.end,
                    topic=ticket.topic,
                    language=ticket.language,
                    ui_language=visitor_language(ticket.language) or DEFAULT_LANGUAGE,
                    channel=FOLLOW_UP,
                    name=name or ticket.name,
                    email=email,
                    phone=phone,
                    consent_at=now,
                    manage_token_hash=hash_token(token),
                    token_nonce=nonce,
                    slot_key=slot_key(counsellor_id, slot.start),
                )
                await fairness.record(booking, placement, now)
                await outbox.record_change(mailer, None, booking, now)
            return Booked(booking, token)
        except IntegrityError:
            # Only if the lock was bypassed, or a reference collided: the constraint decides.
            remaining = await follow_up_slots(ticket, counsellor, day, now)
            if not any(s.start == start for s in remaining):
                raise SlotTaken(remaining) from None
    raise SlotTaken([])
