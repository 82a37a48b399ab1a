"""Staff pages on a desktop screen: at 1280 by 800 every column and every button of the
schedule (the counsellor's and the organisation's view), reception, the walk-in desk and the
coordinator's plan pages is on screen, without scrolling sideways, neither the page nor a
table inside it. Applicant pages stay phone-first (tests/browser/test_accessibility.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.browser.crawl import DESK, crawl, last_working_day, staff_context

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

    from tests.live import LiveService

DESKTOP = {"width": 1280, "height": 800}

# What the page shows sideways beyond the window: the document's overflow, every element that
# scrolls (or clips) its content sideways, and every control that reaches past the window.
MEASURE = """() => {
  const root = document.scrollingElement;
  const width = root.clientWidth;
  const describe = (el) => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '')
    + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
    + ' ' + (el.innerText || el.value || '').trim().slice(0, 30);
  const scrolled = [...document.querySelectorAll('body *')].filter((el) => {
    const style = getComputedStyle(el);
    return style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1
      && el.clientWidth > 0 && !el.classList.contains('visually-hidden');
  }).map(describe);
  const controls = [...document.querySelectorAll('button, .button, input[type=submit], select')]
    .filter((el) => el.getClientRects().length > 0)
    .filter((el) => { const r = el.getBoundingClientRect();
                      return r.left < 0 || r.right > width + 0.5; })
    .map(describe);
  return {scrollWidth: root.scrollWidth, clientWidth: width, scrolled, controls};
}"""

# The pages the finding is about, as the accounts that use them; the crawl then adds every
# staff page their links lead to (the coordinator's plan and exception pages among them).
SEEDS: dict[str, list[str]] = {
    DESK: [
        f"/staff/schedule?date={last_working_day()}",
        f"/staff/schedule?date={last_working_day()}&view=organisation",
        "/staff/desk",
    ],
    "reception": ["/staff/reception", "/staff/reception/walk-ins"],
    "admin": [
        f"/staff/schedule?date={last_working_day()}",
        "/staff/admin/counsellors",
        "/staff/admin/attention",
    ],
}


async def test_staff_pages_fit_a_1280_pixel_screen(browser: Browser, live: LiveService) -> None:
    problems: dict[str, Any] = {}
    seen: set[Any] = set()
    visited: dict[str, list[str]] = {}

    for username, seeds in SEEDS.items():
        context = await staff_context(browser, live, username, "de", viewport=DESKTOP)
        try:

            async def measure(page: Page, label: str, username: str = username) -> None:
                found = await page.evaluate(MEASURE)
                if (
                    found["scrollWidth"] > found["clientWidth"]
                    or found["scrolled"]
                    or found["controls"]
                ):
                    problems[f"{username} {label}"] = found

            visited[username] = await crawl(context, live.base_url, seeds, seen, measure)
        finally:
            await context.close()

    paths = {url.split("/", 3)[-1] for urls in visited.values() for url in urls}
    assert {"staff/desk", "staff/reception", "staff/reception/walk-ins"} <= paths
    assert any(p.endswith("view=organisation") for p in paths)
    assert any(p.startswith("staff/admin/counsellors/") and p.endswith("/plan") for p in paths)
    assert any(p.startswith("staff/admin/counsellors/") and "/exceptions" in p for p in paths)
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
