"""What the browser tests share: opening pages as a visitor or as staff, axe-core, and the
steps the flows and `make screenshots` both take (walk-ins, calls, a desk open all day, a
closure day over booked sessions)."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest

from booking.i18n import load_translations

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

    from tests.live import LiveService

ZONE = ZoneInfo("Europe/Berlin")  # the demo location's (BOOKING_TIMEZONE's default)
LOCATION = "Hannover Service Center"  # the demo location, code hsc
CATALOGS = load_translations()
DEMO_PASSWORD = "demo"  # every demo account's password (booking/demo.py)
# WCAG 2.1 A and AA, the bar; axe's best practices on top.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def new_context(browser: Browser, language: str = "de", **options: Any) -> BrowserContext:
    """A fresh browser profile whose preferred language is ``language``."""
    return await browser.new_context(locale=language, extra_http_headers={}, **options)


async def sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base_url}/staff**")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core (bundled with axe-playwright-python) run on the page as it is now; the
    violations, each with its rule id and the first few offending elements."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    found = results.response.get("violations", [])
    return [
        {
            "id": v["id"],
            "impact": v.get("impact"),
            "help": v.get("help"),
            "nodes": [n.get("target") for n in v.get("nodes", [])[:5]],
        }
        for v in found
    ]


def said(language: str, message: str, **values: str) -> str:
    """What the page says in ``language`` for an English msgid; fails while the catalog lacks
    it, since an English text on an Arabic page is exactly what these tests are for."""
    text = CATALOGS[language].gettext(message)
    if language != "en":
        assert text != message, f"not translated into {language!r}: {message!r}"
    return text % values if values else text


def staff(message: str) -> str:
    """Staff screens in German, the staff's browser language here."""
    return said("de", message)


async def open_all_day(page: Page, base_url: str, day: date) -> None:
    """As the coordinator (signed in on ``page``): the demo location open 00:00-23:59 on the
    weekday of ``day``."""
    await set_hours(page, base_url, day, "00:00-23:59")


async def set_hours(page: Page, base_url: str, day: date, hours: str) -> None:
    """As the coordinator: the demo location's opening ``hours`` ("08:00-16:00") on the
    weekday of ``day``."""
    await page.goto(f"{base_url}/staff/admin/locations")
    await page.get_by_role("link", name=LOCATION, exact=True).click()
    await page.wait_for_url("**/staff/admin/locations/*")
    await page.goto(f"{page.url.split('?')[0]}/hours")
    await page.fill(f"#hours-{day.weekday()}", hours)
    await page.get_by_role("button", name=staff("Save opening hours")).click()
    await page.wait_for_url("**/hours?done=*")


async def put_on_duty(page: Page, base_url: str, name: str, room: str, day: date) -> None:
    """As the coordinator: extra hours for the counsellor ``name`` all ``day`` in ``room``."""
    await page.goto(f"{base_url}/staff/admin/counsellors")
    await page.get_by_role("link", name=name, exact=True).click()
    await page.goto(f"{page.url.split('?')[0]}/exceptions")
    await page.check("input[name=kind][value=extra]")
    await page.fill("#day", day.isoformat())
    await page.fill("#starts", "00:00")
    await page.fill("#ends", "23:59")
    await page.select_option("#location", label=LOCATION)
    await page.select_option("#room", label=f"{room} · {room}")
    await page.get_by_role("button", name=staff("Save"), exact=True).click()
    await page.wait_for_url("**/exceptions?done=*")


async def register_walk_in(
    page: Page, base_url: str, topic: str, language: str, priority: str, name: str
) -> tuple[str, str]:
    """Reception's form, filled and sent: the slip's number and the visitor's status token."""
    await page.goto(f"{base_url}/staff/reception/walk-ins")
    await page.check(f"input[name=topic][value={topic}]")
    await page.select_option("#language", language)
    await page.select_option("#priority", priority)
    await page.fill("#name", name)
    await page.get_by_role("button", name=staff("Register and print the number")).click()
    await page.wait_for_url("**/staff/reception/walk-ins/*/ticket?t=*")
    token = parse_qs(urlsplit(page.url).query)["t"][0]
    label = (await page.locator(".ticket-number").inner_text()).strip()
    assert re.fullmatch(r"W \d{3}", label), label
    return label, token


async def call_next(page: Page, base_url: str) -> None:
    """The counsellor signed in on ``page`` calls the next walk-in who fits them, anyway if a
    booked session of theirs begins soon."""
    await page.goto(f"{base_url}/staff/desk")
    await page.get_by_role("button", name=staff("Call next")).click()
    await page.wait_for_url("**/staff/desk?*note=*")
    if "note=held" in page.url:
        await page.get_by_role("button", name=staff("Call anyway")).click()
        await page.wait_for_url("**/staff/desk?*note=*")
    assert "note=called" in page.url, page.url


async def serve(page: Page) -> None:
    """The counsellor on ``page`` starts and finishes the session with the ticket they hold."""
    await page.get_by_role("button", name=staff("Start the session")).click()
    await page.wait_for_url("**/staff/desk?*note=done*")
    await page.get_by_role("button", name=staff("Finish the session")).click()
    await page.wait_for_url("**/staff/desk?*note=done*")


async def press_call_next(page: Page, base_url: str) -> str:
    """The counsellor signed in on ``page`` presses "Call next"; the desk's note after it
    (``called`` when a ticket was called, anything else when nothing fitted and they wait)."""
    await page.goto(f"{base_url}/staff/desk")
    await page.get_by_role("button", name=staff("Call next")).click()
    await page.wait_for_url("**/staff/desk?*note=*")
    return parse_qs(urlsplit(page.url).query)["note"][0]


def book_by_api(live: LiveService, day: date, office: str, language: str, email: str) -> str:
    """An applicant's booking through the JSON API: the first free session around an office
    appointment at ``office`` o'clock on ``day``, pages in ``language``; its reference."""
    link = live.demo_link(f"{day.isoformat()}T{office}")
    appointment = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    query = {**appointment, "topic": "forms", "language": "de"}
    free = httpx.get(f"{live.base_url}/api/v1/availability", params=query)
    assert free.status_code == 200, free.text
    start = free.json()["slots"][0]["start"]
    body = {
        "appointment": appointment,
        "start": start,
        "topic": "forms",
        "language": "de",
        "name": "Test Person",
        "email": email,
        "consent": True,
    }
    made = httpx.post(f"{live.base_url}/api/v1/bookings?lang={language}", json=body)
    assert made.status_code == 201, made.text
    reference: str = made.json()["reference"]
    return reference


async def add_closure_day(page: Page, base_url: str, day: date, reason: str) -> None:
    """As the coordinator: the demo location closed on ``day``, booked sessions left as they
    are (the conflicts page asks when there are some)."""
    await page.goto(f"{base_url}/staff/admin/locations")
    await page.get_by_role("link", name=LOCATION, exact=True).click()
    await page.wait_for_url("**/staff/admin/locations/*")
    await page.goto(f"{page.url.split('?')[0]}/closures")
    await page.fill("#day", day.isoformat())
    await page.fill("#reason", reason)
    await page.click("form[action$='/closures'] button[type=submit]")
    await page.wait_for_load_state()
    leave = page.locator("button[name=resolution][value=leave]")
    if await leave.count():
        await leave.click()
        await page.wait_for_load_state()


async def remove_closure_day(page: Page, base_url: str, day: date) -> None:
    """As the coordinator: the closure day on ``day`` removed again."""
    await page.goto(f"{base_url}/staff/admin/locations")
    await page.get_by_role("link", name=LOCATION, exact=True).click()
    await page.wait_for_url("**/staff/admin/locations/*")
    await page.goto(f"{page.url.split('?')[0]}/closures")
    row = page.locator("tr", has=page.locator(f"bdi:text-is('{day.isoformat()}')"))
    await row.locator("a[href$='/remove']").click()
    await page.wait_for_selector("button.danger")
    await page.click("button.danger")
    await page.wait_for_load_state()


def times_url(office_link: str, reader: str, language: str, topic: str = "forms") -> str:
    """The times page of an office link for a topic and session ``language``, read in
    ``reader``'s language."""
    parts = urlsplit(office_link)
    extra = f"topic={topic}&language={language}&lang={reader}"
    return f"{parts.scheme}://{parts.netloc}/add-on/times?{parts.query}&{extra}"


def database_row(live: LiveService, sql: str, *args: object) -> tuple[Any, ...] | None:
    """One row of the service's own SQLite database, read-only, to see what really happened."""
    path = live.database_url.removeprefix("sqlite://")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        row: tuple[Any, ...] | None = db.execute(sql, args).fetchone()
        return row


def walk_in_day() -> date:
    """Today, where walk-ins are served; a session started now must end today."""
    now = datetime.now(ZONE)
    if now + timedelta(minutes=35) > now.replace(hour=23, minute=59):
        pytest.skip("a walk-in session started now would run into tomorrow")
    return now.date()


def mail_to(live: LiveService, address: str) -> list[Any]:
    """The messages written for ``address`` once the outbox has been sent (as .eml files)."""
    live.command("send-mail", "--once")
    found = []
    for path in sorted(live.mail_dir.glob("**/*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found
