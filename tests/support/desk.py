"""The counsellor's desk page as a signed-in counsellor uses it: opened, and its buttons pressed."""

from __future__ import annotations

from tests.conftest import Service
from tests.support.staff import csrf_of, sign_in

DESK = "/staff/desk?lang=en"


async def open_desk(service: Service, username: str = "awo1") -> str:
    await sign_in(service.client, username)
    page = await service.client.get(DESK)
    assert page.status_code == 200, page.text
    return page.text


async def press(service: Service, action: str, **fields: str) -> tuple[int, str]:
    """A button of the desk page: the form posted with the page's CSRF token."""
    page = await service.client.get(DESK)
    response = await service.client.post(
        action, data={"csrf": csrf_of(page.text), "location": "hsc", **fields}
    )
    return response.status_code, response.headers.get("location", response.text)
