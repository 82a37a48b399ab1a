"""The weekly plan, its exceptions and the holidays of Lower Saxony (booking/plan.py)."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from booking.plan import DatedChange, WeeklyBlock, public_holiday, shifts_on

ZONE = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)
WEEK = [
    WeeklyBlock(0, time(8), time(12), room_id=1),
    WeeklyBlock(0, time(12, 30), time(16), room_id=1),
    WeeklyBlock(1, time(8), time(16), room_id=2),
]


def hours(shifts: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(s.interval.start.strftime("%H:%M"), s.interval.end.strftime("%H:%M")) for s in shifts]


def test_the_weekday_blocks_with_the_break_as_a_gap() -> None:
    assert hours(shifts_on(MONDAY, WEEK, [], ZONE)) == [("08:00", "12:00"), ("12:30", "16:00")]


def test_an_absence_without_times_clears_the_day() -> None:
    assert shifts_on(MONDAY, WEEK, [DatedChange(MONDAY, "absence")], ZONE) == []


def test_a_partial_absence_cuts_the_blocks() -> None:
    change = DatedChange(MONDAY, "absence", time(10), time(13))
    assert hours(shifts_on(MONDAY, WEEK, [change], ZONE)) == [
        ("08:00", "10:00"),
        ("13:00", "16:00"),
    ]


def test_extra_hours_add_a_block_on_a_day_off() -> None:
    saturday = date(2026, 11, 28)
    change = DatedChange(saturday, "extra", time(9), time(11), room_id=3)
    shifts = shifts_on(saturday, WEEK, [change], ZONE)
    assert hours(shifts) == [("09:00", "11:00")] and shifts[0].room_id == 3


def test_changes_of_other_days_do_not_apply() -> None:
    change = DatedChange(date(2026, 11, 24), "absence")
    assert len(shifts_on(MONDAY, WEEK, [change], ZONE)) == 2


def test_lower_saxony_holidays() -> None:
    assert public_holiday(date(2026, 10, 31)) is not None  # Reformation Day, a holiday in NI
    assert public_holiday(date(2026, 12, 25)) is not None
    assert public_holiday(MONDAY) is None
    assert public_holiday(date(2026, 6, 4)) is None  # Corpus Christi: not in Lower Saxony
    assert public_holiday(date(2026, 6, 4), "DE", "BY") is not None
