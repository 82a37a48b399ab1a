"""The pure part of the audit log (booking/audit_log.py): whose name an entry shows, which ids
are looked up, and local days as UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from booking.audit_log import AuditFilters, Entry, Names, describe, wanted

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 11, 20, 11, tzinfo=UTC)
NAMES = Names(
    people={"awo1": "Deniz Y.", "admin": "", "11": ""},
    counsellor_accounts={"4": "awo1", "11": "caritas9"},
    records={("counsellor", "4"): "Deniz Y."},
)


def entry(actor: str, record_type: str = "counsellor", record_id: str = "4") -> Entry:
    return Entry(AT, actor, "desk_arrive", record_type, record_id, "")


def test_an_entry_names_the_person_and_the_record() -> None:
    line = describe(entry("awo1"), NAMES)
    assert (line.person, line.account, line.record) == ("Deniz Y.", "awo1", "Deniz Y.")
    assert describe(entry("admin"), NAMES).person == "admin"


def test_an_old_entry_with_a_counsellors_id_names_their_account() -> None:
    line = describe(entry("4"), NAMES)
    assert (line.person, line.account) == ("Deniz Y.", "awo1")


def test_an_account_named_like_an_id_stays_itself() -> None:
    assert describe(entry("11"), NAMES).account == "11"


def test_an_actor_that_is_no_account_is_shown_as_written() -> None:
    line = describe(entry("system", "booking", "ABH-1"), NAMES)
    assert (line.person, line.account, line.record) == ("system", "", "")


def test_only_ids_that_can_name_a_row_are_looked_up() -> None:
    entries = [
        entry("a", "counsellor", "4"),
        entry("a", "counsellor", "²"),  # a digit, but no number
        entry("a", "booking", "17"),  # bookings are never named
        entry("a", "location", "hsc"),
    ]
    assert wanted(entries) == {"counsellor": {"4"}}


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2199, 12, 30)), st.integers(0, 40))
def test_a_period_covers_its_local_days_exactly(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    since, until = AuditFilters(first=first, last=last).period(BERLIN)
    assert since is not None and until is not None
    assert since.astimezone(BERLIN) == datetime(first.year, first.month, first.day, tzinfo=BERLIN)
    assert until.astimezone(BERLIN).date() == last + timedelta(days=1)
    assert until.astimezone(BERLIN).time().hour == 0


def test_the_day_clocks_go_forward_has_23_hours() -> None:
    since, until = AuditFilters(first=date(2026, 3, 29), last=date(2026, 3, 29)).period(BERLIN)
    assert since is not None and until is not None
    assert until - since == timedelta(hours=23)
