"""Calls and the desk's actions: "call next" for the counsellor who pressed, readiness, and the
actions on a ticket, each as the transition table in booking/queue.py says.

Every change runs in one transaction that starts by bumping the location's lock row (as the
bookings do), so registrations, calls and actions of one location happen one after another on
every database; a conditional UPDATE on the ticket's status stands behind it, so a ticket is
never called twice, and a double click returns the ticket already called. The floor is read
once under the lock, the core decides, and the result is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from booking import balance, queue
from booking.errors import Held, Invalid, NotChangeable, NotFound
from booking.models import (
    ATTENDED,
    BOOKED,
    NO_SHOW,
    Booking,
    Counsellor,
    Location,
    StaffUser,
    Ticket,
)
from booking.schedule import Outcome
from booking.services import fairness
from booking.services.accounts import audit
from booking.services.bookings import lock_location
from booking.services.days import local_date, zone_of
from booking.services.walkins.common import (
    Floor,
    as_queued,
    floor,
)
from booking.services.walkins.rooms import desk_room
from booking.services.walkins.taking import dispatch, take, weights_now

ACTIONS = queue.ACTIONS


async def acting_account(counsellor: Counsellor, actor: str | None) -> str:
    """Whom the audit log names for a press at the counsellor's desk: the user name the web
    layer passes; else the counsellor's own account (the desk is theirs); their id only where
    they have none (scripts, tests)."""
    if actor is not None:
        return actor
    account = await StaffUser.filter(counsellor_id=counsellor.id).order_by("id").first()
    return account.username if account is not None else str(counsellor.id)


@dataclass(frozen=True)
class Called:
    """What one press of "call next" did."""

    ticket: Ticket | None  # the caller's ticket; None: nothing fits, they are on the ready list
    ready: bool = False


async def call_next(
    counsellor: Counsellor,
    location: Location,
    now: datetime,
    rules: fairness.Rules,
    *,
    actor: str | None = None,
    anyway: bool = False,
    room: str | None = None,
) -> Called:
    """Call the best waiting ticket for the counsellor who pressed, in their room, and mark
    them at their desk. A double click returns the ticket they already hold. When nothing
    fits they go on the ready list: a ticket that becomes callable later is called for them
    (or a ready colleague, as the balance decides). Raises Held when their next booked session
    begins sooner than a typical session lasts, RoomNeeded when no room is known for them.
    ``actor``: who pressed, for the audit log (see acting_account)."""
    actor = await acting_account(counsellor, actor)
    room_id = await desk_room(counsellor, location, now, room)
    weights = await weights_now(location, now, rules)
    utc_now = now.astimezone(UTC)
    async with in_transaction():
        await lock_location(location.id)
        here = await floor(location, now)
        me = here.counsellors.get(counsellor.id, counsellor)
        held = here.holding(counsellor.id)
        mark: dict[str, Any] = {
            "desk_location_id": location.id,
            "desk_since": utc_now,
            "desk_room_id": room_id,
        }
        if held is not None:
            await Counsellor.filter(id=counsellor.id).update(**mark)
            return Called(held)
        waiting = here.waiting()
        pick = queue.next_for(
            here.desk(me),
            [as_queued(t, here.codes) for t in waiting],
            now,
            here.next_booking(counsellor.id),
            here.typical(_head_topic(here, me)),
            anyway=anyway,
        )
        if pick.held_for_booking:
            await Counsellor.filter(id=counsellor.id).update(**mark)
            raise Held()
        if pick.ticket is None:
            # Nothing fits: on the ready list for the next hour (a longer wait keeps its start).
            still = here.is_ready(me)
            since = me.ready_since if still and me.ready_since else utc_now
            until = max((me.ready_until if still else None) or utc_now, utc_now + queue.READY_FOR)
            await Counsellor.filter(id=counsellor.id).update(
                **mark, ready_since=since, ready_until=until
            )
            return Called(None, ready=True)
        row = next(t for t in waiting if t.id == pick.ticket.id)
        month = fairness.month_of(now, location)
        so_far = await fairness.tally(location, month, rules, organisations=here.organisations)
        candidate = balance.Candidate(counsellor.id, here.code_of(me), 0, now)
        decision = balance.choose([candidate], weights.values, so_far)
        mine = await take(here, row, me, room_id, decision, weights, actor, mark)
    return Called(mine)


def _head_topic(here: Floor, me: Counsellor) -> str:
    desk = here.desk(me)
    order = queue.queue_order(as_queued(t, here.codes) for t in here.waiting())
    head = next((t for t in order if queue.fits(t, desk)), None)
    return head.topic if head else "other"


async def set_ready(
    counsellor: Counsellor,
    location: Location,
    ready: bool,
    room: str | None,
    actor: str,
    now: datetime,
    rules: fairness.Rules,
) -> Ticket | None:
    """The desk's "ready for walk-ins" switch: on, until the end of the day (or a booked session,
    or signing off); off. Switching on marks them at their desk in a room and may call a
    waiting ticket that fits them at once, as the balance among the ready decides."""
    utc_now = now.astimezone(UTC)
    if not ready:
        await Counsellor.filter(id=counsellor.id).update(ready_since=None, ready_until=None)
        await audit(actor, "desk_not_ready", "counsellor", counsellor.id, location.code, now)
        return None
    room_id = await desk_room(counsellor, location, now, room)
    weights = await weights_now(location, now, rules)
    local = now.astimezone(zone_of(location))
    end_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    async with in_transaction():
        await lock_location(location.id)
        await Counsellor.filter(id=counsellor.id).update(
            desk_location_id=location.id,
            desk_since=utc_now,
            desk_room_id=room_id,
            ready_since=utc_now,
            ready_until=end_of_day.astimezone(UTC),
        )
        await audit(actor, "desk_ready", "counsellor", counsellor.id, location.code, now)
        here = await floor(location, now)
        if here.holding(counsellor.id) is not None:
            return None
        # Every other ready desk already took what fits it (a callable ticket goes to a ready
        # desk at once), so the first ticket the balance places now is theirs.
        for row in queue.queue_order(as_queued(t, here.codes) for t in here.waiting()):
            ticket = next(t for t in here.waiting() if t.id == row.id)
            called = await dispatch(here, ticket, weights, rules, actor)
            if called is not None:
                return called
    return None


async def current(counsellor: Counsellor) -> Ticket | None:
    """The ticket called for the counsellor now (by their press or by the balance while they
    were ready), or the one they are serving."""
    return (
        await Ticket.filter(counsellor_id=counsellor.id, status__in=(queue.CALLED, queue.SERVING))
        .order_by("-called_at")
        .first()
    )


async def _ticket_for(ticket_id: int) -> Ticket:
    ticket = await Ticket.get_or_none(id=ticket_id).prefetch_related("location")
    if ticket is None:
        raise NotFound()
    return ticket


def _session_update(
    effect: str | None, ticket: Ticket, now: datetime, outcome: Outcome | None
) -> dict[str, Any]:
    """What the action does to the walk-in's session (its Booking)."""
    if effect == queue.CHECK_IN:
        return {"checked_in_at": now}
    if effect == queue.ATTEND:
        recorded: dict[str, Any] = {}
        if outcome is not None:
            recorded = {
                "outcome_topics": list(outcome.topics),
                "referral": outcome.referral,
                "outcome_note": outcome.note,
            }
        return {"status": ATTENDED, "end": max(now, ticket.started_at or now), **recorded}
    if effect == queue.MISSED:
        # The session ends now: reception must not list the counsellor as in a session.
        return {"status": NO_SHOW, "end": max(now, ticket.called_at or now)}
    return {}


def _ticket_update(
    move: queue.Transition,
    ticket: Ticket,
    now: datetime,
    rule: queue.NoShowRule,
    to_counsellor: int | None,
    to_organisation: int | None,
) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": move.new_state}
    if move.action == "recall":
        changes["called_at"] = now
        if queue.counts_as_call(ticket.called_at, now, rule):
            changes["calls"] = F("calls") + 1
    elif move.action == "start":
        changes["started_at"] = now
    elif move.new_state in (queue.DONE, queue.NO_SHOW):
        changes["finished_at"] = now
    if move.session == queue.RELEASE:
        changes.update(room_id=None, booking_id=None)
        if move.new_state != queue.PARKED:  # a parked ticket stays under its holder's name
            changes["counsellor_id"] = None
    if move.action == "resume":
        changes["counsellor_id"] = None
    if move.action == "transfer":
        changes.update(for_counsellor_id=to_counsellor, for_organisation_id=to_organisation)
    if move.fresh_count:
        changes.update(calls=0, round_called_at=None, called_at=None)
    return changes


async def act(
    ticket_id: int,
    action: str,
    counsellor: Counsellor,
    now: datetime,
    *,
    actor: str | None = None,
    to_counsellor: int | None = None,
    to_organisation: int | None = None,
    outcome: Outcome | None = None,
    no_show: queue.NoShowRule = queue.DEFAULT_NO_SHOW,
    rules: fairness.Rules = fairness.DEFAULT_RULES,
) -> Ticket:
    """One of the desk's actions on a ticket, as booking/queue.py's transition table says; a
    conditional UPDATE under the lock, so a repeated click changes nothing twice.
    NotChangeable when the ticket is not in a state the action applies to (or "did not come"
    comes too early). A ticket that becomes callable again (resumed, transferred) goes to a
    ready counsellor who fits at once. ``actor``: who pressed (see acting_account)."""
    if action not in queue.TRANSITIONS:
        raise NotFound()
    actor = await acting_account(counsellor, actor)
    ticket = await _ticket_for(ticket_id)
    location: Location = ticket.location
    utc_now = now.astimezone(UTC)
    weights = await weights_now(location, now, rules)
    async with in_transaction():
        await lock_location(location.id)
        await ticket.refresh_from_db()  # what the lock now guarantees, not what was read before
        move = queue.transition(action, ticket.status)
        if move is None:
            raise NotChangeable()
        if move.holder_only and ticket.counsellor_id != counsellor.id:
            raise NotChangeable()
        if action == "resume" and ticket.day != local_date(now, location):
            raise NotChangeable()  # only into today's queue
        if action == "no-show" and not queue.no_show_allowed(
            ticket.status, ticket.calls, ticket.round_called_at, utc_now, no_show
        ):
            raise NotChangeable()
        here: Floor | None = None
        if action == "transfer":
            here = await floor(location, now)
            _check_transfer(here, ticket, to_counsellor, to_organisation, counsellor.id)
        changes = _ticket_update(move, ticket, utc_now, no_show, to_counsellor, to_organisation)
        mine = Q(id=ticket.id, status=ticket.status)
        if not await Ticket.filter(mine).update(**changes):
            raise NotChangeable()
        booking_id = ticket.booking_id
        session = _session_update(move.session, ticket, utc_now, outcome)
        if booking_id and move.session == queue.RELEASE:
            # A call that led to no session is no session: gone with its shares, so the
            # schedule keeps one row per ticket (the next call makes the one that happens).
            await Booking.filter(id=booking_id, status=BOOKED).delete()
        elif booking_id and session:
            await Booking.filter(id=booking_id).update(**session)
        await audit(actor, action, "ticket", ticket.id, "", now)
        await ticket.refresh_from_db()
        if ticket.status == queue.WAITING:
            await dispatch(here or await floor(location, now), ticket, weights, rules, actor)
    return await Ticket.get(id=ticket.id)


def _check_transfer(
    here: Floor,
    ticket: Ticket,
    to_counsellor: int | None,
    to_organisation: int | None,
    holder: int,
) -> None:
    """A transfer names exactly one target that could serve the ticket and is present now (at
    their desk today or ready); otherwise the ticket would wait for nobody."""
    if (to_counsellor is None) == (to_organisation is None):
        raise Invalid({"to": "choose_transfer"})
    present = present_targets(here, ticket, holder)
    if to_counsellor is not None:
        ok = any(c.id == to_counsellor for c in present)
    else:
        ok = any(c.organisation_id == to_organisation for c in present)
    if not ok:
        raise Invalid({"to": "choose_transfer"})


def present_targets(here: Floor, ticket: Ticket, holder: int) -> list[Counsellor]:
    """The colleagues a transfer may go to: present now and fitting the ticket's language and
    topic (a new transfer replaces an earlier one)."""
    plain = queue.Ticket(
        ticket.id, ticket.number, ticket.topic, ticket.language, False, ticket.queued_at
    )
    return [
        c
        for c in here.counsellors.values()
        if c.id != holder and here.present(c) and queue.fits(plain, here.desk(c))
    ]
