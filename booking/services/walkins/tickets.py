"""Registering walk-ins and what their status page shows: number, place, estimate, and the
plain facts behind them (nobody fits, the desk is closed and when it opens, whom a transferred
ticket waits for)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from booking import queue
from booking.errors import Invalid, NotFound
from booking.models import Booking, Counsellor, Location, Organisation, Ticket
from booking.services import fairness
from booking.services.accounts import audit
from booking.services.bookings import hash_token, lock_location, new_token
from booking.services.days import Day, load_day, local_date
from booking.services.walkins.closing import next_opening, open_now
from booking.services.walkins.common import (
    CANCELLED_STATUS,
    NAME_MAX,
    as_queued,
    desk_of,
    floor,
    ticket_label,
)
from booking.services.walkins.taking import dispatch, weights_now
from booking.slots import Interval, gaps
from booking.vocabulary import TOPICS, normalise_language


@dataclass(frozen=True)
class WalkInForm:
    topic: str
    language: str
    priority: str  # a PRIORITY_REASONS code or ""
    name: str


def read_walk_in(data: dict[str, object]) -> WalkInForm:
    """The reception's few fields; raises Invalid naming the fields that are wrong."""

    def text(key: str) -> str:
        value = data.get(key)
        return value.strip() if isinstance(value, str) else ""

    errors: dict[str, str] = {}
    topic = text("topic")
    if topic not in TOPICS:
        errors["topic"] = "choose_topic"
    language = normalise_language(text("language")) or ""
    if not language:
        errors["language"] = "choose_language"
    priority = text("priority")
    if priority not in ("", *queue.PRIORITY_REASONS):
        errors["priority"] = "choose_priority"
    name = " ".join(text("name").split())
    if len(name) > NAME_MAX or any(not (c.isalpha() or c in " -'.") for c in name):
        errors["name"] = "name_invalid"
    if errors:
        raise Invalid(errors)
    return WalkInForm(topic, language, priority, name)


@dataclass(frozen=True)
class Registered:
    ticket: Ticket
    token: str
    label: str
    position: int | None
    estimate: queue.Estimate | None


@dataclass(frozen=True)
class Status:
    """The visitor's status page: nothing but their own ticket."""

    label: str
    status: str
    language: str
    position: int | None
    estimate: queue.Estimate | None
    nobody_fits: bool  # nobody on duty today speaks the language or covers the topic
    closed_reason: str
    room: str | None
    location: Location
    desk_closed: bool = False  # waiting while the desk is closed (after closing time)
    opens_at: datetime | None = None  # when it opens next, if known
    waiting_for: str | None = None  # a transferred ticket: the counsellor or organisation


async def _staff(day: Day, now: datetime, present: set[int]) -> list[queue.Staff]:
    """Who can take walk-ins for the rest of today: the plan's counsellors, and those at their
    desk now whatever the plan says (also on a day off or a weekend)."""
    closing = max((o.end for o in day.location.opening), default=None)
    staff = []
    for counsellor in day.counsellors:
        intervals = sorted(s.interval for s in day.shifts.get(counsellor.id, []))
        until = max((i.end for i in intervals), default=now)
        start = min((i.start for i in intervals), default=now)
        if counsellor.id in present:
            start, until = now, max(until, queue.at_desk_until(now, closing))
        staff.append(
            queue.Staff(
                queue.Desk(
                    counsellor.id, counsellor.organisation, counsellor.languages, counsellor.topics
                ),
                free_from=max(now, start),
                until=until,
                busy=tuple(counsellor.busy) + tuple(gaps(intervals)),
            )
        )
    # At the desk but not in today's plan: counted on for the next hour.
    planned = {c.id for c in day.counsellors}
    extra = await Counsellor.filter(id__in=list(present - planned), active=True).prefetch_related(
        "organisation"
    )
    for profile in extra:
        busy = [
            Interval(b.start, b.end)
            for b in await Booking.filter(
                counsellor_id=profile.id, end__gt=now.astimezone(UTC)
            ).exclude(status=CANCELLED_STATUS)
        ]
        staff.append(
            queue.Staff(
                desk_of(profile, profile.organisation.code),
                free_from=now,
                until=queue.at_desk_until(now, closing),
                busy=tuple(busy),
            )
        )
    return staff


async def _estimate(
    location: Location, ticket_id: int, now: datetime
) -> tuple[int | None, queue.Estimate | None, bool]:
    """Position, estimate and whether anyone on duty today fits at all."""
    here = await floor(location, now)
    waiting = [as_queued(t, here.codes) for t in here.waiting()]
    position = queue.position(ticket_id, waiting)
    if position is None:
        return None, None, True
    day = await load_day(location, here.today)
    present = {c.id for c in here.counsellors.values() if here.present(c)}
    staff = await _staff(day, now, present)
    closing = max((o.end for o in day.location.opening), default=now)
    finished = here.finished_minutes()
    minutes = {topic: queue.typical_minutes(topic, finished) for topic in TOPICS}
    found = queue.estimate(ticket_id, waiting, staff, now, minutes, closing)
    ticket = next(t for t in waiting if t.id == ticket_id)
    fits_someone = any(queue.fits(ticket, s.desk) and s.until > now for s in staff)
    return position, found, fits_someone


async def register(
    location: Location,
    form: WalkInForm,
    actor: str,
    now: datetime,
    rules: fairness.Rules = fairness.DEFAULT_RULES,
) -> Registered:
    """A new ticket with the next number of the location's day; any time of day. A ready
    counsellor who fits gets it at once (the balance among the ready decides)."""
    day = local_date(now, location)
    token = new_token()
    weights = await weights_now(location, now, rules)
    async with in_transaction():
        await lock_location(location.id)
        last = await Ticket.filter(location_id=location.id, day=day).order_by("-number").first()
        number = (last.number if last else 0) + 1
        ticket = await Ticket.create(
            location_id=location.id,
            day=day,
            number=number,
            token_hash=hash_token(token),
            topic=form.topic,
            language=form.language,
            priority=form.priority,
            name=form.name,
            arrived_at=now.astimezone(UTC),
            queued_at=now.astimezone(UTC),
        )
        label = ticket_label(location.ticket_prefix, number)
        await audit(actor, "register", "ticket", ticket.id, label, now)
        called = await dispatch(await floor(location, now), ticket, weights, rules, actor)
        position, found = None, None
        if called is None:
            position, found, _ = await _estimate(location, ticket.id, now)
        if found is not None:
            ticket.estimate_earliest = found.earliest.astimezone(UTC)
            ticket.estimate_latest = found.latest.astimezone(UTC)
            await ticket.save(update_fields=["estimate_earliest", "estimate_latest"])
    return Registered(ticket, token, label, position, found)


async def _waiting_for(ticket: Ticket) -> str | None:
    """Whom a transferred ticket waits for now: the counsellor's name, or the organisation."""
    if ticket.for_counsellor_id is not None:
        counsellor = await Counsellor.get_or_none(id=ticket.for_counsellor_id).prefetch_related(
            "organisation"
        )
        if counsellor is not None:
            return f"{counsellor.display_name} ({counsellor.organisation.name})"
    if ticket.for_organisation_id is not None:
        organisation = await Organisation.get_or_none(id=ticket.for_organisation_id)
        if organisation is not None:
            return organisation.name
    return None


async def _desk_closed(location: Location, now: datetime) -> bool:
    """Outside opening hours with nobody at a desk (someone who came in on a day off or stays
    late still serves the queue)."""
    if await open_now(location, now):
        return False
    here = await floor(location, now)
    return not any(here.present(c) for c in here.counsellors.values())


async def status(token: str, now: datetime) -> Status:
    ticket = await Ticket.get_or_none(token_hash=hash_token(token)).prefetch_related(
        "location", "room"
    )
    if ticket is None:
        raise NotFound()
    location: Location = ticket.location
    position, found, fits_someone = (None, None, True)
    desk_closed, opens_at, waiting_for = False, None, None
    if ticket.status == queue.WAITING:
        if await _desk_closed(location, now):
            desk_closed, opens_at = True, await next_opening(location, now)
        else:
            position, found, fits_someone = await _estimate(location, ticket.id, now)
            waiting_for = await _waiting_for(ticket)
    return Status(
        label=ticket_label(location.ticket_prefix, ticket.number),
        status=ticket.status,
        language=ticket.language,
        position=position,
        estimate=found,
        nobody_fits=not fits_someone,
        closed_reason=ticket.closed_reason,
        room=ticket.room.name if ticket.room else None,
        location=location,
        desk_closed=desk_closed,
        opens_at=opens_at,
        waiting_for=waiting_for,
    )
