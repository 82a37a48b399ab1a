"""Topics covered and referrals made (booking/outcome_statistics.py): examples and properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from booking.outcome_statistics import GROUPS, outcome_report
from booking.statistics import SessionRow, months_between

MONTHS = months_between("2026-01", "2026-04")
TOPICS = ("forms", "housing", "work", "health")
REFERRALS = ("", "", "job_centre", "health", "legal")


def row(
    month: str = "2026-02",
    *,
    status: str = "attended",
    covered: tuple[str, ...] = ("forms",),
    referral: str = "",
    organisation: str = "awo",
    language: str = "de",
) -> SessionRow:
    return SessionRow(
        month, "hsc", organisation, "forms", language, "online", status, True, covered, referral
    )


rows_strategy = st.lists(
    st.builds(
        SessionRow,
        month=st.sampled_from((*MONTHS, "2025-12", "2026-05")),  # some outside the report
        location=st.just("hsc"),
        organisation=st.sampled_from(("awo", "caritas", "drk")),
        topic=st.sampled_from(TOPICS),
        language=st.sampled_from(("de", "ar", "uk")),
        channel=st.just("online"),
        status=st.sampled_from(("booked", "cancelled", "attended", "no_show")),
        over=st.booleans(),
        covered=st.lists(st.sampled_from(TOPICS), max_size=3).map(tuple),
        referral=st.sampled_from(REFERRALS),
    ),
    max_size=50,
)
period_strategy = st.tuples(st.integers(0, 3), st.integers(0, 3)).map(
    lambda pair: MONTHS[min(pair) : max(pair) + 1]
)


def test_topics_and_referrals_by_month_organisation_and_language() -> None:
    rows = [
        row("2026-01", covered=("forms", "housing"), referral="job_centre"),
        row("2026-02", covered=("housing",), organisation="drk", language="ar"),
        row("2026-02", covered=(), referral="legal", organisation="drk", language="ar"),
        row("2026-02", status="cancelled", covered=("work",), referral="legal"),  # not counted
        row("2026-02", status="booked", covered=()),  # no outcome: not documented
        row("2026-05", covered=("work",)),  # outside the period
    ]
    report = outcome_report(rows, MONTHS)
    assert report.topics.keys == ("housing", "forms")
    assert report.topics.count("housing") == 2 and report.topics.count("forms", "2026-01") == 1
    assert report.topics.month_total("2026-02") == 1 and report.topics.total == 3
    assert report.referrals.keys == ("job_centre", "legal") and report.referrals.total == 2
    assert report.referrals.groups("organisation") == ("awo", "drk")
    assert report.referrals.in_group("language", "ar", "legal") == 1
    assert report.topics.in_group("organisation", "drk", "housing") == 1
    assert report.topics.in_group("organisation", "drk", "housing", "2026-01") == 0
    assert report.topics.in_group("language", "de", "housing", "2026-01") == 1
    assert [(d.documented, d.referred) for d in report.by_month] == [(1, 1), (2, 1), (0, 0), (0, 0)]
    assert report.overall.referral_rate == 2 / 3 and report.by_month[2].referral_rate is None


def test_a_topic_named_twice_counts_once() -> None:
    report = outcome_report([row(covered=("forms", "forms"))], MONTHS)
    assert report.topics.total == 1


@given(rows_strategy, period_strategy)
def test_the_tables_add_up(rows: list[SessionRow], months: tuple[str, ...]) -> None:
    report = outcome_report(rows, months)
    for counts in (report.topics, report.referrals):
        assert sum(counts.count(k) for k in counts.keys) == counts.total
        assert sum(counts.month_total(m) for m in months) == counts.total
        for group in GROUPS:
            assert (
                sum(counts.in_group(group, v, k) for v in counts.groups(group) for k in counts.keys)
                == counts.total
            )
            for month in months:
                assert sum(
                    counts.in_group(group, v, k, month)
                    for v in counts.groups(group)
                    for k in counts.keys
                ) == counts.month_total(month)
    assert report.referrals.total == report.overall.referred
    assert sum(d.documented for d in report.by_month) == report.overall.documented
    assert all(report.topics.count(k) <= report.overall.documented for k in report.topics.keys)
    rate = report.overall.referral_rate
    assert rate is None or 0 <= rate <= 1


@given(rows_strategy, period_strategy)
def test_a_shorter_period_never_counts_more(
    rows: list[SessionRow], months: tuple[str, ...]
) -> None:
    whole = outcome_report(rows, MONTHS)
    part = outcome_report(rows, months)
    assert part.topics.total <= whole.topics.total
    assert part.referrals.total <= whole.referrals.total
    for key in part.topics.keys:
        assert part.topics.count(key) <= whole.topics.count(key)
