"""The audit log as coordinators read it: the filters of a query, and the names that stand for
the user names and ids an entry was written with. Pure; booking/services/audit_log.py gathers
the entries and the names, booking/web/audit_log.py reads the filters from the query.

Names shown are staff's and records' (a counsellor's display name, an account, a location), never
an applicant's: a booking is shown by the id or reference it was logged with, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Kinds of record whose ids name something worth showing, and where the name comes from.
NAMED_RECORDS = frozenset(
    {
        "api_token",
        "calendar_feed",  # by the counsellor's id
        "counsellor",
        "location",
        "opening_hours",  # by the location's id
        "organisation",
        "room",
        "staff_user",
        "ticket",
    }
)


@dataclass(frozen=True)
class AuditFilters:
    """What to show: entries by one person, about one kind of record (and one record), within
    local days from ``first`` to ``last``; None for no limit."""

    person: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    first: date | None = None
    last: date | None = None

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for the links to other pages and the CSV."""
        return {
            "person": self.person or "",
            "record": self.record_type or "",
            "record_id": self.record_id or "",
            "from": self.first.isoformat() if self.first else "",
            "to": self.last.isoformat() if self.last else "",
        }

    def period(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The local days as UTC instants: from the first day's midnight up to, not including,
        the midnight after the last day."""
        since = until = None
        if self.first is not None:
            since = datetime.combine(self.first, time(), zone).astimezone(UTC)
        if self.last is not None:
            until = datetime.combine(self.last + timedelta(days=1), time(), zone).astimezone(UTC)
        return since, until


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    record_type: str
    record_id: str
    summary: str


@dataclass(frozen=True)
class Names:
    """What the service found for the entries of one page.

    ``people``: user name -> the counsellor's display name of a counsellor account, "" for
    other accounts. ``counsellor_accounts``: a counsellor's id (as text) -> their account's user
    name, for entries the walk-in desk wrote with the id before it wrote the user name.
    ``records``: (kind of record, id) -> the record's name."""

    people: Mapping[str, str]
    counsellor_accounts: Mapping[str, str]
    records: Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class Line:
    """One entry as shown: ``person`` is the name to read, ``account`` the user name behind
    it ("" when the actor is no account, e.g. "system"); ``record`` the record's name, ""
    when it has none to show."""

    at: datetime
    person: str
    account: str
    action: str
    record_type: str
    record_id: str
    record: str
    summary: str


def account_of(actor: str, names: Names) -> str | None:
    """The user name the actor stands for: itself, or the account of a counsellor's id."""
    if actor in names.people:
        return actor
    return names.counsellor_accounts.get(actor)


def wanted(entries: Iterable[Entry]) -> dict[str, set[str]]:
    """The ids to look up, by kind of record: only those that can name a row."""
    found: dict[str, set[str]] = {}
    for entry in entries:
        number = entry.record_id.isascii() and entry.record_id.isdigit()  # not "²"
        if entry.record_type in NAMED_RECORDS and number:
            found.setdefault(entry.record_type, set()).add(entry.record_id)
    return found


def describe(entry: Entry, names: Names) -> Line:
    account = account_of(entry.actor, names)
    if account is None:
        person, account = entry.actor, ""
    else:
        person = names.people.get(account) or account
    return Line(
        at=entry.at,
        person=person,
        account=account,
        action=entry.action,
        record_type=entry.record_type,
        record_id=entry.record_id,
        record=names.records.get((entry.record_type, entry.record_id), ""),
        summary=entry.summary,
    )
