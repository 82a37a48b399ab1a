"""The pure statistics (booking/statistics.py): examples and hypothesis properties."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from booking.statistics import (
    DIMENSIONS,
    SessionRow,
    TicketRow,
    add_months,
    build_report,
    months_between,
    nearest_rank,
    outcomes,
    parse_month,
    table,
    walk_ins,
)

MONTHS = months_between("2025-11", "2026-04")
STATUSES = ("booked", "cancelled", "attended", "no_show")

rows_strategy = st.lists(
    st.builds(
        SessionRow,
        month=st.sampled_from((*MONTHS, "2025-10", "2026-05")),  # some outside the report
        location=st.sampled_from(("hsc", "lgn")),
        organisation=st.sampled_from(("awo", "caritas", "drk")),
        topic=st.sampled_from(("forms", "housing", "work")),
        language=st.sampled_from(("de", "ar", "fa", "uk")),
        channel=st.sampled_from(("online", "walk_in")),
        status=st.sampled_from(STATUSES),
        over=st.booleans(),
    ),
    max_size=60,
)
period_strategy = st.tuples(st.integers(0, len(MONTHS) - 1), st.integers(0, len(MONTHS) - 1)).map(
    lambda pair: MONTHS[min(pair) : max(pair) + 1]
)


def row(
    month: str = "2026-01", status: str = "attended", over: bool = True, **kw: str
) -> SessionRow:
    values: dict[str, Any] = {
        "location": "hsc",
        "organisation": "awo",
        "topic": "forms",
        "language": "de",
        "channel": "online",
    }
    values.update(kw)
    return SessionRow(month=month, status=status, over=over, **values)


def test_an_example_report() -> None:
    rows = [
        row("2026-01", "attended"),
        row("2026-01", "no_show", organisation="drk"),
        row("2026-01", "booked", over=True),  # over, outcome not recorded
        row("2026-02", "booked", over=False, channel="walk_in"),  # still to come
        row("2026-02", "cancelled"),
        row("2026-03", "attended", topic="housing"),  # outside the report
    ]
    report = build_report(rows, ("2026-01", "2026-02"))
    january, february = report.by_month
    assert (january.sessions, january.attended, january.no_show, january.not_recorded) == (
        3,
        1,
        1,
        1,
    )
    assert january.attended_rate == january.no_show_rate == 1 / 3
    assert (february.sessions, february.upcoming, february.cancelled) == (1, 1, 1)
    assert february.attended_rate is None and february.no_show_rate is None
    organisations = report.tables[DIMENSIONS.index("organisation")]
    assert organisations.keys == ("awo", "drk")
    assert organisations.cells == ((2, 1), (1, 0))
    assert organisations.month_totals == (3, 1) and organisations.total == 4
    channels = report.tables[DIMENSIONS.index("channel")]
    assert dict(zip(channels.keys, channels.key_totals, strict=True)) == {
        "online": 3,
        "walk_in": 1,
    }
    assert report.overall.cancelled == 1 and report.overall.sessions == 4


def test_months() -> None:
    assert parse_month(" 2026-01 ") == "2026-01"
    for bad in ("2026-13", "2026-00", "26-01", "2026-1", "1999-12", "2200-01", "2026-01-01", ""):
        assert parse_month(bad) is None, bad
    assert add_months("2026-11", 3) == "2027-02" and add_months("2026-01", -1) == "2025-12"
    assert months_between("2025-11", "2026-02") == ("2025-11", "2025-12", "2026-01", "2026-02")
    assert months_between("2026-02", "2026-01") == ()


@given(rows_strategy, period_strategy)
def test_every_grand_total_is_the_number_of_sessions(
    rows: list[SessionRow], months: tuple[str, ...]
) -> None:
    in_period = [r for r in rows if r.month in months]
    sessions = sum(1 for r in in_period if r.status != "cancelled")
    report = build_report(rows, months)
    assert report.overall.sessions == sessions
    assert report.overall.cancelled == sum(1 for r in in_period if r.status == "cancelled")
    assert sum(o.sessions for o in report.by_month) == sessions
    for built in report.tables:
        assert built.total == sessions == sum(built.month_totals)
        assert built.month_totals == tuple(o.sessions for o in report.by_month)
        assert len(set(built.keys)) == len(built.keys)
        assert all(total > 0 for total in built.key_totals)


@given(rows_strategy)
def test_outcomes_add_up_and_rates_are_shares(rows: list[SessionRow]) -> None:
    result = outcomes(rows)
    assert result.sessions == result.attended + result.no_show + result.not_recorded + (
        result.upcoming
    )
    assert result.sessions + result.cancelled == len(rows)
    for rate in (result.attended_rate, result.no_show_rate):
        assert rate is None or 0 <= rate <= 1
    if result.over:
        assert result.attended_rate is not None and result.no_show_rate is not None
        assert result.attended_rate + result.no_show_rate <= 1 + 1e-9
    else:
        assert result.attended_rate is None and result.no_show_rate is None


@given(rows_strategy, period_strategy, period_strategy)
def test_a_shorter_period_never_counts_more(
    rows: list[SessionRow], months: tuple[str, ...], other: tuple[str, ...]
) -> None:
    inner = tuple(m for m in months if m in other)  # a sub-period of months
    wide, narrow = build_report(rows, months), build_report(rows, inner)
    for figure in ("sessions", "attended", "no_show", "not_recorded", "upcoming", "cancelled"):
        assert getattr(narrow.overall, figure) <= getattr(wide.overall, figure)
    for wide_table, narrow_table in zip(wide.tables, narrow.tables, strict=True):
        wide_totals = dict(zip(wide_table.keys, wide_table.key_totals, strict=True))
        for key, total in zip(narrow_table.keys, narrow_table.key_totals, strict=True):
            assert total <= wide_totals[key]


@given(rows_strategy, period_strategy, st.randoms())
def test_the_order_of_the_rows_does_not_matter(
    rows: list[SessionRow], months: tuple[str, ...], random: object
) -> None:
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert build_report(shuffled, months) == build_report(rows, months)


@given(rows_strategy)
def test_a_table_counts_each_session_under_its_own_key(rows: list[SessionRow]) -> None:
    for dimension in DIMENSIONS:
        built = table(rows, MONTHS, dimension)
        for key, cells in zip(built.keys, built.cells, strict=True):
            for month, count in zip(MONTHS, cells, strict=True):
                assert count == sum(
                    1
                    for r in rows
                    if getattr(r, dimension) == key and r.month == month and r.status != "cancelled"
                )


# -- the walk-in queue ------------------------------------------------------------------------

tickets_strategy = st.lists(
    st.builds(
        TicketRow,
        month=st.sampled_from((*MONTHS, "2026-05")),
        location=st.just("hsc"),
        weekday=st.integers(0, 6),
        hour=st.integers(0, 23),
        status=st.sampled_from(("waiting", "called", "parked", "done", "no_show", "closed")),
        waited=st.none() | st.floats(0, 600),
        estimate_error=st.none() | st.floats(-300, 300),
    ),
    max_size=40,
)


def test_walk_in_figures_on_an_example() -> None:
    def ticket(waited: float | None, status: str = "done", error: float | None = None) -> TicketRow:
        return TicketRow("2026-01", "hsc", 0, 9, status, waited, error)

    figures = walk_ins(
        [
            ticket(10, error=-5),
            ticket(40, error=10),
            ticket(20, "no_show"),
            ticket(None, "closed"),
            ticket(90, error=60),
            ticket(None, "waiting"),
        ]
    )
    assert (figures.tickets, figures.called, figures.no_shows) == (6, 4, 1)
    assert (figures.waited_median, figures.waited_p90) == (30, 90)
    assert figures.called_within == 2 / 5 and figures.estimate_error == 25
    empty = walk_ins([])
    assert empty.waited_median is empty.called_within is empty.estimate_error is None
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert nearest_rank([7], 0.9) == 7 and nearest_rank([], 0.5) is None


@given(tickets_strategy, period_strategy)
def test_walk_in_figures_are_consistent(tickets: list[TicketRow], months: tuple[str, ...]) -> None:
    report = build_report([], months, tickets)
    in_period = [t for t in tickets if t.month in months]
    assert report.walk_ins.tickets == len(in_period) == report.grid.total
    assert sum(w.tickets for w in report.walk_ins_by_month) == len(in_period)
    assert sum(
        report.grid.count(d, h) for d in report.grid.weekdays for h in report.grid.hours
    ) == (len(in_period))
    figures = report.walk_ins
    if figures.waited_median is not None:
        assert figures.waited_p90 is not None and figures.waited_median <= figures.waited_p90
    assert figures.called_within is None or 0 <= figures.called_within <= 1
    assert figures.estimate_error is None or figures.estimate_error >= 0


@given(rows_strategy, period_strategy)
def test_sessions_by_organisation_and_channel_add_up(
    rows: list[SessionRow], months: tuple[str, ...]
) -> None:
    report = build_report(rows, months)
    crossed = report.by_channel
    assert crossed.total == report.overall.sessions
    organisations = report.tables[DIMENSIONS.index("organisation")]
    for key, total in zip(organisations.keys, organisations.key_totals, strict=True):
        assert sum(crossed.count(key, channel) for channel in crossed.channels) == total
    for month_index, month in enumerate(months):
        assert (
            sum(crossed.count(o, c, month) for o in crossed.organisations for c in crossed.channels)
            == report.by_month[month_index].sessions
        )
