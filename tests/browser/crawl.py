"""Walking the staff pages in a browser: contexts that sign in once per account, and a
breadth-first crawl that visits one page of each shape."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.browser.pages import new_context, sign_in

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

    from tests.live import LiveService

DESK = "drk1"  # Nadia R.: German, Arabic and English, every topic
STAFF_PAGE_LIMIT = 80  # a crawl's most pages; the demo has about 50 kinds of staff page
CRAWLERS = 2  # tabs crawling at once: one page loads while axe works in the other


Visit = Callable[["Page", str], Awaitable[None]]
SIGNED_IN: dict[tuple[str, str], Any] = {}  # (service, username): a signed-in browser's state


async def staff_context(
    browser: Browser, live: LiveService, username: str, language: str = "de", **options: Any
) -> BrowserContext:
    """A browser signed in as ``username``. Signing in hashes a password, which takes a
    second: each account signs in once, later browsers reuse its session cookie."""
    key = (live.base_url, username)
    if key not in SIGNED_IN:
        context = await new_context(browser, language)
        await sign_in(await context.new_page(), live.base_url, username)
        state: Any = await context.storage_state()
        await context.close()
        # The session only: the page language stays the browser's.
        state["cookies"] = [c for c in state["cookies"] if c["name"] != "lang"]
        SIGNED_IN[key] = state
    return await new_context(browser, language, storage_state=SIGNED_IN[key], **options)


DOWNLOAD = re.compile(r"\.(csv|eml|ics|html|json)$")


# Query keys that choose which data a page shows, not which page it is.
DATA_KEYS = {"lang", "date", "day", "from", "to", "location", "return_to"}


def page_shape(url: str) -> tuple[str, tuple[str, ...]]:
    """Pages that differ only in ids or in the data they show look alike, and one of them is
    enough: one day of the schedule, not thirty."""
    parts = urlsplit(url)
    keys = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)} - DATA_KEYS
    return re.sub(r"/\d+(?=/|$)", "/N", parts.path), tuple(sorted(keys))


async def staff_links(page: Page, base: str) -> list[str]:
    """The page's links to other staff pages: no downloads, and no language switch (a crawl
    keeps its language)."""
    hrefs: list[str] = await page.eval_on_selector_all(
        "a[href]:not([download])", "links => links.map(a => a.href)"
    )
    links = []
    for href in hrefs:
        url = href.split("#")[0]
        parts = urlsplit(url)
        if not url.startswith(f"{base}/staff") or DOWNLOAD.search(parts.path):
            continue
        if "lang" not in dict(parse_qsl(parts.query)):
            links.append(url)
    return links


async def crawl(
    context: BrowserContext, base: str, seeds: list[str], seen: set[Any], visit: Visit
) -> list[str]:
    """The seeds, then breadth first the staff pages their links lead to, by GET only (every
    staff action is a POST form), a page of each shape not in ``seen`` yet, in two tabs at
    once; the addresses visited."""
    queue = deque(f"{base}{seed}" for seed in seeds)
    seen.update(page_shape(url) for url in queue)
    visited: list[str] = []
    busy = 0

    async def tab() -> None:
        nonlocal busy
        page = await context.new_page()
        while queue or busy:
            if not queue:
                await asyncio.sleep(0.05)  # the other tab may still find links
                continue
            if len(visited) >= STAFF_PAGE_LIMIT:
                break
            url = queue.popleft()
            visited.append(url)
            busy += 1
            try:
                response = await page.goto(url)
                assert response is not None and response.ok, (url, response and response.status)
                await visit(page, url[len(base) :])
                for link in await staff_links(page, base):
                    if page_shape(link) not in seen:
                        seen.add(page_shape(link))
                        queue.append(link)
            finally:
                busy -= 1
        await page.close()

    await asyncio.gather(*(tab() for _ in range(CRAWLERS)))
    return visited


def last_working_day() -> date:
    """A past weekday: the demo has sessions on it, with outcomes to record."""
    day = date.today() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day
