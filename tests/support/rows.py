"""Bookings written straight into the database, as the booking service would leave them, and
a history of two months at two locations built from them."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from booking.models import Booking, Counsellor, Location, OfficeAppointment, Organisation
from tests.conftest import BERLIN


def berlin(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


async def add_booking(
    location: str,
    organisation: str,
    start: datetime,
    *,
    status: str = "attended",
    topic: str = "forms",
    language: str = "de",
    channel: str = "online",
    name: str = "Amina Test",
    email: str = "amina@example.org",
    phone: str = "+49 511 1234567",
    note: str = "",
    covered: tuple[str, ...] = (),
    referral: str = "",
) -> Booking:
    """A booking written straight into the database, as the booking service would leave it."""
    place = await Location.get(code=location)
    owner = await Organisation.get(code=organisation)
    counsellor = await Counsellor.filter(organisation=owner).order_by("id").first()
    assert counsellor is not None
    token = uuid.uuid4().hex
    appointment = await OfficeAppointment.create(
        location=place, ref=f"ABH-{token[:12]}", start=start.astimezone(UTC), duration_minutes=30
    )
    active = status != "cancelled"
    return await Booking.create(
        reference=f"T-{token[:12]}",
        location=place,
        appointment=appointment,
        counsellor=counsellor,
        organisation=owner,
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=30)).astimezone(UTC),
        topic=topic,
        language=language,
        channel=channel,
        status=status,
        name=name,
        email=email,
        phone=phone,
        outcome_note=note,
        outcome_topics=list(covered),
        referral=referral,
        consent_at=start.astimezone(UTC),
        manage_token_hash=hashlib.sha256(token.encode()).hexdigest(),
        slot_key=f"test-{token}" if active else None,
        appointment_key=f"test-{token}" if active else None,
        cancelled_at=start.astimezone(UTC) if not active else None,
    )


async def add_second_location() -> None:
    await Location.create(
        code="lgn", name="Bürgeramt Langenhagen", address="Marktplatz 1", timezone="Europe/Berlin"
    )


async def seed() -> None:
    """Two months and two locations, with every status; the clock stands at 23 Nov 2026."""
    await add_second_location()
    await add_booking("hsc", "awo", berlin(10, 15), status="attended")
    await add_booking(
        "hsc", "awo", berlin(10, 20), status="no_show", topic="housing", language="ar"
    )
    await add_booking("hsc", "caritas", berlin(11, 10), language="ar", channel="walk_in")
    await add_booking(
        "hsc", "caritas", berlin(11, 24), status="booked", topic="work", language="fa"
    )
    await add_booking("hsc", "drk", berlin(11, 12), status="cancelled")
    # 1 November 00:30 in Hannover is still 31 October in UTC: it belongs to November.
    await add_booking(
        "lgn", "kargah", berlin(11, 1, 0, 30), topic="family", language="uk", channel="walk_in"
    )
    await add_booking("lgn", "kargah", berlin(11, 16), status="booked", language="uk")
    await add_booking("hsc", "awo", berlin(5, 15))  # before the default period
    # 1 December 00:15 in Hannover is still 30 November in UTC: it belongs to December.
    await add_booking("hsc", "awo", berlin(12, 1, 0, 15), status="booked")
