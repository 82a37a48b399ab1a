"""Taking a ticket for a counsellor (the call itself): a press of "call next" and the balance
among ready counsellors both end here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F

from booking import balance, queue
from booking.i18n import DEFAULT_LANGUAGE, visitor_language
from booking.models import BOOKED, AllocationShare, Booking, Counsellor, Location, Ticket
from booking.services import fairness
from booking.services.accounts import audit
from booking.services.bookings import hash_token, new_reference, new_token
from booking.services.walkins.common import WALK_IN, Floor, as_queued, ticket_label


async def take(
    floor_: Floor,
    ticket: Ticket,
    counsellor: Counsellor,
    room_id: int,
    decision: balance.Decision,
    weights: fairness.Weights,
    actor: str,
    mark: dict[str, Any] | None = None,
) -> Ticket:
    """Call ``ticket`` for ``counsellor`` in ``room_id``: the session is a walk-in Booking with
    the balance's decision recorded; the ticket's conditional UPDATE stands behind the lock.
    Clears the counsellor's readiness (they are busy now), with ``mark`` (their desk) in the
    same statement. ``actor`` pressed or registered."""
    location, now = floor_.location, floor_.now
    utc_now = now.astimezone(UTC)
    month = fairness.month_of(now, location)
    end = now + timedelta(minutes=location.session_minutes)
    booking = await Booking.create(
        reference=new_reference(),
        location_id=location.id,
        appointment_id=None,
        counsellor_id=counsellor.id,
        organisation_id=counsellor.organisation_id,
        room_id=room_id,
        start=utc_now,
        end=end.astimezone(UTC),
        topic=ticket.topic,
        language=ticket.language,
        ui_language=visitor_language(ticket.language) or DEFAULT_LANGUAGE,
        channel=WALK_IN,
        status=BOOKED,
        name=ticket.name,
        manage_token_hash=hash_token(new_token()),
        allocation=fairness.explanation(decision, weights, now),
    )
    called = await Ticket.filter(id=ticket.id, status=queue.WAITING).update(
        status=queue.CALLED,
        counsellor_id=counsellor.id,
        room_id=room_id,
        booking_id=booking.id,
        called_at=utc_now,
        first_called_at=ticket.first_called_at or utc_now,
        round_called_at=ticket.round_called_at or utc_now,
        calls=F("calls") + 1,  # a first call always counts (the no-show rule)
    )
    if called != 1:
        raise RuntimeError("a waiting ticket under the lock was not callable")
    ids = {code: oid for oid, code in floor_.codes.items()}
    await AllocationShare.bulk_create(
        [
            AllocationShare(
                booking_id=booking.id,
                location_id=location.id,
                organisation_id=ids[code],
                month=month,
                share=share,
            )
            for code, share in decision.shares.items()
        ]
    )
    await Counsellor.filter(id=counsellor.id).update(
        ready_since=None, ready_until=None, **(mark or {})
    )
    await audit(
        actor, "call", "ticket", ticket.id, ticket_label(location.ticket_prefix, ticket.number), now
    )
    ticket.status, ticket.room_id, ticket.booking_id = queue.CALLED, room_id, booking.id
    ticket.counsellor_id = counsellor.id
    ticket.called_at = utc_now
    ticket.first_called_at = ticket.first_called_at or utc_now
    ticket.round_called_at = ticket.round_called_at or utc_now
    ticket.calls += 1
    floor_.sessions.setdefault(counsellor.id, []).append(
        {"counsellor_id": counsellor.id, "start": utc_now, "end": end, "channel": WALK_IN}
    )
    counsellor.ready_since = counsellor.ready_until = None
    return ticket


async def dispatch(
    floor_: Floor, ticket: Ticket, weights: fairness.Weights, rules: fairness.Rules, actor: str
) -> Ticket | None:
    """A ticket that just became callable goes to a ready counsellor at once, if one fits:
    the balance among the ready decides (booking/queue.py's plan for a new ticket). None when
    nobody ready fits; it waits for the next press of "call next"."""
    ready = floor_.ready_desks()
    if not ready:
        return None
    plain = as_queued(ticket, floor_.codes)
    month = fairness.month_of(floor_.now, floor_.location)
    so_far = await fairness.tally(floor_.location, month, rules, organisations=floor_.organisations)
    decision = queue.plan_new_ticket(
        plain, ready, floor_.now, floor_.typical(ticket.topic), weights.values, so_far
    )
    if decision is None:
        return None
    chosen = floor_.counsellors[decision.counsellor_id]
    room_id = chosen.desk_room_id
    assert room_id is not None, "the ready list holds only counsellors with a room"
    return await take(floor_, ticket, chosen, room_id, decision, weights, actor)


async def weights_now(location: Location, now: datetime, rules: fairness.Rules) -> fairness.Weights:
    """The target weights in force: read before the lock (admins' settings and the month's
    plan, not what the queue changes)."""
    return await fairness.weights(location, fairness.month_of(now, location), now, rules)
