"""From the weekly plan, its dated exceptions and the calendar to one day's shifts: pure.

A day's working time is the weekly blocks for that weekday, plus extra hours, minus absences.
Public holidays come from the ``holidays`` package (Lower Saxony by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from booking.slots import Interval


@dataclass(frozen=True)
class WeeklyBlock:
    weekday: int  # 0 = Monday
    starts: time
    ends: time
    room_id: int | None = None


@dataclass(frozen=True)
class DatedChange:
    day: date
    kind: str  # "absence" or "extra"
    starts: time | None = None  # None with an absence: the whole day
    ends: time | None = None
    room_id: int | None = None


@dataclass(frozen=True)
class Shift:
    interval: Interval
    room_id: int | None


def at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def subtract(shifts: Iterable[Shift], cut: Interval) -> list[Shift]:
    """The parts of the shifts that lie outside ``cut``."""
    out: list[Shift] = []
    for shift in shifts:
        iv = shift.interval
        if not iv.overlaps(cut):
            out.append(shift)
            continue
        if iv.start < cut.start:
            out.append(Shift(Interval(iv.start, cut.start), shift.room_id))
        if cut.end < iv.end:
            out.append(Shift(Interval(cut.end, iv.end), shift.room_id))
    return out


def shifts_on(
    day: date,
    weekly: Iterable[WeeklyBlock],
    changes: Iterable[DatedChange],
    zone: ZoneInfo,
) -> list[Shift]:
    """One counsellor's working intervals on ``day``, in time order."""
    shifts = [
        Shift(Interval(at(day, b.starts, zone), at(day, b.ends, zone)), b.room_id)
        for b in weekly
        if b.weekday == day.weekday() and b.starts < b.ends
    ]
    todays = [c for c in changes if c.day == day]
    for change in todays:
        if change.kind == "extra" and change.starts and change.ends and change.starts < change.ends:
            shifts.append(
                Shift(
                    Interval(at(day, change.starts, zone), at(day, change.ends, zone)),
                    change.room_id,
                )
            )
    for change in todays:
        if change.kind != "absence":
            continue
        if change.starts is None or change.ends is None:
            return []
        if change.starts < change.ends:
            shifts = subtract(
                shifts, Interval(at(day, change.starts, zone), at(day, change.ends, zone))
            )
    return sorted(shifts, key=lambda s: s.interval)


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def public_holiday(day: date, country: str = "DE", subdivision: str = "NI") -> str | None:
    """The holiday's name, or None on a working day."""
    name = _holidays(country, subdivision, day.year).get(day)
    return str(name) if name else None


def room_for(shifts: Iterable[Shift], slot: Interval) -> int | None:
    """The room of the shift that holds the slot; when shifts overlap and none holds it whole
    (extra hours over the plan), the room of the one it starts in."""
    shifts = list(shifts)
    for shift in shifts:
        if shift.interval.contains(slot):
            return shift.room_id
    for shift in shifts:
        if shift.interval.start <= slot.start < shift.interval.end:
            return shift.room_id
    return None


def month_days(month: str) -> list[date]:
    """Every date of a month given as YYYY-MM."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    days = []
    day = first
    while day.month == number:
        days.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    return days


def planned_hours(
    days: Iterable[date],
    weekly: Mapping[int, Sequence[WeeklyBlock]],
    changes: Mapping[int, Sequence[DatedChange]],
    organisation_of: Mapping[int, str],
    zone: ZoneInfo,
    closed: Callable[[date], bool],
) -> dict[str, float]:
    """Counsellor hours each organisation staffs on the given days: the weekly plan with its
    dated exceptions, without closed days. Counsellors keyed by id.

    It runs inside every booking decision, so a day without exceptions takes its weekday's
    hours from a table made once; only days with exceptions are worked out in full."""
    usual: dict[tuple[int, int], float] = {}
    for counsellor_id, blocks in weekly.items():
        for block in blocks:
            if block.starts < block.ends:
                key = (counsellor_id, block.weekday)
                minutes = (block.ends.hour - block.starts.hour) * 60 + (
                    block.ends.minute - block.starts.minute
                )
                usual[key] = usual.get(key, 0.0) + minutes / 60
    changed = {(cid, change.day) for cid, dated in changes.items() for change in dated}
    hours: dict[str, float] = {}
    for day in days:
        if closed(day):
            continue
        for counsellor_id, organisation in organisation_of.items():
            if (counsellor_id, day) in changed:
                shifts = shifts_on(
                    day, weekly.get(counsellor_id, ()), changes.get(counsellor_id, ()), zone
                )
                seconds = sum((s.interval.end - s.interval.start).total_seconds() for s in shifts)
                worked = seconds / 3600
            else:
                worked = usual.get((counsellor_id, day.weekday()), 0.0)
            if worked:
                hours[organisation] = hours.get(organisation, 0.0) + worked
    return hours
