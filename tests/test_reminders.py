"""No reminder for a session that will not take place (issue 15): the sender asks again, when
the reminder is due, whether the session is still on. Bookings through the API, the plan
changed by the coordinator's forms, the outbox sent to a real SMTP server (aiosmtpd), on
SQLite and PostgreSQL.

The session is on Tuesday 2026-11-24 at 11:00; its reminder is due on Monday at 17:00.
"""

from __future__ import annotations

from datetime import timedelta

from booking.models import ABSENCE, Booking, ClosureDay, Location, OutboxMessage
from booking.services import outbox
from tests.conftest import at
from tests.smtp import Recorder, smtp_server
from tests.support.admin import ADMIN, Admin, hidden_fields
from tests.support.admin import admin as admin  # the fixture
from tests.support.bookings import TUESDAY
from tests.support.bookings import book_on_tuesday as book
from tests.support.mail import parse, sender

REMINDER_DUE = at(17, 1)  # Monday, just after the reminder time


async def _reminders_delivered(admin: Admin) -> list[str]:
    """Everything due by Monday evening, sent to a real SMTP server: the reminders' subjects."""
    service = admin.service
    service.clock.now = REMINDER_DUE
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    subjects = [str(parse(raw)["Subject"]).strip() for raw in handler.received]
    assert subjects, "the confirmation at least goes out"
    return [s for s in subjects if s.startswith(("Erinnerung", "Reminder"))]


async def _booked(admin: Admin) -> Booking:
    created = await book(admin.service, "ABH-REMIND", email="amina@example.org")
    booking = await Booking.get(reference=created["reference"])
    assert await OutboxMessage.exists(booking_id=booking.id, kind="reminder")
    return booking


async def _leave(admin: Admin, path: str, form: dict[str, str]) -> None:
    """Save a plan change over the booked session and leave the booking as it is."""
    asked = await admin.post(path, form)
    assert asked.status_code == 200 and "Booked sessions are affected" in asked.text
    left = await admin.post(path, [*hidden_fields(asked.text), ("resolution", "leave")])
    assert left.status_code == 200 and "Not moved: 1" in left.text


async def test_the_reminder_goes_for_a_session_that_takes_place(admin: Admin) -> None:
    await _booked(admin)
    assert len(await _reminders_delivered(admin)) == 1


async def test_no_reminder_for_a_closed_day(admin: Admin) -> None:
    await _booked(admin)
    location = await Location.get(code="hsc")
    closures = f"{ADMIN}/locations/{location.id}/closures"
    await _leave(admin, closures, {"day": "2026-11-24", "reason": "Heating broken"})
    assert await _reminders_delivered(admin) == []
    assert not await OutboxMessage.exists(kind="reminder")  # withdrawn, not failed


async def test_a_closure_lifted_in_time_keeps_the_reminder(admin: Admin) -> None:
    await _booked(admin)
    location = await Location.get(code="hsc")
    closures = f"{ADMIN}/locations/{location.id}/closures"
    await _leave(admin, closures, {"day": "2026-11-24", "reason": "Heating broken"})
    closure = await ClosureDay.get(location_id=location.id)
    assert (await admin.post(f"{closures}/{closure.id}/remove", {})).status_code == 303
    assert len(await _reminders_delivered(admin)) == 1


async def test_no_reminder_when_the_counsellor_is_absent_and_not_replaced(admin: Admin) -> None:
    booking = await _booked(admin)
    counsellor_id: int = booking.counsellor_id
    path = f"{ADMIN}/counsellors/{counsellor_id}/exceptions"
    await _leave(admin, path, {"kind": ABSENCE, "day": "2026-11-24", "note": "Ill"})
    assert await _reminders_delivered(admin) == []


async def test_no_reminder_for_a_session_cancelled_while_a_sender_held_it(admin: Admin) -> None:
    """A sender claimed the reminder and died; meanwhile the session was cancelled (which
    withdraws only reminders still waiting). The next sender must not deliver it."""
    service = admin.service
    created = await book(service, "ABH-HELD", email="amina@example.org")
    service.clock.now = at(17, 0, day=TUESDAY - timedelta(days=1))
    _token, claimed = await outbox.claim(service.clock.now, 50)
    assert "reminder" in {m.kind for m in claimed}
    cancelled = await service.client.delete(f"/api/v1/bookings/{created['manage_token']}")
    assert cancelled.status_code == 200
    service.clock.now = at(17, 0) + outbox.LEASE + timedelta(minutes=1)
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    subjects = [str(parse(raw)["Subject"]).strip() for raw in handler.received]
    assert not [s for s in subjects if s.startswith(("Erinnerung", "Reminder"))]
    assert [s for s in subjects if s.startswith(("Abgesagt", "Cancelled"))]
