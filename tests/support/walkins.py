"""Walk-ins through the queue's JSON API: registering, calling the next, acting on a ticket."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx

from booking.models import Counsellor
from tests.conftest import Service
from tests.support.staff import csrf_of

WALK_IN = {"topic": "forms", "language": "de", "priority": "", "name": "Amina"}


async def register(service: Service, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await service.client.post(
        "/api/v1/locations/hsc/walk-ins", json={**WALK_IN, **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def call_next(service: Service, headers: dict[str, str], **body: Any) -> Any:
    return await service.client.post("/api/v1/queue/call-next", json=body, headers=headers)


async def act(
    service: Service, headers: dict[str, str], ticket_id: int, action: str, **body: Any
) -> Any:
    return await service.client.post(
        f"/api/v1/walk-ins/{ticket_id}/{action}", json=body or None, headers=headers
    )


async def counsellor_of(username: str) -> Counsellor:
    return await Counsellor.get(accounts__username=username)


FORM = "/staff/reception/walk-ins"


async def post_walk_in(service: Service, **fields: str) -> httpx.Response:
    page = await service.client.get(FORM)
    data = {"topic": "forms", "language": "de", "priority": "", "name": "", **fields}
    return await service.client.post(FORM, data={**data, "csrf": csrf_of(page.text)})
