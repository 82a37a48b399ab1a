"""The service end to end, as people use it, in Debian's Chromium against a running service.

An applicant books from the office link and reaches the manage page, in German (without
JavaScript) and in Arabic (right to left); reception registers a walk-in and prints the slip;
a counsellor calls the walk-in, the waiting-room display and the visitor's phone show the call,
and the counsellor serves and finishes them.

The tests share one service, so each makes its own booking or ticket and none relies on
another's. The two walk-in tests keep apart by topic: the counsellor called (Samir H., Arabic,
every topic but leisure) never fits the slip test's ticket (Arabic, leisure).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from booking.demo import next_working_day
from booking.services.bookings import hash_token
from booking.vocabulary import STATUS_LABELS, TOPICS
from booking.web.walkins import SLIP_TEXTS
from tests.browser.pages import (
    ZONE,
    call_next,
    database_row,
    mail_to,
    new_context,
    open_all_day,
    put_on_duty,
    register_walk_in,
    said,
    sign_in,
    staff,
    walk_in_day,
)
from tests.live import LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

# The counsellor who calls: caritas2 in booking/demo.py, with room 1.07 and all topics but leisure.
COUNSELLOR = ("caritas2", "Samir H.", "1.07")
DISPLAY_WITHIN_SECONDS = 3.0
MIN_NUMBER_PX = 48  # the number on the slip: 44 pt is 58.7 px
PHONE = {"width": 390, "height": 844}


# --- the applicant -----------------------------------------------------------------------------

# Each language its own office appointment on the next working day, when the demo plan has
# counsellors for both (08:00-16:00), so that the two bookings never meet.
APPLICANTS = {
    "de": {"at": "10:00", "name": "Jana Beispiel", "email": "jana.flow@example.org", "js": False},
    "ar": {"at": "14:00", "name": "أمل حداد", "email": "amal.flow@example.org", "js": True},
}


async def assert_page(page: Page, language: str, heading: str) -> None:
    html = page.locator("html")
    assert await html.get_attribute("lang") == language
    assert await html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert (await page.locator("h1").first.inner_text()).strip() == said(language, heading)


async def ltr_texts(page: Page, scope: str) -> list[str]:
    """The texts isolated left to right (times, references) inside ``scope``."""
    return [t.strip() for t in await page.locator(f"{scope} bdi[dir=ltr]").all_inner_texts()]


@pytest.mark.parametrize("language", ["de", "ar"])
async def test_applicant_books_from_the_office_link_and_manages_the_session(
    live: LiveService, browser: Browser, language: str
) -> None:
    person = APPLICANTS[language]
    day = next_working_day(datetime.now(ZONE).date())
    link = live.demo_link(f"{day.isoformat()}T{person['at']}")
    # German without JavaScript: the applicant's pages must not need it.
    context = await new_context(browser, language, java_script_enabled=person["js"], viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(link)
        await assert_page(page, language, "Add free counselling to your appointment")
        office_time = (await ltr_texts(page, ".appointment"))[0]
        await page.check("input[name=topic][value=housing]")
        await page.select_option("#language", language)
        await page.get_by_role("button", name=said(language, "Show free times")).click()

        await page.wait_for_url("**/add-on/times?**")
        await assert_page(page, language, "Choose a time")
        chosen = page.locator("ul.slots button").first
        slot_time = (await chosen.locator("bdi[dir=ltr]").inner_text()).strip()
        # 24-hour in Arabic too: a day period (م) would run backwards inside the isolate.
        assert re.fullmatch(r"\d\d:\d\d – \d\d:\d\d", slot_time), slot_time
        await chosen.click()

        await page.wait_for_url("**/add-on/details?**")
        await assert_page(page, language, "Your details")
        assert slot_time in await ltr_texts(page, ".appointment")
        await page.fill("#name", str(person["name"]))
        await page.fill("#email", str(person["email"]))
        await page.check("#consent")
        await page.get_by_role("button", name=said(language, "Book the session")).click()

        await page.wait_for_url("**/manage/*?done=booked")
        await assert_page(page, language, "Your session is booked")
        manage_url = (await page.locator(".manage-link bdi[dir=ltr]").inner_text()).strip()
        assert manage_url.startswith(f"{live.base_url}/manage/")

        await page.goto(manage_url)
        await assert_page(page, language, "Your counselling session")
        booking = page.locator("dl.booking")
        text = await booking.inner_text()
        isolated = await ltr_texts(page, "dl.booking")
        reference = isolated[0]
        assert slot_time in isolated[1]  # start to end, left to right in Arabic too
        assert office_time in isolated
        for words in (STATUS_LABELS["booked"], TOPICS["housing"], "Date", "Place", "Topic"):
            assert said(language, words) in text
        assert str(person["name"]) in text
        assert person["email"] in isolated
        cancel = said(language, "Cancel the session")
        assert await page.get_by_role("link", name=cancel).is_visible()
        time_box = page.locator("dl.booking bdi[dir=ltr]").nth(1)
        assert await time_box.evaluate("e => getComputedStyle(e).direction") == "ltr"
        # Readable on the phone: the time on one line, not squeezed beside long labels.
        assert await time_box.evaluate("e => e.getClientRects().length") == 1
        if language == "ar":
            assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    finally:
        await context.close()

    row = database_row(
        live,
        "SELECT status, language, topic, name, email, channel FROM booking WHERE reference = ?",
        reference,
    )
    assert row == ("booked", language, "housing", person["name"], person["email"], "online")
    # The confirmation, in the applicant's language (sent here by `booking send-mail --once`).
    mails = mail_to(live, str(person["email"]))
    assert [m["Content-Language"] for m in mails] == [language]


# --- walk-ins ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def desk_open_today(live: LiveService, browser: Browser) -> AsyncIterator[str]:
    """Whatever day and hour the tests run: the location open all day today and the counsellor
    on duty in their room, set up by the coordinator as for a real extra day. Otherwise, on a
    Sunday or in the evening, a call would have no room and a waiting ticket would be closed by
    the next sweep (booking/services/walkins/closing.py: close_day). The counsellor's username."""
    today = walk_in_day()
    username, name, room = COUNSELLOR
    context = await new_context(browser, "de")
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "admin")
        await open_all_day(page, live.base_url, today)
        await put_on_duty(page, live.base_url, name, room, today)
    finally:
        await context.close()
    yield username


async def test_reception_registers_a_walk_in_and_prints_the_slip(
    live: LiveService, browser: Browser, desk_open_today: str
) -> None:
    context = await new_context(browser, "de")
    # Headless Chromium has no paper: the Print button's call is recorded instead.
    await context.add_init_script("window.printed = 0; window.print = () => { window.printed++; };")
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "reception")
        label, token = await register_walk_in(
            page, live.base_url, "leisure", "ar", "children", "Rania"
        )
        # The screen: what reception does next, and the slip below it.
        print_button = page.get_by_role("button", name=staff("Print"))
        assert await print_button.is_visible()  # print.js shows it
        await print_button.click()
        assert await page.evaluate("window.printed") == 1

        await page.emulate_media(media="print")
        slip = page.locator("article.ticket")
        assert await slip.is_visible()
        for hidden in await page.locator(".no-print").all():
            assert await hidden.is_hidden()
        number = page.locator(".ticket-number")
        assert await number.inner_text() == label
        size = await number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= MIN_NUMBER_PX
        assert "Rania" not in await slip.inner_text()  # the first name is for staff only

        arabic = page.locator(".ticket-texts[lang=ar][dir=rtl]")
        german = page.locator(".ticket-texts[lang=de][dir=ltr]")
        for key in ("wait", "purpose", "scan"):
            assert said("ar", SLIP_TEXTS[key]) in await arabic.inner_text()
            assert said("de", SLIP_TEXTS[key]) in await german.inner_text()
        caption = page.locator(".ticket-caption[lang=ar]")
        assert await caption.inner_text() == said("ar", SLIP_TEXTS["number"])
        qr = page.locator(".ticket-qr svg.qr")
        assert await qr.is_visible()
        qr_box = await qr.bounding_box()
        assert qr_box is not None and qr_box["width"] > 100  # 32 mm: scannable
        assert await page.locator(".ticket-url").inner_text() == f"{live.base_url}/t/{token}"

        # On 80 mm paper, as long as the slip (print.js measures it before printing): one page.
        await page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        pdf = await page.pdf(width="80mm", prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert box is not None
        width_mm = float(box[1]) * 25.4 / 72
        assert 79 <= width_mm <= 81, width_mm
    finally:
        await context.close()

    row = database_row(
        live,
        "SELECT status, language, topic, priority, name FROM ticket WHERE token_hash = ?",
        hash_token(token),
    )
    assert row == ("waiting", "ar", "leisure", "children", "Rania")


async def test_counsellor_calls_the_walk_in_the_display_shows_it_and_the_session_ends(
    live: LiveService, browser: Browser, desk_open_today: str
) -> None:
    first_name = "Yusuf"
    reception = await new_context(browser, "de")
    display = await new_context(browser, "de", viewport={"width": 1920, "height": 1080})
    counsellor = await new_context(browser, "de")
    visitor = await new_context(browser, "ar", viewport={"width": 390, "height": 844})
    try:
        desk_page = await counsellor.new_page()
        await sign_in(desk_page, live.base_url, desk_open_today)
        reception_page = await reception.new_page()
        await sign_in(reception_page, live.base_url, "reception")
        screen = await display.new_page()
        await screen.goto(f"{live.base_url}/display/hsc")

        label, token = await register_walk_in(
            reception_page, live.base_url, "housing", "ar", "deadline", first_name
        )
        room = COUNSELLOR[2]

        # The counsellor calls the next walk-in who fits them: this one.
        await call_next(desk_page, live.base_url)
        called_at = time.monotonic()
        current = desk_page.locator("dl.ticket-current")
        text = await current.inner_text()
        assert label in text
        assert staff("Called") in text
        assert room in text

        # The waiting room sees the number and the room within seconds, and never the name.
        latest = screen.locator("tr.display-latest")
        await latest.filter(has_text=label).wait_for(timeout=DISPLAY_WITHIN_SECONDS * 1000)
        assert time.monotonic() - called_at <= DISPLAY_WITHIN_SECONDS
        assert [c.strip() for c in await latest.locator("td").all_inner_texts()] == [label, room]
        assert first_name not in await screen.locator("body").inner_text()

        # The visitor's phone, in their language: go to the room now.
        phone = await visitor.new_page()
        await phone.goto(f"{live.base_url}/t/{token}")
        assert await phone.locator("html").get_attribute("dir") == "rtl"
        call = phone.locator(".walk-in-call")
        before, _, after = said("ar", "Please go to room %(room)s now.").partition("%(room)s")
        call_text = await call.inner_text()
        assert call_text.startswith(before.strip()) and call_text.endswith(after.strip())
        assert await call.locator("bdi[dir=ltr]").inner_text() == room

        # The session: start, finish, and the outcome with the topics covered.
        await desk_page.get_by_role("button", name=staff("Start the session")).click()
        await desk_page.wait_for_url("**/staff/desk?*note=done*")
        assert staff("In a session") in await current.inner_text()
        await desk_page.get_by_role("button", name=staff("Finish the session")).click()
        await desk_page.wait_for_url("**/staff/desk?*note=done*")
        main = desk_page.locator("main")
        assert staff("You are not holding a walk-in ticket.") in await main.inner_text()
        finished = staff("Last finished: %(number)s.") % {"number": label}
        assert finished in await main.inner_text()

        await desk_page.get_by_role("link", name=staff("Record the outcome")).click()
        await desk_page.wait_for_url("**/staff/bookings/*/outcome*")
        await desk_page.check("input[name=status][value=attended]")
        await desk_page.check("input[name=topics][value=housing]")
        await desk_page.check("input[name=topics][value=work]")
        await desk_page.get_by_role("button", name=staff("Save"), exact=True).click()
        await desk_page.wait_for_url("**/staff/schedule**")

        # Done everywhere: off the display, the visitor thanked, the ticket closed as done.
        await latest.filter(has_text=label).wait_for(state="detached", timeout=5000)
        await phone.reload()
        assert said("ar", "Your session has ended. Thank you for coming.") in (
            await phone.locator(".walk-in-ticket").inner_text()
        )
        await reception_page.goto(f"{live.base_url}/staff/reception/walk-ins")
        assert label not in await reception_page.locator("main").inner_text()
    finally:
        for context in (reception, display, counsellor, visitor):
            await context.close()

    row = database_row(
        live,
        "SELECT t.status, b.status, b.channel, b.outcome_topics FROM ticket t "
        "JOIN booking b ON b.id = t.booking_id WHERE t.token_hash = ?",
        hash_token(token),
    )
    assert row is not None
    assert row[:3] == ("done", "attended", "walk_in")
    assert sorted(json.loads(row[3])) == ["housing", "work"]
