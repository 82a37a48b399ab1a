"""The waiting-room display's chime in Chromium: in kiosk mode (started with
--autoplay-policy=no-user-gesture-required, docs/walk-ins.md) it plays without a click and no
button asks for one; in a browser that wants a click first, the button asks in the display's
languages, whatever the browser's own language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import async_playwright

from tests.browser.pages import (
    call_next,
    new_context,
    put_on_duty,
    register_walk_in,
    said,
    serve,
    sign_in,
    walk_in_day,
)
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

KIOSK = "--autoplay-policy=no-user-gesture-required"
# Arben G. alone speaks Albanian among the demo counsellors: the ticket is his to call.
COUNSELLOR = ("diakonie2", "Arben G.", "1.10")
SOUND = "Click to turn on the sound for new numbers"


async def sound_state(screen: Page) -> str | None:
    await screen.locator("main[data-sound-state]").wait_for(state="attached", timeout=5000)
    return await screen.locator("main").get_attribute("data-sound-state")


async def test_in_kiosk_mode_the_chime_plays_without_a_click(live: LiveService) -> None:
    async with async_playwright() as playwright:
        kiosk = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, KIOSK]
        )
        try:
            tv = await new_context(kiosk, "en-US", viewport={"width": 1280, "height": 720})
            screen = await tv.new_page()
            await screen.goto(f"{live.base_url}/display/hsc")
            assert await sound_state(screen) == "on"
            await screen.wait_for_timeout(1000)  # longer than the page waits before asking
            assert not await screen.locator("[data-sound]").is_visible()
            assert await sound_state(screen) == "on"

            chimes = await call_one(kiosk, live, screen)
            assert chimes is not None and int(chimes) >= 1
            assert not await screen.locator("[data-sound]").is_visible()
        finally:
            await kiosk.close()


async def call_one(browser: Browser, live: LiveService, screen: Page) -> str | None:
    """A real call at the demo location: Arben G. on duty today, an Albanian walk-in
    registered at reception and called at his desk; once ``screen`` shows the call, its chime
    count, and the session is finished again."""
    username, name, room = COUNSELLOR
    office = await new_context(browser, "de")
    try:
        admin = await office.new_page()
        await sign_in(admin, live.base_url, "admin")
        await put_on_duty(admin, live.base_url, name, room, walk_in_day())
        await office.clear_cookies()
        reception = await office.new_page()
        await sign_in(reception, live.base_url, "reception")
        label, _token = await register_walk_in(reception, live.base_url, "forms", "sq", "", "Ema")
        await office.clear_cookies()
        desk = await office.new_page()
        await sign_in(desk, live.base_url, username)
        # "Call next" serves the best fitting ticket for him: one that an earlier test of the
        # shared service left waiting comes first, and is served before ours.
        for _ in range(5):
            await call_next(desk, live.base_url)
            if label in await desk.locator("dl.ticket-current").inner_text():
                break
            await serve(desk)
        assert label in await desk.locator("dl.ticket-current").inner_text()
        latest = screen.locator("tr.display-latest").filter(has_text=label)
        await latest.wait_for(timeout=5000)
        chimes = await screen.locator("main").get_attribute("data-chimes")
        await serve(desk)
        return chimes
    finally:
        await office.close()


async def test_where_a_click_is_needed_the_button_asks_in_the_display_languages(
    live: LiveService, browser: Browser
) -> None:
    """Chromium's default policy (the shared browser has no autoplay flag) keeps a page's
    sound off until someone clicks on it."""
    tv = await new_context(browser, "en-US", viewport={"width": 1280, "height": 720})
    try:
        screen = await tv.new_page()
        await screen.goto(f"{live.base_url}/display/hsc")
        button = screen.locator("[data-sound] button")
        await button.wait_for(state="visible", timeout=5000)
        text = await button.inner_text()
        for language in ("de", "ar", "uk", "so", "ti", "fa"):
            assert said(language, SOUND) in text, language
        assert await button.locator('span[lang="ar"][dir="rtl"]').count() == 1
        assert await sound_state(screen) == "refused"
        await button.click()
        await button.wait_for(state="hidden", timeout=5000)
        assert await sound_state(screen) == "on"
    finally:
        await tv.close()
