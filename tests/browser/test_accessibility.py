"""Accessibility to WCAG 2.1 AA, as the issue asks for it, in a real Chromium:

- axe-core finds nothing on any visitor page in German, Arabic and English, nor on any staff
  page (found by following the links from /staff as admin, counsellor and reception) in German
  and English, the staff's two languages;
- a session can be booked with the keyboard alone, and the focus can be seen at every stop;
- errors are summarised, the summary takes the focus, and each of its links leads to its field,
  which is marked invalid and described by its message;
- at 320 CSS pixels, and at 200 % zoom of a 1280 pixel window, no page scrolls sideways (wide
  staff tables scroll in their own box).

axe takes a third of a second a page, so each language runs on its own screen size and the
narrow ones check the reflow on the way: visitors in German at 320 pixels, Arabic at 200 % zoom
and English on a desktop; staff in German at 320 pixels and English on a desktop. Two runs
without axe add Arabic at 320 pixels and the staff pages at 200 % zoom.

The walk-ins made here are for leisure, which the counsellor of tests/browser/test_flows.py
does not cover: that test's call never picks one of them up.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from booking.demo import demo_link
from booking.settings import Settings
from tests.browser.crawl import DESK, Visit, crawl, last_working_day, staff_context
from tests.browser.pages import LOCATION, axe_violations, new_context
from tests.live import LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

RIGHT_TO_LEFT = {"ar", "fa", "ps"}
WALK_IN_TOPIC = "leisure"  # see the module's docstring
# 320 CSS pixels; and a 1280 by 800 window at 200 % zoom, which lays out 640 by 400 CSS pixels.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "320px": {"viewport": {"width": 320, "height": 640}},
    "zoom200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}


CHECKED: dict[str, int] = {}  # pages axe checked, per language: reported after the module


@pytest.fixture(scope="module", autouse=True)
def axe_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and CHECKED:
        counts = ", ".join(f"{language} {n}" for language, n in sorted(CHECKED.items()))
        with capture.global_and_fixture_disabled():  # past the output capture, as capsys does
            reporter.write_line(f"\naxe: {sum(CHECKED.values())} pages checked ({counts})")


def office_link(live: LiveService) -> str:
    """A fresh office link for the next working day, as ``python -m booking demo-link`` makes
    it, without starting Python again for it."""
    settings = Settings.from_env(live.env)
    now = datetime.now(UTC)
    return demo_link(settings.base_url, settings.link_secret.value, now, timezone=settings.timezone)


async def assert_language(page: Page, language: str, label: str) -> None:
    """The page really is in the language under test, and runs in its direction."""
    lang, direction = await page.evaluate(
        "[document.documentElement.lang, document.documentElement.dir]"
    )
    expected = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    assert (lang, direction) == (language, expected), f"{label}: <html lang={lang} dir={direction}>"


# Whether the page scrolls sideways, and what sticks out (outside any box that scrolls itself).
SIDEWAYS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width && (box.right > root.clientWidth + 1 || box.left < -1)
        && !element.closest(".table-scroll, .skip")) {
      out.push(element.tagName.toLowerCase() + "." + (element.getAttribute("class") || ""));
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, out: out.slice(0, 6)};
}"""


class Reflow:
    """A visit that notes every page that scrolls sideways."""

    def __init__(self) -> None:
        self.wide: dict[str, Any] = {}
        self.pages: list[str] = []

    async def __call__(self, page: Page, label: str) -> None:
        self.pages.append(label)
        sideways = await page.evaluate(SIDEWAYS)
        if sideways:
            self.wide[label] = sideways

    def assert_none(self, where: str) -> None:
        assert self.pages, "no page was checked"
        lines = [f"  {label}: {found}" for label, found in self.wide.items()]
        assert not lines, f"scrolls sideways at {where}:\n" + "\n".join(lines)


class AxeCheck:
    """A visit that runs axe on the page as it is now, and keeps what it finds by label; on a
    narrow screen it checks the reflow too (the page is there already)."""

    def __init__(self, language: str, viewport: str) -> None:
        self.language = language
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.pages: list[str] = []
        self.reflow = Reflow() if viewport in VIEWPORTS else None
        self.viewport = viewport

    def context_options(self) -> dict[str, Any]:
        return VIEWPORTS.get(self.viewport, {})

    async def __call__(self, page: Page, label: str) -> None:
        await assert_language(page, self.language, label)
        self.pages.append(label)
        CHECKED[self.language] = CHECKED.get(self.language, 0) + 1
        violations = await axe_violations(page)
        if violations:
            self.found[label] = violations
        if self.reflow is not None:
            await self.reflow(page, label)

    def assert_clean(self) -> None:
        assert self.pages, "no page was checked"
        if self.reflow is not None:
            self.reflow.assert_none(f"{self.viewport} in {self.language!r}")
        lines = [
            f"  {label}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
            for label, violations in self.found.items()
            for v in violations
        ]
        assert not lines, (
            f"axe found violations on {len(self.found)} of {len(self.pages)} pages "
            f"in {self.language!r}:\n" + "\n".join(lines)
        )


# --- the visitor's pages --------------------------------------------------------------------


async def register_walk_in(page: Page, base_url: str, language: str) -> str:
    """Reception's form, sent from a page signed in as reception; the visitor's status token."""
    await page.goto(f"{base_url}/staff/reception/walk-ins")
    await page.check(f"input[name=topic][value={WALK_IN_TOPIC}]")
    await page.select_option("#language", language)
    await page.click("form.walk-in-form button[type=submit]")
    await page.wait_for_url("**/staff/reception/walk-ins/*/ticket?t=*")
    return dict(parse_qsl(urlsplit(page.url).query))["t"]


async def open_waiting_walk_in(
    browser: Browser, live: LiveService, page: Page, language: str
) -> None:
    """A new walk-in's status page, still waiting. Outside opening hours the service closes
    the day's tickets every two minutes: if that happened just now, a second one is made."""
    reception = await staff_context(browser, live, "reception")
    try:
        desk = await reception.new_page()
        for _ in range(2):
            token = await register_walk_in(desk, live.base_url, language)
            await page.goto(f"{live.base_url}/t/{token}")
            if await page.locator(".walk-in-ticket.status-waiting").count() == 1:
                return
    finally:
        await reception.close()
    raise AssertionError("the walk-in was no longer waiting")


async def book_with_the_mouse(page: Page, live: LiveService, visit: Visit) -> str:
    """The add-on steps from a fresh office link, errors included, each page visited;
    the manage page's address."""
    await page.goto(office_link(live))
    await visit(page, "add-on: start")
    await page.click("form[action='/add-on/times'] button[type=submit]")
    await page.wait_for_selector("#error-summary")
    await visit(page, "add-on: start, sent without a topic")
    await page.locator("input[name=topic]").first.check()
    await page.click("form[action='/add-on/times'] button[type=submit]")
    await page.wait_for_url("**/add-on/times?**")
    await visit(page, "add-on: times")
    await page.locator("ul.slots button").first.click()
    await page.wait_for_url("**/add-on/details?**")
    await visit(page, "add-on: details")
    await page.click("form[action='/add-on/book'] button[type=submit]")
    await page.wait_for_selector("#error-summary")
    await visit(page, "add-on: details, sent empty")
    await page.fill("#name", "Rana Haddad")
    await page.fill("#email", "rana@example.org")
    await page.check("#consent")
    await page.click("form[action='/add-on/book'] button[type=submit]")
    await page.wait_for_url("**/manage/*?done=booked")
    await visit(page, "booked (success page)")
    return page.url.split("?")[0]


async def visitor_pages(
    browser: Browser, live: LiveService, page: Page, language: str, visit: Visit
) -> None:
    """Every page a visitor sees, in ``language``: chosen once with ?lang=, a cookie keeps it."""
    base = live.base_url
    await page.goto(f"{base}/?lang={language}")
    await visit(page, "home")
    await page.locator("details.languages summary").click()
    await visit(page, "home, language list open")
    await page.goto(f"{base}/privacy")
    await visit(page, "privacy notice")
    manage = await book_with_the_mouse(page, live, visit)
    for suffix, label in [
        ("", "manage"),
        ("/reschedule", "manage: change the time"),
        ("/cancel", "manage: cancel?"),
        ("/delete", "manage: delete my data?"),
    ]:
        await page.goto(manage + suffix)
        await visit(page, label)
    await open_waiting_walk_in(browser, live, page, language)
    await visit(page, "walk-in status, waiting")
    await page.goto(f"{base}/t/no-such-ticket")
    await visit(page, "walk-in status, unknown ticket")
    await page.goto(f"{base}/no-such-page")
    await visit(page, "not found (404)")
    response = await page.goto(office_link(live).replace("sig=", "sig=0"))
    assert response is not None and response.status == 403
    await visit(page, "broken office link")
    await page.goto(f"{base}/display/hsc")
    await visit(page, "waiting-room display")


VISITOR_PAGES = 18


# Each language on another screen (see the module's docstring).
VISITOR_RUNS = [("de", "320px"), ("ar", "zoom200"), ("en", "desktop")]
STAFF_RUNS = [("de", "320px"), ("en", "desktop")]


@pytest.mark.parametrize(("language", "viewport"), VISITOR_RUNS)
async def test_axe_finds_nothing_on_the_visitor_pages(
    browser: Browser, live: LiveService, language: str, viewport: str
) -> None:
    axe = AxeCheck(language, viewport)
    context = await new_context(browser, language, **axe.context_options())
    try:
        await visitor_pages(browser, live, await context.new_page(), language, axe)
    finally:
        await context.close()
    assert len(axe.pages) == VISITOR_PAGES, axe.pages
    axe.assert_clean()


# --- the staff's pages ----------------------------------------------------------------------


def this_month() -> str:
    return date.today().strftime("%Y-%m")


# Where each account's crawl starts (its own view of these pages); the rest is found by links,
# and a page already seen by an earlier account is not visited again. The schedule of a day
# with sessions (to reach their outcome and allocation pages); the statistics of one month
# (the same tables as for a year, which take axe seconds).
STAFF_SEEDS = {
    "admin": [
        "/staff",
        f"/staff/schedule?date={last_working_day()}",
        f"/staff/statistics?from={this_month()}&to={this_month()}",
    ],
    DESK: [
        "/staff",
        "/staff/desk",
        f"/staff/schedule?date={last_working_day()}",
        "/staff/calendar",
        "/staff/fairness",
    ],
    "reception": ["/staff"],  # its other pages are admin's too, and seen by now
}


async def crawl_staff_pages(
    browser: Browser, live: LiveService, language: str, visit: Visit, **options: Any
) -> dict[str, list[str]]:
    """Every staff page, as each account sees it; what each account visited."""
    seen: set[Any] = set()
    crawled = {}
    for username, seeds in STAFF_SEEDS.items():
        context = await staff_context(browser, live, username, language, **options)
        try:

            async def labelled(page: Page, label: str, username: str = username) -> None:
                await visit(page, f"{username} {label}")

            crawled[username] = await crawl(context, live.base_url, seeds, seen, labelled)
        finally:
            await context.close()
    return crawled


async def staff_forms_and_states(
    browser: Browser, live: LiveService, language: str, visit: Visit, **options: Any
) -> None:
    """What a crawl does not reach: the sign-in refused, the walk-in form sent empty, the
    slip, and the desk holding a walk-in, with its follow-up page."""
    base = live.base_url
    context = await new_context(browser, language, **options)
    try:
        page = await context.new_page()
        await page.goto(f"{base}/login")
        await page.fill("#username", "admin")
        await page.fill("#password", "not the password")
        await page.click("button[type=submit]")
        await page.wait_for_selector(".error-summary")
        await visit(page, "sign-in, wrong password")
    finally:
        await context.close()

    reception = await staff_context(browser, live, "reception", language, **options)
    counsellor = await staff_context(browser, live, DESK, language, **options)
    try:
        page = await reception.new_page()
        await page.goto(f"{base}/staff/reception/walk-ins")
        await page.click("form.walk-in-form button[type=submit]")
        await page.wait_for_selector("#error-summary")
        await visit(page, "walk-in form, sent empty")
        await register_walk_in(page, base, "ar")  # for the desk below
        await visit(page, "walk-in slip")

        async def another_walk_in() -> None:
            await register_walk_in(page, base, "ar")

        await at_the_desk_with_a_walk_in(await counsellor.new_page(), base, visit, another_walk_in)
    finally:
        await reception.close()
        await counsellor.close()


async def press(page: Page, selector: str) -> None:
    """A button that sends a form, and the page that answers."""
    async with page.expect_navigation():
        await page.click(selector)


async def at_the_desk_with_a_walk_in(
    page: Page, base: str, visit: Visit, another_walk_in: Callable[[], Awaitable[None]]
) -> None:
    """The counsellor calls the next walk-in who fits them, starts the session, opens the
    follow-up page and sends it with a bad address, and finishes: the desk is as before.
    Outside opening hours the service closes waiting tickets every two minutes: if that took
    the one just made, reception makes another."""
    await page.goto(f"{base}/staff/desk")
    presence = "form[action='/staff/desk/presence'] button[name=present]"
    was_away = await page.locator(f"{presence}[value='1']").count() == 1
    if was_away:
        await press(page, f"{presence}[value='1']")
    call_next = "form[action='/staff/desk/call-next'] button"
    for attempt in range(2):
        if attempt:
            await another_walk_in()
        await press(page, call_next)
        if await page.locator("form[action='/staff/desk/call-next'] input[name=anyway]").count():
            await press(page, call_next)  # a booked session begins soon: call all the same
        if await page.locator("dl.ticket-current").count() == 1:
            break
    else:
        raise AssertionError("nobody was called")
    await visit(page, "desk, walk-in called")
    await press(page, "form[action$='/start'] button")
    await visit(page, "desk, in a session")
    await page.click("a[href$='/follow-up']")
    await page.wait_for_url("**/follow-up*")
    await visit(page, "follow-up")
    if await page.locator("ul.slots button").count():
        await page.fill("#email", "not an address")
        await press(page, "ul.slots li:first-child button")
        assert await page.locator("#error-summary").count() == 1
        await visit(page, "follow-up, bad address")
    await page.goto(f"{base}/staff/desk")
    await press(page, "form[action$='/finish'] button")
    if was_away:
        await press(page, f"{presence}[value='0']")


def working_day_ahead(count: int) -> date:
    """The ``count``-th weekday after today: the demo has sessions on it."""
    day = date.today()
    while count:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day


# Each run closes its own day: a later day than any other test books on (the next working day).
CLOSED_DAY = {"de": 4, "en": 5}


async def administration_outcomes(
    browser: Browser, live: LiveService, language: str, visit: Visit, **options: Any
) -> None:
    """The pages only a change reaches: a closure day over booked sessions (the conflicts
    page, then the result of leaving them), its removal, and the mail retry question."""
    base = live.base_url
    context = await staff_context(browser, live, "admin", language, **options)
    try:
        page = await context.new_page()
        await page.goto(f"{base}/staff/admin/locations")
        await page.get_by_role("link", name=LOCATION, exact=True).click()
        closures = f"{page.url.split('?')[0]}/closures"
        await page.goto(closures)
        await page.fill("#day", working_day_ahead(CLOSED_DAY[language]).isoformat())
        await page.fill("#reason", "axe")
        await page.click("form[action$='/closures'] button[type=submit]")
        await page.wait_for_selector("button[name=resolution][value=leave]")
        await visit(page, "closure over booked sessions")
        await page.click("button[name=resolution][value=leave]")
        await page.wait_for_load_state()
        await visit(page, "closure saved, sessions left")
        await page.goto(closures)
        await page.locator("a[href*='/closures/'][href$='/remove']").first.click()
        await page.wait_for_selector("button.danger")
        await visit(page, "closure removal")
        await page.click("button.danger")  # open again, as it was
        await page.wait_for_load_state()
        await page.goto(f"{base}/staff/admin/mail/retry-failed")
        await visit(page, "mail: send the failed again?")
    finally:
        await context.close()


def paths(urls: list[str]) -> set[str]:
    return {urlsplit(url).path for url in urls}


@pytest.fixture(scope="module")
async def mail_in_the_outbox(browser: Browser, live: LiveService) -> None:
    """A booking, whatever ran before: its confirmation is a message for the mail pages."""

    async def nothing(page: Page, label: str) -> None:
        pass

    context = await new_context(browser, "ar")
    try:
        await book_with_the_mouse(await context.new_page(), live, nothing)
    finally:
        await context.close()


def assert_reached_every_kind_of_page(crawled: dict[str, list[str]]) -> None:
    admin = paths(crawled["admin"])
    assert len(admin) >= 30, admin
    assert {"/staff/statistics", "/staff/admin/mail", "/staff/audit"} <= admin, admin
    assert any(re.fullmatch(r"/staff/admin/mail/\d+", path) for path in admin), admin
    assert {"/staff/desk", "/staff/calendar"} <= paths(crawled[DESK])


@pytest.mark.usefixtures("mail_in_the_outbox")
@pytest.mark.parametrize(("language", "viewport"), STAFF_RUNS)
async def test_axe_finds_nothing_on_the_staff_pages(
    browser: Browser, live: LiveService, language: str, viewport: str
) -> None:
    axe = AxeCheck(language, viewport)
    crawled = await crawl_staff_pages(browser, live, language, axe, **axe.context_options())
    await staff_forms_and_states(browser, live, language, axe, **axe.context_options())
    await administration_outcomes(browser, live, language, axe, **axe.context_options())
    assert_reached_every_kind_of_page(crawled)
    axe.assert_clean()


# --- the keyboard alone ---------------------------------------------------------------------

# The focused element, and whether its focus can be seen: an outline or a ring (box-shadow).
FOCUS = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shown = element.getBoundingClientRect();
  return {
    element: element.outerHTML.slice(0, 120),
    visible: (outline || style.boxShadow !== "none") && shown.width > 0 && shown.height > 0,
  };
}"""


async def tab_to(page: Page, selector: str, most: int = 80) -> None:
    """Tab until the focus is on ``selector``, checking at every stop that it can be seen."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        focus = await page.evaluate(FOCUS)
        if focus is None:
            continue  # past the page's end, in the browser's own controls
        assert focus["visible"], f"focus cannot be seen on {focus['element']}"
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{most} tabs did not reach {selector} on {page.url}")


async def choose_by_arrows(page: Page, value: str) -> None:
    """The focused <select> set to ``value`` with the arrow keys, as a keyboard user would."""
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(30):
            before = await page.evaluate("document.activeElement.value")
            if before == value:
                return
            await page.keyboard.press(key)
            if await page.evaluate("document.activeElement.value") == before:
                break  # the list's end
    assert await page.evaluate("document.activeElement.value") == value


@pytest.mark.parametrize(("language", "session_language"), [("de", "en"), ("ar", "ar")])
async def test_a_session_is_booked_with_the_keyboard_alone(
    browser: Browser, live: LiveService, language: str, session_language: str
) -> None:
    context = await new_context(browser, language)
    try:
        page = await context.new_page()
        await page.goto(office_link(live))  # the link from the office's confirmation
        await assert_language(page, language, "add-on: start")

        await tab_to(page, "input[name=topic]")
        await page.keyboard.press("ArrowDown")  # the second topic, checked as it gets the focus
        assert await page.evaluate("document.activeElement.checked")
        topic = await page.evaluate("document.activeElement.value")
        await tab_to(page, "#language")
        await choose_by_arrows(page, session_language)
        await tab_to(page, "form[action='/add-on/times'] button[type=submit]")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/add-on/times?**")
        assert f"topic={topic}" in page.url and f"language={session_language}" in page.url

        await tab_to(page, "ul.slots button")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/add-on/details?**")

        await tab_to(page, "#name")
        await page.keyboard.type("Rana Haddad")
        await tab_to(page, "#email")
        await page.keyboard.type("rana.keyboard@example.org")
        await tab_to(page, "#consent")
        await page.keyboard.press("Space")
        assert await page.is_checked("#consent")
        await tab_to(page, "form[action='/add-on/book'] button[type=submit]")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/manage/*?done=booked")
        assert await page.locator(".success[role=status] h1").count() == 1

        # From the success page to the manage page: "Cancel the session?", "No, go back".
        await tab_to(page, "a[href$='/cancel']")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/manage/*/cancel")
        await tab_to(page, "main a[href^='/manage/']")
        await page.keyboard.press("Enter")
        await page.wait_for_url(re.compile(r".*/manage/[^/?]+$"))
        assert await page.locator("dd.status-booked").count() == 1
    finally:
        await context.close()


async def test_the_desk_reload_keeps_the_focus_and_can_be_switched_off(
    browser: Browser, live: LiveService
) -> None:
    """The desk reloads itself for new walk-ins (WCAG 2.2.1): the focus stays on its control,
    and a checkbox, reached by keyboard, stops the reloading (also after a reload by hand)."""
    context = await staff_context(browser, live, "awo1")
    try:
        page = await context.new_page()
        await page.clock.install()  # the page's timers run when the test says so
        await page.goto(f"{live.base_url}/staff/desk")
        call_next = "form[action='/staff/desk/call-next'] button"
        await tab_to(page, call_next)
        async with page.expect_navigation():
            await page.clock.run_for(21_000)
        assert await page.evaluate("s => document.activeElement.matches(s)", call_next)

        await tab_to(page, "[data-auto-reload]")
        await page.keyboard.press("Space")
        await page.evaluate("window.stayed = true")
        await page.clock.run_for(120_000)
        assert await page.evaluate("window.stayed === true"), "the page reloaded"
        await page.reload()
        assert not await page.is_checked("[data-auto-reload]")
    finally:
        await context.close()


# --- errors ---------------------------------------------------------------------------------


async def assert_errors_lead_to_their_fields(page: Page, fields: set[str]) -> None:
    """The summary has the focus and is an alert; each link says its field's error and, when
    followed with Enter, puts the focus on the field, which is invalid and described by it."""
    summary = page.locator("#error-summary")
    assert await summary.get_attribute("role") == "alert"
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    links = await summary.locator("a").all()
    targets = [str(await link.get_attribute("href")) for link in links]
    assert {t.removeprefix("#") for t in targets} == fields, targets
    for link, target in zip(links, targets, strict=True):
        field = page.locator(target)
        assert await field.count() == 1, target
        assert await field.evaluate("e => e.matches('input, select, textarea')"), target
        assert await field.get_attribute("aria-invalid") == "true", target
        described = await field.evaluate(
            "e => [e, e.closest('fieldset')].filter(Boolean)"
            ".flatMap(x => (x.getAttribute('aria-describedby') || '').split(' '))"
        )
        message_id = f"{target[1:]}-error"
        assert message_id in described, (target, described)
        message = (await page.locator(f"#{message_id}").inner_text()).strip()
        assert message and message == (await link.inner_text()).strip()
        await link.focus()
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.id") == target[1:]


@pytest.mark.parametrize("language", ["de", "ar"])
async def test_the_visitor_forms_errors_are_announced_and_lead_to_their_fields(
    browser: Browser, live: LiveService, language: str
) -> None:
    context = await new_context(browser, language)
    try:
        page = await context.new_page()
        await page.goto(office_link(live))
        await page.click("form[action='/add-on/times'] button[type=submit]")
        await page.wait_for_selector("#error-summary")
        await assert_errors_lead_to_their_fields(page, {"topic"})

        await page.locator("input[name=topic]").first.check()
        await page.click("form[action='/add-on/times'] button[type=submit]")
        await page.locator("ul.slots button").first.click()
        await page.wait_for_url("**/add-on/details?**")
        await page.click("form[action='/add-on/book'] button[type=submit]")
        await page.wait_for_selector("#error-summary")
        await assert_errors_lead_to_their_fields(page, {"name", "email", "consent"})

        await page.fill("#name", "Rana Haddad")
        await page.fill("#email", "not an address")
        await page.check("#consent")
        await page.click("form[action='/add-on/book'] button[type=submit]")
        await page.wait_for_selector("#error-summary")
        await assert_errors_lead_to_their_fields(page, {"email"})
        assert await page.input_value("#name") == "Rana Haddad"  # what was right is kept
    finally:
        await context.close()


async def test_the_walk_in_forms_errors_lead_to_their_fields(
    browser: Browser, live: LiveService
) -> None:
    context = await staff_context(browser, live, "reception")
    try:
        page = await context.new_page()
        await page.goto(f"{live.base_url}/staff/reception/walk-ins")
        await page.click("form.walk-in-form button[type=submit]")
        await page.wait_for_selector("#error-summary")
        await assert_errors_lead_to_their_fields(page, {"topic", "language"})
    finally:
        await context.close()


# --- reflow ---------------------------------------------------------------------------------


async def test_the_visitor_pages_fit_a_narrow_screen_right_to_left(
    browser: Browser, live: LiveService
) -> None:
    """The axe runs above check German at 320 pixels and Arabic at 200 % zoom; Arabic at 320
    pixels is the last case (and 200 % zoom in German is wider than 320 pixels)."""
    viewport, language = "320px", "ar"
    reflow = Reflow()
    context = await new_context(browser, language, **VIEWPORTS[viewport])
    try:
        await visitor_pages(browser, live, await context.new_page(), language, reflow)
    finally:
        await context.close()
    assert len(reflow.pages) == VISITOR_PAGES
    reflow.assert_none(f"{viewport} in {language!r}")


@pytest.mark.usefixtures("mail_in_the_outbox")
async def test_the_staff_pages_fit_200_percent_zoom(browser: Browser, live: LiveService) -> None:
    """At 320 pixels the German axe run above checks it."""
    viewport = "zoom200"
    reflow = Reflow()
    crawled = await crawl_staff_pages(browser, live, "de", reflow, **VIEWPORTS[viewport])
    assert_reached_every_kind_of_page(crawled)
    reflow.assert_none(viewport)
