"""The coordinator's account tools in Chromium against a running service: a password reset that
the person must replace at their next sign-in before anything else, and an API token made in
the browser, used by a device and revoked after a question.

Each test makes its own account or token, so that the demo accounts the other browser tests
sign in with keep their password."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx2 as httpx

from tests.browser.pages import new_context, sign_in, staff
from tests.live import LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

FIRST_PASSWORD = "first-password-1"


async def create_account(page: Page, base_url: str, username: str) -> None:
    """As the coordinator: a reception account with FIRST_PASSWORD."""
    await page.goto(f"{base_url}/staff/users")
    await page.fill("#username", username)
    await page.select_option("#role", "reception")
    await page.fill("#password", FIRST_PASSWORD)
    await page.get_by_role("button", name=staff("Create account")).click()
    await page.wait_for_url("**/staff/users?done=created")


async def test_a_reset_password_must_be_replaced_at_the_next_sign_in(
    live: LiveService, browser: Browser
) -> None:
    admin_context = await new_context(browser, "de")
    person_context = await new_context(browser, "de")
    try:
        admin = await admin_context.new_page()
        await sign_in(admin, live.base_url, "admin")
        await create_account(admin, live.base_url, "desk.reset")
        await admin.get_by_role("link", name="desk.reset", exact=True).click()
        await admin.get_by_role("link", name=staff("Reset the password")).click()
        await admin.wait_for_url("**/reset")
        await admin.get_by_role("button", name=staff("Yes, reset")).click()
        temporary = (await admin.locator("code").inner_text()).strip()
        assert len(temporary) >= 12

        person = await person_context.new_page()
        await person.goto(f"{live.base_url}/login")
        await person.fill("input[name=username]", "desk.reset")
        await person.fill("input[name=password]", temporary)
        await person.click("button[type=submit]")
        await person.wait_for_url("**/staff/password")
        reset = (
            "An administrator has reset your password. Please choose a new one before you go on."
        )
        assert staff(reset) in await person.content()
        await person.goto(f"{live.base_url}/staff/reception")  # anything else: back to the form
        assert person.url.endswith("/staff/password")
        await person.fill("input[name=current]", temporary)
        await person.fill("input[name=new]", "my-own-password-1")
        await person.fill("input[name=repeat]", "my-own-password-1")
        await person.get_by_role("button", name=staff("Change password")).click()
        await person.wait_for_url("**/staff?done=password")
        await person.goto(f"{live.base_url}/staff/reception")
        assert person.url.endswith("/staff/reception")
    finally:
        await admin_context.close()
        await person_context.close()


def token_works(live: LiveService, token: str) -> bool:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{live.base_url}/api/v1/auth/me", headers=headers).status_code == 200


async def test_an_api_token_is_made_in_the_browser_and_revoked(
    live: LiveService, browser: Browser
) -> None:
    context = await new_context(browser, "de")
    try:
        page = await context.new_page()
        await sign_in(page, live.base_url, "admin")
        await page.goto(f"{live.base_url}/staff/tokens")
        await page.fill("#token-label", "Anzeige Halle B")
        owner = page.locator("#token-owner option", has_text=re.compile(r"^reception "))
        value = await owner.get_attribute("value")
        assert value, "the reception account is offered"
        await page.select_option("#token-owner", value)
        await page.get_by_role("button", name=staff("Make a token")).click()
        token = (await page.locator("#new-token").inner_text()).strip()
        assert token_works(live, token)

        await page.goto(f"{live.base_url}/staff/tokens")
        assert token not in await page.content()  # shown once only
        row = page.locator("tr", has_text="Anzeige Halle B")
        assert "reception" in await row.inner_text()
        await row.get_by_role("link", name=staff("Revoke")).click()
        await page.wait_for_url("**/revoke")
        assert token_works(live, token)  # the question changes nothing
        await page.get_by_role("button", name=staff("Yes, revoke")).click()
        await page.wait_for_url("**/staff/tokens?done=revoked")
        assert not token_works(live, token)
        assert staff("revoked") in await page.locator("tr", has_text="Anzeige Halle B").inner_text()
    finally:
        await context.close()
