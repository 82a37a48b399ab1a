"""The pure schedule rules: names on schedules, who sees what, outcomes, the desk's view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.access import Principal
from booking.errors import ScopeRefused
from booking.schedule import (
    FREE,
    IN_SESSION,
    OFF_DUTY,
    ON_BREAK,
    DeskState,
    desk_state,
    display_name,
    may_record,
    read_outcome,
    schedule_scope,
)
from booking.slots import Interval

TODAY = date(2026, 11, 23)
COUNSELLOR = Principal(1, "awo1", "counsellor", organisation_id=2)
RECEPTION = Principal(2, "reception", "reception", None)
ADMIN = Principal(3, "admin", "admin", None)
BASE = datetime(2026, 11, 23, 7, tzinfo=UTC)


def hours(start: float, end: float) -> Interval:
    return Interval(BASE + timedelta(hours=start), BASE + timedelta(hours=end))


@pytest.mark.parametrize(
    ("full", "shown"),
    [
        ("Amina Test", "Amina T."),
        ("Amina", "Amina"),
        ("  ", ""),
        ("Ana María de la Cruz", "Ana C."),
    ],
)
def test_display_name(full: str, shown: str) -> None:
    assert display_name(full) == shown


NAME_PART = st.text(st.characters(categories=["L"]), min_size=1, max_size=12)


@given(st.lists(NAME_PART, min_size=2, max_size=4))
def test_display_name_never_shows_the_full_last_name(words: list[str]) -> None:
    full = " ".join(w.strip() for w in words)
    shown = display_name(full)
    last = full.split()[-1]
    assert shown.startswith(full.split()[0])
    assert shown.endswith(f"{last[0]}.")
    if len(last) > 1:
        assert not shown.endswith(last)


def test_counsellors_see_their_own_organisation_on_any_day() -> None:
    scope = schedule_scope(COUNSELLOR, TODAY + timedelta(days=9), TODAY)
    assert scope.organisation_id == 2 and scope.counsellor_id is None
    mine = schedule_scope(COUNSELLOR, TODAY, TODAY, counsellor_id=7, counsellor_organisation_id=2)
    assert mine.counsellor_id == 7
    with pytest.raises(ScopeRefused, match="other_organisation"):
        schedule_scope(COUNSELLOR, TODAY, TODAY, organisation_id=3)
    with pytest.raises(ScopeRefused, match="other_organisation"):
        schedule_scope(COUNSELLOR, TODAY, TODAY, counsellor_id=9, counsellor_organisation_id=3)


def test_reception_sees_the_whole_location_today_only() -> None:
    assert schedule_scope(RECEPTION, TODAY, TODAY).organisation_id is None
    with pytest.raises(ScopeRefused, match="today_only"):
        schedule_scope(RECEPTION, TODAY + timedelta(days=1), TODAY)


def test_admins_see_everything() -> None:
    scope = schedule_scope(ADMIN, TODAY - timedelta(days=40), TODAY, organisation_id=3)
    assert scope.organisation_id == 3


def test_read_outcome() -> None:
    outcome, errors = read_outcome("attended", ["work", "forms"], "job_centre", " note ")
    assert errors == {} and outcome is not None
    assert outcome.topics == ("forms", "work")  # in the list's order, whatever the form's
    assert outcome.note == "note"
    _, errors = read_outcome("gone", ["nonsense"], "nowhere", "x" * 501)
    assert set(errors) == {"status", "topics", "referral", "note"}


def test_attendance_is_recorded_once_a_session_has_begun() -> None:
    start = BASE + timedelta(hours=2)
    assert not may_record("booked", start, start - timedelta(minutes=1))
    assert may_record("booked", start, start)
    assert not may_record("cancelled", start, start + timedelta(hours=1))


SHIFTS = [hours(1, 4), hours(4.5, 9)]


@pytest.mark.parametrize(
    ("now", "state", "until"),
    [
        (0.5, OFF_DUTY, 1),
        (1.0, FREE, 2),  # free until the session at 2
        (2.25, IN_SESSION, 2.5),
        (3.0, FREE, 4),  # free until the break
        (4.25, ON_BREAK, 4.5),
        (9.0, OFF_DUTY, None),
    ],
)
def test_desk_state(now: float, state: str, until: float | None) -> None:
    found = desk_state(SHIFTS, [hours(2, 2.5)], BASE + timedelta(hours=now))
    assert found.state == state
    assert found.until == (None if until is None else BASE + timedelta(hours=until))


@given(
    st.lists(st.integers(0, 40), min_size=0, max_size=6, unique=True),
    st.integers(-4, 50),
)
def test_desk_state_is_consistent(session_starts: list[int], now_quarter: int) -> None:
    sessions = sorted(hours(q / 4, q / 4 + 0.25) for q in session_starts)
    now = BASE + timedelta(minutes=15 * now_quarter)
    found = desk_state(SHIFTS, sessions, now)
    in_a_session = any(s.start <= now < s.end for s in sessions)
    on_shift = any(s.start <= now < s.end for s in SHIFTS)
    assert (found.state == IN_SESSION) == (in_a_session and now < SHIFTS[-1].end)
    if found.state == FREE:
        assert on_shift and found.until is not None and found.until > now
        assert not any(now <= s.start < found.until for s in sessions)
    if found.until is not None:
        assert found.until > now


def test_extra_hours_over_the_plan_keep_the_desk_on_duty() -> None:
    """Extra hours all day on top of the weekly plan: on duty until their end, with no break
    and no "off duty" after the planned shifts."""
    shifts = [*SHIFTS, hours(0, 23)]
    assert desk_state(shifts, [], BASE + timedelta(hours=12)) == DeskState(
        FREE, BASE + timedelta(hours=23)
    )
    assert desk_state(shifts, [], BASE + timedelta(hours=4.25)).state == FREE
