"""The booking limits' rule (booking/limits.py): pure, checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from booking.limits import BookingLimits, Limit, limit_key

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LIMIT = Limit("client", 3, timedelta(minutes=10))

offsets = st.lists(st.integers(min_value=-1200, max_value=30), max_size=12)


@given(offsets)
def test_refused_exactly_when_more_than_the_bound_lie_in_the_window(seconds: list[int]) -> None:
    counted = [NOW + timedelta(seconds=s) for s in seconds]
    inside = [at for at in counted if at > NOW - LIMIT.window]
    wait = LIMIT.retry_after(counted, NOW)
    assert (wait is None) == (len(inside) <= LIMIT.bound)
    if wait is not None:
        assert timedelta(0) < wait <= LIMIT.window


@given(offsets)
def test_a_write_after_the_wait_is_admitted_and_not_one_second_sooner(seconds: list[int]) -> None:
    history = [NOW + timedelta(seconds=s) for s in seconds if s <= 0]  # admitted before
    wait = LIMIT.retry_after([*history, NOW], NOW)  # a refused write takes its event back
    if wait is not None:
        later = NOW + wait
        assert LIMIT.retry_after([*history, later], later) is None
        if wait > timedelta(seconds=1):
            sooner = later - timedelta(seconds=1)
            assert LIMIT.retry_after([*history, sooner], sooner) is not None


def test_the_defaults_are_those_of_the_issue() -> None:
    limits = BookingLimits()
    assert (limits.reference.bound, limits.reference.window) == (3, timedelta(hours=24))
    assert (limits.reschedule.bound, limits.reschedule.window) == (5, timedelta(hours=24))
    assert (limits.client.bound, limits.client.window) == (20, timedelta(minutes=10))
    assert limits.longest_window == timedelta(hours=24)


def test_keys_are_keyed_hashes_of_scope_and_value() -> None:
    key = limit_key(b"secret", "client", "203.0.113.7")
    assert "203.0.113.7" not in key and len(key) == 64
    assert key != limit_key(b"other", "client", "203.0.113.7")
    assert key != limit_key(b"secret", "reference", "203.0.113.7")
