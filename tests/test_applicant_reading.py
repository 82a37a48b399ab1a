"""What applicants read after booking (issue 15): who counsels them and on what terms, the
manage link in their language, times on the 24-hour clock, and mails whose plain parts carry
no invisible direction marks.

Mails are read as they arrive at a real SMTP server (aiosmtpd) and their calendars with vobject.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from booking.i18n import VISITOR_LANGUAGES, booked_language, choose_language
from booking.models import Booking, OutboxMessage
from tests.conftest import Service, at
from tests.smtp import Recorder, smtp_server
from tests.support.mail import calendar_of, sender, text_of, to_applicant

INDEPENDENT = "The counselling is free, confidential and independent of the immigration office."
# LRI, RLI, FSI, PDI; LRM, RLM; the older embeddings and overrides; the Arabic letter mark.
DIRECTION_MARKS = re.compile("[\u2066-\u2069\u200e\u200f\u202a-\u202e\u061c]")
TIME_RANGE = re.compile(r"\d\d:\d\d – \d\d:\d\d")


async def book(service: Service, language: str, start: Any, **body: Any) -> dict[str, Any]:
    link = service.link(start + timedelta(hours=1))
    response = await service.client.post(
        "/api/v1/bookings",
        json=service.booking_body(link, start, **body),
        headers={"Accept-Language": language},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def main_of(html: str) -> str:
    """The page's own content, without the footer every page shares."""
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


async def test_the_confirmation_page_names_the_organisation_and_the_terms(
    service: Service,
) -> None:
    created = await book(service, "en", at(11))
    booking = await Booking.get(reference=created["reference"]).prefetch_related("organisation")
    service.client.cookies.clear()
    page = await service.client.get(f"/manage/{created['manage_token']}", params={"done": "booked"})
    content = main_of(page.text)
    assert booking.organisation.name in content
    assert INDEPENDENT in content


async def test_every_mail_names_the_organisation_and_the_terms(service: Service) -> None:
    """Confirmation, update, reminder and cancellation, in English."""
    created = await book(service, "en", at(11) + timedelta(days=1))
    token = created["manage_token"]
    handler = Recorder()
    with smtp_server(handler) as transport:
        mailer = sender(service, transport)
        moved = await service.client.post(
            f"/api/v1/bookings/{token}/reschedule",
            json={"start": (at(10) + timedelta(days=1)).isoformat()},
        )
        assert moved.status_code == 200, moved.text
        await mailer.drain()
        service.clock.now = at(17)
        await mailer.drain()
        assert (await service.client.delete(f"/api/v1/bookings/{token}")).status_code == 200
        await mailer.drain()
    booking = await Booking.get(reference=created["reference"]).prefetch_related("organisation")
    mails = to_applicant(handler.received)
    assert [str(m["Subject"]).split(":")[0].strip() for m in mails] == [
        "Your counselling session on Tuesday, November 24, 2026 at 11",
        "Changed",
        "Reminder",
        "Cancelled",
    ]
    for mail in mails:
        text = " ".join(text_of(mail).split())
        html = " ".join(str(mail.get_body(("html",)).get_content()).split())  # type: ignore[union-attr]
        for part in (text, html):
            assert booking.organisation.name in part, mail["Subject"]
            assert INDEPENDENT in part, mail["Subject"]


async def test_the_manage_link_opens_in_the_language_booked_in(service: Service) -> None:
    created = await book(service, "ar", at(11))
    url = f"/manage/{created['manage_token']}"
    client = service.client
    client.cookies.clear()
    # A phone set to German opens the link from the Arabic mail.
    for path in (url, f"{url}/reschedule", f"{url}/cancel", f"{url}/delete"):
        page = await client.get(path, headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert '<html lang="ar" dir="rtl">' in page.text, path
    # Choosing a language on the page still wins, on this page and the next.
    chosen = await client.get(url, params={"lang": "en"}, headers={"Accept-Language": "de"})
    assert '<html lang="en" dir="ltr">' in chosen.text
    after = await client.get(f"{url}/reschedule", headers={"Accept-Language": "de"})
    assert '<html lang="en" dir="ltr">' in after.text
    client.cookies.clear()
    # The answer to cancelling a session that has begun, too.
    service.clock.now = at(11, 5)
    late = await client.post(f"{url}/cancel", headers={"Accept-Language": "de"})
    assert late.status_code == 409 and '<html lang="ar" dir="rtl">' in late.text


@pytest.mark.parametrize("language", VISITOR_LANGUAGES)
async def test_times_are_on_the_24_hour_clock_in_every_language(
    service: Service, language: str
) -> None:
    params = {**service.link(at(14)), "topic": "forms", "language": "de", "lang": language}
    page = await service.client.get("/add-on/times", params=params)
    labels = re.findall(r'name="slot" value="[^"]+"><bdi dir="ltr">([^<]+)</bdi>', page.text)
    assert labels, page.text
    assert all(TIME_RANGE.fullmatch(label) for label in labels), labels
    assert any(label.startswith("15:") for label in labels), labels
    office = re.search(r'<div class="appointment">.*?<bdi dir="ltr">([^<]+)</bdi>', page.text, re.S)
    assert office is not None and office.group(1) == "14:00"
    service.client.cookies.clear()


@pytest.mark.parametrize("language", ["so", "ti", "en"])
async def test_mail_times_are_on_the_24_hour_clock(service: Service, language: str) -> None:
    await book(service, language, at(14))
    (message,) = await OutboxMessage.filter(language=language)
    assert "14:00" in message.subject, message.subject
    assert "14:00 – 14:30" in message.text and "14:00 – 14:30" in message.html
    assert "15:00" in message.text  # the office appointment


def assert_clean(text: str, where: str) -> None:
    found = DIRECTION_MARKS.findall(text)
    assert not found, f"{where}: {[hex(ord(ch)) for ch in found]} in {text!r}"


async def test_arabic_mails_isolate_only_in_html(service: Service) -> None:
    created = await book(service, "ar", at(11) + timedelta(days=1), name="أمل حداد")
    token = created["manage_token"]
    handler = Recorder()
    with smtp_server(handler) as transport:
        mailer = sender(service, transport)
        await mailer.drain()
        service.clock.now = at(17)
        await mailer.drain()
        assert (await service.client.delete(f"/api/v1/bookings/{token}")).status_code == 200
        await mailer.drain()
    mails: list[EmailMessage] = to_applicant(handler.received)
    assert len(mails) == 3  # confirmation, reminder, cancellation
    for mail in mails:
        subject = str(mail["Subject"])
        assert_clean(subject, "Subject")
        assert_clean(text_of(mail), f"text of {subject}")
        assert created["reference"] in text_of(mail)
        html = str(mail.get_body(("html",)).get_content())  # type: ignore[union-attr]
        assert f'<bdi dir="ltr">{created["reference"]}</bdi>' in html
        assert '<bdi dir="ltr">11:00 – 11:30</bdi>' in html
        if not [p for p in mail.walk() if p.get_content_type() == "text/calendar"]:
            continue  # the reminder has no calendar part
        event = calendar_of(mail).vevent
        for name in ("summary", "description", "location"):
            assert_clean(getattr(event, name).value, f"{name.upper()} of {subject}")
        assert created["reference"] in event.description.value


def test_a_page_about_a_booking_speaks_its_language_unless_one_was_chosen() -> None:
    phone = choose_language(None, None, "de-DE,de;q=0.9")
    assert booked_language(phone, "ar") == "ar"
    assert booked_language(choose_language("en", None, "de"), "ar") == "en"  # ?lang=
    assert booked_language(choose_language(None, "fa", "de"), "ar") == "fa"  # the cookie
    assert booked_language(phone, "xx") == "de"  # not a visitor language any more


def test_a_colleague_of_another_organisation_is_news_for_the_applicant() -> None:
    """The mails name the organisation: a swap to another one sends an update, a swap within
    it does not."""
    from dataclasses import replace

    from booking.notices import APPLICANT, UPDATED, notices
    from tests.support.notices import FIVE_PM, NOW, SESSION

    before = replace(SESSION, organisation_name="DRK-Region Hannover")
    colleague = replace(before, counsellor_id=4, sequence=1)
    other = replace(colleague, organisation_name="Caritasverband Hannover")
    assert (APPLICANT, UPDATED) not in {
        (n.recipient, n.kind) for n in notices(before, colleague, NOW, FIVE_PM)
    }
    assert (APPLICANT, UPDATED) in {
        (n.recipient, n.kind) for n in notices(before, other, NOW, FIVE_PM)
    }
