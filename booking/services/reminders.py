"""A reminder goes only for a session that will take place.

A reminder is written with the booking and waits until the evening before. Meanwhile the day
may be closed, the counsellor fall ill with nobody to stand in, or the session be cancelled
while a sender already held its reminder. Rather than each of these changes hunting down the
reminders it spoils (and missing one, as a closure did), the sender asks again when a reminder
is due: after claiming it, so that no other sender holds it, and from the committed plan, the
same rule that lists a booking as needing attention (booking/conflicts.py ``covered``). A
reminder for a session that is off is withdrawn (deleted, as a change replaces a waiting
reminder); if the session is back on (the closure lifted, a colleague found) before the
reminder is due, it goes as planned.

What the check cannot see is a change committed in the moment between it and the mail server
taking the message; such a change sends its own cancellation, which arrives after.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from booking.conflicts import covered
from booking.models import BOOKED, Booking, OutboxMessage
from booking.notices import REMINDER
from booking.services.admin_plans import load_plan, session_of


async def off(messages: Iterable[OutboxMessage], now: datetime) -> set[int]:
    """The ids of the reminders among ``messages`` whose session will not take place:
    cancelled or gone, begun, its day closed, or its counsellor unable to hold it."""
    reminders = {m.id: m.booking_id for m in messages if m.kind == REMINDER}
    if not reminders:
        return set()
    booking_ids = {b for b in reminders.values() if b is not None}
    bookings = {
        b.id: b
        for b in await Booking.filter(
            id__in=booking_ids, status=BOOKED, start__gt=now.astimezone(UTC)
        )
    }
    plan = await load_plan(now)
    on = {b.id for b in bookings.values() if covered(session_of(b), plan)}
    return {message_id for message_id, booking_id in reminders.items() if booking_id not in on}


async def withdraw(message: OutboxMessage, token: str) -> bool:
    """Delete a reminder this sender holds; False if it no longer holds it."""
    gone = await OutboxMessage.filter(id=message.id, claim=token, kind=REMINDER).delete()
    return gone == 1
