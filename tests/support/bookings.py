"""Bookings made through the JSON API, as an applicant's phone makes them."""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.models import Booking, StaffUser
from tests.conftest import Service


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
    user = await StaffUser.get(counsellor_id=booking.counsellor_id)  # type: ignore[attr-defined]
    return user.username
