"""The outbox in the database: written with the change, claimed once, in order, forgotten on
schedule (booking/services/outbox.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from booking.app import create_app
from booking.models import FAILED, PENDING, SENDING, SENT, Booking, OutboxMessage
from booking.services import outbox
from booking.services.privacy import anonymise_due
from booking.settings import DEMO_SECRET_KEY as SECRET
from tests.conftest import Clock, Service, at, make_settings
from tests.support.admin import ADMIN, Admin, absence_for, counsellor, hidden_fields
from tests.support.admin import admin as admin  # the fixture
from tests.support.admin import book as book_for_admin
from tests.support.bookings import TUESDAY
from tests.support.bookings import book_on_tuesday as book


async def test_a_booking_writes_its_messages_in_its_transaction(service: Service) -> None:
    created = await book(service, "ABH-W")
    booking = await Booking.get(reference=created["reference"])
    messages = await OutboxMessage.filter(booking_id=booking.id).order_by("id")
    assert [(m.recipient, m.kind, m.status) for m in messages] == [
        ("applicant", "confirmed", PENDING),
        ("counsellor", "confirmed", PENDING),
        ("applicant", "reminder", PENDING),
    ]
    confirmation, _, reminder = messages
    assert confirmation.next_attempt_at == service.clock.now  # due at once
    assert reminder.next_attempt_at == at(17)  # the day before, at 17:00
    assert confirmation.expires_at == at(11, day=TUESDAY)
    assert confirmation.sequence == 0 and confirmation.calendar_method == "REQUEST"
    assert "METHOD:REQUEST\r\n" in (confirmation.calendar or "")
    # The link with a placeholder for the token, filled in when sent; never in the calendar.
    stored_link = f"http://test/manage/{outbox.MANAGE_LINK_PLACEHOLDER}"
    assert stored_link in confirmation.text and stored_link in reminder.text
    assert created["manage_token"] not in confirmation.text + confirmation.html
    assert "/manage/" not in (confirmation.calendar or "")
    assert len({m.message_id for m in messages}) == 3


async def test_a_move_replaces_the_reminder_and_a_cancellation_drops_it(service: Service) -> None:
    created = await book(service, "ABH-R")
    token = created["manage_token"]
    moved = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(10, day=TUESDAY).isoformat()}
    )
    assert moved.status_code == 200
    reminders = await OutboxMessage.filter(kind="reminder", status=PENDING)
    assert len(reminders) == 1 and "10:00" in reminders[0].text
    await service.client.delete(f"/api/v1/bookings/{token}")
    assert not await OutboxMessage.filter(kind="reminder").exists()
    kinds = (
        await OutboxMessage.filter(recipient="applicant")
        .order_by("id")
        .values_list("kind", "sequence")
    )
    assert kinds == [("confirmed", 0), ("updated", 1), ("cancelled", 2)]


async def test_the_pages_write_mail_too(service: Service) -> None:
    link = service.link(at(12), ref="ABH-PAGE")
    form = {
        **link,
        "topic": "forms",
        "language": "de",
        "slot": at(11).isoformat(),
        "name": "Amina Test",
        "email": "amina@example.org",
        "consent": "on",
    }
    response = await service.client.post("/add-on/book?lang=en", data=form)
    assert response.status_code == 303
    mail = await OutboxMessage.get(recipient="applicant", kind="confirmed")
    assert mail.language == "en" and mail.subject.startswith("Your counselling session")
    token = response.headers["location"].split("/manage/")[1].split("?")[0]
    assert f"/manage/{outbox.MANAGE_LINK_PLACEHOLDER}" in mail.text and token not in mail.text
    cancelled = await service.client.post(f"/manage/{token}/cancel")
    assert cancelled.status_code == 303
    assert await OutboxMessage.exists(recipient="applicant", kind="cancelled")


async def test_claims_never_overlap(service: Service) -> None:
    for n in range(10):
        await book(service, f"ABH-C{n}", hour=8 + n % 5, email=f"c{n}@example.org")
    due = await OutboxMessage.filter(status=PENDING, kind__not="reminder").count()
    claims = await asyncio.gather(*(outbox.claim(service.clock.now, 7) for _ in range(6)))
    taken = [m.id for _, found in claims for m in found]
    assert len(taken) == len(set(taken)) == due
    tokens = {token for token, found in claims if found}
    for token, found in claims:
        assert all(m.claim == token for m in found)
    assert len(tokens) >= 2  # the work really was shared
    assert await OutboxMessage.filter(status=SENDING).count() == due


async def test_a_thread_goes_out_in_order_and_a_lost_sender_is_replaced(service: Service) -> None:
    created = await book(service, "ABH-T")
    await service.client.post(
        f"/api/v1/bookings/{created['manage_token']}/reschedule",
        json={"start": at(10, day=TUESDAY).isoformat()},
    )
    now = service.clock.now
    token, first = await outbox.claim(now, 50)
    applicant = [m for m in first if m.recipient == "applicant"]
    assert [m.kind for m in applicant] == ["confirmed"]  # the update waits for it
    _, nothing = await outbox.claim(now, 50)
    assert nothing == []
    # The sender died: once its lease runs out, another takes the message over.
    later = now + outbox.LEASE + timedelta(seconds=1)
    token2, again = await outbox.claim(later, 50)
    assert {m.id for m in again} == {m.id for m in first}
    assert not await outbox.mark_sent(first[0], token, later)  # the old claim is void
    for message in again:
        assert await outbox.mark_sent(message, token2, later)
    _, then = await outbox.claim(later, 50)
    assert [m.kind for m in then if m.recipient == "applicant"] == ["updated"]


async def test_messages_expire_with_their_session(service: Service) -> None:
    await book(service, "ABH-X")
    service.clock.now = at(11, 1, day=TUESDAY)
    assert await outbox.expire(service.clock.now) == 3
    # Typed as tuples by tortoise; flat=True gives the values.
    failed: list[Any] = await OutboxMessage.filter(status=FAILED).values_list(
        "last_error", flat=True
    )
    assert set(failed) == {outbox.EXPIRED_REASON}


async def test_erasure_and_anonymisation_forget_the_messages(service: Service) -> None:
    created = await book(service, "ABH-E")
    erased = await service.client.post(f"/manage/{created['manage_token']}/delete")
    assert erased.status_code == 303
    left = await OutboxMessage.all().values_list("recipient", "kind", "status")
    # Only the cancellations, still to be sent, so that the applicant and counsellor know.
    assert sorted(left) == [
        ("applicant", "cancelled", PENDING),
        ("counsellor", "cancelled", PENDING),
    ]
    await OutboxMessage.all().update(status=SENT)
    await anonymise_due(service.clock.now, 30, SECRET)
    assert not await OutboxMessage.exists()
    # Sent messages of an ordinary booking go when the booking is anonymised.
    await book(service, "ABH-E2")
    await OutboxMessage.all().update(status=SENT)
    await anonymise_due(service.clock.now + timedelta(days=30), 30, SECRET)
    assert await OutboxMessage.exists()
    await anonymise_due(service.clock.now + timedelta(days=32), 30, SECRET)
    assert not await OutboxMessage.exists()


async def test_an_absence_move_tells_both_counsellors(admin: Admin) -> None:
    booking = await book_for_admin(admin.service, 11, "ku", organisation="awo")
    await OutboxMessage.all().delete()
    deniz, rojda = await counsellor("Deniz Y."), await counsellor("Rojda E.")
    path, absence = await absence_for(admin, deniz)
    asked = await admin.post(path, absence)
    moved = await admin.post(
        path,
        [*hidden_fields(asked.text), (f"move-{booking.id}", str(rojda.id)), ("resolution", "move")],
    )
    assert moved.status_code == 200
    mails = await OutboxMessage.filter(booking_id=booking.id, recipient="counsellor").order_by("id")
    assert [(m.kind, m.to_address, m.sequence) for m in mails[-2:]] == [
        ("cancelled", deniz.email, 1),
        ("confirmed", rojda.email, 1),
    ]
    assert (await admin.get(f"{ADMIN}/attention")).status_code == 200


async def test_the_service_sends_by_itself(database: str, tmp_path: Path) -> None:
    """With BOOKING_MAIL_SENDER on (the default), the lifespan runs a sender: a booking's
    confirmation appears as an .eml file in BOOKING_MAIL_DIR within moments."""
    from httpx2 import ASGITransport, AsyncClient

    from booking.demo import load_demo
    from tests.conftest import NOW, clear_database
    from tests.conftest import Service as Svc

    clock = Clock(NOW)
    settings = make_settings(database, mail_sender=True, mail_dir=tmp_path)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        await clear_database()
        await load_demo()
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
            created = await book(Svc(app, client, clock, settings), "ABH-L")
            booking = await Booking.get(reference=created["reference"])
            expected = {
                outbox_file_name(m.message_id)
                for m in await OutboxMessage.filter(booking_id=booking.id, kind="confirmed")
            }
            assert len(expected) == 2  # applicant and counsellor; the reminder waits until 17:00
            # The sender writes the file first and marks the message sent after it: wait for
            # both, or a check between the two steps sees the file but not yet the status.
            for _ in range(100):
                written = {f.name for f in await asyncio.to_thread(eml_files, tmp_path)}
                sent = await OutboxMessage.filter(booking_id=booking.id, status=SENT).count()
                if expected <= written and sent == 2:
                    break
                await asyncio.sleep(0.05)
            assert expected <= written
            assert sent == 2
    subjects = set()
    for name in expected:
        file = tmp_path / name
        message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
        subjects.add(str(message["Subject"]))
        assert file.name == outbox_file_name(message["Message-ID"])
    assert any(s.startswith("Ihr Beratungstermin") for s in subjects)


def eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


def outbox_file_name(message_id: str) -> str:
    from integrations.mail import eml_name

    return eml_name(message_id)


LIVE_LINK = re.compile(r"/manage/[0-9A-Za-z_-]{16,}")


async def stored_texts() -> list[str]:
    rows = await OutboxMessage.all().values_list("subject", "text", "html", "calendar")
    return [part or "" for row in rows for part in row]


async def test_no_message_keeps_the_manage_token(service: Service, tmp_path: Path) -> None:
    """The database keeps only the token's hash: a dump of the outbox (sent messages included)
    or an admin reading mails cannot act as the applicant. The mail itself carries the link."""
    from booking.services.sender import Sender
    from integrations.mail import DirectoryTransport

    created = await book(service, "ABH-TOKEN", email="amina@example.org")
    token = created["manage_token"]
    moved = await service.client.post(
        f"/api/v1/bookings/{token}/reschedule", json={"start": at(10, day=TUESDAY).isoformat()}
    )
    assert moved.status_code == 200
    settings = service.settings
    sender = Sender(
        DirectoryTransport(tmp_path),
        settings.mail_from_address,
        settings.mail_from_name,
        service.clock,
        settings.secret_key.value,
    )
    await sender.drain()
    service.clock.now = at(17)  # the reminder
    await sender.drain()
    assert await OutboxMessage.filter(status=SENT, recipient="applicant").count() == 3
    texts = await stored_texts()
    assert not [t for t in texts if token in t or LIVE_LINK.search(t)]
    assert sum(outbox.MANAGE_LINK_PLACEHOLDER in t for t in texts) >= 4  # text and HTML, twice
    # What went out has the live link, in every applicant mail but the cancellation.
    applicant = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for f in eml_files(tmp_path)
    ]
    applicant = [m for m in applicant if m["To"].addresses[0].addr_spec == "amina@example.org"]
    assert len(applicant) == 3
    for mail in applicant:
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert created["manage_url"] in text and created["manage_url"] in html
        assert outbox.MANAGE_LINK_PLACEHOLDER not in text + html


async def test_a_cancellation_after_erasure_is_sent_without_a_link(
    service: Service, tmp_path: Path
) -> None:
    from booking.services.sender import Sender
    from integrations.mail import DirectoryTransport

    created = await book(service, "ABH-ERASED", email="amina@example.org")
    erased = await service.client.post(f"/manage/{created['manage_token']}/delete")
    assert erased.status_code == 303
    await Booking.filter(reference=created["reference"]).update(token_nonce=None)
    settings = service.settings
    tally = await Sender(
        DirectoryTransport(tmp_path),
        settings.mail_from_address,
        settings.mail_from_name,
        service.clock,
        settings.secret_key.value,
    ).drain()
    assert (tally.sent, tally.failed) == (2, 0)  # the applicant's and the counsellor's
    assert not LIVE_LINK.search("".join(f.read_text() for f in eml_files(tmp_path)))


async def test_a_link_that_can_no_longer_be_made_fails_the_message(service: Service) -> None:
    """A confirmation whose booking lost its nonce (or a changed secret key) cannot carry its
    link: it fails with a reason an admin can read instead of going out with a dead link."""
    from booking.services.sender import Sender
    from tests.smtp import Recorder, smtp_server

    created = await book(service, "ABH-NONCE", email="amina@example.org")
    await Booking.filter(reference=created["reference"]).update(token_nonce=None)
    settings = service.settings
    handler = Recorder()
    with smtp_server(handler) as transport:
        await Sender(
            transport,
            settings.mail_from_address,
            settings.mail_from_name,
            service.clock,
            settings.secret_key.value,
        ).drain()
    confirmation = await OutboxMessage.get(recipient="applicant", kind="confirmed")
    assert (confirmation.status, confirmation.last_error) == (FAILED, "manage link not available")
    assert len(handler.received) == 1  # the counsellor's invitation


async def test_anonymisation_forgets_messages_of_every_status(service: Service) -> None:
    """A message stuck in `sending` or left pending must not keep the address for ever."""
    created = await book(service, "ABH-STATUS", email="amina@example.org")
    booking = await Booking.get(reference=created["reference"])
    statuses = (PENDING, SENDING, SENT, FAILED)
    messages = await OutboxMessage.filter(booking_id=booking.id).order_by("id")
    for message, status in zip(messages, statuses, strict=False):
        await OutboxMessage.filter(id=message.id).update(status=status)
    await anonymise_due(at(11, day=TUESDAY) + timedelta(days=31), 30, SECRET)
    assert not await OutboxMessage.filter(booking_id=booking.id).exists()
