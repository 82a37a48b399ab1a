"""Gathering one location day from the database into the plain data the pure core takes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.models import (
    CANCELLED,
    Booking,
    ClosureDay,
    Counsellor,
    Location,
    OpeningHours,
    PlanException,
    WorkShift,
    clock_time,
)
from booking.plan import DatedChange, Shift, WeeklyBlock, at, public_holiday, shifts_on
from booking.slots import (
    CounsellorDay,
    Interval,
    LocationDay,
    Slot,
    SlotRules,
    counselling_offered,
    free_slots,
)

LOOK_AHEAD_DAYS = 21  # how far "the next day with counselling" is looked for


@dataclass(frozen=True)
class Day:
    """Everything the core needs to decide about one location on one local date."""

    location: LocationDay
    counsellors: tuple[CounsellorDay, ...]
    shifts: dict[int, list[Shift]]  # counsellor id -> shifts, for the room of a slot
    sessions: dict[int, int]  # counsellor id -> active sessions that day
    organisation_ids: dict[int, int]  # counsellor id -> organisation id
    closed_reason: str | None

    @property
    def counselling(self) -> bool:
        """Open, and someone on duty within the opening hours: the desk takes walk-ins."""
        shifts = (shift for c in self.counsellors for shift in c.shifts)
        return not self.location.closed and counselling_offered(self.location.opening, shifts)


def rules_of(location: Location) -> SlotRules:
    return SlotRules(
        session=timedelta(minutes=location.session_minutes),
        buffer=timedelta(minutes=location.buffer_minutes),
        window=timedelta(minutes=location.window_minutes),
        notice=timedelta(minutes=location.notice_minutes),
    )


def zone_of(location: Location) -> ZoneInfo:
    return ZoneInfo(location.timezone)


def weekly_block(row: WorkShift) -> WeeklyBlock:
    """A stored block of the weekly plan as the pure plan takes it."""
    return WeeklyBlock(
        row.weekday,
        clock_time(row.starts),
        clock_time(row.ends),
        row.room_id,
    )


def dated_change(row: PlanException) -> DatedChange:
    """A stored absence or extra hours as the pure plan takes it."""
    return DatedChange(
        row.day,
        row.kind,
        None if row.starts is None else clock_time(row.starts),
        None if row.ends is None else clock_time(row.ends),
        row.room_id,
    )


async def load_day(location: Location, day: date, *, exclude_booking_id: int | None = None) -> Day:
    zone = zone_of(location)
    day_start = at(day, time(0), zone)
    day_end = day_start + timedelta(days=1)

    holiday = public_holiday(day, location.holiday_country, location.holiday_subdivision)
    closure = await ClosureDay.get_or_none(location_id=location.id, day=day)
    closed_reason = holiday or (closure.reason or "closed" if closure else None)

    opening = tuple(
        sorted(
            Interval(at(day, clock_time(o.opens), zone), at(day, clock_time(o.closes), zone))
            for o in await OpeningHours.filter(location_id=location.id, weekday=day.weekday())
            if o.opens < o.closes
        )
    )

    counsellors = await Counsellor.filter(active=True, organisation__active=True).prefetch_related(
        "organisation"
    )
    weekly: dict[int, list[WeeklyBlock]] = defaultdict(list)
    for block in await WorkShift.filter(location_id=location.id, weekday=day.weekday()):
        weekly[block.counsellor_id].append(weekly_block(block))
    changes: dict[int, list[DatedChange]] = defaultdict(list)
    for change in await PlanException.filter(location_id=location.id, day=day):
        changes[change.counsellor_id].append(dated_change(change))

    busy: dict[int, list[Interval]] = defaultdict(list)
    sessions: dict[int, int] = defaultdict(int)
    bookings = Booking.filter(
        start__lt=day_end.astimezone(ZoneInfo("UTC")),
        end__gt=day_start.astimezone(ZoneInfo("UTC")),
    ).exclude(status=CANCELLED)
    if exclude_booking_id is not None:
        bookings = bookings.exclude(id=exclude_booking_id)
    for booking in await bookings.only("id", "counsellor_id", "start", "end"):
        counsellor_id: int = booking.counsellor_id
        busy[counsellor_id].append(Interval(booking.start, booking.end))
        sessions[counsellor_id] += 1

    days: list[CounsellorDay] = []
    shifts: dict[int, list[Shift]] = {}
    organisation_ids: dict[int, int] = {}
    for counsellor in counsellors:
        todays = shifts_on(day, weekly.get(counsellor.id, []), changes.get(counsellor.id, []), zone)
        if not todays:
            continue
        shifts[counsellor.id] = todays
        organisation_ids[counsellor.id] = counsellor.organisation_id
        days.append(
            CounsellorDay(
                id=counsellor.id,
                organisation=counsellor.organisation.code,
                languages=frozenset(counsellor.languages),
                topics=frozenset(counsellor.topics),
                shifts=tuple(s.interval for s in todays),
                busy=tuple(sorted(busy.get(counsellor.id, []))),
            )
        )
    return Day(
        location=LocationDay(zone=zone, opening=opening, closed=closed_reason is not None),
        counsellors=tuple(days),
        shifts=shifts,
        sessions=dict(sessions),
        organisation_ids=organisation_ids,
        closed_reason=closed_reason,
    )


def local_date(moment: datetime, location: Location) -> date:
    return moment.astimezone(zone_of(location)).date()


def whole_day_slots(
    day: Day,
    when: date,
    location: Location,
    organisation: str | None,
    topic: str | None,
    language: str | None,
    now: datetime,
) -> list[Slot]:
    """The free slots of one organisation's counsellors (None: anyone's) over the whole opening
    day, for a session without an office appointment (a follow-up booked at the desk, and its
    moves) or one a coordinator moves to another day."""
    # The whole local day stands in for the office appointment: a zero-length "appointment" at
    # midnight, no buffer, and a window of a day keep every slot of that date within reach.
    midnight = at(when, time(0), zone_of(location))
    rules = replace(rules_of(location), buffer=timedelta(0), window=timedelta(days=1))
    counsellors = [c for c in day.counsellors if organisation in (None, c.organisation)]
    return free_slots(
        Interval(midnight, midnight), day.location, counsellors, topic, language, rules, now
    )


async def next_counselling_day(
    location: Location, after: date, look_ahead: int = LOOK_AHEAD_DAYS
) -> date | None:
    """The first day after ``after`` with counselling at the location (neither a closure day nor
    a holiday, opening hours and someone on duty within them), or None within ``look_ahead``
    days. Reads the plan once for the whole stretch rather than day by day."""
    zone = zone_of(location)
    last = after + timedelta(days=look_ahead)
    hours: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in await OpeningHours.filter(location_id=location.id):
        if row.opens < row.closes:
            hours[row.weekday].append((clock_time(row.opens), clock_time(row.closes)))
    closed = set(
        await ClosureDay.filter(location_id=location.id, day__gt=after, day__lte=last).values_list(
            "day", flat=True
        )
    )
    working = [
        c.id for c in await Counsellor.filter(active=True, organisation__active=True).only("id")
    ]
    weekly: dict[int, list[WeeklyBlock]] = defaultdict(list)
    for block in await WorkShift.filter(location_id=location.id):
        weekly[block.counsellor_id].append(weekly_block(block))
    changes: dict[int, list[DatedChange]] = defaultdict(list)
    for change in await PlanException.filter(location_id=location.id, day__gt=after, day__lte=last):
        changes[change.counsellor_id].append(dated_change(change))
    for ahead in range(1, look_ahead + 1):
        day = after + timedelta(days=ahead)
        if day in closed or public_holiday(
            day, location.holiday_country, location.holiday_subdivision
        ):
            continue
        opening = [Interval(at(day, o, zone), at(day, c, zone)) for o, c in hours[day.weekday()]]
        shifts = [
            shift.interval
            for counsellor_id in working
            for shift in shifts_on(day, weekly[counsellor_id], changes[counsellor_id], zone)
        ]
        if counselling_offered(opening, shifts):
            return day
    return None
