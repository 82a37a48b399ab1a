"""Statistics for the coordinators' reports: pure tables over plain session rows.

Definitions (the page and the CSV state them too):

- A *session* is a booking that was not cancelled: booked, attended or did not come.
  Cancelled bookings are not sessions; they are counted on their own.
- A session belongs to the month of its start in its location's local time.
- A session is *over* once its end has passed. Only sessions that are over can have an
  outcome, so both rates share that denominator:
  ``attended rate = attended / over`` and ``no-show rate = no-show / over``,
  where ``over = attended + no-show + not recorded`` (still "booked" after its end).
  Sessions still to come are in no rate. Where nothing is over the rate is None (shown as a dash).
  Both rates are lower bounds while outcomes are missing; the gap is the "not recorded" count.

Invariants (tested with hypothesis in tests/test_statistics_core.py): every table's grand total
equals the number of sessions among the rows in the report's months; each rate lies in 0..1 and
the two rates never add up to more than 1; narrowing the period never increases a count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from booking.models import ATTENDED, BOOKED, CANCELLED, NO_SHOW

DIMENSIONS = ("organisation", "topic", "language", "channel")
MAX_MONTHS = 36  # three years side by side is the most a page (and a funder) can read
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
FIRST_YEAR, LAST_YEAR = 2000, 2199  # far from datetime's limits when converting time zones


@dataclass(frozen=True)
class SessionRow:
    """One booking as the statistics see it: no personal data, nothing anonymisation blanks."""

    month: str  # "YYYY-MM", local to the location
    location: str  # location code
    organisation: str  # organisation code
    topic: str
    language: str
    channel: str
    status: str
    over: bool  # its end has passed


@dataclass(frozen=True)
class Table:
    """Sessions per key (an organisation, a topic, ...) and month."""

    dimension: str
    months: tuple[str, ...]
    keys: tuple[str, ...]  # most sessions first, then by key
    cells: tuple[tuple[int, ...], ...]  # cells[i][j]: sessions of keys[i] in months[j]

    @property
    def key_totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.cells)

    @property
    def month_totals(self) -> tuple[int, ...]:
        return tuple(sum(row[j] for row in self.cells) for j in range(len(self.months)))

    @property
    def total(self) -> int:
        return sum(self.key_totals)


@dataclass(frozen=True)
class Outcomes:
    sessions: int  # not cancelled
    attended: int
    no_show: int
    not_recorded: int  # over, but still "booked"
    upcoming: int  # not over yet
    cancelled: int  # not sessions; shown on their own

    @property
    def over(self) -> int:
        return self.attended + self.no_show + self.not_recorded

    @property
    def attended_rate(self) -> float | None:
        return self.attended / self.over if self.over else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_show / self.over if self.over else None


@dataclass(frozen=True)
class Report:
    months: tuple[str, ...]
    tables: tuple[Table, ...]  # one per DIMENSIONS entry, in that order
    by_month: tuple[Outcomes, ...]  # aligned with months
    overall: Outcomes


def parse_month(text: str) -> str | None:
    """The month in its canonical "YYYY-MM" spelling, or None when it is not one we accept."""
    match = _MONTH.match(text.strip())
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def add_months(month: str, count: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> tuple[str, ...]:
    """Every month from first to last, both included; empty when last comes before first."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return tuple(months)


def outcomes(rows: Iterable[SessionRow]) -> Outcomes:
    counts: Counter[str] = Counter()
    for row in rows:
        if row.status == BOOKED:
            counts["not_recorded" if row.over else "upcoming"] += 1
        else:
            counts[row.status] += 1
    return Outcomes(
        sessions=counts[ATTENDED] + counts[NO_SHOW] + counts["not_recorded"] + counts["upcoming"],
        attended=counts[ATTENDED],
        no_show=counts[NO_SHOW],
        not_recorded=counts["not_recorded"],
        upcoming=counts["upcoming"],
        cancelled=counts[CANCELLED],
    )


def table(rows: Iterable[SessionRow], months: Sequence[str], dimension: str) -> Table:
    """Sessions per value of ``dimension`` (a SessionRow field) and month; cancelled rows and
    rows outside ``months`` are not counted."""
    assert dimension in DIMENSIONS, f"unknown dimension {dimension!r}"
    wanted = set(months)
    counts: Counter[tuple[str, str]] = Counter(
        (getattr(row, dimension), row.month)
        for row in rows
        if row.status != CANCELLED and row.month in wanted
    )
    totals: Counter[str] = Counter()
    for (key, _month), count in counts.items():
        totals[key] += count
    keys = tuple(sorted(totals, key=lambda key: (-totals[key], key)))
    cells = tuple(tuple(counts[(key, month)] for month in months) for key in keys)
    return Table(dimension, tuple(months), keys, cells)


def build_report(rows: Iterable[SessionRow], months: Sequence[str]) -> Report:
    """All tables for the given months (every month gets a column, sessions or not)."""
    wanted = set(months)
    kept = [row for row in rows if row.month in wanted]
    per_month: dict[str, list[SessionRow]] = {month: [] for month in months}
    for row in kept:
        per_month[row.month].append(row)
    return Report(
        months=tuple(months),
        tables=tuple(table(kept, months, dimension) for dimension in DIMENSIONS),
        by_month=tuple(outcomes(per_month[month]) for month in months),
        overall=outcomes(kept),
    )
