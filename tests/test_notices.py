"""The pure rules of which mails a change causes (booking/notices.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from booking.notices import (
    APPLICANT,
    CANCELLED,
    CONFIRMED,
    COUNSELLOR,
    REMINDER,
    UPDATED,
    Notice,
    SessionFacts,
    notices,
    reminder_moment,
)
from tests.support.notices import BERLIN, FIVE_PM, NOW, SESSION, START


def kinds(found: list[Notice]) -> list[tuple[str, str, int]]:
    return [(n.recipient, n.kind, n.session.counsellor_id) for n in found]


def test_a_new_booking_confirms_to_both_and_sets_a_reminder() -> None:
    found = notices(None, SESSION, NOW, FIVE_PM)
    assert kinds(found) == [
        (APPLICANT, CONFIRMED, 3),
        (COUNSELLOR, CONFIRMED, 3),
        (APPLICANT, REMINDER, 3),
    ]
    assert [n.method for n in found] == ["REQUEST", "REQUEST", None]
    reminder = found[-1]
    assert reminder.send_after == datetime(2026, 11, 23, 17, tzinfo=BERLIN)
    assert found[0].send_after == NOW
    assert len({n.thread for n in found}) == 3  # applicant, counsellor, reminder


def test_a_move_updates_both_and_replaces_the_reminder() -> None:
    later = replace(
        SESSION,
        start=START + timedelta(hours=1),
        end=START + timedelta(hours=1, minutes=30),
        sequence=1,
    )
    found = notices(SESSION, later, NOW, FIVE_PM)
    assert kinds(found) == [
        (APPLICANT, UPDATED, 3),
        (COUNSELLOR, UPDATED, 3),
        (APPLICANT, REMINDER, 3),
    ]
    assert all(n.session.sequence == 1 for n in found)


def test_a_cancellation_cancels_for_both_without_reminder() -> None:
    gone = replace(SESSION, active=False, sequence=1)
    found = notices(SESSION, gone, NOW, FIVE_PM)
    assert kinds(found) == [(APPLICANT, CANCELLED, 3), (COUNSELLOR, CANCELLED, 3)]
    assert [n.method for n in found] == ["CANCEL", "CANCEL"]


def test_a_counsellor_swap_is_news_for_the_counsellors_only() -> None:
    swapped = replace(
        SESSION,
        counsellor_id=4,
        counsellor_name="Samir H.",
        counsellor_email="samir@example.org",
        sequence=1,
    )
    found = notices(SESSION, swapped, NOW, FIVE_PM)
    assert kinds(found) == [
        (COUNSELLOR, CANCELLED, 3),
        (COUNSELLOR, CONFIRMED, 4),
        (APPLICANT, REMINDER, 4),
    ]
    cancel = found[0]
    assert cancel.session.counsellor_email == "nadia@drk.example.org"
    assert cancel.session.sequence == 1  # higher than what Nadia's calendar holds
    # A swap into another room is news for the applicant too.
    elsewhere = replace(swapped, room="2.01")
    assert (APPLICANT, UPDATED, 4) in kinds(notices(SESSION, elsewhere, NOW, FIVE_PM))


def test_no_address_no_mail_and_counsellors_can_switch_off() -> None:
    quiet = replace(SESSION, applicant_email="", counsellor_wants_mail=False)
    assert notices(None, quiet, NOW, FIVE_PM) == []
    no_address = replace(SESSION, counsellor_email="")
    assert COUNSELLOR not in {n.recipient for n in notices(None, no_address, NOW, FIVE_PM)}


def test_no_reminder_when_booked_after_the_reminder_time_or_switched_off() -> None:
    evening = datetime(2026, 11, 23, 18, tzinfo=BERLIN)
    assert REMINDER not in {n.kind for n in notices(None, SESSION, evening, FIVE_PM)}
    assert REMINDER not in {n.kind for n in notices(None, SESSION, NOW, None)}


def test_reminder_moment_is_local_across_the_clock_change() -> None:
    # The night of 25 October 2026 the clocks go back: still 17:00 local on the Saturday.
    monday = datetime(2026, 10, 26, 9, tzinfo=BERLIN)
    assert reminder_moment(monday, BERLIN, FIVE_PM) == datetime(2026, 10, 25, 17, tzinfo=BERLIN)
    assert reminder_moment(monday, BERLIN, FIVE_PM).astimezone(UTC).hour == 16
    late = datetime(2026, 3, 30, 0, 15, tzinfo=BERLIN)  # just after midnight, after the change
    assert reminder_moment(late, BERLIN, FIVE_PM).date().isoformat() == "2026-03-29"


sessions = st.builds(
    lambda start_hours, active, room, counsellor, email, wants: replace(
        SESSION,
        start=START + timedelta(hours=start_hours),
        end=START + timedelta(hours=start_hours, minutes=30),
        active=active,
        room=room,
        counsellor_id=counsellor,
        applicant_email=email,
        counsellor_wants_mail=wants,
    ),
    st.integers(-30, 300),
    st.booleans(),
    st.sampled_from(["1.06", "2.01", ""]),
    st.integers(1, 3),
    st.sampled_from(["amina@example.org", ""]),
    st.booleans(),
)


@given(before=st.none() | sessions, after=sessions, now_hours=st.integers(-200, 200))
def test_properties_of_every_change(
    before: SessionFacts | None, after: SessionFacts, now_hours: int
) -> None:
    now = START + timedelta(hours=now_hours)
    found = notices(before, after, now, FIVE_PM)
    for notice in found:
        assert (notice.method == "CANCEL") == (notice.kind == CANCELLED)
        if notice.recipient == APPLICANT:
            assert notice.session.applicant_email
        else:
            assert notice.session.counsellor_wants_mail and notice.session.counsellor_email
    reminders = [n for n in found if n.kind == REMINDER]
    assert len(reminders) <= 1
    for reminder in reminders:
        assert after.active and now < reminder.send_after < after.start
    if not after.active:
        assert all(n.method != "REQUEST" for n in found) and not reminders
    # Nothing is said about a change nobody can see.
    if before is not None and before == after:
        assert [n.kind for n in found if n.kind != REMINDER] == []
    # Messages go out now, except the reminder.
    assert all(n.send_after == now for n in found if n.kind != REMINDER)
