"""Demo sessions: eight weeks of history and the coming days, so every staff page has a day to
show (schedules, the desk, statistics, fair shares). Made up and reproducible; loaded by
``python -m booking demo`` after the demo plan, never by the tests' plain ``load_demo``.

Each demo session is placed by the real balancing rules (booking/balance.py) among the
counsellors free at its time, so the fairness report of the demo reads like a real month.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from booking import balance
from booking.models import (
    ATTENDED,
    BOOKED,
    CANCELLED,
    NO_SHOW,
    AllocationShare,
    Booking,
    Counsellor,
    Location,
    OfficeAppointment,
    WorkShift,
)
from booking.plan import public_holiday
from booking.services import fairness
from booking.services.bookings import (
    appointment_key,
    hash_token,
    new_reference,
    new_token,
    slot_key,
)
from booking.staff_vocabulary import REFERRALS
from booking.vocabulary import ONLINE, WALK_IN

FIRST_NAMES = [
    "Amina", "Omar", "Fatemeh", "Yusuf", "Olena", "Dmytro", "Leyla", "Mohammed", "Sara",
    "Ahmad", "Maryam", "Tigist", "Elif", "Arman", "Nour", "Kateryna", "Bilal", "Zainab",
]  # fmt: skip
LAST_NAMES = [
    "Haddad", "Karimi", "Yilmaz", "Kovalenko", "Rahimi", "Tesfaye", "Demir", "Nasser",
    "Hosseini", "Bondarenko", "Ali", "Mahmoud", "Berhane", "Aziz",
]  # fmt: skip
# Who comes to the welcome service in Hannover, roughly: language and how often.
LANGUAGES = {
    "de": 30, "ar": 16, "fa": 12, "uk": 10, "ru": 8, "tr": 7, "en": 7, "ku": 4, "ti": 2,
    "sq": 2, "ps": 2,
}  # fmt: skip
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


@dataclass
class _Month:
    """The running tally of one month, as the service would recompute it."""

    weights: fairness.Weights
    entitlement: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    actual: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def tally(self) -> balance.Tally:
        return balance.Tally(dict(self.entitlement), dict(self.actual))

    def count(self, decision: balance.Decision, sign: int) -> None:
        for code, share in decision.shares.items():
            self.entitlement[code] += sign * share
        self.actual[decision.organisation] += sign


async def load_demo_history(now: datetime, *, weeks_back: int = 8, days_ahead: int = 7) -> int:
    """Add demo sessions around ``now``; returns how many (0 if any booking exists)."""
    if await Booking.exists():
        return 0
    location = await Location.filter(code="hsc").first()
    if location is None:
        return 0
    zone = ZoneInfo(location.timezone)
    today = now.astimezone(zone).date()
    rooms = {s.counsellor_id: s.room_id for s in await WorkShift.filter(location_id=location.id)}
    counsellors = [
        c
        for c in await Counsellor.filter(active=True).prefetch_related("organisation")
        if c.id in rooms
    ]
    by_id = {c.id: c for c in counsellors}
    chance = random.Random(20261123)
    months: dict[str, _Month] = {}
    sessions: list[tuple[Booking, balance.Decision, str]] = []
    days = _working_days(today - timedelta(weeks=weeks_back), today + timedelta(days=days_ahead))
    for day in days:
        month = day.strftime("%Y-%m")
        if month not in months:
            weights = await fairness.weights(location, month, now, fairness.DEFAULT_RULES)
            months[month] = _Month(weights)
        booked_today: dict[int, list[datetime]] = defaultdict(list)
        for start_time in GRID:
            start = datetime.combine(day, start_time, tzinfo=zone)
            for _ in range(chance.choices([0, 1, 2, 3, 4], [1, 3, 4, 3, 2])[0]):
                placed = _place(counsellors, booked_today, start, months[month], chance)
                if placed is None:
                    continue  # nobody free who speaks the language: the person came another day
                decision, topic, language = placed
                booked_today[decision.counsellor_id].append(start + SESSION)
                counsellor = by_id[decision.counsellor_id]
                booking = await _session(
                    location, counsellor, decision, rooms, start, topic, language, now, chance
                )
                if booking.status == CANCELLED:
                    months[month].count(decision, -1)  # cancelled: counts for nobody
                sessions.append((booking, decision, month))
    async with in_transaction():
        await Booking.bulk_create([s[0] for s in sessions], batch_size=200)
        ids = dict(
            await Booking.filter(reference__in=[s[0].reference for s in sessions]).values_list(
                "reference", "id"
            )
        )
        organisation_ids = {c.organisation.code: c.organisation.id for c in counsellors}
        await AllocationShare.bulk_create(
            [
                AllocationShare(
                    booking_id=ids[booking.reference],
                    location_id=location.id,
                    organisation_id=organisation_ids[code],
                    month=month,
                    share=share,
                )
                for booking, decision, month in sessions
                for code, share in decision.shares.items()
            ],
            batch_size=500,
        )
    return len(sessions)


def _place(
    counsellors: list[Counsellor],
    booked_today: dict[int, list[datetime]],
    start: datetime,
    month: _Month,
    chance: random.Random,
) -> tuple[balance.Decision, str, str] | None:
    language = chance.choices(list(LANGUAGES), list(LANGUAGES.values()))[0]
    speakers = [c for c in counsellors if language in c.languages]
    if not speakers:
        return None
    topic = chance.choice(chance.choice(speakers).topics)
    day_start = start.replace(hour=8, minute=0)
    candidates = [
        balance.Candidate(
            counsellor_id=c.id,
            organisation=c.organisation.code,
            sessions_today=len(booked_today[c.id]),
            free_since=max([day_start, *booked_today[c.id]]),
        )
        for c in speakers
        if topic in c.topics and start + SESSION not in booked_today[c.id]
    ]
    if not candidates:
        return None
    decision = balance.choose(candidates, month.weights.values, month.tally())
    month.count(decision, +1)
    return decision, topic, language


async def _session(
    location: Location,
    counsellor: Counsellor,
    decision: balance.Decision,
    rooms: dict[int, int | None],
    start: datetime,
    topic: str,
    language: str,
    now: datetime,
    chance: random.Random,
) -> Booking:
    end = start + SESSION
    ref = f"DEMO-{start:%Y%m%d-%H%M}-{counsellor.id}"
    before = chance.random() < 0.5  # the office appointment right after, or right before
    office_start = end + timedelta(minutes=10) if before else start - timedelta(minutes=40)
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
    # A walk-in happened at the desk without an office appointment or an address; there are
    # none ahead (a walk-in's session begins when it is called). Drawn for every session, so
    # the rest of the history stays as it was.
    walk_in = chance.random() < 0.3 and past
    office = None
    if not walk_in:
        office = await OfficeAppointment.create(
            location=location, ref=ref, start=office_start.astimezone(UTC), duration_minutes=30
        )
    weights = fairness.Weights(
        {s.organisation: s.weight for s in decision.standings}, {}, frozenset()
    )
    return Booking(
        reference=new_reference(),
        location_id=location.id,
        appointment_id=office.id if office else None,
        counsellor_id=counsellor.id,
        organisation_id=counsellor.organisation_id,
        room_id=rooms.get(counsellor.id),
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        topic=topic,
        language=language,
        channel=WALK_IN if walk_in else ONLINE,
        status=status,
        name=f"{first} {last}",
        email="" if walk_in else f"{first.lower()}.{last.lower()}@example.org",
        consent_at=(start - timedelta(days=3)).astimezone(UTC),
        manage_token_hash=hash_token(new_token()),
        slot_key=slot_key(counsellor.id, start) if active else None,
        appointment_key=appointment_key(location.id, ref) if active and office else None,
        outcome_topics=[topic] if status == ATTENDED else [],
        referral=chance.choice(list(REFERRALS)) if status == ATTENDED and roll < 0.2 else "",
        cancelled_at=(start - timedelta(days=1)).astimezone(UTC) if not active else None,
        allocation=fairness.explanation(decision, weights, start - timedelta(days=3)),
    )
