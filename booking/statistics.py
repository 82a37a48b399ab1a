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

Walk-ins (the queue's tickets, by the local month, weekday and hour of arrival):

- *Waiting time* runs from arrival to the first call. Its median and 90th percentile (nearest
  rank: nine in ten waited at most this long) are over the tickets that were called.
- *Called within 30 minutes* is a share of the tickets whose wait has ended: those called, and
  those closed without a call (at closing time, or withdrawn). Tickets still waiting are in no
  share.
- *No-shows* are tickets called that nobody answered.
- The *estimate's error* is the mean absolute difference, in minutes, between the middle of the
  range told at registration and the first call, over the tickets that had an estimate and
  were called.

Invariants: the weekday-and-hour grid adds up to the number of walk-ins; the median never
exceeds the 90th percentile; the share lies in 0..1; the sessions per organisation and channel
add up to the number of sessions.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from booking.models import ATTENDED, BOOKED, CANCELLED, NO_SHOW
from booking.queue import CLOSED
from booking.queue import NO_SHOW as TICKET_NO_SHOW

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
    covered: tuple[str, ...] = ()  # topic codes the outcome names as covered
    referral: str = ""  # where the counsellor referred the person, "" for nowhere


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
class TicketRow:
    """One walk-in ticket as the statistics see it: no name, no token."""

    month: str  # "YYYY-MM" of the arrival, local to the location
    location: str
    weekday: int  # of the arrival, local: 0 is Monday
    hour: int  # of the arrival, local: 0..23
    status: str  # a booking/queue.py ticket state
    waited: float | None  # minutes from arrival to the first call; None if never called
    estimate_error: float | None  # minutes from the estimate's midpoint to the first call


CALLED_WITHIN_MINUTES = 30
P90 = 0.9


@dataclass(frozen=True)
class WalkIns:
    """The queue's figures over some tickets."""

    tickets: int
    called: int
    no_shows: int
    waited_median: float | None  # minutes; None when nobody was called
    waited_p90: float | None
    called_within: float | None  # share called within CALLED_WITHIN_MINUTES of arriving
    estimate_error: float | None  # mean absolute error in minutes; None without estimates
    estimated: int  # called tickets that had an estimate: the error's denominator


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The smallest value that at least ``share`` of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def walk_ins(rows: Iterable[TicketRow]) -> WalkIns:
    kept = list(rows)
    waits = [r.waited for r in kept if r.waited is not None]
    ended = [r for r in kept if r.waited is not None or r.status == CLOSED]
    errors = [abs(r.estimate_error) for r in kept if r.estimate_error is not None]
    return WalkIns(
        tickets=len(kept),
        called=len(waits),
        no_shows=sum(1 for r in kept if r.status == TICKET_NO_SHOW),
        waited_median=float(statistics.median(waits)) if waits else None,
        waited_p90=nearest_rank(waits, P90),
        called_within=(
            sum(1 for w in waits if w <= CALLED_WITHIN_MINUTES) / len(ended) if ended else None
        ),
        estimate_error=sum(errors) / len(errors) if errors else None,
        estimated=len(errors),
    )


@dataclass(frozen=True)
class Grid:
    """Walk-ins per weekday and hour of arrival, over the report's months and per month."""

    weekdays: tuple[int, ...]  # columns: Monday to Friday, and a weekend day if it had any
    hours: tuple[int, ...]  # rows: from the earliest to the latest hour with arrivals
    counts: Mapping[tuple[str, int, int], int] = field(default_factory=dict)  # (month, d, h)

    def count(self, weekday: int, hour: int, month: str | None = None) -> int:
        if month is not None:
            return self.counts.get((month, weekday, hour), 0)
        return sum(n for (_m, d, h), n in self.counts.items() if (d, h) == (weekday, hour))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def grid(rows: Iterable[TicketRow], months: Sequence[str]) -> Grid:
    wanted = set(months)
    counts = Counter((r.month, r.weekday, r.hour) for r in rows if r.month in wanted)
    days = {d for _m, d, _h in counts} | set(range(5))
    hours = [h for _m, _d, h in counts]
    span = tuple(range(min(hours), max(hours) + 1)) if hours else ()
    return Grid(tuple(sorted(days)), span, dict(counts))


@dataclass(frozen=True)
class Crossed:
    """Sessions per organisation (rows) and channel (columns), over the months and per month."""

    organisations: tuple[str, ...]  # most sessions first, then by code
    channels: tuple[str, ...]  # most sessions first, then by code
    counts: Mapping[tuple[str, str, str], int] = field(default_factory=dict)  # (month, o, c)

    def count(self, organisation: str, channel: str, month: str | None = None) -> int:
        if month is not None:
            return self.counts.get((month, organisation, channel), 0)
        return sum(n for (_m, o, c), n in self.counts.items() if (o, c) == (organisation, channel))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def by_organisation_and_channel(rows: Iterable[SessionRow], months: Sequence[str]) -> Crossed:
    wanted = set(months)
    counts = Counter(
        (r.month, r.organisation, r.channel)
        for r in rows
        if r.status != CANCELLED and r.month in wanted
    )
    per_organisation: Counter[str] = Counter()
    per_channel: Counter[str] = Counter()
    for (_month, organisation, channel), n in counts.items():
        per_organisation[organisation] += n
        per_channel[channel] += n
    return Crossed(
        tuple(sorted(per_organisation, key=lambda k: (-per_organisation[k], k))),
        tuple(sorted(per_channel, key=lambda k: (-per_channel[k], k))),
        dict(counts),
    )


@dataclass(frozen=True)
class Report:
    months: tuple[str, ...]
    tables: tuple[Table, ...]  # one per DIMENSIONS entry, in that order
    by_month: tuple[Outcomes, ...]  # aligned with months
    overall: Outcomes
    by_channel: Crossed = field(default_factory=lambda: Crossed((), ()))
    walk_ins_by_month: tuple[WalkIns, ...] = ()  # aligned with months
    walk_ins: WalkIns = field(default_factory=lambda: walk_ins(()))
    grid: Grid = field(default_factory=lambda: Grid((), ()))


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


def build_report(
    rows: Iterable[SessionRow], months: Sequence[str], tickets: Iterable[TicketRow] = ()
) -> Report:
    """All tables for the given months (every month gets a column, sessions or not)."""
    wanted = set(months)
    kept = [row for row in rows if row.month in wanted]
    per_month: dict[str, list[SessionRow]] = {month: [] for month in months}
    for row in kept:
        per_month[row.month].append(row)
    arrived = [ticket for ticket in tickets if ticket.month in wanted]
    tickets_per_month: dict[str, list[TicketRow]] = {month: [] for month in months}
    for ticket in arrived:
        tickets_per_month[ticket.month].append(ticket)
    return Report(
        months=tuple(months),
        tables=tuple(table(kept, months, dimension) for dimension in DIMENSIONS),
        by_month=tuple(outcomes(per_month[month]) for month in months),
        overall=outcomes(kept),
        by_channel=by_organisation_and_channel(kept, months),
        walk_ins_by_month=tuple(walk_ins(tickets_per_month[month]) for month in months),
        walk_ins=walk_ins(arrived),
        grid=grid(arrived, months),
    )
