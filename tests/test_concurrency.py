"""No double booking, ever: many applicants press "book" for the same time at once.

Runs on SQLite and PostgreSQL. On PostgreSQL the requests really run in parallel over a
connection pool; the database (the location lock and the unique keys) decides.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from booking.models import Booking
from tests.conftest import Service, at, utc

ATTEMPTS = 50


async def _fire(service: Service, language: str, topic: str) -> list[int]:
    async def attempt(number: int) -> int:
        link = service.link(at(10), ref=f"ABH-race-{number}")
        body = service.booking_body(link, at(11), language=language, topic=topic)
        response = await service.client.post("/api/v1/bookings", json=body)
        assert response.status_code in (201, 409), response.text
        if response.status_code == 409:
            assert response.json()["error"] == "slot_taken"
        return response.status_code

    return await asyncio.gather(*(attempt(n) for n in range(ATTEMPTS)))


async def test_one_free_counsellor_is_booked_exactly_once(service: Service) -> None:
    # Tigrinya is spoken by one demo counsellor only.
    statuses = await _fire(service, language="ti", topic="forms")
    assert Counter(statuses) == {201: 1, 409: ATTEMPTS - 1}
    active = await Booking.filter(start=utc(at(11))).exclude(status="cancelled")
    assert len(active) == 1


async def test_k_free_counsellors_are_booked_exactly_k_times_each_once(service: Service) -> None:
    # Arabic and forms: Jonas M., Samir H., Nadia R. and Shirin N. are free at 11:00.
    statuses = await _fire(service, language="ar", topic="forms")
    assert Counter(statuses) == {201: 4, 409: ATTEMPTS - 4}
    active = await Booking.filter(start=utc(at(11))).exclude(status="cancelled")
    counsellors = Counter(b.counsellor_id for b in active)
    assert len(counsellors) == 4 and set(counsellors.values()) == {1}


async def test_racing_reschedules_and_bookings_never_overlap(service: Service) -> None:
    # Three Tigrinya sessions exist; all three move to 12:00 while ten new bookings want it.
    tokens = []
    for number, hour in enumerate((8, 9, 11)):
        link = service.link(at(10), ref=f"ABH-move-{number}")
        response = await service.client.post(
            "/api/v1/bookings",
            json=service.booking_body(link, at(hour), language="ti", topic="forms"),
        )
        assert response.status_code == 201, response.text
        tokens.append(response.json()["manage_token"])

    async def move(token: str) -> int:
        response = await service.client.post(
            f"/api/v1/bookings/{token}/reschedule", json={"start": at(12).isoformat()}
        )
        return response.status_code

    async def book(number: int) -> int:
        link = service.link(at(10), ref=f"ABH-new-{number}")
        response = await service.client.post(
            "/api/v1/bookings",
            json=service.booking_body(link, at(12), language="ti", topic="forms"),
        )
        return response.status_code

    statuses = await asyncio.gather(*(move(t) for t in tokens), *(book(n) for n in range(10)))
    assert statuses.count(200) + statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    assert await Booking.filter(start=utc(at(12))).exclude(status="cancelled").count() == 1
