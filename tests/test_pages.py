"""The applicant's pages, followed form by form as a browser without JavaScript would."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest

from booking.i18n import VISITOR_LANGUAGES
from booking.models import Booking
from tests.conftest import Service, at


def form_fields(html: str) -> dict[str, str]:
    """The hidden and prefilled inputs of the page's forms."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and 'type="radio"' not in tag and 'type="checkbox"' not in tag:
            fields[name.group(1)] = unescape(value.group(1))
    return fields


def slot_values(html: str) -> list[str]:
    return [unescape(v) for v in re.findall(r'name="slot" value="([^"]+)"', html)]


async def test_the_whole_flow_from_the_office_link_to_the_manage_page(service: Service) -> None:
    client = service.client
    link = service.link(at(10))

    start = await client.get("/add-on", params=link)
    assert start.status_code == 200
    assert '<html lang="de" dir="ltr">' in start.text
    assert 'name="topic" value="housing"' in start.text

    times = await client.get("/add-on/times", params={**link, "topic": "housing", "language": "ar"})
    assert times.status_code == 200
    slots = slot_values(times.text)
    assert slots and at(11).isoformat() in slots

    details = await client.get(
        "/add-on/details",
        params={**link, "topic": "housing", "language": "ar", "slot": at(11).isoformat()},
    )
    assert details.status_code == 200
    hidden = form_fields(details.text)
    assert hidden["slot"] == at(11).isoformat() and hidden["sig"] == link["sig"]

    # A missing e-mail address: the page comes back with the message beside the field.
    incomplete = await client.post(
        "/add-on/book", data={**hidden, "name": "Amina", "consent": "on"}
    )
    assert incomplete.status_code == 422
    assert 'id="email-error"' in incomplete.text and 'href="#email"' in incomplete.text
    assert 'value="Amina"' in incomplete.text  # nothing typed is lost

    booked = await client.post(
        "/add-on/book",
        data={**hidden, "name": "Amina", "email": "amina@example.org", "consent": "on"},
    )
    assert booked.status_code == 303
    manage_url = booked.headers["location"]
    assert manage_url.startswith("/manage/") and manage_url.endswith("?done=booked")
    token = manage_url.split("/")[2].split("?")[0]

    confirmation = await client.get(manage_url)
    booking = await Booking.get(email="amina@example.org")
    assert booking.reference in confirmation.text
    assert f"http://test/manage/{token}" in confirmation.text
    assert booking.language == "ar" and booking.topic == "housing"

    reschedule = await client.get(f"/manage/{token}/reschedule")
    assert reschedule.status_code == 200
    new_time = at(8, 30).isoformat()
    assert new_time in slot_values(reschedule.text)
    moved = await client.post(f"/manage/{token}/reschedule", data={"slot": new_time})
    assert moved.status_code == 303
    await booking.refresh_from_db()
    assert booking.start == at(8, 30)

    confirm = await client.get(f"/manage/{token}/cancel")
    assert confirm.status_code == 200 and 'action="/manage/' in confirm.text
    await booking.refresh_from_db()
    assert booking.status == "booked"  # looking at the question changes nothing
    cancelled = await client.post(f"/manage/{token}/cancel")
    assert cancelled.status_code == 303
    await booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.slot_key is None

    erased = await client.post(f"/manage/{token}/delete")
    assert erased.status_code == 303
    await booking.refresh_from_db()
    assert (booking.name, booking.email, booking.phone) == ("", "", "")
    after = await client.get(f"/manage/{token}?done=erased")
    assert "Amina" not in after.text and "amina@example.org" not in after.text


async def test_a_taken_time_sends_the_applicant_back_to_the_times(service: Service) -> None:
    body = {
        "topic": "forms",
        "language": "ti",
        "name": "A",
        "email": "a@example.org",
        "consent": "on",
        "slot": at(11).isoformat(),
    }
    first = await service.client.post("/add-on/book", data={**service.link(at(10)), **body})
    assert first.status_code == 303
    second = await service.client.post("/add-on/book", data={**service.link(at(10)), **body})
    assert second.status_code == 409
    assert 'role="alert"' in second.text
    assert at(11).isoformat() not in slot_values(second.text)


async def test_missing_topic_is_explained_on_the_first_page(service: Service) -> None:
    response = await service.client.get("/add-on/times", params=service.link(at(10)))
    assert response.status_code == 422
    assert 'id="topic-error"' in response.text and "error-summary" in response.text


async def test_nobody_speaks_the_language_offers_german_and_english(service: Service) -> None:
    from booking.models import Counsellor, Location, PlanException

    semhar = await Counsellor.get(display_name="Semhar T.")
    await PlanException.create(
        counsellor=semhar,
        location=await Location.get(code="hsc"),
        day=at(10).date(),
        kind="absence",
    )
    response = await service.client.get(
        "/add-on/times",
        params={**service.link(at(10)), "topic": "forms", "language": "ti", "lang": "en"},
    )
    assert response.status_code == 200
    assert "nobody on duty speaks Tigrinya" in response.text
    assert 'name="language" value="de"' in response.text
    assert 'name="language" value="en"' in response.text


async def test_a_closed_day_says_so(service: Service) -> None:
    christmas = at(10).replace(month=12, day=25)
    response = await service.client.get(
        "/add-on/times",
        params={**service.link(christmas), "topic": "forms", "language": "de", "lang": "en"},
    )
    assert response.status_code == 200
    assert "closed on this day" in response.text and slot_values(response.text) == []


async def test_link_problems_get_friendly_pages(service: Service) -> None:
    good = service.link(at(10))
    cases = [
        ({**good, "sig": "00"}, 403, "This link does not work"),
        ({**good, "location": "nowhere"}, 403, "This link does not work"),  # signature first
        (service.link(at(10), location="nowhere"), 404, "We do not know this place"),
        (service.link(at(6)), 403, "Your appointment is already over"),
    ]
    for params, status, title in cases:
        response = await service.client.get("/add-on", params={**params, "lang": "en"})
        assert response.status_code == status
        assert title in response.text and "Traceback" not in response.text


async def test_language_from_query_is_remembered(service: Service) -> None:
    first = await service.client.get("/", params={"lang": "en"})
    assert '<html lang="en" dir="ltr">' in first.text
    assert "lang=en" in first.headers["set-cookie"]
    again = await service.client.get("/")
    assert '<html lang="en"' in again.text
    service.client.cookies.clear()
    header = await service.client.get("/", headers={"Accept-Language": "en-GB,de;q=0.5"})
    assert header.headers["content-language"] == "en"
    fallback = await service.client.get("/", headers={"Accept-Language": "tlh"})
    assert fallback.headers["content-language"] == "de"


async def test_unknown_pages_and_tokens_are_friendly_404s(service: Service) -> None:
    for path in ("/no/such/page", "/manage/not-a-token", "/manage/not-a-token/cancel"):
        response = await service.client.get(path + "?lang=en")
        assert response.status_code == 404, path
        assert "Page not found" in response.text


async def test_oversized_forms_get_413(service: Service) -> None:
    response = await service.client.post(
        "/add-on/book",
        content=urlencode({"name": "x" * 100_000}),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


async def test_pages_send_security_headers(service: Service) -> None:
    response = await service.client.get("/")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_a_second_booking_for_the_same_appointment_is_explained(service: Service) -> None:
    link = service.link(at(10), ref="ABH-twice")
    body = {
        "topic": "forms",
        "language": "de",
        "name": "A",
        "email": "a@example.org",
        "consent": "on",
        "lang": "en",
    }
    first = await service.client.post(
        "/add-on/book?lang=en", data={**link, **body, "slot": at(11).isoformat()}
    )
    assert first.status_code == 303
    second = await service.client.post(
        "/add-on/book?lang=en", data={**link, **body, "slot": at(12).isoformat()}
    )
    assert second.status_code == 409
    assert "already have a counselling session for this appointment" in second.text


async def test_an_unexpected_failure_is_a_friendly_500_without_a_trace(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    from starlette.routing import Route

    async def boom(request: object) -> None:
        raise RuntimeError("secret detail amina@example.org")

    service.app.router.routes.append(Route("/api/v1/boom", boom))
    service.app.router.routes.append(Route("/boom", boom))
    api = await service.client.get("/api/v1/boom")
    assert (api.status_code, api.json()) == (500, {"error": "server_error"})
    page = await service.client.get("/boom?lang=en")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "secret detail" not in page.text and "Traceback" not in page.text
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "RuntimeError" in logged and "test_pages.py" in logged
    assert "amina@example.org" not in logged


async def test_privacy_notice_says_how_long_data_is_kept(service: Service) -> None:
    page = await service.client.get("/privacy?lang=en")
    assert page.status_code == 200
    assert f"phone number {service.settings.retention_days} days after your session" in page.text


async def test_privacy_notice_names_the_controller_the_legal_basis_and_the_rights(
    service: Service,
) -> None:
    page = await service.client.get("/privacy?lang=en")
    assert service.settings.controller_name in page.text
    assert service.settings.controller_address in page.text
    assert service.settings.mail_from_address in page.text  # the contact, unless set
    for words in ("Art. 6(1)(a) GDPR", "Art. 9(2)(a) GDPR", "withdraw your consent at any time"):
        assert words in page.text
    assert "supervisory authority" in page.text and "corrected or deleted" in page.text
    assert "Data protection officer" not in page.text  # none set
    for language in VISITOR_LANGUAGES:
        translated = await service.client.get(f"/privacy?lang={language}")
        assert translated.status_code == 200
        assert f'lang="{language}"' in translated.text
        assert service.settings.controller_name in translated.text
        assert ("GDPR" in translated.text) == (language not in ("de", "fr")), language


async def test_examples_in_messages_keep_their_order_in_arabic(service: Service) -> None:
    """A phone number in an Arabic sentence would read "1234567 511 49+" without an isolate."""
    client = service.client
    link = service.link(at(10))
    details = await client.get(
        "/add-on/details",
        params={**link, "topic": "housing", "language": "ar", "slot": at(11).isoformat()},
    )
    hidden = form_fields(details.text)
    fields = {"name": "Amina", "email": "amina@", "phone": "call me", "consent": "on"}
    for language, wrapped in (("ar", "\u2066{}\u2069"), ("de", "{}")):
        answer = await client.post(f"/add-on/book?lang={language}", data={**hidden, **fields})
        assert answer.status_code == 422
        assert wrapped.format("+49 511 1234567") in answer.text
        assert wrapped.format("name@example.org") in answer.text


async def test_no_answer_about_a_booking_is_kept_in_a_cache(service: Service) -> None:
    """The manage pages show name, e-mail and phone: a shared computer's browser cache or a
    proxy must not keep them (nor the JSON of the same booking)."""
    client = service.client
    link = service.link(at(10))
    created = await client.post("/api/v1/bookings", json=service.booking_body(link, at(9)))
    assert created.status_code == 201, created.text
    token = created.json()["manage_token"]
    answers = [
        await client.get(f"/manage/{token}"),
        await client.get(f"/manage/{token}?done=booked"),
        await client.get(f"/manage/{token}/reschedule"),
        await client.post(f"/manage/{token}/reschedule", data={"slot": "not a time"}),
        await client.get(f"/manage/{token}/cancel"),
        await client.get(f"/manage/{token}/delete"),
        await client.get(f"/api/v1/bookings/{token}"),
        await client.post(f"/manage/{token}/cancel"),
        await client.post(f"/manage/{token}/reschedule", data={"slot": at(11).isoformat()}),
        await client.post(f"/manage/{token}/delete"),
        await client.get(f"/manage/{token}?done=erased"),
        await client.get("/manage/not-a-token"),
        await client.post("/manage/not-a-token/cancel"),
    ]
    statuses = [a.status_code for a in answers]
    assert statuses == [200, 200, 200, 422, 200, 200, 200, 303, 409, 303, 200, 404, 404]
    assert [a.headers.get("cache-control") for a in answers] == ["no-store"] * len(answers)
