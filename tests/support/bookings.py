"""Bookings made through the JSON API, as an applicant's phone makes them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from booking.models import Booking, StaffUser
from tests.conftest import MONDAY, Service, at


async def book(
    service: Service, start: datetime, name: str = "Amina Test", **extra: str
) -> Booking:
    link = service.link(start + timedelta(minutes=40))
    body = service.booking_body(link, start, name=name, **extra)
    response = await service.client.post("/api/v1/bookings", json=body)
    assert response.status_code == 201, response.text
    return await Booking.get(reference=response.json()["reference"]).prefetch_related(
        "organisation", "counsellor"
    )


async def account_of(booking: Booking) -> str:
    user = await StaffUser.get(counsellor_id=booking.counsellor_id)
    return user.username


async def book_for_office_ref(
    service: Service, ref: str, start_hour: int = 11, **body: Any
) -> dict[str, Any]:
    link = service.link(at(start_hour + 1), ref=ref)  # the office appointment an hour later
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, at(start_hour), **body)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


TUESDAY = MONDAY + timedelta(days=1)


async def book_on_tuesday(
    service: Service, ref: str, hour: int = 11, day: datetime = TUESDAY, **body: Any
) -> dict[str, Any]:
    """A session on Tuesday (a reminder is due on Monday at 17:00), an hour before the office
    appointment."""
    link = service.link(at(hour + 1, day=day), ref=ref)
    response = await service.client.post(
        "/api/v1/bookings", json=service.booking_body(link, at(hour, day=day), **body)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
