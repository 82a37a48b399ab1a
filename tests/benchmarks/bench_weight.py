"""What each applicant and visitor page transfers on first load, measured in Chromium.

Every response a fresh browser profile fetches for the page is counted (HTML, CSS, scripts,
images; fonts are left out, as the issue says: we ship none, the phone's own are used). The
service does not compress, so the bodies are the bytes on the wire, apart from headers.

    python tests/benchmarks/bench_weight.py        (make bench-weight)

prints the table; tests/browser/test_weight.py holds every page to the 60 KB budget.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveService, browser_missing, live_service

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Response

BUDGET = 60 * 1024
FONT_TYPES = ("font",)


@dataclass(frozen=True)
class Weight:
    page: str
    language: str
    requests: int
    html: int
    other: int

    @property
    def total(self) -> int:
        return self.html + self.other


class Meter:
    """Counts what one page load fetches, in a profile with an empty cache."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.pending: list[asyncio.Task[tuple[str, int]]] = []
        page.on("response", self._seen)

    def _seen(self, response: Response) -> None:
        if response.request.resource_type in FONT_TYPES:
            return
        self.pending.append(asyncio.ensure_future(self._size(response)))

    @staticmethod
    async def _size(response: Response) -> tuple[str, int]:
        try:
            body = await response.body()
        except Exception:  # a redirect has no body to fetch
            return response.request.resource_type, 0
        return response.request.resource_type, len(body)

    async def measure(self, name: str, language: str, load: Awaitable[object]) -> Weight:
        self.pending.clear()
        await load
        await self.page.wait_for_load_state("networkidle")
        sizes = await asyncio.gather(*self.pending)
        html = sum(size for kind, size in sizes if kind == "document")
        other = sum(size for kind, size in sizes if kind != "document")
        return Weight(name, language, len(sizes), html, other)


async def _fresh(browser: Browser, language: str) -> tuple[Page, Meter]:
    context = await browser.new_context(locale=language)
    page = await context.new_page()
    return page, Meter(page)


async def applicant_pages(browser: Browser, live: LiveService, language: str) -> list[Weight]:
    """The booking flow from the office link to the manage page, and the public pages; every
    step in a new profile, so that each counts as a first load (nothing cached)."""
    weights: list[Weight] = []

    async def first_load(name: str, url: str) -> Page:
        page, meter = await _fresh(browser, language)
        weights.append(await meter.measure(name, language, page.goto(url)))
        return page

    home = await first_load("home", f"{live.base_url}/?lang={language}")
    await home.context.close()
    privacy = await first_load("privacy", f"{live.base_url}/privacy?lang={language}")
    await privacy.context.close()

    start = await first_load("add-on: start", f"{live.demo_link()}&lang={language}")
    await start.locator("input[name=topic]").first.check()
    await start.locator("form[action='/add-on/times'] button[type=submit]").click()
    times_url = start.url
    await start.context.close()
    times = await first_load("add-on: times", times_url)
    await times.locator(".slots button").first.click()
    details_url = times.url
    await times.context.close()
    details = await first_load("add-on: details", details_url)
    await details.fill("#name", "Test Person")
    await details.fill("#email", "test@example.org")
    await details.check("#consent")
    await details.locator("form[action='/add-on/book'] button[type=submit]").click()
    await details.wait_for_load_state("networkidle")
    success_html = await details.content()
    manage_url = await details.locator("a[href*='/manage/']").first.get_attribute("href")
    await details.context.close()
    assert manage_url, success_html
    if manage_url.startswith("/"):
        manage_url = live.base_url + manage_url
    manage = await first_load("manage", manage_url)
    await manage.context.close()
    return weights


async def visitor_pages(browser: Browser, live: LiveService, language: str) -> list[Weight]:
    token = live.register_walk_in(language)
    weights = []
    for name, url in (
        ("walk-in status", f"{live.base_url}/t/{token}?lang={language}"),
        ("display", f"{live.base_url}/display/hsc?lang={language}"),
    ):
        page, meter = await _fresh(browser, language)
        weights.append(await meter.measure(name, language, page.goto(url)))
        await page.context.close()
    return weights


async def measure_all(live: LiveService, languages: tuple[str, ...]) -> list[Weight]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            weights: list[Weight] = []
            for language in languages:
                weights += await applicant_pages(browser, live, language)
                weights += await visitor_pages(browser, live, language)
            return weights
        finally:
            await browser.close()


def table(weights: list[Weight]) -> str:
    lines = [f"{'page':<18} {'lang':<4} {'req':>3} {'HTML':>8} {'CSS/JS/img':>10} {'total':>8}"]
    for w in weights:
        lines.append(
            f"{w.page:<18} {w.language:<4} {w.requests:>3} {w.html:>8,} {w.other:>10,} "
            f"{w.total:>8,}{'  OVER BUDGET' if w.total > BUDGET else ''}"
        )
    heaviest = max(weights, key=lambda w: w.total)
    lines.append(
        f"heaviest: {heaviest.page} ({heaviest.language}) {heaviest.total / 1024:.1f} KB "
        f"of {BUDGET // 1024} KB"
    )
    return "\n".join(lines)


def main() -> int:
    reason = browser_missing()
    if reason is not None:
        print(f"bench-weight: {reason}")
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="booking-weight-") as tmp,
        live_service(Path(tmp)) as live,
    ):
        weights = asyncio.run(measure_all(live, ("de", "en", "ar")))
    print(table(weights))
    return 0 if all(w.total <= BUDGET for w in weights) else 1


if __name__ == "__main__":
    sys.exit(main())
