"""Demo data: the Hannover Service Center with the city and six welfare organisations.

Loaded by ``make run`` into an empty database, or by ``python -m booking demo``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from booking.models import (
    ADMIN,
    COUNSELLOR,
    RECEPTION,
    Counsellor,
    Location,
    OpeningHours,
    Organisation,
    Room,
    StaffUser,
    WorkShift,
    minutes,
)
from booking.plan import public_holiday
from booking.services.accounts import hash_password
from integrations.office_link import make_link

ALL_TOPICS = ["forms", "education", "family", "housing", "leisure", "work", "health", "other"]

ORGANISATIONS = [
    ("lhh", "Landeshauptstadt Hannover, Soziale Arbeit"),
    ("awo", "AWO Region Hannover"),
    ("caritas", "Caritasverband Hannover"),
    ("diakonie", "Diakonisches Werk Hannover"),
    ("drk", "DRK Region Hannover"),
    ("kargah", "kargah e.V."),
    ("lmdr", "Landsmannschaft der Deutschen aus Russland"),
]


@dataclass(frozen=True)
class DemoCounsellor:
    organisation: str
    name: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    lunch: time  # a 30-minute break, staggered so the desk is never unstaffed


def _all_but(*left_out: str) -> tuple[str, ...]:
    return tuple(t for t in ALL_TOPICS if t not in left_out)


COUNSELLORS = [
    DemoCounsellor("lhh", "Aylin K.", ("de", "en", "tr"), _all_but(), time(11, 30)),
    DemoCounsellor("lhh", "Jonas M.", ("de", "en", "ar"), _all_but("health"), time(12, 0)),
    DemoCounsellor("lhh", "Miriam S.", ("de", "fa", "en"), _all_but("leisure"), time(12, 30)),
    DemoCounsellor("awo", "Deniz Y.", ("de", "tr", "ku"), _all_but(), time(12, 0)),
    DemoCounsellor("awo", "Olga P.", ("de", "ru", "en"), _all_but("education"), time(13, 0)),
    DemoCounsellor("caritas", "Claire D.", ("de", "fr", "en"), _all_but(), time(11, 30)),
    DemoCounsellor("caritas", "Samir H.", ("de", "ar"), _all_but("leisure"), time(12, 30)),
    DemoCounsellor("caritas", "Iryna B.", ("de", "uk", "ru"), _all_but(), time(13, 0)),
    DemoCounsellor("diakonie", "Leyla A.", ("de", "fa", "en"), _all_but("work"), time(12, 0)),
    DemoCounsellor("diakonie", "Arben G.", ("de", "sq", "en"), _all_but(), time(13, 0)),
    DemoCounsellor("drk", "Nadia R.", ("de", "ar", "en"), _all_but(), time(11, 30)),
    DemoCounsellor("drk", "Hamid Z.", ("de", "ps", "fa"), _all_but("education"), time(12, 30)),
    DemoCounsellor("kargah", "Shirin N.", ("de", "fa", "ar", "en"), _all_but(), time(12, 0)),
    DemoCounsellor("kargah", "Rojda E.", ("de", "ku", "tr"), _all_but("health"), time(12, 30)),
    DemoCounsellor("kargah", "Semhar T.", ("de", "ti", "en"), _all_but(), time(13, 0)),
    DemoCounsellor("lmdr", "Viktor W.", ("de", "ru", "uk"), _all_but(), time(11, 30)),
    DemoCounsellor("lmdr", "Elena F.", ("de", "ru", "en"), _all_but("work"), time(12, 30)),
]

DAY_START = time(8, 0)
DAY_END = time(16, 0)
BREAK = timedelta(minutes=30)


def demo_account_names() -> list[str]:
    """Staff logins follow the organisation code and a number: awo1, awo2, caritas1, ..."""
    counts: dict[str, int] = {}
    names = []
    for counsellor in COUNSELLORS:
        counts[counsellor.organisation] = counts.get(counsellor.organisation, 0) + 1
        names.append(f"{counsellor.organisation}{counts[counsellor.organisation]}")
    return names


async def load_demo(timezone: str = "Europe/Berlin", password: str | None = None) -> bool:
    """Fill an empty database; returns False (and changes nothing) if it holds a location.

    With a password, the demo staff accounts are made too: admin, reception, awo1, ...
    """
    if await Location.exists():
        return False
    async with in_transaction():
        location = await Location.create(
            code="hsc",
            name="Hannover Service Center",
            address="Hamburger Allee 25, 30161 Hannover",
            timezone=timezone,
        )
        for weekday in range(5):
            await OpeningHours.create(
                location=location,
                weekday=weekday,
                opens=minutes(DAY_START),
                closes=minutes(DAY_END),
            )
        organisations = {}
        for code, name in ORGANISATIONS:
            organisations[code] = await Organisation.create(code=code, name=name)
        shifts: list[WorkShift] = []
        for number, person in enumerate(COUNSELLORS, start=1):
            room = await Room.create(
                location=location, code=f"1.{number:02d}", name=f"1.{number:02d}"
            )
            counsellor = await Counsellor.create(
                organisation=organisations[person.organisation],
                display_name=person.name,
                languages=list(person.languages),
                topics=list(person.topics),
                email=f"{person.name.split()[0].lower()}@{person.organisation}.example.org",
            )
            lunch_end = (datetime.combine(date.min, person.lunch) + BREAK).time()
            shifts.extend(
                WorkShift(
                    counsellor=counsellor,
                    location=location,
                    room=room,
                    weekday=weekday,
                    starts=minutes(starts),
                    ends=minutes(ends),
                )
                for weekday in range(5)
                for starts, ends in ((DAY_START, person.lunch), (lunch_end, DAY_END))
            )
        await WorkShift.bulk_create(shifts)  # one statement, not 170: tests load this often
        if password is not None:
            await load_demo_accounts(password)
    return True


async def load_demo_accounts(password: str, *, password_hash: str | None = None) -> None:
    """The demo logins, for the demo counsellors in the order they were made.

    ``password_hash`` (of ``password``) spares callers that load the accounts often, the
    tests, an argon2 hash each time.
    """
    counsellor_ids = [c.id for c in await Counsellor.all().order_by("id")]
    # One hash for all: the same password, and hashing 19 times would only cost start-up time.
    password_hash = password_hash or hash_password(password)
    for username, role in (("admin", ADMIN), ("reception", RECEPTION)):
        await StaffUser.create(username=username, password_hash=password_hash, role=role)
    for username, counsellor_id in zip(demo_account_names(), counsellor_ids, strict=True):
        await StaffUser.create(
            username=username,
            password_hash=password_hash,
            role=COUNSELLOR,
            counsellor_id=counsellor_id,
        )


def next_working_day(after: date, subdivision: str = "NI") -> date:
    day = after + timedelta(days=1)
    while day.weekday() >= 5 or public_holiday(day, "DE", subdivision):
        day += timedelta(days=1)
    return day


def demo_link(
    base_url: str,
    link_secret: str,
    now: datetime,
    *,
    start: datetime | None = None,
    duration_minutes: int = 30,
    location: str = "hsc",
    timezone: str = "Europe/Berlin",
    ref: str | None = None,
) -> str:
    """A signed link, as the office's confirmation would carry: by default for 10:00 on the
    next working day."""
    zone = ZoneInfo(timezone)
    if start is None:
        day = next_working_day(now.astimezone(zone).date())
        start = datetime.combine(day, time(10, 0), tzinfo=zone)
    elif start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    return make_link(
        base_url,
        link_secret,
        ref=ref or f"ABH-{start:%Y%m%d}-{secrets.randbelow(90000) + 10000}",
        start=start,
        duration_minutes=duration_minutes,
        location=location,
        expires=max(start, now) + timedelta(days=7),
    )
