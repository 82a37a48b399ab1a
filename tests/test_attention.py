"""The bookings needing attention (issue 15): how to reach each person, what was sent, and
moving or cancelling one or all when no colleague is free. Signed in as the demo admin on the
real service, on SQLite and PostgreSQL; the mails go to a real SMTP server (aiosmtpd).

Monday 2026-11-23, 07:00 in Hannover. Only Semhar T. speaks Tigrinya: an absence of hers
leaves a Tigrinya session with nobody to take it over.
"""

from __future__ import annotations

import re
from typing import Any

import vobject

from booking.models import (
    ABSENCE,
    BOOKED,
    CANCELLED,
    AuditEntry,
    Booking,
    Location,
    OutboxMessage,
)
from booking.services.admin_plans import needing_attention
from tests.conftest import Service, at, utc
from tests.smtp import Recorder, smtp_server
from tests.support.admin import ADMIN, Admin, counsellor, hidden_fields
from tests.support.admin import admin as admin  # the fixture
from tests.support.mail import parse, sender, text_of

ATTENTION = f"{ADMIN}/attention"


async def book(service: Service, hour: int, language: str, ui: str = "de", **body: Any) -> Booking:
    """A session at ``hour`` after an office appointment at 10:00 (before it if earlier),
    booked through the API with pages in ``ui``."""
    link = service.link(at(10) if hour >= 11 else at(hour + 1, 30))
    payload = service.booking_body(link, at(hour), language=language, topic="forms", **body)
    response = await service.client.post(f"/api/v1/bookings?lang={ui}", json=payload)
    await service.client.get("/staff?lang=en")  # the coordinator's pages stay in English
    assert response.status_code == 201, response.text
    return await Booking.get(reference=response.json()["reference"])


async def leave(admin: Admin, path: str, form: dict[str, str]) -> None:
    """Save a plan change over booked sessions and leave them where they are."""
    asked = await admin.post(path, form)
    assert asked.status_code == 200 and "Booked sessions are affected" in asked.text
    left = await admin.post(path, [*hidden_fields(asked.text), ("resolution", "leave")])
    assert left.status_code == 200 and "Not moved" in left.text


async def semhar_absent(admin: Admin, **hours: str) -> None:
    semhar = await counsellor("Semhar T.")
    path = f"{ADMIN}/counsellors/{semhar.id}/exceptions"
    await leave(admin, path, {"kind": ABSENCE, "day": "2026-11-23", "note": "Ill", **hours})


async def close_today(admin: Admin) -> None:
    location = await Location.get(code="hsc")
    closures = f"{ADMIN}/locations/{location.id}/closures"
    await leave(admin, closures, {"day": "2026-11-23", "reason": "Heating broken"})


def delivered(admin: Admin) -> Any:
    """Send what is due to a real SMTP server; the messages as received."""

    async def send() -> list[Any]:
        handler = Recorder()
        with smtp_server(handler) as transport:
            await sender(admin.service, transport).drain()
        return [parse(raw) for raw in handler.received]

    return send()


async def test_the_page_shows_contact_messages_and_every_way_out(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ti", ui="ti", phone="+49 511 1234567")
    await semhar_absent(admin)
    page = await admin.get(ATTENTION)
    assert page.status_code == 200
    assert booking.reference in page.text and "Nobody else is free then." in page.text
    # How to reach them, and what they were sent (the confirmation, still waiting).
    assert (
        'href="mailto:amina@example.org"' in page.text and 'href="tel:+495111234567"' in page.text
    )
    assert "Amina Test" in page.text and "Confirmation" in page.text
    # Every way out, even with nobody free at the time: another day, or cancel.
    assert "No other free time in the applicant's window." in page.text
    assert f'action="{ATTENTION}/{booking.id}/day"' in page.text
    assert f'action="{ATTENTION}/{booking.id}/cancel"' in page.text
    assert '<option value="nobody_free" selected>' in page.text
    assert f'href="{ATTENTION}/all/cancel"' in page.text
    read = await AuditEntry.get(action="read", record_id=booking.reference)
    assert read.actor == "admin" and "Amina" not in read.summary


async def test_cancel_one_tells_the_applicant_in_their_language_with_a_cancel(
    admin: Admin,
) -> None:
    booking = await book(admin.service, 11, "ti", ui="ti")
    await semhar_absent(admin)
    await delivered(admin)  # the confirmation went out long ago
    cancelled = await admin.post(f"{ATTENTION}/{booking.id}/cancel", {"reason": "nobody_free"})
    assert cancelled.status_code == 303 and cancelled.headers["location"].endswith("done=cancelled")
    await booking.refresh_from_db()
    assert booking.status == CANCELLED and booking.sequence == 1
    (mail,) = [m for m in await delivered(admin) if m["To"].addresses[0].username == "amina"]
    assert mail["Content-Language"] == "ti"
    text = text_of(mail)
    # Why (nobody is free) and what to do (book anew with the office's link), in Tigrinya.
    assert "We are sorry" not in text and "cancelled" not in text
    catalog = admin.service.app.state.renderer
    why = catalog.gettext(
        "ti", "We are sorry: your counsellor cannot come, and no colleague is free at that time."
    )
    anew = catalog.gettext(
        "ti", "You can book a new session with the link from the immigration office."
    )
    assert why in text and anew in text
    (calendar,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    event = vobject.readOne(calendar.get_payload(decode=True).decode())
    assert event.method.value == "CANCEL" and event.vevent.status.value == "CANCELLED"
    assert int(event.vevent.sequence.value) == 1
    assert await AuditEntry.exists(action="cancel", record_id=str(booking.id))
    assert "No booked session needs attention." in (await admin.get(ATTENTION)).text


async def test_a_closed_day_says_so_in_the_mail(admin: Admin) -> None:
    booking = await book(admin.service, 11, "de", ui="en")
    await close_today(admin)
    page = await admin.get(ATTENTION)
    assert '<option value="closed" selected>' in page.text
    await admin.post(f"{ATTENTION}/{booking.id}/cancel", {"reason": "closed"})
    cancel = await OutboxMessage.get(booking_id=booking.id, kind="cancelled", recipient="applicant")
    assert "the counselling desk is closed on that day" in cancel.text
    assert "the counselling desk is closed on that day" in cancel.html
    # What to do: the office link offers only the closed day, so it says come on another day.
    assert "come to the counselling desk on another day" in cancel.text
    assert "with the link from the immigration office" not in cancel.text
    assert cancel.calendar_method == "CANCEL"


async def test_move_to_another_time_in_the_applicants_window(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ti")
    await semhar_absent(admin, starts="11:00", ends="12:00")
    page = await admin.get(ATTENTION)
    offered = re.findall(
        rf'<select id="start-{booking.id}" name="start">(.*?)</select>', page.text, re.S
    )
    assert offered, "other times in the window are offered"
    times = re.findall(r'<option value="([^"]+)">', offered[0])
    assert at(9).isoformat() in times and at(11).isoformat() not in times
    moved = await admin.post(f"{ATTENTION}/{booking.id}/time", {"start": at(9).isoformat()})
    assert moved.status_code == 303 and moved.headers["location"].endswith("done=moved")
    await booking.refresh_from_db()
    assert utc(booking.start) == utc(at(9)) and booking.sequence == 1
    offset = booking.start.utcoffset()
    assert offset is not None and offset.total_seconds() == 0
    update = await OutboxMessage.get(booking_id=booking.id, kind="updated", recipient="applicant")
    assert update.calendar_method == "REQUEST"
    assert await AuditEntry.exists(action="move", record_id=str(booking.id))


async def test_move_a_closed_days_session_to_another_day(admin: Admin) -> None:
    booking = await book(admin.service, 11, "de")
    await close_today(admin)
    today = await admin.get(f"{ATTENTION}/{booking.id}/day?day=2026-11-23")
    assert "No free time that day" in today.text
    tuesday = at(11).replace(day=24)
    page = await admin.get(f"{ATTENTION}/{booking.id}/day?day=2026-11-24")
    assert page.status_code == 200 and f'value="{tuesday.isoformat()}"' in page.text
    moved = await admin.post(f"{ATTENTION}/{booking.id}/time", {"start": tuesday.isoformat()})
    assert moved.status_code == 303
    await booking.refresh_from_db()
    assert utc(booking.start) == utc(tuesday) and booking.status == BOOKED
    assert "No booked session needs attention." in (await admin.get(ATTENTION)).text


async def test_cancel_all_at_once(admin: Admin) -> None:
    first = await book(admin.service, 11, "de", ui="ar")
    second = await book(admin.service, 9, "de", ui="uk")
    await close_today(admin)
    ask = await admin.get(f"{ATTENTION}/all/cancel")
    assert ask.status_code == 200 and "Cancel all 2" in ask.text
    assert await Booking.filter(status=BOOKED).count() == 2  # asking cancels nothing
    done = await admin.post(f"{ATTENTION}/all/cancel", {})
    assert done.status_code == 200 and "Cancelled: 2" in done.text
    assert await Booking.filter(status=CANCELLED).count() == 2
    renderer = admin.service.app.state.renderer
    closed = "We are sorry: the counselling desk is closed on that day."
    for booking, language in ((first, "ar"), (second, "uk")):
        cancel = await OutboxMessage.get(
            booking_id=booking.id, kind="cancelled", recipient="applicant"
        )
        assert cancel.language == language and renderer.gettext(language, closed) in cancel.text
        assert renderer.gettext(language, closed) != closed


async def test_move_all_at_once(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ti")
    await semhar_absent(admin, starts="11:00", ends="12:00")
    ask = await admin.get(f"{ATTENTION}/all/move")
    assert ask.status_code == 200 and "Move all 1" in ask.text
    done = await admin.post(f"{ATTENTION}/all/move", {})
    assert done.status_code == 200 and "Moved: 1" in done.text
    await booking.refresh_from_db()
    assert booking.status == BOOKED and utc(booking.start) != utc(at(11))
    assert await needing_attention(admin.service.clock.now) == []


async def test_bad_input_is_answered_clearly(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ti")
    await semhar_absent(admin)
    for path, form in (
        (f"{ATTENTION}/{booking.id}/time", {"start": "tomorrow"}),
        (f"{ATTENTION}/{booking.id}/time", {"start": "2026-11-23T09:00"}),  # no offset
        (f"{ATTENTION}/{booking.id}/cancel", {"reason": "because"}),
    ):
        answer = await admin.post(path, form)
        assert answer.status_code == 422 and 'role="alert"' in answer.text
    taken = await admin.post(f"{ATTENTION}/{booking.id}/time", {"start": at(11).isoformat()})
    assert taken.status_code == 409 and "no longer free" in taken.text
    bad_day = await admin.get(f"{ATTENTION}/{booking.id}/day?day=2026-02-30")
    assert bad_day.status_code == 422
    assert (await admin.post(f"{ATTENTION}/999999/cancel", {"reason": "closed"})).status_code == 404
    assert (await admin.get(f"{ATTENTION}/999999/day?day=2026-11-24")).status_code == 404
    assert (await admin.get(f"{ATTENTION}/all/everything")).status_code == 404
    await admin.post(f"{ATTENTION}/{booking.id}/cancel", {"reason": "nobody_free"})
    again = await admin.post(f"{ATTENTION}/{booking.id}/time", {"start": at(9).isoformat()})
    assert again.status_code == 409 and "cancelled or has begun" in again.text
    await booking.refresh_from_db()
    assert booking.status == CANCELLED
