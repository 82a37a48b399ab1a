"""The walk-in queue in the database: tickets, calls, the desk's actions, status and display.

Every change runs in one transaction that starts by bumping the location's lock row (as the
bookings do), so registrations, calls and actions of one location happen one after another on
every database; a conditional UPDATE on the ticket's status stands behind it, so a ticket is
never called twice, and a double click returns the ticket already called.

A called ticket becomes a session: a Booking with channel ``walk_in`` for the counsellor who
called, decided and recorded by the balancing rules like any booking, so walk-ins served count
in the fair shares, the schedule and the statistics.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from booking import balance, queue
from booking.errors import Invalid, NotChangeable, NotFound
from booking.i18n import DEFAULT_LANGUAGE, visitor_language
from booking.models import (
    ATTENDED,
    BOOKED,
    CANCELLED,
    NO_SHOW,
    Booking,
    Counsellor,
    Location,
    Organisation,
    Ticket,
)
from booking.plan import room_for
from booking.schedule import Outcome
from booking.services import fairness
from booking.services.accounts import audit
from booking.services.bookings import hash_token, lock_location, new_reference, new_token
from booking.services.days import Day, load_day, local_date
from booking.slots import Interval, gaps
from booking.vocabulary import TOPICS, normalise_language

log = logging.getLogger("booking.walkins")

WALK_IN = "walk_in"
NAME_MAX = 40
NO_SHOW_AFTER_CALLS = 3  # the desk may mark a no-show after this many calls, or after the time-out
NO_SHOW_TIMEOUT = timedelta(minutes=10)
CLOSED_AT_CLOSING = "closing_time"
DESK_FRESH = timedelta(hours=1)  # a colleague seen at the desk this recently counts as there
DISPLAY_CALLS = 8

ACTIONS = ("recall", "start", "finish", "no-show", "park", "resume", "transfer")


def ticket_label(prefix: str, number: int) -> str:
    """What the ticket, the display and the status page show: "W 007"."""
    return f"{prefix} {number:03d}"


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


def as_queued(row: Ticket, org_codes: dict[int, str]) -> queue.Ticket:
    return queue.Ticket(
        id=row.id,
        number=row.number,
        topic=row.topic,
        language=row.language,
        priority=bool(row.priority),
        queued_at=row.queued_at,
        counsellor_id=row.for_counsellor_id,
        organisation=org_codes.get(row.for_organisation_id) if row.for_organisation_id else None,
    )


async def _org_codes() -> dict[int, str]:
    return {o.id: o.code for o in await Organisation.all()}


async def _waiting(location: Location, day: date) -> list[Ticket]:
    return await Ticket.filter(location_id=location.id, day=day, status=queue.WAITING)


def desk_of(counsellor: Counsellor, code: str) -> queue.Desk:
    return queue.Desk(
        counsellor.id, code, frozenset(counsellor.languages), frozenset(counsellor.topics)
    )


async def _finished_minutes(location: Location, now: datetime) -> dict[str, list[float]]:
    """Today's finished walk-in sessions per topic, in minutes: the estimate learns from them."""
    day = local_date(now, location)
    found: dict[str, list[float]] = defaultdict(list)
    for row in await Ticket.filter(
        location_id=location.id, day=day, status=queue.DONE, started_at__isnull=False
    ).values("topic", "started_at", "finished_at"):
        if row["finished_at"] is not None:
            found[row["topic"]].append(
                (row["finished_at"] - row["started_at"]).total_seconds() / 60
            )
    return dict(found)


def _at_desk_until(now: datetime, closing: datetime | None) -> datetime:
    """How long someone at their desk outside the plan is counted on: the next hour, but not
    past closing time while the location is still open."""
    extra = now + timedelta(hours=1)
    return min(extra, closing) if closing is not None and now < closing else extra


async def _staff(day: Day, now: datetime, present: set[int]) -> list[queue.Staff]:
    """Who can take walk-ins for the rest of today: the plan's counsellors, and those at their
    desk now whatever the plan says (also on a day off or a weekend)."""
    closing = max((o.end for o in day.location.opening), default=None)
    staff = []
    for counsellor in day.counsellors:
        shifts = sorted(day.shifts.get(counsellor.id, []), key=lambda s: s.interval.start)
        intervals = [s.interval for s in shifts]
        until = max((i.end for i in intervals), default=now)
        start = min((i.start for i in intervals), default=now)
        if counsellor.id in present:
            start, until = now, max(until, _at_desk_until(now, closing))
        breaks = tuple(gaps(intervals))
        staff.append(
            queue.Staff(
                queue.Desk(
                    counsellor.id, counsellor.organisation, counsellor.languages, counsellor.topics
                ),
                free_from=max(now, start),
                until=until,
                busy=tuple(counsellor.busy) + breaks,
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
            ).exclude(status=CANCELLED)
        ]
        staff.append(
            queue.Staff(
                desk_of(profile, profile.organisation.code),
                free_from=now,
                until=_at_desk_until(now, closing),
                busy=tuple(busy),
            )
        )
    return staff


async def _present(location: Location, now: datetime) -> set[int]:
    today = local_date(now, location)
    return {
        c.id
        for c in await Counsellor.filter(desk_location_id=location.id, desk_since__isnull=False)
        if local_date(c.desk_since, location) == today  # type: ignore[arg-type]
    }


async def _estimate(
    location: Location, ticket_id: int, now: datetime
) -> tuple[int | None, queue.Estimate | None, bool]:
    """Position, estimate and whether anyone on duty today fits at all."""
    day_date = local_date(now, location)
    codes = await _org_codes()
    waiting = [as_queued(t, codes) for t in await _waiting(location, day_date)]
    position = queue.position(ticket_id, waiting)
    if position is None:
        return None, None, True
    day = await load_day(location, day_date)
    staff = await _staff(day, now, await _present(location, now))
    closing = max((o.end for o in day.location.opening), default=now)
    finished = await _finished_minutes(location, now)
    minutes = {topic: queue.typical_minutes(topic, finished) for topic in TOPICS}
    found = queue.estimate(ticket_id, waiting, staff, now, minutes, closing)
    ticket = next(t for t in waiting if t.id == ticket_id)
    fits_someone = any(queue.fits(ticket, s.desk) and s.until > now for s in staff)
    return position, found, fits_someone


async def register(location: Location, form: WalkInForm, actor: str, now: datetime) -> Registered:
    """A new ticket with the next number of the location's day; any time of day."""
    day = local_date(now, location)
    token = new_token()
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
        position, found, _ = await _estimate(location, ticket.id, now)
        if found is not None:
            ticket.estimate_earliest = found.earliest.astimezone(UTC)
            ticket.estimate_latest = found.latest.astimezone(UTC)
            await ticket.save(update_fields=["estimate_earliest", "estimate_latest"])
        await audit(
            actor,
            "register",
            "ticket",
            ticket.id,
            ticket_label(location.ticket_prefix, number),
            now,
        )
    return Registered(ticket, token, ticket_label(location.ticket_prefix, number), position, found)


async def status(token: str, now: datetime) -> Status:
    ticket = await Ticket.get_or_none(token_hash=hash_token(token)).prefetch_related(
        "location", "room"
    )
    if ticket is None:
        raise NotFound()
    location: Location = ticket.location
    position, found, fits_someone = (None, None, True)
    if ticket.status == queue.WAITING:
        position, found, fits_someone = await _estimate(location, ticket.id, now)
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
    )


@dataclass(frozen=True)
class Call:
    label: str
    room: str | None
    called_at: datetime


async def display(location: Location, now: datetime) -> list[Call]:
    """Today's calls, newest first: number and room, never a name."""
    rows = (
        await Ticket.filter(
            location_id=location.id,
            day=local_date(now, location),
            called_at__isnull=False,
            status__in=(queue.CALLED, queue.SERVING),
        )
        .order_by("-called_at")
        .limit(DISPLAY_CALLS)
        .prefetch_related("room")
    )
    return [
        Call(
            ticket_label(location.ticket_prefix, t.number),
            t.room.name if t.room else None,
            t.called_at or now,  # called_at is set: the filter says so
        )
        for t in rows
    ]


class Held(Exception):
    """Nothing called: the counsellor's next booked session begins too soon (they may call
    anyway)."""


async def _holding(counsellor_id: int, day: date) -> Ticket | None:
    return await Ticket.filter(
        counsellor_id=counsellor_id, day=day, status__in=(queue.CALLED, queue.SERVING)
    ).first()


@dataclass(frozen=True)
class Called:
    """What one press of "call next" did."""

    ticket: Ticket | None  # the caller's ticket, None when nobody waiting is left for them
    handed: int = 0  # tickets called for free colleagues whose organisation was behind


async def call_next(
    counsellor: Counsellor,
    location: Location,
    now: datetime,
    rules: fairness.Rules,
    *,
    anyway: bool = False,
) -> Called:
    """Call the best waiting ticket for this counsellor and mark them present at their desk.

    If they already hold a called or running ticket (a double click), that one is returned.
    When other eligible counsellors are free too, the balancing rules decide: a ticket whose
    rightful organisation is another's goes to that organisation's free counsellor at once
    (the display shows their room), and this counsellor gets the next ticket that fits them,
    if any. Leaving it waiting for a colleague who has not asked would keep the visitor
    waiting while someone who fits is ready. Raises Held when the counsellor's next booked
    session begins sooner than a typical session lasts.
    """
    today = local_date(now, location)
    async with in_transaction():
        await lock_location(location.id)
        await Counsellor.filter(id=counsellor.id).update(
            desk_location_id=location.id, desk_since=now.astimezone(UTC)
        )
        held = await _holding(counsellor.id, today)
        if held is not None:
            return Called(held)
        codes = await _org_codes()
        own_code = codes[counsellor.organisation_id]  # type: ignore[attr-defined]
        me = desk_of(counsellor, own_code)
        rows = await _waiting(location, today)
        waiting = [as_queued(t, codes) for t in rows]
        day = await load_day(location, today)
        busy_now = await _busy_now(location, now)
        # Colleagues the balance may prefer: at their desk, not busy, and either in their shift
        # or seen at the desk within the hour (someone who left without signing off is not).
        on_shift = {
            c.id
            for c in day.counsellors
            if any(s.interval.start <= now < s.interval.end for s in day.shifts.get(c.id, []))
        }
        recently = (now - DESK_FRESH).astimezone(UTC)
        free = [
            desk_of(c, codes[c.organisation_id])  # type: ignore[attr-defined]
            for c in await Counsellor.filter(
                id__in=list(await _present(location, now)), active=True
            )
            if c.id != counsellor.id
            and c.id not in busy_now
            and (c.id in on_shift or (c.desk_since is not None and c.desk_since >= recently))
        ]
        next_booking = await _next_booking(counsellor.id, now, today, location)
        minutes = await _finished_minutes(location, now)
        colleagues_next = {
            d.counsellor_id: await _next_booking(d.counsellor_id, now, today, location)
            for d in free
        }
        candidates = list(waiting)
        handed = 0
        while candidates:
            pick = queue.next_for(
                me,
                candidates,
                now,
                next_booking,
                timedelta(minutes=queue.typical_minutes(_head_topic(me, candidates), minutes)),
                anyway=anyway,
            )
            if pick.held_for_booking:
                raise Held()
            if pick.ticket is None:
                return Called(None, handed)
            chosen = pick.ticket
            typical = timedelta(minutes=queue.typical_minutes(chosen.topic, minutes))
            # A colleague whose booked session begins before this one would end is not free
            # for it: the balance only weighs those who could take it now.
            able = [
                d
                for d in free
                if (start := colleagues_next[d.counsellor_id]) is None or start - now >= typical
            ]
            placement = await _balanced(location, day, chosen, me, able, now, rules)
            ticket = next(t for t in rows if t.id == chosen.id)
            if placement.decision.counsellor_id == counsellor.id:
                mine = await _take(location, day, ticket, counsellor, placement, now, counsellor)
                return Called(mine, handed)
            colleague = await Counsellor.get(id=placement.decision.counsellor_id)
            await _take(location, day, ticket, colleague, placement, now, counsellor)
            handed += 1
            free = [d for d in free if d.counsellor_id != colleague.id]
            candidates = [t for t in candidates if t.id != chosen.id]
        return Called(None, handed)


def _head_topic(me: queue.Desk, waiting: list[queue.Ticket]) -> str:
    head = next((t for t in queue.queue_order(waiting) if queue.fits(t, me)), None)
    return head.topic if head else "other"


async def _busy_now(location: Location, now: datetime) -> set[int]:
    """Counsellors in a booked session or holding a walk-in right now."""
    utc_now = now.astimezone(UTC)
    booked = (
        await Booking.filter(location_id=location.id, start__lte=utc_now, end__gt=utc_now)
        .exclude(status=CANCELLED)
        .values_list("counsellor_id", flat=True)
    )
    holding = await Ticket.filter(
        location_id=location.id,
        day=local_date(now, location),
        status__in=(queue.CALLED, queue.SERVING),
    ).values_list("counsellor_id", flat=True)
    ids: list[object] = [*booked, *holding]
    return {c for c in ids if isinstance(c, int)}


async def _next_booking(
    counsellor_id: int, now: datetime, today: date, location: Location
) -> datetime | None:
    upcoming = (
        await Booking.filter(counsellor_id=counsellor_id, start__gte=now.astimezone(UTC))
        .exclude(status=CANCELLED)
        .exclude(channel=WALK_IN)
        .order_by("start")
        .first()
    )
    if upcoming is None or local_date(upcoming.start, location) != today:
        return None
    return upcoming.start


async def _balanced(
    location: Location,
    day: Day,
    ticket: queue.Ticket,
    me: queue.Desk,
    free: list[queue.Desk],
    now: datetime,
    rules: fairness.Rules,
) -> fairness.Placement:
    """The balancing rules over the counsellors free now who fit the ticket. Within the
    caller's own organisation the caller takes it (they pressed the button); within another,
    the balance's own order picks the colleague."""
    eligible = [me, *(d for d in free if queue.fits(ticket, d))]
    candidates = [
        balance.Candidate(
            d.counsellor_id, d.organisation, day.sessions.get(d.counsellor_id, 0), now
        )
        for d in eligible
    ]
    month = fairness.month_of(now, location)
    organisations = await Organisation.all()
    in_force = await fairness.weights(location, month, now, rules, organisations=organisations)
    so_far = await fairness.tally(location, month, rules, organisations=organisations)
    decision = balance.choose(candidates, in_force.values, so_far)
    if decision.organisation == me.organisation:
        decision = balance.Decision(
            me.counsellor_id,
            decision.organisation,
            decision.rule,
            decision.standings,
            decision.candidates,
        )
    return fairness.Placement(decision, in_force, month, {o.code: o.id for o in organisations})


async def _take(
    location: Location,
    day: Day,
    ticket: Ticket,
    counsellor: Counsellor,
    placement: fairness.Placement,
    now: datetime,
    caller: Counsellor,
) -> Ticket:
    """Call ``ticket`` for ``counsellor``; ``caller`` pressed the button (the audit says who)."""
    end = now + timedelta(minutes=location.session_minutes)
    room_id = room_for(day.shifts.get(counsellor.id, []), Interval(now, end))
    called = await Ticket.filter(id=ticket.id, status=queue.WAITING).update(
        status=queue.CALLED,
        counsellor_id=counsellor.id,
        room_id=room_id,
        called_at=now.astimezone(UTC),
        first_called_at=ticket.first_called_at or now.astimezone(UTC),
        calls=F("calls") + 1,
    )
    if called != 1:
        raise NotChangeable()  # only if written around the lock
    booking = await Booking.create(
        reference=new_reference(),
        location_id=location.id,
        appointment_id=None,
        counsellor_id=counsellor.id,
        organisation_id=counsellor.organisation_id,  # type: ignore[attr-defined]
        room_id=room_id,
        start=now.astimezone(UTC),
        end=end.astimezone(UTC),
        topic=ticket.topic,
        language=ticket.language,
        ui_language=visitor_language(ticket.language) or DEFAULT_LANGUAGE,
        channel=WALK_IN,
        status=BOOKED,
        name=ticket.name,
        manage_token_hash=hash_token(new_token()),
    )
    await fairness.record(booking, placement, now)
    await Ticket.filter(id=ticket.id).update(booking_id=booking.id)
    await audit(
        str(caller.id),
        "call",
        "ticket",
        ticket.id,
        ticket_label(location.ticket_prefix, ticket.number),
        now,
    )
    return await Ticket.get(id=ticket.id)


async def _ticket_for(ticket_id: int) -> Ticket:
    ticket = await Ticket.get_or_none(id=ticket_id).prefetch_related("location")
    if ticket is None:
        raise NotFound()
    return ticket


async def act(
    ticket_id: int,
    action: str,
    counsellor: Counsellor,
    now: datetime,
    *,
    to_counsellor: int | None = None,
    to_organisation: int | None = None,
    outcome: Outcome | None = None,
) -> Ticket:
    """One of the desk's actions on a ticket; each is a conditional UPDATE under the lock, so
    a repeated click changes nothing twice. NotChangeable when the ticket is not in a state
    the action applies to. A finish may carry the session's outcome (topics covered,
    referral, note), recorded on its booking as the schedule's outcome form would."""
    if action not in ACTIONS:
        raise NotFound()
    ticket = await _ticket_for(ticket_id)
    location: Location = ticket.location
    utc_now = now.astimezone(UTC)
    if action == "transfer":
        await _check_transfer(ticket, to_counsellor, to_organisation)
    async with in_transaction():
        await lock_location(location.id)
        await ticket.refresh_from_db()  # what the lock now guarantees, not what was read before
        mine = Q(id=ticket.id, counsellor_id=counsellor.id)
        changed = 0
        if action == "recall":
            changed = await Ticket.filter(mine, status=queue.CALLED).update(
                called_at=utc_now, calls=F("calls") + 1
            )
        elif action == "start":
            changed = await Ticket.filter(mine, status=queue.CALLED).update(
                status=queue.SERVING, started_at=utc_now
            )
            if changed and ticket.booking_id:  # type: ignore[attr-defined]
                await Booking.filter(id=ticket.booking_id).update(  # type: ignore[attr-defined]
                    checked_in_at=utc_now
                )
        elif action == "finish":
            changed = await Ticket.filter(mine, status=queue.SERVING).update(
                status=queue.DONE, finished_at=utc_now
            )
            if changed and ticket.booking_id:  # type: ignore[attr-defined]
                recorded: dict[str, Any] = {}
                if outcome is not None:
                    recorded = {
                        "outcome_topics": list(outcome.topics),
                        "referral": outcome.referral,
                        "outcome_note": outcome.note,
                    }
                await Booking.filter(id=ticket.booking_id).update(  # type: ignore[attr-defined]
                    status=ATTENDED, end=max(utc_now, ticket.started_at or utc_now), **recorded
                )
        elif action == "no-show":
            may = ticket.calls >= NO_SHOW_AFTER_CALLS or (
                ticket.called_at is not None and utc_now - ticket.called_at >= NO_SHOW_TIMEOUT
            )
            if not may:
                raise NotChangeable()
            changed = await Ticket.filter(mine, status=queue.CALLED).update(
                status=queue.NO_SHOW, finished_at=utc_now
            )
            if changed and ticket.booking_id:  # type: ignore[attr-defined]
                await Booking.filter(id=ticket.booking_id).update(status=NO_SHOW)  # type: ignore[attr-defined]
        elif action == "park":
            changed = await Ticket.filter(mine, status__in=(queue.CALLED,)).update(
                status=queue.PARKED, counsellor_id=None, room_id=None, booking_id=None
            )
            if changed:
                await _release_booking(ticket, now)
        elif action == "resume":
            # Any counsellor may bring a parked visitor back, but only into today's queue.
            changed = await Ticket.filter(
                id=ticket.id, status=queue.PARKED, day=local_date(now, location)
            ).update(status=queue.WAITING)
        elif action == "transfer":
            changed = await Ticket.filter(mine, status=queue.CALLED).update(
                status=queue.WAITING,
                counsellor_id=None,
                room_id=None,
                booking_id=None,
                for_counsellor_id=to_counsellor,
                for_organisation_id=to_organisation,
            )
            if changed:
                await _release_booking(ticket, now)
        if not changed:
            raise NotChangeable()
        await audit(str(counsellor.id), action, "ticket", ticket.id, "", now)
    return await Ticket.get(id=ticket.id)


async def _check_transfer(
    ticket: Ticket, to_counsellor: int | None, to_organisation: int | None
) -> None:
    """A transfer names exactly one target that exists and could serve the ticket; otherwise
    the ticket would wait for nobody."""
    if (to_counsellor is None) == (to_organisation is None):
        raise Invalid({"to": "choose_transfer"})
    plain = queue.Ticket(
        ticket.id, ticket.number, ticket.topic, ticket.language, False, ticket.queued_at
    )
    if to_counsellor is not None:
        target = await Counsellor.get_or_none(id=to_counsellor, active=True).prefetch_related(
            "organisation"
        )
        if target is None or not queue.fits(plain, desk_of(target, target.organisation.code)):
            raise Invalid({"to": "choose_transfer"})
        return
    members = await Counsellor.filter(
        organisation_id=to_organisation, active=True, organisation__active=True
    ).prefetch_related("organisation")
    if not any(queue.fits(plain, desk_of(m, m.organisation.code)) for m in members):
        raise Invalid({"to": "choose_transfer"})


async def _release_booking(ticket: Ticket, now: datetime) -> None:
    """A session that did not happen counts for nobody (and its chances go too)."""
    if ticket.booking_id:  # type: ignore[attr-defined]
        await Booking.filter(id=ticket.booking_id, status=BOOKED).update(  # type: ignore[attr-defined]
            status=CANCELLED, cancelled_at=now.astimezone(UTC)
        )


async def close_day(location: Location, now: datetime) -> int:
    """Tickets still waiting or parked at closing time are closed, with a reason the status
    page shows; so are any left from earlier days."""
    today = local_date(now, location)
    day = await load_day(location, today)
    closing = max((o.end for o in day.location.opening), default=None)
    last_day = today if closing is None or now >= closing else today - timedelta(days=1)
    return await Ticket.filter(
        location_id=location.id,
        day__lte=last_day,
        status__in=(queue.WAITING, queue.PARKED),
    ).update(status=queue.CLOSED, closed_reason=CLOSED_AT_CLOSING, finished_at=now.astimezone(UTC))


async def close_due(now: datetime) -> int:
    """:func:`close_day` for every active location (the service runs it every few minutes)."""
    closed = 0
    for location in await Location.filter(active=True):
        closed += await close_day(location, now)
    return closed


CLOSE_INTERVAL_SECONDS = 120.0


async def close_periodically(
    clock: Callable[[], datetime], interval: float = CLOSE_INTERVAL_SECONDS
) -> None:
    """Every ``interval`` seconds until cancelled; a failing run is logged by its type only."""
    while True:
        await asyncio.sleep(interval)
        try:
            await close_due(clock())
        except Exception as error:
            log.error("closing the day's tickets failed: %s", type(error).__name__)
