"""Staff in the tests: signing in a browser session (with its CSRF field) and API tokens."""

from __future__ import annotations

import re

import httpx2 as httpx

from tests.conftest import STAFF_PASSWORD, Service

PASSWORD = STAFF_PASSWORD


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page carries a CSRF field"
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    page = await client.get("/login?lang=en")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_of(page.text)},
    )


async def bearer(service: Service, username: str) -> dict[str, str]:
    response = await service.client.post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json()['token']}"}
