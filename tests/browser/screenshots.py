"""``make screenshots``: PNGs of the main pages in docs/screenshots/, for the README.

A demo service of its own (tests/live.py) and Debian's Chromium, used as in the browser tests:
an applicant books in German and in Arabic, reception registers walk-ins, counsellors call
them, staff look at their pages, and a coordinator finds the bookings of a closed day. The
pages show the real clock: walk-ins and the desk are today's (the coordinator opens the
location all day first, as on a real extra day), the schedule is the next working day's.

    python -m tests.browser.screenshots [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from booking.demo import next_working_day
from tests.browser.pages import (
    ZONE,
    add_closure_day,
    book_by_api,
    call_next,
    new_context,
    open_all_day,
    put_on_duty,
    register_walk_in,
    remove_closure_day,
    said,
    sign_in,
    times_url,
)
from tests.live import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, browser_missing, live_service

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, ViewportSize

    from tests.live import LiveService

OUT = PROJECT_ROOT / "docs" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 640}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
TV = {"width": 1920, "height": 1080}
SLIP: ViewportSize = {"width": 520, "height": 900}

# Counsellors who call a walk-in each (booking/demo.py: login, name, room), with the ticket
# only they fit among the ones waiting: topic, language, priority, first name.
CALLS = [
    ("lhh1", "Aylin K.", "1.01", ("forms", "tr", "", "Emre")),
    ("awo2", "Olga P.", "1.05", ("work", "ru", "", "Irina")),
    ("drk1", "Nadia R.", "1.11", ("family", "ar", "children", "Lina")),
    ("caritas2", "Samir H.", "1.07", ("housing", "ar", "deadline", "Yusuf")),
]
# Left waiting: the slip and the visitor's status page show one of them.
WAITING = [("health", "fa", "", "Sara"), ("leisure", "ar", "pregnancy", "Rania")]


class Camera:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.taken: list[Path] = []

    async def shoot(self, page: Page, name: str, size: ViewportSize | None = None) -> None:
        """The viewport as ``name``.png; at ``size`` if given, then back to the page's own."""
        own = page.viewport_size
        if size is not None:
            await page.set_viewport_size(size)
        path = self.out / f"{name}.png"
        await page.screenshot(path=path, animations="disabled", caret="initial")
        self.taken.append(path)
        if size is not None and own is not None:
            await page.set_viewport_size(own)


async def applicant(
    browser: Browser, live: LiveService, camera: Camera, language: str, at: str
) -> None:
    """The booking from the office link to the manage page, on a phone."""
    day = next_working_day(datetime.now(ZONE).date())
    context = await new_context(browser, language, viewport=PHONE, device_scale_factor=1)
    german = language == "de"
    try:
        page = await context.new_page()
        await page.goto(live.demo_link(f"{day.isoformat()}T{at}"))
        await page.check("input[name=topic][value=housing]")
        await page.select_option("#language", language)
        if german:
            await camera.shoot(page, "applicant-start-phone")
            await camera.shoot(page, "applicant-start-desktop", DESKTOP)
        await page.get_by_role("button", name=said(language, "Show free times")).click()
        await page.wait_for_url("**/add-on/times?**")
        await camera.shoot(page, f"applicant-times-{language}-phone")
        if german:
            await camera.shoot(page, "applicant-times-de-desktop", DESKTOP)
        await page.locator("ul.slots button").first.click()
        await page.wait_for_url("**/add-on/details?**")
        await page.fill("#name", "Jana Beispiel" if german else "أمل حداد")
        await page.fill("#email", f"{language}.screenshot@example.org")
        await page.check("#consent")
        if german:
            await camera.shoot(page, "applicant-details-phone")
        await page.get_by_role("button", name=said(language, "Book the session")).click()
        await page.wait_for_url("**/manage/*?done=booked")
        await camera.shoot(page, f"applicant-success-{language}-phone")
        if german:
            manage_url = await page.locator(".manage-link bdi").inner_text()
            await page.goto(manage_url.strip())
            await camera.shoot(page, "applicant-manage-phone")
    finally:
        await context.close()


async def applicant_days(browser: Browser, live: LiveService, camera: Camera) -> None:
    """On a small phone: the time buttons in Tigrinya, and a closure day, which names the next
    day with counselling instead of offering walk-ins."""
    day = next_working_day(datetime.now(ZONE).date())
    context = await new_context(browser, "ti", viewport=SMALL_PHONE, device_scale_factor=1)
    try:
        page = await context.new_page()
        await page.goto(times_url(live.demo_link(f"{day.isoformat()}T12:00"), "ti", "de"))
        await camera.shoot(page, "times-ti")
    finally:
        await context.close()
    closed = next_working_day(next_working_day(day))
    admin = await new_context(browser, "de")
    try:
        staff_page = await admin.new_page()
        await sign_in(staff_page, live.base_url, "admin")
        await add_closure_day(staff_page, live.base_url, closed, "Betriebsausflug")
        context = await new_context(browser, "de", viewport=SMALL_PHONE, device_scale_factor=1)
        try:
            page = await context.new_page()
            await page.goto(times_url(live.demo_link(f"{closed.isoformat()}T10:00"), "de", "de"))
            await camera.shoot(page, "closed-day")
        finally:
            await context.close()
        await remove_closure_day(staff_page, live.base_url, closed)
    finally:
        await admin.close()


async def walk_ins(browser: Browser, live: LiveService, camera: Camera) -> None:
    """A morning at the desk: four numbers called, two waiting; the slip, the visitor's phone,
    the waiting-room display, a counsellor's desk and reception's lists."""
    today = datetime.now(ZONE).date()
    staff = await new_context(browser, "de", viewport=DESKTOP, device_scale_factor=1)
    contexts = [staff]
    try:
        admin = await staff.new_page()
        await sign_in(admin, live.base_url, "admin")
        await open_all_day(admin, live.base_url, today)
        for _username, name, room, _ticket in CALLS:
            await put_on_duty(admin, live.base_url, name, room, today)
        await admin.close()

        reception_context = await new_context(browser, "de", viewport=DESKTOP)
        contexts.append(reception_context)
        reception = await reception_context.new_page()
        await sign_in(reception, live.base_url, "reception")
        desks: dict[str, Page] = {}
        for username, _name, _room, ticket in CALLS:
            await register_walk_in(reception, live.base_url, *ticket)
            counsellor = await new_context(browser, "de", viewport=DESKTOP, device_scale_factor=1)
            contexts.append(counsellor)
            desks[username] = await counsellor.new_page()
            await sign_in(desks[username], live.base_url, username)
            await call_next(desks[username], live.base_url)
        token = ""
        for ticket in WAITING:
            _label, token = await register_walk_in(reception, live.base_url, *ticket)

        await reception.set_viewport_size(SLIP)
        await camera.shoot(reception, "walk-in-slip")
        await reception.set_viewport_size(DESKTOP)
        await reception.goto(f"{live.base_url}/staff/reception/walk-ins")
        await camera.shoot(reception, "staff-walk-ins")
        await reception.goto(f"{live.base_url}/staff/reception")
        await camera.shoot(reception, "staff-reception")

        visitor = await new_context(browser, "ar", viewport=PHONE, device_scale_factor=1)
        contexts.append(visitor)
        phone = await visitor.new_page()
        await phone.goto(f"{live.base_url}/t/{token}")
        await camera.shoot(phone, "walk-in-status-ar-phone")

        screen_context = await new_context(browser, "de", viewport=TV, device_scale_factor=1)
        contexts.append(screen_context)
        screen = await screen_context.new_page()
        await screen.goto(f"{live.base_url}/display/hsc")
        await camera.shoot(screen, "display")

        desk = desks["caritas2"]
        await desk.goto(f"{live.base_url}/staff/desk")
        await camera.shoot(desk, "staff-desk")
    finally:
        for context in contexts:
            await context.close()


async def staff_pages(browser: Browser, live: LiveService, camera: Camera) -> None:
    """The coordinator's views: the next working day's schedule, statistics, fair shares, the
    audit log."""
    day = next_working_day(datetime.now(ZONE).date())
    context = await new_context(browser, "de", viewport=DESKTOP, device_scale_factor=1)
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "admin")
        await page.goto(f"{live.base_url}/staff/schedule?date={day.isoformat()}")
        await camera.shoot(page, "staff-schedule")
        await page.goto(f"{live.base_url}/staff/statistics")
        await camera.shoot(page, "staff-statistics")
        await page.goto(f"{live.base_url}/staff/fairness")
        await camera.shoot(page, "staff-fairness")
        await page.goto(f"{live.base_url}/staff/audit")  # the morning's calls, by name
        await camera.shoot(page, "audit-log")
        await coordinator_figures(page, live, camera)
    finally:
        await context.close()


async def attention(browser: Browser, live: LiveService, camera: Camera) -> None:
    """A closure day two weeks ahead over two booked sessions, left for later: the bookings
    needing attention, with how to reach each person and every way out."""
    day = next_working_day(datetime.now(ZONE).date() + timedelta(days=14))
    book_by_api(live, day, "10:00", "ar", "amal.attention@example.org")
    book_by_api(live, day, "14:00", "uk", "olena.attention@example.org")
    context = await new_context(browser, "de", viewport=DESKTOP, device_scale_factor=1)
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "admin")
        await add_closure_day(page, live.base_url, day, "Wasserschaden")
        await page.goto(f"{live.base_url}/staff/admin/attention")
        await camera.shoot(page, "attention")
    finally:
        await context.close()


def last_working_day(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


async def schedule_1280(browser: Browser, live: LiveService, camera: Camera) -> None:
    """A counsellor's organisation view of a past day on a 1280 px screen: every column and
    the attendance and outcome buttons in view."""
    day = last_working_day(datetime.now(ZONE).date())
    context = await new_context(browser, "de", viewport=DESKTOP, device_scale_factor=1)
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "caritas1")  # two counsellors, three sessions
        await page.goto(f"{live.base_url}/staff/schedule?date={day.isoformat()}&view=organisation")
        await camera.shoot(page, "schedule-1280")
    finally:
        await context.close()


async def coordinator_figures(page: Page, live: LiveService, camera: Camera) -> None:
    """The statistics' topics covered and referrals, and the fair shares after DRK's weight
    was set to 25: each weight beside its share of 100 %."""
    await page.goto(f"{live.base_url}/staff/statistics")
    await page.locator("#table-outcomes-heading").evaluate("e => e.scrollIntoView()")
    await camera.shoot(page, "statistics-outcomes")
    await page.goto(f"{live.base_url}/staff/fairness")
    await page.select_option("#weight-organisation", "drk")
    await page.fill("#weight", "25")
    await page.get_by_role("button", name=said("de", "Save the weight")).click()
    await page.wait_for_url("**/staff/fairness?*done=weight*")
    await page.locator("table.figures").evaluate("e => e.scrollIntoView()")
    await camera.shoot(page, "weights")


async def take(out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    camera = Camera(out)
    with (
        tempfile.TemporaryDirectory(prefix="booking-screenshots-") as tmp,
        live_service(Path(tmp)) as live,
    ):
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                await applicant(browser, live, camera, "de", "10:00")
                await applicant(browser, live, camera, "ar", "14:00")
                await applicant_days(browser, live, camera)
                await walk_ins(browser, live, camera)
                await staff_pages(browser, live, camera)
                await attention(browser, live, camera)
                await schedule_1280(browser, live, camera)
            finally:
                await browser.close()
    return camera.taken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"default {OUT}")
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    taken = asyncio.run(take(args.out))
    total = sum(path.stat().st_size for path in taken)
    for path in taken:
        print(f"{path.stat().st_size // 1024:5d} KB  {path.name}")
    print(f"{len(taken)} screenshots in {args.out}, {total / 1_000_000:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
