"""The outbox end to end: bookings through the API, the sender, a real SMTP server (aiosmtpd),
and the calendar parts read back by vobject (a parser other than the one that wrote them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from booking.models import FAILED, PENDING, SENT, Booking, Counsellor, OutboxMessage
from integrations.mail import SmtpTransport
from tests.conftest import Service, at
from tests.smtp import Recorder, free_port, smtp_server
from tests.support.bookings import book_for_office_ref as book
from tests.support.mail import calendar_of, parse, sender, text_of, to_applicant


async def test_book_move_cancel_give_three_correct_invitations(service: Service) -> None:
    created = await book(service, "ABH-3", email="amina@example.org", name="Amina Test")
    token = created["manage_token"]
    moved = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(10).isoformat()}
    )
    assert moved.status_code == 200, moved.text
    cancelled = await service.client.delete(f"/api/v1/bookings/{token}")
    assert cancelled.status_code == 200
    handler = Recorder()
    with smtp_server(handler) as transport:
        tally = await sender(service, transport).drain()
    assert tally.failed == tally.retrying == 0
    mails = to_applicant(handler.received)
    assert len(mails) == 3
    calendars = [calendar_of(m) for m in mails]
    assert [c.method.value for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [c.vevent for c in calendars]
    assert [int(e.sequence.value) for e in events] == [0, 1, 2]
    assert len({e.uid.value for e in events}) == 1
    assert events[0].dtstart.value == at(11) and events[1].dtstart.value == at(10)
    assert events[2].status.value == "CANCELLED" and not hasattr(events[2], "valarm")
    assert hasattr(events[0], "valarm")
    organizer = service.settings.mail_from_address
    for mail, event in zip(mails, events, strict=True):
        assert event.organizer.value == f"mailto:{organizer}"
        assert mail["From"].addresses[0].addr_spec == organizer
        assert event.attendee.value == "mailto:amina@example.org"
        assert event.attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
        assert event.dtstamp.value.utcoffset() == timedelta(0)
        assert "Hamburger Allee" in event.location.value
        assert token not in str(event.serialize())  # the manage link never enters calendars
        assert mail["Message-ID"].endswith("@welcome-demo.invalid>")
    # The link is in the body of the confirmation and the update, in the applicant's language.
    confirmation = text_of(mails[0])
    assert f"http://test/manage/{token}" in confirmation
    assert "Ihr Beratungstermin" in mails[0]["Subject"]  # German: the API was asked in German
    assert "abgesagt" in text_of(mails[2]).lower()


async def test_english_pages_give_english_mails(service: Service) -> None:
    link = service.link(at(12), ref="ABH-EN")
    response = await service.client.post(
        "/api/v1/bookings",
        json=service.booking_body(link, at(11)),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 201
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    (mail,) = to_applicant(handler.received)
    assert mail["Subject"].startswith("Your counselling session on Monday, November 23, 2026")
    assert mail["Content-Language"] == "en"
    text = text_of(mail)
    assert "your counselling session is booked" in text and "Reference: WB-" in text
    assert calendar_of(mail).vevent.summary.value == "Counselling: Applications and forms"


async def test_counsellors_get_their_own_invitations_without_contact_data(service: Service) -> None:
    created = await book(service, "ABH-C", name="Amina Test", phone="+49 511 1234567")
    booking = await Booking.get(reference=created["reference"]).prefetch_related("counsellor")
    counsellor = booking.counsellor
    await Counsellor.filter(id=counsellor.id).update(email="counsellor@example.org")
    # The address was set after the booking: the next change reaches them.
    await service.client.post(
        f"/api/v1/bookings/{created['manage_token']}/reschedule",
        json={"start": at(10).isoformat()},
    )
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    staff_mails = to_applicant(handler.received, "counsellor@example.org")
    booking = await Booking.get(id=booking.id).prefetch_related("counsellor")
    assert booking.counsellor_id == counsellor.id  # free at 10:00
    (mail,) = staff_mails
    text = text_of(mail)
    assert "Amina T." in text and "Amina Test" not in text
    assert "amina@example.org" not in mail.as_string() and "1234567" not in mail.as_string()
    event = calendar_of(mail).vevent
    # The session's one UID, the same as the applicant's and the feed's (test_calendar_feed.py).
    assert event.uid.value == f"{booking.reference}@welcome-demo.invalid"
    assert "Amina" not in str(event.serialize())
    assert int(event.sequence.value) == 1
    # Switched off: the next change sends them nothing.
    await Counsellor.filter(id=counsellor.id).update(mail_invitations=False)
    await service.client.delete(f"/api/v1/bookings/{created['manage_token']}")
    assert not await OutboxMessage.filter(
        recipient="counsellor", kind="cancelled", to_address="counsellor@example.org"
    ).exists()


async def test_outage_every_message_arrives_once_latest_sequence_last(service: Service) -> None:
    port = free_port()
    down = SmtpTransport("127.0.0.1", port, "none", timeout=2)  # nobody listens there yet
    references = []
    for n, ref in enumerate(("ABH-O1", "ABH-O2", "ABH-O3")):
        created = await book(service, ref, start_hour=11 + n, email=f"o{n}@example.org")
        references.append(created)
    mailer = sender(service, down)
    first = await mailer.send_due()
    assert first.sent == 0 and first.retrying > 0
    # Changes during the outage succeed at once.
    token = references[0]["manage_token"]
    moved = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(10).isoformat()}
    )
    assert moved.status_code == 200
    cancelled = await service.client.delete(f"/api/v1/bookings/{references[1]['manage_token']}")
    assert cancelled.status_code == 200
    again = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(13).isoformat()}
    )
    assert again.status_code == 200
    for _ in range(3):  # still down: tries fail, back-off grows, nothing is lost
        service.clock.now += timedelta(seconds=61)
        await mailer.send_due()
    assert not await OutboxMessage.filter(status=FAILED).exists()
    handler = Recorder()
    with smtp_server(handler, port):
        service.clock.now += timedelta(seconds=61)  # at most a minute's back-off
        await mailer.drain()
    ids = [parse(raw)["Message-ID"] for raw in handler.received]
    assert len(ids) == len(set(ids)) == await OutboxMessage.filter(status=SENT).count()
    assert not await OutboxMessage.exclude(status=SENT).exclude(kind="reminder").exists()
    for n in range(3):
        mails = to_applicant(handler.received, f"o{n}@example.org")
        sequences = [int(calendar_of(m).vevent.sequence.value) for m in mails]
        assert sequences == sorted(sequences) and len(sequences) == len(set(sequences))
    assert [
        int(calendar_of(m).vevent.sequence.value)
        for m in to_applicant(handler.received, "o0@example.org")
    ] == [0, 1, 2]
    assert [
        calendar_of(m).method.value for m in to_applicant(handler.received, "o1@example.org")
    ] == ["REQUEST", "CANCEL"]


async def test_permanent_failure_stops_and_waits_for_an_admin(service: Service) -> None:
    await book(service, "ABH-P", email="gone@example.org")
    refusing = Recorder(rcpt_reply="550 5.1.1 <gone@example.org> unknown user")
    with smtp_server(refusing) as transport:
        tally = await sender(service, transport).drain()
    assert tally.failed >= 1 and not refusing.received
    failed = await OutboxMessage.get(to_address="gone@example.org", kind="confirmed")
    assert failed.status == FAILED and failed.attempts == 1
    assert failed.last_error == "recipient refused: SMTP 550 5.1.1"  # no address in the reason
    from booking.services.outbox import retry

    assert await retry([failed.id], service.clock.now) == 1
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    await failed.refresh_from_db()
    assert failed.status == SENT and len(to_applicant(handler.received, "gone@example.org")) == 1


async def test_several_senders_never_send_a_message_twice(service: Service) -> None:
    for n in range(12):
        await book(service, f"ABH-S{n}", start_hour=8 + n % 6, email=f"s{n}@example.org")
    written = await OutboxMessage.filter(status=PENDING, kind__not="reminder").count()
    assert written >= 12
    handler = Recorder()
    with smtp_server(handler) as transport:
        senders = [sender(service, transport) for _ in range(4)]
        await asyncio.gather(*(s.drain() for s in senders))
    ids = [parse(raw)["Message-ID"] for raw in handler.received]
    assert len(ids) == len(set(ids)) == written


async def test_a_failed_booking_writes_no_mail(service: Service) -> None:
    await book(service, "ABH-F1")
    before = await OutboxMessage.all().count()
    taken = await service.client.post(
        "/api/v1/bookings",
        json=service.booking_body(service.link(at(12), ref="ABH-F1"), at(13)),
    )
    assert taken.status_code == 409
    assert await OutboxMessage.all().count() == before


async def test_the_reminder_goes_out_the_day_before(service: Service) -> None:
    tuesday = at(11) + timedelta(days=1)
    link = service.link(tuesday + timedelta(hours=1), ref="ABH-REM")
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, tuesday)
    )
    assert response.status_code == 201
    handler = Recorder()
    with smtp_server(handler) as transport:
        mailer = sender(service, transport)
        await mailer.drain()
        assert [m["Subject"] for m in to_applicant(handler.received)] == [
            "Ihr Beratungstermin am Dienstag, 24. November 2026 um 11:00"
        ]
        service.clock.now = at(16, 59)
        assert (await mailer.drain()).sent == 0
        service.clock.now = at(17)
        assert (await mailer.drain()).sent == 1
    reminder = to_applicant(handler.received)[-1]
    assert reminder["Subject"] == "Erinnerung: Ihr Beratungstermin morgen um 11:00"
    assert not [p for p in reminder.walk() if "calendar" in p.get_content_type()]
    assert response.json()["manage_url"] in text_of(reminder)


async def unsendable_confirmation(service: Service, ref: str) -> tuple[dict[str, Any], int]:
    """A booking whose confirmation has an address e-mail's parser refuses, as rows written
    before input was checked by the same rule still have."""
    created = await book(service, ref, email="amina@example.org")
    booking = await Booking.get(reference=created["reference"])
    confirmation = await OutboxMessage.get(
        booking_id=booking.id, kind="confirmed", recipient="applicant"
    )
    await OutboxMessage.filter(booking_id=booking.id, recipient="applicant").update(
        to_address="a..b@example.org"
    )
    return created, confirmation.id


async def test_a_message_that_cannot_be_composed_fails_and_frees_its_thread(
    service: Service,
) -> None:
    created, confirmation_id = await unsendable_confirmation(service, "ABH-BAD")
    moved = await service.client.post(
        f"/api/v1/bookings/{created['manage_token']}/reschedule",
        json={"start": at(10).isoformat()},
    )
    assert moved.status_code == 200
    handler = Recorder()
    with smtp_server(handler) as transport:
        tally = await sender(service, transport).drain()
    confirmation = await OutboxMessage.get(id=confirmation_id)
    assert (confirmation.status, confirmation.attempts) == (FAILED, 1)
    assert confirmation.last_error == "recipient address not valid"  # no address in it
    assert tally.failed == 1
    # The update behind it in the thread went out.
    (update,) = to_applicant(handler.received)
    assert "Geändert" in update["Subject"]
    assert not await OutboxMessage.filter(status="sending").exists()


async def test_a_claim_counts_as_an_attempt(service: Service) -> None:
    """A sender that dies while sending leaves the message to another after the lease; the
    lost try is counted, so that a message never stays `sending` with 0 attempts."""
    from booking.services import outbox

    await book(service, "ABH-LEASE")
    now = service.clock.now
    _, first = await outbox.claim(now, 50)
    assert first and all(m.attempts == 1 for m in first)
    # Typed as tuples by tortoise; flat=True gives the values.
    stored: list[Any] = await OutboxMessage.filter(status="sending").values_list(
        "attempts", flat=True
    )
    assert set(stored) == {1}
    later = now + outbox.LEASE + timedelta(seconds=1)
    _, again = await outbox.claim(later, 50)
    assert {m.id for m in again} == {m.id for m in first}
    assert all(m.attempts == 2 for m in again)
    handler = Recorder()
    service.clock.now = later + outbox.LEASE + timedelta(seconds=1)
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    sent = await OutboxMessage.filter(id__in=[m.id for m in first])
    assert {(m.status, m.attempts) for m in sent} == {(SENT, 3)}


async def test_a_message_stuck_sending_expires_with_its_session(service: Service) -> None:
    from booking.services import outbox

    await book(service, "ABH-STUCK")
    _, claimed = await outbox.claim(service.clock.now, 50)
    assert claimed
    service.clock.now = at(11, 1)  # the session has begun; the lease ran out long ago
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    assert not handler.received
    stuck = await OutboxMessage.filter(id__in=[m.id for m in claimed])
    assert {(m.status, m.last_error) for m in stuck} == {(FAILED, outbox.EXPIRED_REASON)}
