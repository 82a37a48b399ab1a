"""``make screenshots``: PNGs of the main pages in docs/screenshots/, for the README.

A demo service of its own (tests/live.py) and Debian's Chromium, used as in the browser tests:
an applicant books in German and in Arabic, reception registers walk-ins, counsellors call
them, and staff look at their pages. The pages show the real clock: walk-ins and the desk are
today's (the coordinator opens the location all day first, as on a real extra day), the
schedule is the next working day's.

    python -m tests.browser.screenshots [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from booking.demo import next_working_day
from tests.browser.pages import (
    ZONE,
    call_next,
    new_context,
    open_all_day,
    put_on_duty,
    register_walk_in,
    said,
    sign_in,
)
from tests.live import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, browser_missing, live_service

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

    from tests.live import LiveService

OUT = PROJECT_ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TV = {"width": 1920, "height": 1080}
SLIP = {"width": 520, "height": 900}

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

    async def shoot(self, page: Page, name: str, size: dict[str, int] | None = None) -> None:
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
    finally:
        await context.close()


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
                await walk_ins(browser, live, camera)
                await staff_pages(browser, live, camera)
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
