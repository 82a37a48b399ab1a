"""Demo sessions: eight weeks of history and the coming days, so every staff page has a day to
show (schedules, the desk, statistics). Made up and reproducible; loaded by
``python -m booking demo`` after the demo plan, never by the tests' plain ``load_demo``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from booking.models import (
    ATTENDED,
    BOOKED,
    CANCELLED,
    NO_SHOW,
    Booking,
    Counsellor,
    Location,
    OfficeAppointment,
    WorkShift,
)
from booking.plan import public_holiday
from booking.services.bookings import (
    appointment_key,
    hash_token,
    new_reference,
    new_token,
    slot_key,
)
from booking.vocabulary import ONLINE, REFERRALS, WALK_IN

FIRST_NAMES = [
    "Amina", "Omar", "Fatemeh", "Yusuf", "Olena", "Dmytro", "Leyla", "Mohammed", "Sara",
    "Ahmad", "Maryam", "Tigist", "Elif", "Arman", "Nour", "Kateryna", "Bilal", "Zainab",
]  # fmt: skip
LAST_NAMES = [
    "Haddad", "Karimi", "Yilmaz", "Kovalenko", "Rahimi", "Tesfaye", "Demir", "Nasser",
    "Hosseini", "Bondarenko", "Ali", "Mahmoud", "Berhane", "Aziz",
]  # fmt: skip
# Session starts on the 40-minute grid (30 minutes and a 10-minute buffer), clear of lunches.
GRID = [time(8, 30), time(9, 10), time(9, 50), time(10, 30), time(14, 0), time(14, 40)]
SESSION = timedelta(minutes=30)


def _working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5 and not public_holiday(day, "DE", "NI"):
            days.append(day)
        day += timedelta(days=1)
    return days


async def load_demo_history(now: datetime, *, weeks_back: int = 8, days_ahead: int = 7) -> int:
    """Add demo sessions around ``now``; returns how many (0 if any booking exists)."""
    if await Booking.exists():
        return 0
    location = await Location.filter(code="hsc").first()
    if location is None:
        return 0
    zone = ZoneInfo(location.timezone)
    today = now.astimezone(zone).date()
    counsellors = await Counsellor.filter(active=True).order_by("id")
    rooms = {
        s.counsellor_id: s.room_id  # type: ignore[attr-defined]
        for s in await WorkShift.filter(location_id=location.id)
    }
    chance = random.Random(20261123)
    bookings: list[Booking] = []
    days = _working_days(today - timedelta(weeks=weeks_back), today + timedelta(days=days_ahead))
    async with in_transaction():
        for day in days:
            for counsellor in counsellors:
                if counsellor.id not in rooms or chance.random() < 0.3:
                    continue  # not planned at this location, or no bookings that day
                for start_time in chance.sample(GRID, k=chance.randint(1, 3)):
                    start = datetime.combine(day, start_time, tzinfo=zone)
                    bookings.append(await _session(location, counsellor, rooms, start, now, chance))
        await Booking.bulk_create(bookings, batch_size=200)
    return len(bookings)


async def _session(
    location: Location,
    counsellor: Counsellor,
    rooms: dict[int, int | None],
    start: datetime,
    now: datetime,
    chance: random.Random,
) -> Booking:
    end = start + SESSION
    ref = f"DEMO-{start:%Y%m%d-%H%M}-{counsellor.id}"
    before = chance.random() < 0.5  # the office appointment right after, or right before
    office_start = end + timedelta(minutes=10) if before else start - timedelta(minutes=40)
    office = await OfficeAppointment.create(
        location=location, ref=ref, start=office_start.astimezone(UTC), duration_minutes=30
    )
    topic = chance.choice(counsellor.topics)
    language = chance.choice(counsellor.languages)
    past = end <= now
    roll = chance.random()
    if roll < 0.08:
        status = CANCELLED
    elif past:
        status = ATTENDED if roll < 0.85 else NO_SHOW
    else:
        status = BOOKED
    active = status != CANCELLED
    first, last = chance.choice(FIRST_NAMES), chance.choice(LAST_NAMES)
    return Booking(
        reference=new_reference(),
        location_id=location.id,
        appointment_id=office.id,
        counsellor_id=counsellor.id,
        organisation_id=counsellor.organisation_id,  # type: ignore[attr-defined]
        room_id=rooms.get(counsellor.id),
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        topic=topic,
        language=language,
        channel=WALK_IN if chance.random() < 0.3 else ONLINE,
        status=status,
        name=f"{first} {last}",
        email=f"{first.lower()}.{last.lower()}@example.org",
        consent_at=(start - timedelta(days=3)).astimezone(UTC),
        manage_token_hash=hash_token(new_token()),
        slot_key=slot_key(counsellor.id, start) if active else None,
        appointment_key=appointment_key(location.id, ref) if active else None,
        outcome_topics=[topic] if status == ATTENDED else [],
        referral=chance.choice(list(REFERRALS)) if status == ATTENDED and roll < 0.2 else "",
        cancelled_at=(start - timedelta(days=1)).astimezone(UTC) if not active else None,
    )
