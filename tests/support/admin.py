"""The coordinator's browser in the administration tests: signed in, posting forms with the
session's CSRF token; and what those tests book and look up."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
import pytest

from booking.models import ABSENCE, Booking, Counsellor
from tests.conftest import Service, at
from tests.support.staff import csrf_of, sign_in

ADMIN = "/staff/admin"


class Admin:
    """The signed-in coordinator's browser: posts forms with the session's CSRF token."""

    def __init__(self, service: Service, csrf: str) -> None:
        self.service = service
        self.client = service.client
        self.csrf = csrf

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> httpx.Response:
        if isinstance(data, dict):
            items = [(k, v) for k, v in data.items() if not isinstance(v, list)]
            items += [(k, x) for k, v in data.items() if isinstance(v, list) for x in v]
        else:
            items = list(data)
        body = urlencode([("csrf", self.csrf), *items])
        return await self.client.post(
            path, content=body, headers={"content-type": "application/x-www-form-urlencoded"}
        )


@pytest.fixture
async def admin(staff: Service) -> Admin:
    await sign_in(staff.client, "admin")
    page = await staff.client.get(ADMIN)
    assert page.status_code == 200
    return Admin(staff, csrf_of(page.text))


async def book(
    service: Service, hour: int, language: str, topic: str = "forms", organisation: str = ""
) -> Booking:
    """A booking through the API; with ``organisation`` the applicant asks for it (so the test
    knows whose counsellor holds the session: the balancing rules would choose otherwise)."""
    link = service.link(at(10) if hour >= 11 else at(hour + 1, 30))
    body = service.booking_body(link, at(hour), language=language, topic=topic)
    if organisation:
        body["organisation"] = organisation
    response = await service.client.post("/api/v1/bookings", json=body)
    assert response.status_code == 201, response.text
    return await Booking.get(reference=response.json()["reference"])


async def counsellor(name: str) -> Counsellor:
    return await Counsellor.get(display_name=name)


def hidden_fields(html: str) -> list[tuple[str, str]]:
    """The fields a page sends again (the CSRF token is added by ``Admin.post``)."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return [(name, value) for name, value in found if name != "csrf"]


async def absence_for(admin: Admin, person: Counsellor) -> tuple[str, dict[str, str]]:
    path = f"{ADMIN}/counsellors/{person.id}/exceptions"
    return path, {"kind": ABSENCE, "day": "2026-11-23", "note": "Ill"}
