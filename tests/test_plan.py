"""The weekly plan, its exceptions and the holidays of Lower Saxony (booking/plan.py)."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from booking.plan import (
    DatedChange,
    WeeklyBlock,
    at,
    month_days,
    planned_hours,
    public_holiday,
    room_for,
    shifts_on,
)
from booking.slots import Interval

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


CLOCK = st.integers(0, 47).map(lambda half: time(half // 2, 30 * (half % 2)))
BLOCKS = st.lists(st.builds(WeeklyBlock, st.integers(0, 6), CLOCK, CLOCK), max_size=6)
CHANGES = st.lists(
    st.builds(
        DatedChange,
        st.sampled_from(month_days("2026-10")),
        st.sampled_from(["absence", "extra"]),
        st.none() | CLOCK,
        st.none() | CLOCK,
    ),
    max_size=5,
)


@given(st.lists(st.tuples(BLOCKS, CHANGES), min_size=1, max_size=4), st.sets(st.integers(1, 31)))
def test_planned_hours_add_up_each_days_shifts(
    plans: list[tuple[list[WeeklyBlock], list[DatedChange]]], closed_days: set[int]
) -> None:
    """The weekday table is only a shortcut: the sum of every open day's shifts (October
    2026 has the change back to winter time) is the same."""
    weekly = {number: blocks for number, (blocks, _) in enumerate(plans)}
    changes = {number: dated for number, (_, dated) in enumerate(plans)}
    organisation_of = {number: f"org{number % 2}" for number in weekly}

    def closed(day: date) -> bool:
        return day.day in closed_days

    expected: dict[str, float] = {}
    for day in month_days("2026-10"):
        if closed(day):
            continue
        for number, organisation in organisation_of.items():
            for shift in shifts_on(day, weekly[number], changes[number], ZONE):
                length = (shift.interval.end - shift.interval.start).total_seconds() / 3600
                expected[organisation] = expected.get(organisation, 0.0) + length
    found = planned_hours(month_days("2026-10"), weekly, changes, organisation_of, ZONE, closed)
    assert set(found) == {k for k, v in expected.items() if v}
    for organisation, total in found.items():
        assert abs(total - expected[organisation]) < 1e-9


def test_the_room_is_the_shifts_that_holds_the_slot_or_the_one_it_starts_in() -> None:
    """Extra hours 12:10-14:00 in room 7 overlap the plan's 08:00-12:15 in room 1."""
    shifts = shifts_on(
        MONDAY,
        [WeeklyBlock(0, time(8), time(12, 15), room_id=1)],
        [DatedChange(MONDAY, "extra", time(12, 10), time(14), room_id=7)],
        ZONE,
    )

    def slot(starts: time, ends: time) -> Interval:
        return Interval(at(MONDAY, starts, ZONE), at(MONDAY, ends, ZONE))

    assert room_for(shifts, slot(time(11), time(11, 30))) == 1
    assert room_for(shifts, slot(time(12, 30), time(13))) == 7
    assert room_for(shifts, slot(time(12), time(12, 30))) == 1  # across the join: where it starts
    assert room_for(shifts, slot(time(14), time(14, 30))) is None
