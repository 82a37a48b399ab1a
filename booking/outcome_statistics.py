"""What the sessions achieved, for funders: topics actually covered and referrals made, per
month, organisation and language. Pure tables over the statistics' session rows
(booking/statistics.py); the counsellor records both as the session's outcome
(booking/schedule.py, ``Booking.outcome_topics`` and ``Booking.referral``).

Definitions (the page states them too):

- A session is *documented* when its outcome names at least one topic covered or a referral.
  Only documented sessions count here; cancelled bookings never do.
- A session that covered two topics counts once for each, so the topics add up to at least
  the documented sessions; a session has at most one referral, so the referrals add up to the
  sessions with a referral.
- The *referral rate* is sessions with a referral / documented sessions (None without any).

Invariants (tests/test_outcome_statistics.py): every matrix adds up to its table's total; the
referrals add up to the sessions with a referral; no topic is counted more often than there
are documented sessions; narrowing the period never increases a count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from booking.models import CANCELLED
from booking.statistics import SessionRow

GROUPS = ("organisation", "language")  # the SessionRow fields each measure is broken down by


@dataclass(frozen=True)
class Counts:
    """How often each key (a topic or a referral) was recorded, per month and per group."""

    months: tuple[str, ...]
    keys: tuple[str, ...]  # most often first, then by key
    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (key, month)
    # (group field, group value, key, month) -> count
    by_group: Mapping[tuple[str, str, str, str], int] = field(default_factory=dict)

    def count(self, key: str, month: str | None = None) -> int:
        if month is not None:
            return self.counts.get((key, month), 0)
        return sum(n for (k, _m), n in self.counts.items() if k == key)

    def month_total(self, month: str) -> int:
        return sum(n for (_k, m), n in self.counts.items() if m == month)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def groups(self, group: str) -> tuple[str, ...]:
        """The group's values that occur, most often first, then by value."""
        totals: Counter[str] = Counter()
        for (g, value, _key, _month), n in self.by_group.items():
            if g == group:
                totals[value] += n
        return tuple(sorted(totals, key=lambda v: (-totals[v], v)))

    def in_group(self, group: str, value: str, key: str, month: str | None = None) -> int:
        if month is not None:
            return self.by_group.get((group, value, key, month), 0)
        return sum(
            n for (g, v, k, _m), n in self.by_group.items() if (g, v, k) == (group, value, key)
        )


@dataclass(frozen=True)
class Documented:
    """Per month: sessions documented and sessions with a referral."""

    documented: int
    referred: int

    @property
    def referral_rate(self) -> float | None:
        return self.referred / self.documented if self.documented else None


@dataclass(frozen=True)
class OutcomeReport:
    months: tuple[str, ...]
    topics: Counts
    referrals: Counts
    by_month: tuple[Documented, ...]  # aligned with months
    overall: Documented


def _documented(row: SessionRow) -> bool:
    return row.status != CANCELLED and bool(row.covered or row.referral)


def _counts(pairs: Sequence[tuple[SessionRow, str]], months: Sequence[str]) -> Counts:
    counts = Counter((key, row.month) for row, key in pairs)
    by_group = Counter(
        (g, str(getattr(row, g)), key, row.month) for row, key in pairs for g in GROUPS
    )
    totals: Counter[str] = Counter(key for _row, key in pairs)
    keys = tuple(sorted(totals, key=lambda k: (-totals[k], k)))
    return Counts(tuple(months), keys, dict(counts), dict(by_group))


def _summary(rows: Iterable[SessionRow]) -> Documented:
    kept = list(rows)
    return Documented(len(kept), sum(1 for r in kept if r.referral))


def outcome_report(rows: Iterable[SessionRow], months: Sequence[str]) -> OutcomeReport:
    """Topics covered and referrals made in ``months`` (every month gets a column)."""
    wanted = set(months)
    kept = [r for r in rows if r.month in wanted and _documented(r)]
    topics = [(r, topic) for r in kept for topic in dict.fromkeys(r.covered)]
    referrals = [(r, r.referral) for r in kept if r.referral]
    return OutcomeReport(
        months=tuple(months),
        topics=_counts(topics, months),
        referrals=_counts(referrals, months),
        by_month=tuple(_summary(r for r in kept if r.month == month) for month in months),
        overall=_summary(kept),
    )
