"""Properties of the pure slot computation (booking/slots.py)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.slots import (
    CounsellorDay,
    Interval,
    LocationDay,
    SlotRules,
    free_slots,
    gaps,
    grid_starts,
    languages_on_duty,
    union,
)

ZONE = ZoneInfo("Europe/Berlin")
# The last Sunday of March and of October: the grid must survive the clock change.
DAYS = [date(2026, 11, 23), date(2026, 3, 29), date(2026, 10, 25), date(2026, 7, 1)]
LANGUAGES = ["de", "en", "ar", "fa"]
TOPICS = ["forms", "work", "health"]


def local(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZONE) + timedelta(minutes=minute)


@st.composite
def intervals_of_day(draw: st.DrawFn, day: date, max_count: int = 3) -> tuple[Interval, ...]:
    """Non-overlapping intervals on a 5-minute grid between 06:00 and 20:00."""
    cuts = sorted(draw(st.sets(st.integers(72, 240), min_size=0, max_size=max_count * 2)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple(
        Interval(local(day, cuts[i] * 5), local(day, cuts[i + 1] * 5))
        for i in range(0, len(cuts), 2)
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict:  # type: ignore[type-arg]
    day = draw(st.sampled_from(DAYS))
    counsellors = []
    for cid in range(draw(st.integers(0, 5))):
        shifts = draw(intervals_of_day(day))
        busy = draw(intervals_of_day(day, max_count=2))
        counsellors.append(
            CounsellorDay(
                id=cid,
                organisation=draw(st.sampled_from(["awo", "drk", "lhh"])),
                languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), min_size=1))),
                topics=frozenset(draw(st.sets(st.sampled_from(TOPICS), min_size=1))),
                shifts=shifts,
                busy=busy,
            )
        )
    appointment_start = local(day, draw(st.integers(84, 216)) * 5)
    appointment = Interval(
        appointment_start,
        appointment_start + timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
    )
    rules = SlotRules(
        session=timedelta(minutes=draw(st.sampled_from([20, 30, 45, 60]))),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 10, 15]))),
        window=timedelta(minutes=draw(st.sampled_from([60, 120, 180]))),
        notice=timedelta(minutes=draw(st.sampled_from([0, 60]))),
    )
    opening = draw(intervals_of_day(day, max_count=2))
    now = local(day, draw(st.integers(0, 200)) * 5)
    return {
        "appointment": appointment,
        "day": LocationDay(zone=ZONE, opening=opening, closed=draw(st.booleans())),
        "counsellors": counsellors,
        "topic": draw(st.sampled_from(TOPICS)),
        "language": draw(st.sampled_from(LANGUAGES)),
        "rules": rules,
        "now": now,
    }


@settings(max_examples=400)
@given(scenarios())
def test_every_offered_slot_respects_every_rule(case: dict) -> None:  # type: ignore[type-arg]
    slots = free_slots(**case)
    appointment: Interval = case["appointment"]
    rules: SlotRules = case["rules"]
    by_id = {c.id: c for c in case["counsellors"]}
    if case["day"].closed:
        assert slots == []
    for slot in slots:
        iv = slot.interval
        assert iv.end - iv.start == rules.session
        clear_before = iv.end <= appointment.start - rules.buffer
        clear_after = iv.start >= appointment.end + rules.buffer
        assert clear_before or clear_after
        assert iv.start >= appointment.start - rules.window
        assert iv.end <= appointment.end + rules.window
        assert iv.start.astimezone(ZONE).date() == appointment.start.astimezone(ZONE).date()
        assert iv.start >= case["now"] + rules.notice
        assert any(o.contains(iv) for o in case["day"].opening)
        assert slot.counsellor_ids
        for cid in slot.counsellor_ids:
            counsellor = by_id[cid]
            assert case["topic"] in counsellor.topics
            assert case["language"] in counsellor.languages
            assert any(
                worked.contains(iv) for worked in union(counsellor.shifts)
            )  # breaks are gaps
            assert not any(busy.overlaps(iv) for busy in counsellor.busy)


@settings(max_examples=200)
@given(scenarios())
def test_slots_are_sorted_and_unique(case: dict) -> None:  # type: ignore[type-arg]
    starts = [s.start for s in free_slots(**case)]
    assert starts == sorted(set(starts))


@settings(max_examples=200)
@given(scenarios(), st.data())
def test_more_capacity_never_means_fewer_slots(case: dict, data: st.DataObject) -> None:  # type: ignore[type-arg]
    before = {s.start for s in free_slots(**case)}
    day = case["appointment"].start.astimezone(ZONE).date()
    extra = CounsellorDay(
        id=99,
        organisation="drk",
        languages=frozenset(LANGUAGES),
        topics=frozenset(TOPICS),
        shifts=data.draw(intervals_of_day(day)),
    )
    after = {s.start for s in free_slots(**{**case, "counsellors": [*case["counsellors"], extra]})}
    assert before <= after


@settings(max_examples=200)
@given(scenarios())
def test_order_of_counsellors_does_not_matter(case: dict) -> None:  # type: ignore[type-arg]
    forward = free_slots(**case)
    backward = free_slots(**{**case, "counsellors": list(reversed(case["counsellors"]))})
    assert forward == backward


def test_a_worked_example() -> None:
    day = date(2026, 11, 23)
    appointment = Interval(local(day, 600), local(day, 630))  # 10:00-10:30
    counsellor = CounsellorDay(
        id=1,
        organisation="awo",
        languages=frozenset({"de"}),
        topics=frozenset({"forms"}),
        shifts=(
            Interval(local(day, 480), local(day, 720)),
            Interval(local(day, 750), local(day, 960)),
        ),
        busy=(Interval(local(day, 540), local(day, 570)),),  # 09:00-09:30 booked
        # 12:00-12:30 is the break; 12:30 would end after the 2-hour window.
    )
    opening = LocationDay(zone=ZONE, opening=(Interval(local(day, 480), local(day, 960)),))
    slots = free_slots(
        appointment, opening, [counsellor], "forms", "de", SlotRules(), now=local(day, 420)
    )
    assert [s.start.strftime("%H:%M") for s in slots] == ["08:00", "08:30", "11:00", "11:30"]


def test_a_slot_across_overlapping_shifts_is_offered() -> None:
    """The plan ends at 12:15, extra hours run 12:10-14:00: 12:00-12:30 is worked throughout,
    though no single shift holds it."""
    day = date(2026, 11, 23)
    appointment = Interval(local(day, 780), local(day, 810))  # 13:00-13:30
    counsellor = CounsellorDay(
        id=1,
        organisation="awo",
        languages=frozenset({"de"}),
        topics=frozenset({"forms"}),
        shifts=(
            Interval(local(day, 480), local(day, 735)),
            Interval(local(day, 730), local(day, 840)),
        ),
    )
    opening = LocationDay(zone=ZONE, opening=(Interval(local(day, 480), local(day, 960)),))
    slots = free_slots(
        appointment, opening, [counsellor], "forms", "de", SlotRules(), now=local(day, 420)
    )
    assert [s.start.strftime("%H:%M") for s in slots][:2] == ["11:00", "11:30"]
    assert "12:00" in [s.start.strftime("%H:%M") for s in slots]


def test_grid_is_anchored_at_opening() -> None:
    day = date(2026, 11, 23)
    grid = grid_starts(Interval(local(day, 495), local(day, 600)), timedelta(minutes=30))
    assert [g.start.strftime("%H:%M") for g in grid] == ["08:15", "08:45", "09:15"]


def test_languages_on_duty_only_counts_people_who_work() -> None:
    day = date(2026, 11, 23)
    working = CounsellorDay(
        1,
        "awo",
        frozenset({"de", "ar"}),
        frozenset({"forms"}),
        (Interval(local(day, 480), local(day, 600)),),
    )
    away = CounsellorDay(2, "drk", frozenset({"ti"}), frozenset({"forms"}), ())
    assert languages_on_duty([working, away]) == {"de", "ar"}
    assert languages_on_duty([working, away], topic="health") == set()


# Any intervals on a 5-minute grid of one day, overlapping, touching or nested.
any_intervals = st.lists(
    st.tuples(st.integers(0, 287), st.integers(0, 24)).map(
        lambda t: Interval(local(DAYS[0], t[0] * 5), local(DAYS[0], (t[0] + t[1]) * 5))
    ),
    max_size=6,
)


def covers(intervals: list[Interval], minute: int) -> bool:
    moment = local(DAYS[0], minute)
    return any(i.start <= moment < i.end for i in intervals)


@given(any_intervals)
def test_union_covers_the_same_time_in_separate_pieces(intervals: list[Interval]) -> None:
    merged = union(intervals)
    assert all(a.end < b.start for a, b in itertools.pairwise(merged))
    for minute in range(0, 24 * 60 + 120, 5):
        assert covers(merged, minute) == covers(intervals, minute)


@given(any_intervals)
def test_gaps_lie_between_the_intervals_and_overlap_none(intervals: list[Interval]) -> None:
    found = gaps(intervals)
    worked = [i for i in intervals if i.start < i.end]  # an empty interval covers nothing
    assert all(not g.overlaps(i) for g in found for i in worked)
    assert all(g.start < g.end for g in found)
    if found:
        assert min(i.start for i in worked) < found[0].start
        assert found[-1].end < max(i.end for i in worked)


def test_gaps_of_extra_hours_over_a_planned_day() -> None:
    morning, afternoon = (
        Interval(local(DAYS[0], 480), local(DAYS[0], 720)),
        Interval(local(DAYS[0], 750), local(DAYS[0], 960)),
    )
    assert gaps([morning, afternoon]) == [Interval(morning.end, afternoon.start)]
    assert gaps([morning, afternoon, Interval(local(DAYS[0], 0), local(DAYS[0], 1439))]) == []
