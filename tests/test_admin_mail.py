"""The admins' mail pages: the outbox list, one message as sent, the .eml file, sending again.

Runs on the real service with the demo data (SQLite, and PostgreSQL when configured), signed in
as the demo admin, on Monday 2026-11-23 at 07:00 in Hannover. Messages are rows of the real
outbox table, written by the booking code or created here with realistic content.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from booking.models import FAILED, PENDING, SENT, AuditEntry, Booking, OutboxMessage
from booking.notices import APPLICANT, CONFIRMED, COUNSELLOR, REMINDER
from integrations.invitations import Invitation, calendar_bytes
from integrations.mail import eml_name
from tests.conftest import NOW, TEST_MAIL_DIR, Service, at
from tests.support.admin import Admin, book
from tests.support.staff import csrf_of, sign_in

MAIL = "/staff/admin/mail"
REFUSED = "recipient refused: SMTP 550 5.1.1"
ADDRESS = "amina.t@example.org"


@pytest.fixture
async def admin(staff: Service) -> Admin:
    await sign_in(staff.client, "admin")
    page = await staff.client.get("/staff/admin")
    assert page.status_code == 200
    return Admin(staff, csrf_of(page.text))


@pytest.fixture
async def booking(staff: Service) -> Booking:
    """A booking at 10:00 today; the messages its booking wrote are removed, so that each test
    knows exactly which messages exist."""
    made = await book(staff, 10, "de")
    await OutboxMessage.all().delete()
    return made


def _calendar(reference: str, start: datetime) -> str:
    return calendar_bytes(
        Invitation(
            uid=f"{reference}@welcome-demo.invalid",
            sequence=0,
            start=start,
            end=start + timedelta(minutes=30),
            summary="Beratung: Anträge und Formulare",
            description=f"Kostenlose Sozialberatung, auf Deutsch.\nReferenz: {reference}",
            location="Hannover Service Center, Am Schützenplatz 1",
            organizer_email="beratung@welcome-demo.invalid",
            organizer_name="Willkommensberatung",
            attendee_email=ADDRESS,
            attendee_name="Amina Test",
            method="REQUEST",
        ),
        NOW,
    ).decode("utf-8")


async def message(
    booking: Booking | None,
    *,
    status: str = SENT,
    recipient: str = APPLICANT,
    kind: str = CONFIRMED,
    created: datetime = NOW,
    attempts: int = 1,
    last_error: str = "",
) -> OutboxMessage:
    """One message as the outbox stores it, with a calendar unless it is a reminder."""
    reference = booking.reference if booking else "WB-GONE"
    start = booking.start if booking else at(10)
    calendar = None if kind == REMINDER else _calendar(reference, start)
    return await OutboxMessage.create(
        message_id=f"<{uuid.uuid4().hex}@welcome-demo.invalid>",
        booking_id=booking.id if booking else None,
        thread=f"{recipient}-{booking.id if booking else 0}",
        kind=kind,
        recipient=recipient,
        to_address=ADDRESS,
        to_name="Amina Test",
        language="de",
        subject="Ihr Beratungstermin am Montag, 23. November 2026 um 10:00",
        text="Hallo Amina Test,\n\nIhr Beratungstermin ist gebucht.\nReferenz: " + reference,
        html=(
            '<!doctype html><html lang="de"><body><p>Hallo Amina Test,</p>'
            "<p><strong>Ihr Beratungstermin ist gebucht.</strong></p>"
            "<script>alert(1)</script></body></html>"
        ),
        calendar=calendar,
        calendar_method=None if calendar is None else "REQUEST",
        sequence=None if calendar is None else 0,
        status=status,
        next_attempt_at=created.astimezone(UTC),
        expires_at=start.astimezone(UTC),
        attempts=attempts,
        last_error=last_error,
        created_at=created.astimezone(UTC),
        sent_at=(created + timedelta(seconds=2)).astimezone(UTC) if status == SENT else None,
    )


def rows(html: str) -> list[int]:
    """The ids of the messages listed, in order."""
    return [int(i) for i in re.findall(rf'<a href="{MAIL}/(\d+)">', html)]


def counts(html: str) -> list[str]:
    """All, waiting, being sent, sent, failed."""
    return re.findall(r'<span class="count">(\d+)</span>', html)


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# The list


async def test_list_counts_statuses_and_names_no_address(admin: Admin, booking: Booking) -> None:
    sent = await message(booking, created=NOW - timedelta(hours=3))
    await message(booking, recipient=COUNSELLOR, created=NOW - timedelta(hours=2))
    pending = await message(booking, status=PENDING, kind=REMINDER, attempts=0)
    failed = await message(
        booking, status=FAILED, created=NOW - timedelta(hours=1), last_error=REFUSED
    )
    page = await admin.get(MAIL)
    assert page.status_code == 200
    assert counts(page.text) == ["4", "1", "0", "2", "1"]
    assert rows(page.text)[0] == pending.id and rows(page.text)[-1] == sent.id  # newest first
    assert REFUSED in page.text and booking.reference in page.text
    assert "Counsellor" in page.text and "Applicant" in page.text and "Reminder" in page.text
    # Personal data stays in the message itself: no address, name or subject in the list.
    for private in (ADDRESS, "Amina", "Beratungstermin"):
        assert private not in page.text
    assert f'href="{MAIL}/retry-failed"' in page.text

    only_failed = await admin.get(f"{MAIL}?status=failed")
    assert rows(only_failed.text) == [failed.id]
    assert 'href="?status=failed" aria-current="page"' in only_failed.text
    assert rows((await admin.get(f"{MAIL}?status=pending")).text) == [pending.id]
    unknown = await admin.get(f"{MAIL}?status=%3Cb%3E&page=x")
    assert unknown.status_code == 200 and len(rows(unknown.text)) == 4


async def test_pagination_fifty_per_page_newest_first(admin: Admin, booking: Booking) -> None:
    made = [
        await message(booking, created=NOW - timedelta(minutes=60 - i), recipient=COUNSELLOR)
        for i in range(55)
    ]
    first = await admin.get(MAIL)
    assert rows(first.text) == [m.id for m in reversed(made)][:50]
    assert 'href="?status=all&amp;page=2">Older</a>' in first.text
    assert ">Newer</a>" not in first.text
    second = await admin.get(f"{MAIL}?status=all&page=2")
    assert rows(second.text) == [m.id for m in reversed(made)][50:]
    assert 'href="?status=all&amp;page=1">Newer</a>' in second.text
    assert ">Older</a>" not in second.text
    beyond = await admin.get(f"{MAIL}?page=3")
    assert rows(beyond.text) == [] and "No older e-mails." in beyond.text


async def test_empty_outbox_and_where_mail_goes(admin: Admin) -> None:
    page = await admin.get(MAIL)
    assert page.status_code == 200
    assert "No e-mails yet." in page.text
    assert counts(page.text) == ["0", "0", "0", "0", "0"]
    assert "retry-failed" not in page.text
    assert str(TEST_MAIL_DIR.resolve()) in page.text and ".eml files" in page.text
    assert "No e-mails with this status." in (await admin.get(f"{MAIL}?status=failed")).text

    settings = admin.service.app.state.settings
    admin.service.app.state.settings = replace(settings, smtp_host="mail.stadt.example")
    try:
        smtp = await admin.get(MAIL)
    finally:
        admin.service.app.state.settings = settings
    assert "mail server mail.stadt.example, port 587" in smtp.text
    assert ".eml files" not in smtp.text


async def test_index_links_to_the_mail_with_the_failed_count(
    admin: Admin, booking: Booking
) -> None:
    index = await admin.get("/staff/admin")
    assert f'href="{MAIL}"' in index.text and "Failed now: 0" in index.text
    await message(booking, status=FAILED, last_error=REFUSED)
    index = await admin.get("/staff/admin")
    assert "Failed now: 1" in index.text
    assert f'<a href="{MAIL}?status=failed">E-mails that could not be sent: 1</a>' in index.text


# One message


async def test_message_page_shows_it_safely_and_is_audited(admin: Admin, booking: Booking) -> None:
    failed = await message(booking, status=FAILED, attempts=1, last_error=REFUSED)
    page = await admin.get(f"{MAIL}/{failed.id}")
    assert page.status_code == 200
    text = page.text
    assert "Ihr Beratungstermin am Montag, 23. November 2026 um 10:00" in text
    assert '<pre dir="auto" lang="de">Hallo Amina Test,\n\nIhr Beratungstermin ist gebucht.' in text
    assert failed.message_id.replace("<", "&lt;").replace(">", "&gt;") in text
    assert ADDRESS in text and REFUSED in text and booking.reference in text
    assert "BEGIN:VCALENDAR" in text and "METHOD:REQUEST" in text
    # The HTML part only inside a sandboxed frame of its own: its script never runs.
    assert f'<iframe sandbox src="{failed.id}.html"' in text
    assert "alert(1)" not in text
    frame = await admin.get(f"{MAIL}/{failed.id}.html")
    assert frame.status_code == 200 and "<script>alert(1)</script>" in frame.text
    policy = frame.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert "script-src" not in policy and frame.headers["x-frame-options"] == "SAMEORIGIN"
    assert f'action="{MAIL}/{failed.id}/retry"' in text
    assert f'href="{MAIL}/{failed.id}.eml"' in text
    audited = await AuditEntry.filter(action="read_mail").values_list(
        "actor", "record_type", "record_id"
    )
    assert audited == [("admin", "outbox_message", str(failed.id))] * 2  # the page, its frame
    sent = await message(booking)
    assert "/retry" not in (await admin.get(f"{MAIL}/{sent.id}")).text


async def test_eml_download_is_the_message_as_sent(admin: Admin, booking: Booking) -> None:
    sent = await message(booking)
    response = await admin.get(f"{MAIL}/{sent.id}.eml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "message/rfc822"
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="{eml_name(sent.message_id)}"'
    parsed = parse(response.content)
    assert parsed["Message-ID"] == sent.message_id
    assert parsed["Subject"] == sent.subject
    assert parsed["To"].addresses[0].addr_spec == ADDRESS
    assert parsed["From"].addresses[0].addr_spec == admin.service.settings.mail_from_address
    assert parsed["Date"].datetime == sent.sent_at
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n").rstrip("\n") == sent.text
    calendar = parsed.get_body(("calendar",))
    assert calendar is not None and calendar.get_content_type() == "text/calendar"
    assert await AuditEntry.filter(action="read_mail", record_id=str(sent.id)).count() == 1


async def test_messages_the_booking_wrote(admin: Admin) -> None:
    """End to end: a booking through the API writes its messages; admins read them as sent."""
    made = await book(admin.service, 11, "de")
    page = await admin.get(MAIL)
    listed = rows(page.text)
    assert listed and made.reference in page.text and "Confirmation" in page.text
    written = await OutboxMessage.get(booking_id=made.id, recipient=APPLICANT, kind=CONFIRMED)
    assert written.id in listed
    subject = " ".join(written.subject.split())  # one line, as the Subject header has it
    shown = await admin.get(f"{MAIL}/{written.id}")
    assert shown.status_code == 200 and subject in shown.text
    parsed = parse((await admin.get(f"{MAIL}/{written.id}.eml")).content)
    assert parsed["Message-ID"] == written.message_id
    assert parsed["Subject"] == subject
    calendar = parsed.get_body(("calendar",))
    assert calendar is not None and calendar.get_param("method") == "REQUEST"


# Sending again


async def test_retry_makes_a_failed_message_pending(admin: Admin, booking: Booking) -> None:
    failed = await message(booking, status=FAILED, attempts=1, last_error=REFUSED)
    response = await admin.post(f"{MAIL}/{failed.id}/retry", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"{MAIL}/{failed.id}?done=retried"
    again = await OutboxMessage.get(id=failed.id)
    assert (again.status, again.attempts, again.last_error) == (PENDING, 0, "")
    assert again.next_attempt_at == NOW.astimezone(UTC)
    assert await AuditEntry.exists(action="retry_mail", record_id=str(failed.id), actor="admin")
    shown = await admin.get(response.headers["location"])
    assert "The message will be sent again." in shown.text


async def test_retry_of_a_message_that_has_not_failed_is_refused(
    admin: Admin, booking: Booking
) -> None:
    for status in (SENT, PENDING):
        kept = await message(booking, status=status)
        response = await admin.post(f"{MAIL}/{kept.id}/retry", {})
        assert response.status_code == 409
        assert "Only a failed message can be sent again." in response.text
        assert f'href="{MAIL}/{kept.id}"' in response.text
        assert (await OutboxMessage.get(id=kept.id)).status == status
    assert not await AuditEntry.exists(action="retry_mail")


async def test_retry_all_failed_after_confirmation(admin: Admin, booking: Booking) -> None:
    failed = [await message(booking, status=FAILED, last_error=REFUSED) for _ in range(2)]
    sent = await message(booking)
    confirm = await admin.get(f"{MAIL}/retry-failed")
    assert confirm.status_code == 200
    assert "Send 2 failed messages again?" in confirm.text
    assert f'action="{MAIL}/retry-failed"' in confirm.text
    assert await OutboxMessage.filter(status=FAILED).count() == 2  # nothing happened yet
    response = await admin.post(f"{MAIL}/retry-failed", {})
    assert response.status_code == 303 and response.headers["location"] == f"{MAIL}?done=retried"
    for row in failed:
        assert (await OutboxMessage.get(id=row.id)).status == PENDING
    assert (await OutboxMessage.get(id=sent.id)).status == SENT
    entry = await AuditEntry.get(action="retry_mail")
    assert entry.summary == "2 messages"
    assert (
        "The failed messages will be sent again." in (await admin.get(f"{MAIL}?done=retried")).text
    )
    nothing = await admin.get(f"{MAIL}/retry-failed")
    assert "No failed messages" in nothing.text and "<form" not in nothing.text.split("</nav>")[-1]
    assert (await admin.post(f"{MAIL}/retry-failed", {})).status_code == 303


# Refusals


async def test_unknown_messages_are_not_found(admin: Admin) -> None:
    for path in (
        f"{MAIL}/999999",
        f"{MAIL}/999999.eml",
        f"{MAIL}/0",
        f"{MAIL}/abc",
        f"{MAIL}/1x.eml",
        f"{MAIL}/99999999999999999999999",
        f"{MAIL}/99999999999999999999999.eml",
        f"{MAIL}/999999.html",
    ):
        assert (await admin.get(path)).status_code == 404, path
    for path in (f"{MAIL}/999999/retry", f"{MAIL}/99999999999999999999999/retry"):
        assert (await admin.post(path, {})).status_code == 404, path
    assert not await AuditEntry.exists(action="read_mail")


async def test_forms_need_the_csrf_token(admin: Admin, booking: Booking) -> None:
    failed = await message(booking, status=FAILED, last_error=REFUSED)
    for path in (f"{MAIL}/{failed.id}/retry", f"{MAIL}/retry-failed"):
        assert (await admin.client.post(path, data={})).status_code == 403
    assert (await OutboxMessage.get(id=failed.id)).status == FAILED


async def test_reception_and_counsellors_are_refused(staff: Service, booking: Booking) -> None:
    failed = await message(booking, status=FAILED, last_error=REFUSED)
    for username in ("reception", "awo1"):
        staff.client.cookies.clear()
        await sign_in(staff.client, username)
        csrf = csrf_of((await staff.client.get("/staff")).text)
        for path in (
            MAIL,
            f"{MAIL}/{failed.id}",
            f"{MAIL}/{failed.id}.eml",
            f"{MAIL}/{failed.id}.html",
            f"{MAIL}/retry-failed",
        ):
            assert (await staff.client.get(path)).status_code == 403, (username, path)
        for path in (f"{MAIL}/{failed.id}/retry", f"{MAIL}/retry-failed"):
            refused = await staff.client.post(path, data={"csrf": csrf})
            assert refused.status_code == 403, (username, path)
        index = await staff.client.get("/staff")
        assert f'href="{MAIL}"' not in index.text
    assert (await OutboxMessage.get(id=failed.id)).status == FAILED
    assert not await AuditEntry.exists(action="read_mail")


# Messages that cannot be sent as stored, and the manage link


async def test_a_message_that_cannot_be_composed_is_shown_not_an_error(
    admin: Admin, booking: Booking
) -> None:
    """An address e-mail's parser refuses (stored before input was checked by the same rule):
    every mail page still answers, and the message page says why it cannot be sent."""
    broken = await message(booking, status=PENDING, attempts=0)
    await OutboxMessage.filter(id=broken.id).update(to_address="a..b@example.org")
    assert (await admin.get(MAIL)).status_code == 200
    page = await admin.get(f"{MAIL}/{broken.id}")
    assert page.status_code == 200
    assert "This message cannot be sent as it is: recipient address not valid" in page.text
    assert "a..b@example.org" in page.text  # the admin sees which address is wrong
    assert f'href="{MAIL}/{broken.id}.eml"' not in page.text
    assert (await admin.get(f"{MAIL}/{broken.id}.html")).status_code == 200
    assert (await admin.get(f"{MAIL}/{broken.id}.eml")).status_code == 404


async def test_admins_never_see_the_manage_token(admin: Admin) -> None:
    service = admin.service
    link = service.link(at(10))
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, at(11))
    )
    assert response.status_code == 201
    token = response.json()["manage_token"]
    written = await OutboxMessage.get(recipient=APPLICANT, kind=CONFIRMED)
    for path in (f"{MAIL}/{written.id}", f"{MAIL}/{written.id}.html", f"{MAIL}/{written.id}.eml"):
        shown = await admin.get(path)
        assert shown.status_code == 200, path
        assert token not in shown.text and "/manage/" in shown.text, path
