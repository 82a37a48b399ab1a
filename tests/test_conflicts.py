"""Which booked sessions a plan change affects, and who may take them over (booking/conflicts.py).

Properties over random plans of one Monday: replacements are always eligible, moves never
double-book anyone, a session stays unmoved only when nobody is left, and adding working time
never affects a session.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.conflicts import (
    AddChanges,
    CloseDay,
    DropBlock,
    Edit,
    Place,
    PlacedBlock,
    PlacedChange,
    Plan,
    Session,
    SetCounsellor,
    SetLocationActive,
    SetOrganisationActive,
    Staffing,
    affected,
    apply,
    covered,
    plan_moves,
    replacements,
    uncovered,
)
from booking.plan import DatedChange, WeeklyBlock
from booking.slots import Interval

ZONE = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)
LANGUAGES = ("de", "ar")
TOPICS = ("forms", "housing")
PLACE = Place(1, ZONE)


def at(minute: int, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=ZONE)


def clock(minute: int) -> time:
    return time(minute // 60, minute % 60)


half_hours = st.integers(min_value=14, max_value=36).map(lambda n: n * 30)  # 07:00 to 18:00


@st.composite
def staffing(draw: st.DrawFn, counsellor_id: int) -> Staffing:
    starts = draw(st.integers(min_value=16, max_value=18)) * 30  # 08:00 to 09:00
    length = draw(st.integers(min_value=2, max_value=16)) * 30
    ends = min(starts + length, 23 * 60)
    blocks = (PlacedBlock(counsellor_id * 10, 1, WeeklyBlock(0, clock(starts), clock(ends), 7)),)
    changes: tuple[PlacedChange, ...] = ()
    if draw(st.booleans()):
        cut = draw(half_hours)
        changes = (
            PlacedChange(
                counsellor_id * 10 + 1,
                1,
                DatedChange(MONDAY, "absence", clock(cut), clock(min(cut + 60, 23 * 60))),
            ),
        )
    return Staffing(
        counsellor_id=counsellor_id,
        organisation_id=draw(st.sampled_from((1, 2))),
        active=draw(st.sampled_from((True, True, True, False))),
        languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), min_size=1))),
        topics=frozenset(draw(st.sets(st.sampled_from(TOPICS), min_size=1))),
        blocks=blocks,
        changes=changes,
    )


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    count = draw(st.integers(min_value=2, max_value=8))
    staff = {cid: draw(staffing(cid)) for cid in range(1, count + 1)}
    organisations = {1: True, 2: draw(st.booleans())}
    return Plan(staff, {1: PLACE}, organisations)


@st.composite
def sessions(draw: st.DrawFn, plan: Plan) -> list[Session]:
    """Sessions as bookings make them: inside their counsellor's weekly block, in a language
    and topic the counsellor offers, one at a time per counsellor (the plan's absences may
    already have taken some away)."""
    found: list[Session] = []
    for number in range(draw(st.integers(min_value=1, max_value=12))):
        staff = plan.staffing[draw(st.sampled_from(sorted(plan.staffing)))]
        block = staff.blocks[0].block
        first, last = block.starts.hour * 2 + block.starts.minute // 30, block.ends.hour * 2 - 1
        if block.ends.minute >= 30:
            last += 1
        # Crowded into the first hours, so that sessions compete for the same people.
        start = draw(st.integers(min_value=first, max_value=min(first + 3, last - 1))) * 30
        interval = Interval(at(start), at(start + 30))
        if any(
            s.counsellor_id == staff.counsellor_id and s.interval.overlaps(interval) for s in found
        ):
            continue
        found.append(
            Session(
                booking_id=100 + number,
                reference=f"WB-{number}",
                location_id=1,
                counsellor_id=staff.counsellor_id,
                start=interval.start,
                end=interval.end,
                topic=draw(st.sampled_from(sorted(staff.topics))),
                language=draw(st.sampled_from(sorted(staff.languages))),
            )
        )
    return found


def busy_of(items: list[Session]) -> dict[int, list[Interval]]:
    busy: dict[int, list[Interval]] = {}
    for session in items:
        busy.setdefault(session.counsellor_id, []).append(session.interval)
    return busy


def eligible(session: Session, plan: Plan, cid: int, busy: dict[int, list[Interval]]) -> bool:
    """The rule, written out once more on its own."""
    staff = plan.staffing[cid]
    shifts = staff.shifts(PLACE, MONDAY)
    return (
        cid != session.counsellor_id
        and staff.active
        and plan.organisations[staff.organisation_id]
        and session.language in staff.languages
        and session.topic in staff.topics
        and any(s.interval.contains(session.interval) for s in shifts)
        and not any(b.overlaps(session.interval) for b in busy.get(cid, []))
    )


@settings(max_examples=100)
@given(st.data())
def test_replacements_are_exactly_the_eligible(data: st.DataObject) -> None:
    plan = data.draw(plans())
    booked = data.draw(sessions(plan))
    busy = busy_of(booked)
    for session in booked:
        found = [r.counsellor_id for r in replacements(session, plan, busy)]
        assert sorted(found) == [
            c for c in sorted(plan.staffing) if eligible(session, plan, c, busy)
        ]
        for replacement in replacements(session, plan, busy):
            assert replacement.room_id == 7  # the room of the shift that holds the session


@settings(max_examples=150)
@given(st.data())
def test_moves_never_double_book_and_leave_only_the_unmovable(data: st.DataObject) -> None:
    plan = data.draw(plans())
    booked = data.draw(sessions(plan))
    absent = data.draw(st.sampled_from(sorted(plan.staffing)))
    whole_day = AddChanges(absent, (PlacedChange(None, 1, DatedChange(MONDAY, "absence")),))
    # An organisation going away affects several counsellors' sessions at the same times.
    edits: list[Edit] = [whole_day, SetOrganisationActive(1, False)]
    edit = data.draw(st.sampled_from(edits))
    after = apply(plan, edit)
    hit = affected(booked, plan, after)
    choices = {s.booking_id: data.draw(st.sampled_from(sorted(plan.staffing))) for s in hit}
    busy = busy_of(booked)
    taken = {cid: list(intervals) for cid, intervals in busy.items()}
    moves = plan_moves(hit, after, busy, choices)
    assert [m.session for m in moves] == sorted(hit, key=lambda s: (s.start, s.booking_id))
    for move in moves:
        options = [r.counsellor_id for r in replacements(move.session, after, taken)]
        if move.to is None:
            assert options == []
            continue
        target = move.to.counsellor_id
        assert eligible(move.session, after, target, taken)
        wanted = choices[move.session.booking_id]
        assert target == (wanted if wanted in options else options[0])
        # Free at that time, counting the moves before it: nobody gets two sessions at once.
        taken.setdefault(target, []).append(move.session.interval)


@settings(max_examples=100)
@given(st.data())
def test_a_whole_day_absence_affects_exactly_that_counsellors_covered_sessions(
    data: st.DataObject,
) -> None:
    plan = data.draw(plans())
    booked = data.draw(sessions(plan))
    absent = data.draw(st.sampled_from(sorted(plan.staffing)))
    snapshot = dict(plan.staffing)
    after = apply(
        plan, AddChanges(absent, (PlacedChange(None, 1, DatedChange(MONDAY, "absence")),))
    )
    assert plan.staffing == snapshot  # the plan given is left as it was
    expected = [s for s in booked if s.counsellor_id == absent and covered(s, plan)]
    assert set(affected(booked, plan, after)) == set(expected)
    assert set(uncovered(booked, after)) == set(uncovered(booked, plan)) | set(expected)


@settings(max_examples=100)
@given(st.data())
def test_adding_working_time_affects_nothing(data: st.DataObject) -> None:
    plan = data.draw(plans())
    booked = data.draw(sessions(plan))
    cid = data.draw(st.sampled_from(sorted(plan.staffing)))
    start = data.draw(half_hours)
    extra = DatedChange(MONDAY, "extra", clock(start), clock(start + 90))
    more = apply(plan, AddChanges(cid, (PlacedChange(None, 1, extra),)))
    assert affected(booked, plan, more) == []
    reactivated = apply(plan, SetOrganisationActive(2, True))
    assert affected(booked, plan, reactivated) == []


@settings(max_examples=100)
@given(st.data())
def test_edits_of_others_leave_a_session_covered(data: st.DataObject) -> None:
    plan = data.draw(plans())
    booked = data.draw(sessions(plan))
    for session in booked:
        if not covered(session, plan):
            continue
        others = [c for c in plan.staffing if c != session.counsellor_id]
        for cid in others:
            staff = plan.staffing[cid]
            off = SetCounsellor(cid, staff.organisation_id, False, frozenset(), frozenset())
            assert covered(session, apply(plan, off))
            assert covered(session, apply(plan, DropBlock(cid, cid * 10)))
        assert covered(session, apply(plan, CloseDay(1, MONDAY + timedelta(days=1))))


def test_closing_the_day_or_the_location_uncovers_every_session() -> None:
    staff = Staffing(
        1,
        1,
        True,
        frozenset({"de"}),
        frozenset({"forms"}),
        (PlacedBlock(10, 1, WeeklyBlock(0, time(8), time(16), None)),),
    )
    plan = Plan({1: staff}, {1: PLACE}, {1: True})
    session = Session(1, "WB-1", 1, 1, at(600), at(630), "forms", "de")
    assert covered(session, plan)
    assert not covered(session, apply(plan, CloseDay(1, MONDAY)))
    assert not covered(session, apply(plan, SetLocationActive(1, False)))
    assert not covered(session, apply(plan, SetOrganisationActive(1, False)))
    assert not covered(session, apply(plan, DropBlock(1, 10)))
    dropped = SetCounsellor(1, 1, True, frozenset({"en"}), frozenset({"forms"}))
    assert not covered(session, apply(plan, dropped))
    easter_monday = date(2026, 4, 6)  # a Monday and a public holiday in Lower Saxony
    holiday = Session(
        2, "WB-2", 1, 1, at(600, easter_monday), at(630, easter_monday), "forms", "de"
    )
    assert not covered(holiday, plan)
    week_later = MONDAY + timedelta(days=7)
    assert covered(
        Session(3, "WB-3", 1, 1, at(600, week_later), at(630, week_later), "forms", "de"), plan
    )


def test_two_sessions_at_one_time_do_not_go_to_the_same_person() -> None:
    def person(cid: int, organisation: int) -> Staffing:
        block = PlacedBlock(cid * 10, 1, WeeklyBlock(0, time(8), time(16), cid))
        return Staffing(cid, organisation, True, frozenset({"de"}), frozenset({"forms"}), (block,))

    plan = Plan({1: person(1, 1), 2: person(2, 1), 3: person(3, 2)}, {1: PLACE}, {1: True, 2: True})
    booked = [Session(n, f"WB-{n}", 1, n, at(540), at(570), "forms", "de") for n in (1, 2)]
    after = apply(plan, SetOrganisationActive(1, False))
    hit = affected(booked, plan, after)
    assert hit == booked
    moves = plan_moves(hit, after, busy_of(booked), {2: 3})
    assert [(m.session.booking_id, m.to and m.to.counsellor_id) for m in moves] == [
        (1, 3),
        (2, None),
    ]
    assert moves[0].to is not None and moves[0].to.room_id == 3
