"""What an applicant reads on a 360 pixel phone (issue 15): the time buttons in Tigrinya, and
the times page of a day without counselling.

The shared live service of tests/browser/conftest.py; the closure day made here lies further
ahead than any day the other browser tests book or close, and is removed again.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from babel.dates import format_date

from booking.demo import next_working_day
from tests.browser.pages import (
    add_closure_day,
    new_context,
    remove_closure_day,
    said,
    sign_in,
    times_url,
)
from tests.live import LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser

PHONE = {"width": 360, "height": 740}
# Each button's label: how many lines it takes, and whether it fits the button.
LABELS = """() => [...document.querySelectorAll("ul.slots button")].map(b => {
  const label = b.querySelector("bdi");
  const lineHeight = parseFloat(getComputedStyle(label).lineHeight) || 20;
  return {
    text: label.textContent,
    lines: Math.round(label.getBoundingClientRect().height / lineHeight),
    rects: label.getClientRects().length,
    fits: b.scrollWidth <= b.clientWidth,
  };
})"""
SIDEWAYS = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


def working_day_ahead(count: int) -> date:
    day = date.today()
    for _ in range(count):
        day = next_working_day(day)
    return day


async def test_tigrinya_time_buttons_keep_each_label_on_one_line(
    live: LiveService, browser: Browser
) -> None:
    day = next_working_day(date.today())
    link = live.demo_link(f"{day.isoformat()}T12:00")
    context = await new_context(browser, "ti", viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(times_url(link, "ti", "de"))
        # The phone, and the widths where the grid is tightest (three columns of 10rem).
        for width in (360, 320, 400, 544):
            await page.set_viewport_size({"width": width, "height": 740})
            labels = await page.evaluate(LABELS)
            assert labels, await page.content()
            for label in labels:
                assert re.fullmatch(r"\d\d:\d\d – \d\d:\d\d", label["text"]), label
                assert label["lines"] == 1 and label["rects"] == 1, (width, label)
                assert label["fits"], (width, label)
            assert not await page.evaluate(SIDEWAYS), width
    finally:
        await context.close()


async def test_a_closed_day_names_the_next_day_with_counselling(
    live: LiveService, browser: Browser
) -> None:
    closed = working_day_ahead(9)
    reopens = next_working_day(closed)
    admin = await new_context(browser, "de")
    try:
        staff_page = await admin.new_page()
        await sign_in(staff_page, live.base_url, "admin")
        await add_closure_day(staff_page, live.base_url, closed, "Betriebsausflug")
        link = live.demo_link(f"{closed.isoformat()}T10:00")
        context = await new_context(browser, "de", viewport=PHONE)
        try:
            page = await context.new_page()
            await page.goto(times_url(link, "de", "de"))
            notice = (await page.locator(".notice").inner_text()).strip()
            assert said("de", "The counselling service is closed on this day.") in notice
            next_day = format_date(reopens, format="full", locale="de")
            assert said("de", "The next day with counselling is %(date)s.", date=next_day) in notice
            walk_in = said(
                "de", "You can come to the counselling desk then without an appointment."
            )
            assert walk_in in notice
            body = await page.locator("main").inner_text()
            assert "Fragen Sie am Empfang" not in body  # no walk-ins offered on the closed day
            assert await page.locator("ul.slots button").count() == 0
            assert not await page.evaluate(SIDEWAYS)
        finally:
            await context.close()
    finally:
        try:
            await remove_closure_day(staff_page, live.base_url, closed)
        finally:
            await admin.close()


async def test_a_saturday_says_there_is_no_counselling(live: LiveService, browser: Browser) -> None:
    saturday = date.today() + timedelta(days=(5 - date.today().weekday()) % 7 or 7)
    link = live.demo_link(f"{saturday.isoformat()}T10:00")
    context = await new_context(browser, "ar", viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(times_url(link, "ar", "ar"))
        notice = (await page.locator(".notice").inner_text()).strip()
        assert said("ar", "There is no counselling on this day.") in notice
        monday = next_working_day(saturday)
        next_day = format_date(monday, format="full", locale="ar")
        assert said("ar", "The next day with counselling is %(date)s.", date=next_day) in notice
        instead = (
            "You can book a session in German or English instead, "
            "and bring someone who can translate for you."
        )
        assert said("ar", instead) not in await page.locator("main").inner_text()
        assert not await page.evaluate(SIDEWAYS)
    finally:
        await context.close()
