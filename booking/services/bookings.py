"""Booking, moving, cancelling and erasing counselling sessions: the transactions.

Every change of a location's bookings runs in one transaction whose first statement is a write
(``Location.booking_lock``), so that the decision is taken under that location's lock on
PostgreSQL and under the write lock on SQLite; the unique keys on ``Booking`` stand behind it.
Availability is recomputed under the lock from stored facts, never trusted from the page.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from booking.applicant import Choice, Contact
from booking.balance import REQUESTED
from booking.errors import (
    AlreadyBooked,
    Invalid,
    LinkRefused,
    NotChangeable,
    NotFound,
    SlotTaken,
)
from booking.models import (
    BOOKED,
    CANCELLED,
    Booking,
    Counsellor,
    Location,
    OfficeAppointment,
    Organisation,
)
from booking.plan import room_for
from booking.services import fairness, outbox, privacy
from booking.services.days import (
    Day,
    load_day,
    local_date,
    next_counselling_day,
    rules_of,
    whole_day_slots,
)
from booking.services.limits import NO_LIMITS, Limiter
from booking.slots import Interval, Slot, free_slots, languages_on_duty
from booking.vocabulary import COMMON_LANGUAGES, FALLBACK_LANGUAGES, FOLLOW_UP
from integrations.office_link import LinkError, OfficeLink, verify

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
# A follow-up has no office appointment to stay near: it moves within a week either side of
# its day (not into the past), at the same location and with the same organisation.
FOLLOW_UP_MOVE_DAYS = 7


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"WB-{code[:4]}-{code[4:]}"


def slot_key(counsellor_id: int, start: datetime) -> str:
    return f"{counsellor_id}@{int(start.timestamp())}"


def appointment_key(location_id: int, ref: str) -> str:
    return f"{location_id}:{ref}"


@dataclass(frozen=True)
class Offer:
    """What can be offered for one appointment, topic and language."""

    location: Location
    appointment: Interval
    language: str | None
    slots: list[Slot]
    language_on_duty: bool
    fallback: dict[str, list[Slot]] = field(default_factory=dict)
    closed_reason: str | None = None
    counselling: bool = True  # anyone counselling that day at all (booking.services.days)
    next_counselling_day: date | None = None  # when there is none that day: the next with some


@dataclass(frozen=True)
class Booked:
    booking: Booking
    manage_token: str


async def resolve_link(link: OfficeLink, now: datetime) -> tuple[Location, Interval]:
    location = await Location.get_or_none(code=link.location, active=True)
    if location is None:
        raise LinkRefused("unknown_location")
    if link.start <= now:
        raise LinkRefused("past")
    return location, Interval(link.start, link.end)


def _offer_from_day(
    location: Location,
    appointment: Interval,
    day: Day,
    topic: str | None,
    language: str | None,
    now: datetime,
    organisation: str | None = None,
) -> Offer:
    rules = rules_of(location)
    # An applicant who asked for one organisation is offered only its counsellors' times.
    counsellors = [c for c in day.counsellors if organisation in (None, c.organisation)]
    slots = free_slots(appointment, day.location, counsellors, topic, language, rules, now)
    on_duty = language is None or language in languages_on_duty(counsellors, topic)
    fallback: dict[str, list[Slot]] = {}
    if not on_duty:
        for other in FALLBACK_LANGUAGES:
            if other != language:
                fallback[other] = free_slots(
                    appointment, day.location, counsellors, topic, other, rules, now
                )
    return Offer(
        location,
        appointment,
        language,
        slots,
        on_duty,
        fallback,
        day.closed_reason,
        counselling=day.counselling,
    )


async def check_organisation(code: str | None) -> None:
    """An organisation asked for must be one that takes part (one that has stopped is named
    as such: the applicant chose it from the list a while ago)."""
    if code is None:
        return
    found = await Organisation.get_or_none(code=code)
    if found is None:
        raise Invalid({"organisation": "choose_organisation"})
    if not found.active:
        raise Invalid({"organisation": "organisation_gone"})


async def organisation_name(code: str | None) -> str | None:
    found = await Organisation.get_or_none(code=code) if code else None
    return found.name if found else None


async def organisations_at(location: Location) -> list[Organisation]:
    """The organisations with counsellors in the location's plan, for the applicant's choice."""
    return (
        await Organisation.filter(
            active=True,
            counsellors__active=True,
            counsellors__shifts__location_id=location.id,
        )
        .distinct()
        .order_by("name")
    )


async def offer(
    link: OfficeLink,
    topic: str | None,
    language: str | None,
    now: datetime,
    organisation: str | None = None,
) -> Offer:
    """What can be offered around the linked appointment (None: any topic, language or
    organisation)."""
    await check_organisation(organisation)
    location, appointment = await resolve_link(link, now)
    when = local_date(appointment.start, location)
    day = await load_day(location, when)
    offered = _offer_from_day(location, appointment, day, topic, language, now, organisation)
    if offered.counselling:
        return offered
    return replace(offered, next_counselling_day=await next_counselling_day(location, when))


async def lock_location(location_id: int) -> None:
    """The transaction's first statement: a write that serialises this location's bookings
    (and its walk-in queue)."""
    changed = await Location.filter(id=location_id).update(booking_lock=F("booking_lock") + 1)
    assert changed == 1, "a resolved location has exactly one row"


async def _place(
    location: Location,
    day: Day,
    slot: Slot,
    balance_rules: fairness.Rules,
    now: datetime,
    *,
    requested: str | None = None,
    exclude_booking_id: int | None = None,
) -> tuple[fairness.Placement, int, int | None]:
    """The balanced choice for the slot, the counsellor's organisation id and their room."""
    placement = await fairness.decide(
        location,
        day,
        slot,
        balance_rules,
        now,
        requested=requested,
        exclude_booking_id=exclude_booking_id,
    )
    counsellor_id = placement.decision.counsellor_id
    room_id = room_for(day.shifts.get(counsellor_id, []), slot.interval)
    return placement, day.organisation_ids[counsellor_id], room_id


async def create_booking(
    link: OfficeLink,
    choice: Choice,
    contact: Contact,
    start: datetime,
    now: datetime,
    ui_language: str = "de",
    balance_rules: fairness.Rules = fairness.DEFAULT_RULES,
    mailer: outbox.Mailer | None = None,
    limiter: Limiter = NO_LIMITS,
    reference_secret: str | None = None,
) -> Booked:
    """Book the slot at ``start``. With ``reference_secret`` (the secret key) an office
    reference whose earlier booking was anonymised is recognised by its keyed hash."""
    await check_organisation(choice.organisation)
    location, appointment = await resolve_link(link, now)
    # With a mailer the token is derived, so that later mails can carry the manage link too.
    nonce = outbox.new_nonce() if mailer else None
    token = mailer.manage_token(nonce) if mailer and nonce else new_token()
    key = appointment_key(location.id, link.ref)
    keys = [key]
    if reference_secret is not None:
        keys.append(
            appointment_key(location.id, privacy.hidden_reference(reference_secret, link.ref))
        )
    for _attempt in range(3):  # a fresh reference if one ever collides
        try:
            async with in_transaction():
                await lock_location(location.id)
                if await Booking.filter(appointment_key__in=keys).exists():
                    raise AlreadyBooked()
                # Counted under the lock; a booking that fails below takes it back.
                await limiter.new_booking(location.id, link.ref, now)
                day = await load_day(location, local_date(appointment.start, location))
                offered = _offer_from_day(
                    location,
                    appointment,
                    day,
                    choice.topic,
                    choice.language,
                    now,
                    choice.organisation,
                ).slots
                slot = next((s for s in offered if s.start == start), None)
                if slot is None:
                    raise SlotTaken(offered)
                placement, organisation_id, room_id = await _place(
                    location, day, slot, balance_rules, now, requested=choice.organisation
                )
                counsellor_id = placement.decision.counsellor_id
                office, _ = await OfficeAppointment.update_or_create(
                    location_id=location.id,
                    ref=link.ref,
                    defaults={
                        "start": appointment.start,
                        "duration_minutes": int(link.duration.total_seconds() // 60),
                    },
                )
                booking = await Booking.create(
                    reference=new_reference(),
                    location_id=location.id,
                    appointment_id=office.id,
                    counsellor_id=counsellor_id,
                    organisation_id=organisation_id,
                    room_id=room_id,
                    start=slot.start,
                    end=slot.end,
                    topic=choice.topic,
                    language=choice.language,
                    ui_language=ui_language,
                    name=contact.name,
                    email=contact.email,
                    phone=contact.phone,
                    consent_at=now,
                    manage_token_hash=hash_token(token),
                    token_nonce=nonce,
                    slot_key=slot_key(counsellor_id, slot.start),
                    appointment_key=key,
                )
                await fairness.record(booking, placement, now)
                await outbox.record_change(mailer, None, booking, now)
            return Booked(booking, token)
        except IntegrityError:
            # Only reachable if the lock was bypassed (e.g. rows written by hand) or a
            # reference collided: the constraint has the last word, never a double booking.
            if await Booking.filter(appointment_key=key).exists():
                raise AlreadyBooked() from None
            current = await offer(link, choice.topic, choice.language, now, choice.organisation)
            if not any(s.start == start for s in current.slots):
                raise SlotTaken(current.slots) from None
    raise SlotTaken([])


async def find_booking(token: str) -> Booking:
    booking = await Booking.get_or_none(manage_token_hash=hash_token(token)).prefetch_related(
        "location", "room", "organisation", "appointment"
    )
    if booking is None:
        raise NotFound()
    return booking


def changeable(booking: Booking, now: datetime) -> bool:
    """Only a planned session that has not begun may be moved or cancelled."""
    return booking.status == BOOKED and booking.start > now


async def other_times(
    booking: Booking, now: datetime, when: date | None = None
) -> tuple[Day, list[Slot]]:
    """The day and the slots of the booking's office appointment, the booking left out of
    the busy times (so it may move next door) and its own time left out of the slots. For a
    follow-up (no office appointment): the free times of ``when`` if it is one of its move
    days."""
    location: Location = booking.location
    if booking.appointment_id is None:
        assert when is not None, "a follow-up's times are asked for one day"
        return await _follow_up_times(booking, now, when)
    appointment = await OfficeAppointment.get(id=booking.appointment_id)
    interval = Interval(
        appointment.start, appointment.start + timedelta(minutes=appointment.duration_minutes)
    )
    day = await load_day(
        location, local_date(interval.start, location), exclude_booking_id=booking.id
    )
    offered = _offer_from_day(
        location,
        interval,
        day,
        booking.topic,
        booking.language,
        now,
        requested_organisation(booking),
    )
    return day, [s for s in offered.slots if s.start != booking.start]


def move_days(booking: Booking, now: datetime) -> list[date]:
    """The days a follow-up may move to: a week either side of its day, from today on."""
    location: Location = booking.location
    booked = local_date(booking.start, location)
    first = max(local_date(now, location), booked - timedelta(days=FOLLOW_UP_MOVE_DAYS))
    last = booked + timedelta(days=FOLLOW_UP_MOVE_DAYS)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def _follow_up_times(booking: Booking, now: datetime, when: date) -> tuple[Day, list[Slot]]:
    location: Location = booking.location
    day = await load_day(location, when, exclude_booking_id=booking.id)
    if when not in move_days(booking, now):
        return day, []
    organisation = requested_organisation(booking) or booking.organisation.code
    slots = whole_day_slots(day, when, location, organisation, booking.topic, booking.language, now)
    return day, [s for s in slots if s.start != booking.start]


def requested_organisation(booking: Booking) -> str | None:
    """The organisation the applicant asked for, if they asked (a move keeps to it)."""
    decided = booking.allocation or {}
    return decided.get("organisation") if decided.get("rule") == REQUESTED else None


def movable(booking: Booking, now: datetime) -> bool:
    """A session can be moved within its office appointment's window, a follow-up booked at
    the desk within its move days; a walk-in served from the queue not at all."""
    return changeable(booking, now) and (
        booking.appointment_id is not None or booking.channel == FOLLOW_UP
    )


async def reschedule_offer(booking: Booking, now: datetime) -> list[Slot]:
    """Other times for the same office appointment, or a follow-up's other times in its move
    days, in time order."""
    if not movable(booking, now):
        return []
    if booking.appointment_id is not None:
        return (await other_times(booking, now))[1]
    offered: list[Slot] = []
    for when in move_days(booking, now):
        offered += (await _follow_up_times(booking, now, when))[1]
    return offered


async def move_to_slot(
    booking: Booking, day: Day, slot: Slot, balance_rules: fairness.Rules, now: datetime
) -> None:
    """Under the location's lock: the session moves to ``slot``. A counsellor free then keeps
    it (and its place in the tally); otherwise the balancing rules choose again and the new
    allocation is recorded."""
    counsellor_id: int = booking.counsellor_id
    placement = None
    if counsellor_id in slot.counsellor_ids:
        organisation_id = day.organisation_ids[counsellor_id]
        room_id = room_for(day.shifts.get(counsellor_id, []), slot.interval)
    else:
        placement, organisation_id, room_id = await _place(
            booking.location,
            day,
            slot,
            balance_rules,
            now,
            requested=requested_organisation(booking),
            exclude_booking_id=booking.id,
        )
        counsellor_id = placement.decision.counsellor_id
    booking.counsellor_id = counsellor_id
    booking.organisation_id = organisation_id
    booking.room_id = room_id
    booking.start = slot.start.astimezone(UTC)
    booking.end = slot.end.astimezone(UTC)
    booking.slot_key = slot_key(counsellor_id, slot.start)
    booking.sequence += 1
    await booking.save()
    if placement is not None:
        await fairness.record(booking, placement, now)


async def reschedule(
    token: str,
    start: datetime,
    now: datetime,
    balance_rules: fairness.Rules = fairness.DEFAULT_RULES,
    mailer: outbox.Mailer | None = None,
    limiter: Limiter = NO_LIMITS,
) -> Booking:
    """Move a planned session within its office appointment's window (a follow-up within
    its move days). A counsellor who is free at the new time keeps the session (and its place
    in the tally); otherwise the balancing rules decide again."""
    booking = await find_booking(token)
    if not movable(booking, now):
        raise NotChangeable()
    try:
        async with in_transaction():
            await lock_location(booking.location.id)
            await booking.refresh_from_db()
            if not movable(booking, now):
                raise NotChangeable()
            await limiter.reschedule(booking.id, now)
            before = await outbox.facts(booking)
            day, offered = await other_times(booking, now, local_date(start, booking.location))
            slot = next((s for s in offered if s.start == start), None)
            if slot is None:
                raise SlotTaken(offered)
            await move_to_slot(booking, day, slot, balance_rules, now)
            await outbox.record_change(mailer, before, booking, now)
    except IntegrityError:
        raise SlotTaken(await reschedule_offer(booking, now)) from None
    return await find_booking(token)


async def cancel_locked(
    booking: Booking, now: datetime, mailer: outbox.Mailer | None, reason: str = ""
) -> bool:
    """Inside a transaction: lock the location and cancel the planned session, with its
    cancellation (and ``reason``, if any) in the outbox; False if it was not planned any more
    (cancelled at the same moment elsewhere)."""
    await lock_location(booking.location.id)
    before = await outbox.facts(booking)
    changed = await Booking.filter(id=booking.id, status=BOOKED).update(
        status=CANCELLED,
        slot_key=None,
        appointment_key=None,
        cancelled_at=now.astimezone(UTC),
        sequence=F("sequence") + 1,
    )
    if changed:
        await booking.refresh_from_db()
        await outbox.record_change(mailer, before, booking, now, reason=reason)
    return changed == 1


async def cancel(token: str, now: datetime, mailer: outbox.Mailer | None = None) -> Booking:
    """Cancel a planned session; cancelling again changes nothing."""
    booking = await find_booking(token)
    if booking.status == CANCELLED:
        return booking
    if not changeable(booking, now):
        raise NotChangeable()
    async with in_transaction():
        changed = await cancel_locked(booking, now, mailer)
    if not changed:
        await booking.refresh_from_db()
        if booking.status != CANCELLED:
            raise NotChangeable()
    return await find_booking(token)


async def erase_personal_data(
    token: str, now: datetime, mailer: outbox.Mailer | None = None, *, secret: str
) -> Booking:
    """The applicant's "delete my data": a planned session is cancelled first, then the
    booking is anonymised as the scheduled purge would (``secret`` keys the hashed office
    reference). Messages not yet sent go too, except the cancellation itself, which the
    applicant still receives and which goes once sent."""
    booking = await find_booking(token)
    if changeable(booking, now):
        booking = await cancel(token, now, mailer)
    await outbox.forget_booking(booking.id)
    await privacy.anonymise(Q(id=booking.id), now, secret)
    return await find_booking(token)


def check_link(params: Mapping[str, object], secret: str, now: datetime) -> OfficeLink:
    try:
        return verify(params, secret, now)
    except LinkError as error:
        raise LinkRefused("invalid_link" if error.code == "invalid" else error.code) from None


async def languages_at(location: Location) -> list[str]:
    """Languages for the choice: those spoken at the location first, then common ones."""
    spoken: set[str] = set()
    counsellors = await Counsellor.filter(
        active=True, organisation__active=True, shifts__location_id=location.id
    ).distinct()
    for counsellor in counsellors:
        spoken.update(counsellor.languages)
    ordered = [code for code in COMMON_LANGUAGES if code in spoken]
    ordered += sorted(spoken - set(ordered))
    ordered += [code for code in COMMON_LANGUAGES if code not in spoken]
    return ordered
