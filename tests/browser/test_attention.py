"""A day that does not happen as planned, in Chromium (issue 15): the coordinator closes a day
with two booked sessions, nobody can take them over, and on "Bookings needing attention" sees
how to reach each person and what they were sent, moves one to another day and cancels the
rest at once; the cancelled applicant's mail says why, in their language, with the CANCEL.

The day is two weeks ahead, which no other browser test books or opens, so the shared service
stays as the others expect it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from booking.demo import next_working_day
from tests.browser.pages import (
    ZONE,
    add_closure_day,
    axe_violations,
    book_by_api,
    mail_to,
    new_context,
    said,
    sign_in,
    staff,
)
from tests.live import LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser

MOVED = ("attention.moved@example.org", "uk")
CANCELLED = ("attention.cancelled@example.org", "ar")


def closed_day() -> date:
    return next_working_day(datetime.now(ZONE).date() + timedelta(days=14))


def calendar_of(message: Any) -> bytes:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    payload: bytes = part.get_payload(decode=True)
    return payload


async def test_move_one_and_cancel_the_rest_of_a_closed_day(
    live: LiveService, browser: Browser
) -> None:
    day = closed_day()
    moved = book_by_api(live, day, "10:00", MOVED[1], MOVED[0])
    cancelled = book_by_api(live, day, "14:00", CANCELLED[1], CANCELLED[0])
    context = await new_context(browser, "de", viewport={"width": 1280, "height": 800})
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "admin")
        await add_closure_day(page, live.base_url, day, "Wasserschaden")

        await page.goto(f"{live.base_url}/staff/admin/attention")
        assert await axe_violations(page) == []
        for reference, (address, _language) in ((moved, MOVED), (cancelled, CANCELLED)):
            card = page.locator("ul.affected > li", has_text=reference)
            text = await card.inner_text()
            assert address in text and staff("Confirmation") in text
            assert staff("No other free time in the applicant's window.") in text
            assert await card.locator("select[name=reason]").input_value() == "closed"

        # One moves to the next working day: the date, its free times, one of them.
        card = page.locator("ul.affected > li", has_text=moved)
        await card.locator("input[type=date]").fill(next_working_day(day).isoformat())
        await card.get_by_role("button", name=staff("Show free times")).click()
        await page.wait_for_url("**/day?day=*")
        await page.get_by_role("button", name=staff("Move to this time")).click()
        await page.wait_for_url("**/attention?done=moved")
        assert moved not in await page.locator("ul.affected").inner_text()

        # The rest at once: asked first, then cancelled with the message.
        await page.get_by_role("link", name=staff("Cancel all and tell the applicants")).click()
        await page.get_by_role("button", name=staff("Cancel all %(count)s") % {"count": 1}).click()
        heading = await page.locator("h1").inner_text()
        assert heading.strip() == staff("Cancelled: %(count)s") % {"count": 1}
        await page.goto(f"{live.base_url}/staff/admin/attention")
        assert await page.locator("ul.affected").count() == 0
    finally:
        await context.close()

    address, language = CANCELLED
    (last,) = [m for m in mail_to(live, address) if b"METHOD:CANCEL" in calendar_of(m)]
    assert last["Content-Language"] == language
    body = last.get_body(("plain",)).get_content()
    assert said(language, "We are sorry: the counselling desk is closed on that day.") in body
    to_moved = mail_to(live, MOVED[0])
    assert len(to_moved) == 2  # the confirmation and the new time, both invitations
    assert all(m["Content-Language"] == MOVED[1] for m in to_moved)
    assert all(b"METHOD:REQUEST" in calendar_of(m) for m in to_moved)
