"""The walk-in pages (booking/web/walkins.py) on SQLite and PostgreSQL: reception registers and
prints, the visitor follows their number, the waiting room's display shows the calls; and once,
in a real browser against a running service, a call appears on the display by itself."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from tortoise import Tortoise

from booking import queue
from booking.db import sqlite_url_with_pragmas, tortoise_config
from booking.i18n import VISITOR_LANGUAGES, load_translations
from booking.models import Counsellor, Location, Ticket
from booking.services import fairness, walkins
from booking.services.walkins import WalkInForm
from booking.web.messages import FIELD_MESSAGES
from booking.web.walkins import wait_range
from tests.conftest import Service, at
from tests.live import CHROMIUM, CHROMIUM_ARGS, browser_missing
from tests.live import live_service as live
from tests.support.staff import sign_in
from tests.support.walkins import FORM, post_walk_in


async def hsc() -> Location:
    return await Location.get(code="hsc")


async def person(name: str) -> Counsellor:
    return await Counsellor.get(display_name=name)


def rules(service: Service) -> fairness.Rules:
    return fairness.Rules.of(service.settings)


async def register(
    service: Service, topic: str = "forms", language: str = "de", name: str = ""
) -> walkins.Registered:
    form = WalkInForm(topic, language, "", name)
    return await walkins.register(await hsc(), form, "reception", service.clock.now)


def token_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["t"][0]


# --- reception ---------------------------------------------------------------------------------


async def test_reception_registers_a_walk_in_and_gets_its_slip(staff: Service) -> None:
    staff.clock.now = at(10, 5)
    await sign_in(staff.client, "reception")
    form = await staff.client.get(FORM)
    assert form.status_code == 200
    assert 'name="topic"' in form.text and 'name="priority"' in form.text
    assert 'value="ps"' in form.text  # the location's languages, as the applicant pages offer
    made = await post_walk_in(
        staff, topic="housing", language="ar", priority="children", name="Amina"
    )
    assert made.status_code == 303
    target = made.headers["location"]
    ticket = await Ticket.get(location__code="hsc", number=1)
    assert target.startswith(f"/staff/reception/walk-ins/{ticket.id}/ticket?t=")
    assert (ticket.topic, ticket.language, ticket.priority, ticket.name) == (
        "housing",
        "ar",
        "children",
        "Amina",
    )
    token = token_of(target)
    slip = await staff.client.get(target)
    assert slip.status_code == 200
    assert "W 001" in slip.text and "Amina" not in slip.text  # the slip names nobody
    assert '<svg viewBox="' in slip.text and 'class="qr"' in slip.text
    assert f"http://test/t/{token}" in slip.text
    # The visitor's language, right to left, and German always.
    assert 'class="ticket-texts" lang="ar" dir="rtl"' in slip.text
    assert 'class="ticket-texts" lang="de" dir="ltr"' in slip.text
    catalogs = load_translations()
    for language in ("ar", "de"):
        wait = catalogs[language].gettext("Please wait; your number will appear on the screen.")
        assert wait != "Please wait; your number will appear on the screen."
        assert wait in slip.text
    assert "/static/ticket.css" in slip.text and "/static/print.js" in slip.text
    assert "Place in the queue: <bdi" in slip.text  # for reception, on screen only
    # The next visitor gets the next number, and the list shows both.
    again = await post_walk_in(staff, topic="work", language="de")
    assert again.status_code == 303
    assert (await Ticket.get(id=int(again.headers["location"].split("/")[4]))).number == 2
    listing = await staff.client.get(f"{FORM}?lang=en")
    assert "W 001" in listing.text and "W 002" in listing.text
    assert "Amina" in listing.text and "Small children" in listing.text
    assert "Housing" in listing.text and "Arabic" in listing.text and "Waiting" in listing.text
    staff.clock.now = at(10, 17)
    listing = await staff.client.get(FORM)
    assert "12 minutes" in listing.text


async def test_a_wrong_form_answers_422_in_the_readers_language(staff: Service) -> None:
    await sign_in(staff.client, "reception")
    await staff.client.get(f"{FORM}?lang=en")
    wrong = await post_walk_in(staff, topic="cooking", language="", priority="vip", name="<b>")
    assert wrong.status_code == 422
    for code in ("choose_topic", "choose_language", "choose_priority", "name_invalid"):
        assert FIELD_MESSAGES[code] in wrong.text, code
    assert 'value="&lt;b&gt;"' in wrong.text  # what was typed comes back, escaped
    assert not await Ticket.exists()
    for code in ("nowhere", "%00", "x" * 200):
        assert (await staff.client.get(f"{FORM}?location={code}")).status_code == 404


async def test_registering_needs_the_csrf_token_and_the_reception_role(staff: Service) -> None:
    await sign_in(staff.client, "reception")
    forged = await staff.client.post(
        FORM, data={"topic": "forms", "language": "de", "csrf": "forged"}
    )
    assert forged.status_code == 403
    assert not await Ticket.exists()
    staff.client.cookies.clear()
    anonymous = await staff.client.get(FORM)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    made = await register(staff)
    await sign_in(staff.client, "awo1")  # a counsellor
    assert (await staff.client.get(FORM)).status_code == 403
    slip = f"{FORM}/{made.ticket.id}/ticket?t={made.token}"
    assert (await staff.client.get(slip)).status_code == 403
    await sign_in(staff.client, "admin")
    assert (await staff.client.get(slip)).status_code == 200


async def test_the_slip_refuses_a_wrong_token(staff: Service) -> None:
    first, second = await register(staff), await register(staff)
    await sign_in(staff.client, "reception")
    slip = f"{FORM}/{first.ticket.id}/ticket"
    wrong = await staff.client.get(f"{slip}?t={second.token}")
    assert wrong.status_code == 404 and "<svg" not in wrong.text
    reprint = await staff.client.get(slip)  # without the token: the number, no QR code
    assert reprint.status_code == 200 and "W 001" in reprint.text and "<svg" not in reprint.text
    assert (await staff.client.get(f"{FORM}/999999/ticket")).status_code == 404


# --- the visitor's status page -----------------------------------------------------------------


def test_the_wait_is_a_range_in_fives() -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    early = queue.Estimate(now + timedelta(minutes=22), now + timedelta(minutes=33), False)
    assert wait_range(early, now) == (20, 35)
    past = queue.Estimate(now - timedelta(minutes=4), now - timedelta(minutes=1), False)
    assert wait_range(past, now) == (0, 0)
    odd = queue.Estimate(now + timedelta(minutes=13), now + timedelta(minutes=12), False)
    assert wait_range(odd, now) == (15, 15)  # never an upper end below the lower


async def test_status_page_while_waiting(service: Service) -> None:
    service.clock.now = at(10, 5)
    # Only Hamid Z. speaks Pashto: the third waits for two sessions before it.
    made = [await register(service, language="ps", name="Amina") for _ in range(3)]
    page = await service.client.get(f"/t/{made[2].token}?lang=en")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "W 003" in page.text and "Amina" not in page.text
    assert "W 001" not in page.text  # nobody else's number
    assert "Your place in the queue: <bdi" in page.text and ">3</bdi>" in page.text
    assert re.search(r"in about \d+ to \d+ minutes \(between <bdi", page.text)
    assert '<meta http-equiv="refresh" content="20">' in page.text  # without JavaScript
    assert "/static/status.js" in page.text
    assert f'data-refresh="/t/{made[2].token}?partial=1&amp;lang=en"' in page.text
    fragment = await service.client.get(f"/t/{made[2].token}?partial=1&lang=en")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "W 003" in fragment.text
    first = await service.client.get(f"/t/{made[0].token}?lang=en")
    assert "next few minutes" in first.text


async def test_status_page_speaks_the_tickets_language(service: Service) -> None:
    service.clock.now = at(10, 5)
    english = await register(service, language="en")
    page = await service.client.get(f"/t/{english.token}", headers={"Accept-Language": "de"})
    assert '<html lang="en"' in page.text and page.headers["content-language"] == "en"
    german = await register(service, language="de")
    asked = await service.client.get(f"/t/{german.token}?lang=en")
    assert '<html lang="en"' in asked.text  # ?lang= wins


async def test_status_page_says_when_nobody_fits_and_where_to_go(service: Service) -> None:
    service.clock.now = at(10, 5)
    nobody = await register(service, language="sw")  # nobody on duty speaks Swahili
    page = await service.client.get(f"/t/{nobody.token}?lang=en")
    assert "No counsellor for your language or topic is on duty today." in page.text
    assert "We expect" not in page.text

    called = await register(service, language="tr")
    aylin = await person("Aylin K.")
    await walkins.call_next(aylin, await hsc(), service.clock.now, rules(service), anyway=True)
    page = await service.client.get(f"/t/{called.token}?lang=en")
    assert "Please go to room <bdi" in page.text and "1.01" in page.text
    await walkins.act(called.ticket.id, "start", aylin, service.clock.now)
    page = await service.client.get(f"/t/{called.token}?lang=en")
    assert "Your counselling session is under way." in page.text


async def test_status_page_says_when_closing_time_comes_first(service: Service) -> None:
    service.clock.now = at(15, 50)  # too late for a session before closing time
    late = await register(service)
    page = await service.client.get(f"/t/{late.token}?lang=en")
    assert "probably not be able to call you before closing time" in page.text
    service.clock.now = at(16, 1)
    await walkins.close_day(await hsc(), service.clock.now)
    page = await service.client.get(f"/t/{late.token}?lang=en")
    assert "We could not call you before closing time." in page.text
    assert "http-equiv" not in page.text and "status.js" not in page.text  # nothing to follow


async def test_a_ticket_registered_after_closing_says_the_desk_is_closed(service: Service) -> None:
    """Not "nobody on duty speaks this language": the desk is closed, and it opens tomorrow."""
    service.clock.now = at(16, 30)
    late = await register(service, language="sw")
    page = await service.client.get(f"/t/{late.token}?lang=en")
    assert (
        "The counselling desk is closed now. It opens again on Tuesday, November 24, 2026 at"
        in page.text
    )
    assert "No counsellor for your language" not in page.text
    status = await walkins.status(late.token, service.clock.now)
    assert status.desk_closed and status.opens_at == at(8).replace(day=24)


async def test_a_transferred_ticket_says_whom_it_waits_for(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await hsc()
    ticket = await register(service, language="tr")
    aylin, deniz = await person("Aylin K."), await person("Deniz Y.")
    await Counsellor.filter(id=deniz.id).update(
        desk_location_id=location.id, desk_since=service.clock.now
    )
    called = await walkins.call_next(
        aylin, location, service.clock.now, rules(service), anyway=True
    )
    assert called.ticket is not None
    await walkins.act(
        called.ticket.id, "transfer", aylin, service.clock.now, to_counsellor=deniz.id
    )
    page = await service.client.get(f"/t/{ticket.token}?lang=en")
    assert "You are now waiting for Deniz Y." in page.text
    assert (
        "No counsellor for your language" not in page.text
        and "Your place in the queue" in page.text
    )


async def test_unknown_ticket_is_a_friendly_404(service: Service) -> None:
    page = await service.client.get("/t/not-a-real-token?lang=en")
    assert page.status_code == 404
    assert "We do not know this number" in page.text and "Traceback" not in page.text


# --- the display -------------------------------------------------------------------------------


async def test_display_shows_the_latest_call_first_and_no_names(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await hsc()
    await register(service, name="Amina")
    await register(service, name="Boris")
    empty = await service.client.get("/display/hsc/calls.json")
    assert empty.json() == {"calls": []}
    aylin, jonas = await person("Aylin K."), await person("Jonas M.")
    await walkins.call_next(aylin, location, service.clock.now, rules(service), anyway=True)
    service.clock.now = at(10, 7)
    await walkins.call_next(jonas, location, service.clock.now, rules(service), anyway=True)
    answer = await service.client.get("/display/hsc/calls.json")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    calls = answer.json()["calls"]
    assert [(c["number"], c["room"]) for c in calls] == [("W 002", "1.02"), ("W 001", "1.01")]
    assert set(calls[0]) == {"number", "room", "called_at"}
    assert datetime.fromisoformat(calls[0]["called_at"]) == at(10, 7)
    page = await service.client.get("/display/hsc")
    assert page.status_code == 200
    for text in (answer.text, page.text):
        assert "Amina" not in text and "Boris" not in text
    latest = page.text.index('class="display-latest"')
    assert page.text.index("W 002") > latest and page.text.index("W 002") < page.text.index("W 001")
    # The column heads in every visitor language, from the catalogs, each wording once.
    catalogs = load_translations()
    for caption in ("Number", "Room"):
        wordings = {catalogs[code].gettext(caption) for code in VISITOR_LANGUAGES}
        assert len(wordings) > 8
        for wording in wordings:
            assert (
                page.text.count(f'dir="rtl">{wording}<') + page.text.count(f'dir="ltr">{wording}<')
                == 1
            ), wording
    assert f'<span lang="ar" dir="rtl">{catalogs["ar"].gettext("Room")}</span>' in page.text
    assert '<meta http-equiv="refresh" content="10">' in page.text
    assert 'data-calls="/display/hsc/calls.json"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_unknown_display_is_404(service: Service) -> None:
    page = await service.client.get("/display/nowhere")
    assert page.status_code == 404 and "<html" in page.text
    answer = await service.client.get("/display/nowhere/calls.json")
    assert (answer.status_code, answer.json()) == (404, {"error": "not_found"})


ODD_SEGMENTS = ["%00", "%20", "x" * 2000, "ü€😀", "'\"<b>", "HSC", "hsc.json"]


@pytest.mark.parametrize("segment", ODD_SEGMENTS)
async def test_public_walk_in_pages_take_any_path(service: Service, segment: str) -> None:
    for path in (f"/t/{segment}", f"/t/{segment}?partial=1", f"/display/{segment}"):
        response = await service.client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text and "<b>" not in response.text
    answer = await service.client.get(f"/display/{segment}/calls.json")
    assert answer.status_code == 404 and answer.json() == {"error": "not_found"}


# --- in a browser, against a running service ---------------------------------------------------


@pytest.fixture
def live_service() -> Iterator[tuple[str, str]]:
    """The demo service running as its own process; yields its base URL and database URL."""
    if (reason := browser_missing()) is not None:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="booking-display-") as tmp, live(Path(tmp)) as service:
        yield service.base_url, service.database_url


async def _register_and_call(database_url: str) -> str:
    """A walk-in registered and called now, from this process, as another process would."""
    await Tortoise.init(config=tortoise_config(sqlite_url_with_pragmas(database_url)))
    try:
        now = datetime.now(UTC)
        location = await Location.get(code="hsc")
        made = await walkins.register(location, WalkInForm("forms", "de", "", "Amina"), "test", now)
        aylin = await Counsellor.get(display_name="Aylin K.")
        called = (
            await walkins.call_next(aylin, location, now, fairness.DEFAULT_RULES, anyway=True)
        ).ticket
        assert called is not None and called.id == made.ticket.id
        return made.label
    finally:
        await Tortoise.close_connections()


async def test_a_call_appears_on_the_display_by_itself(live_service: tuple[str, str]) -> None:
    from playwright.async_api import async_playwright, expect

    base_url, database_url = live_service
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    problems.append(f"{message.text} {message.location}")
                    if message.type == "error" and "favicon" not in str(message.location)
                    else None
                ),
            )
            await page.goto(f"{base_url}/display/hsc")
            await expect(page.locator(".display-empty")).to_be_visible()

            label = await _register_and_call(database_url)
            latest = page.locator("tr.display-latest")
            await expect(latest).to_contain_text(label, timeout=3000)
            await expect(latest).to_have_class(re.compile("display-fresh"))
            assert "Amina" not in await page.content()
            assert problems == [], problems  # nothing refused by the CSP, no script errors

            # The network fails: a badge, and polling goes on by itself once it is back.
            await page.route("**/calls.json", lambda route: route.abort())
            await expect(page.locator("[data-offline]")).to_be_visible(timeout=5000)
            await page.unroute("**/calls.json")
            await expect(page.locator("[data-offline]")).to_be_hidden(timeout=12000)
            await expect(latest).to_contain_text(label)
        finally:
            await browser.close()
