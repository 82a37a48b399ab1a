"""The statistics page's and CSV's part on what sessions achieved: topics covered and
referrals made, per month, organisation and language (booking/outcome_statistics.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from booking.charts import Bar, bar_chart
from booking.outcome_statistics import Counts, Documented, OutcomeReport
from booking.staff_vocabulary import REFERRALS
from booking.vocabulary import N_, TOPICS
from booking.web.spreadsheet import Cell, decimal_comma

if TYPE_CHECKING:
    from booking.web.statistics import Words

SUMMARY_TITLE = N_("Topics covered and referrals per month")
DOCUMENTED = N_("Sessions with topics or a referral recorded")
REFERRED = N_("Sessions with a referral")
REFERRAL_RATE = N_("Referral rate")
TOPIC_COVERED = N_("Topic covered")
REFERRAL = N_("Referral")
GROUP_HEADINGS: dict[str, str] = {"organisation": N_("Organisation"), "language": N_("Language")}
# measure -> (id, title per month, chart title, title per organisation, title per language)
TITLES: dict[str, tuple[str, str, str, str, str]] = {
    "topics": (
        "topics-covered",
        N_("Topics covered per month"),
        N_("Topics covered"),
        N_("Topics covered per organisation"),
        N_("Topics covered per language"),
    ),
    "referrals": (
        "referrals",
        N_("Referrals per month"),
        N_("Referrals made"),
        N_("Referrals per organisation"),
        N_("Referrals per language"),
    ),
}
EXPLAINED = N_(
    "Topics covered and referrals are what counsellors record as a session's outcome. A session "
    "that covered two topics counts once for each; the referral rate is the share of the "
    "sessions with an outcome recorded that ended with a referral."
)
NOTHING = N_("No outcomes recorded in this period.")


def _label(words: Words, measure: str, key: str) -> str:
    labels = TOPICS if measure == "topics" else REFERRALS
    return words(labels[key]) if key in labels else key


def _chart(words: Words, chart_id: str, title: str, period: str, bars: list[Bar]) -> Markup:
    description = f"{words(N_('Period'))}: {period}."
    return Markup(bar_chart(chart_id, title, description, bars, words(NOTHING)))


def _summary_view(words: Words, report: OutcomeReport, period: str) -> dict[str, Any]:
    def rows(show: Any) -> tuple[list[str], str]:
        return [show(d) for d in report.by_month], show(report.overall)

    figures: list[tuple[str, Any]] = [
        (words(DOCUMENTED), lambda d: words.count(d.documented)),
        (words(REFERRED), lambda d: words.count(d.referred)),
        (words(REFERRAL_RATE), lambda d: words.rate(d.referral_rate)),
    ]
    bars = [
        Bar(words.month(month), d.referred, words.count(d.referred))
        for month, d in zip(report.months, report.by_month, strict=True)
    ]
    return {
        "id": "table-outcomes",
        "title": words(SUMMARY_TITLE),
        "key_heading": words(N_("Figure")),
        "month_totals": None,
        "rows": [(label, *rows(show)) for label, show in figures],
        "chart": _chart(words, "chart-referrals-per-month", words(REFERRED), period, bars),
    }


def _per_month_view(words: Words, measure: str, counts: Counts, period: str) -> dict[str, Any]:
    ident, title, chart_title, _by_org, _by_language = TITLES[measure]
    labels = [_label(words, measure, key) for key in counts.keys]
    totals = [counts.count(key) for key in counts.keys]
    return {
        "id": f"table-{ident}",
        "title": words(title),
        "key_heading": words(TOPIC_COVERED if measure == "topics" else REFERRAL),
        "rows": [
            (label, [words.count(counts.count(key, m)) for m in counts.months], words.count(n))
            for label, key, n in zip(labels, counts.keys, totals, strict=True)
        ],
        "month_totals": [words.count(counts.month_total(m)) for m in counts.months],
        "total": words.count(counts.total),
        "chart": _chart(
            words,
            f"chart-{ident}",
            words(chart_title),
            period,
            [Bar(label, n, words.count(n)) for label, n in zip(labels, totals, strict=True)],
        ),
    }


def _per_group_view(
    words: Words, measure: str, group: str, counts: Counts, organisations: dict[str, str]
) -> dict[str, Any]:
    ident, _title, _chart_title, by_org, by_language = TITLES[measure]
    values = counts.groups(group)
    return {
        "id": f"table-{ident}-{group}",
        "title": words(by_org if group == "organisation" else by_language),
        "key_heading": words(GROUP_HEADINGS[group]),
        "columns": [_label(words, measure, key) for key in counts.keys],
        "rows": [
            (
                words.key(group, value, organisations),
                [words.count(counts.in_group(group, value, key)) for key in counts.keys],
                words.count(sum(counts.in_group(group, value, key) for key in counts.keys)),
            )
            for value in values
        ],
        "totals": [words.count(counts.count(key)) for key in counts.keys],
        "total": words.count(counts.total),
    }


def outcomes_view(
    words: Words, report: OutcomeReport, organisations: dict[str, str], period: str
) -> dict[str, Any] | None:
    """The page's sections, or None when no session in the period has an outcome recorded."""
    if not report.overall.documented:
        return None
    measures = (("topics", report.topics), ("referrals", report.referrals))
    return {
        "summary": _summary_view(words, report, period),
        "per_month": [
            _per_month_view(words, measure, counts, period)
            for measure, counts in measures
            if counts.total
        ],
        "per_group": [
            _per_group_view(words, measure, group, counts, organisations)
            for measure, counts in measures
            if counts.total
            for group in ("organisation", "language")
        ],
        "explained": words(EXPLAINED),
    }


# -- CSV columns ----------------------------------------------------------------------------


def _rate(value: float | None) -> Cell:
    return "" if value is None else decimal_comma(value * 100)


def csv_columns(
    words: Words, report: OutcomeReport, organisations: dict[str, str]
) -> tuple[list[Cell], list[list[Cell]], list[Cell]]:
    """The header cells, one row of cells per month and one for the total: the summary, each
    topic and referral, and each (topic or referral, organisation or language) that occurs."""
    header: list[Cell] = [words(DOCUMENTED), words(REFERRED), f"{words(REFERRAL_RATE)} (%)"]
    kinds = (("topics", TOPIC_COVERED, report.topics), ("referrals", REFERRAL, report.referrals))
    keyed: list[tuple[Counts, str]] = []
    grouped: list[tuple[Counts, str, str, str]] = []
    for measure, heading, counts in kinds:
        for key in counts.keys:
            header.append(f"{words(heading)}: {_label(words, measure, key)}")
            keyed.append((counts, key))
    for measure, heading, counts in kinds:
        for key in counts.keys:
            for group in ("organisation", "language"):
                for value in counts.groups(group):
                    if not counts.in_group(group, value, key):
                        continue
                    header.append(
                        f"{words(heading)}: {_label(words, measure, key)} / "
                        f"{words(GROUP_HEADINGS[group])}: {words.key(group, value, organisations)}"
                    )
                    grouped.append((counts, key, group, value))

    def line(summary: Documented, month: str | None) -> list[Cell]:
        cells: list[Cell] = [summary.documented, summary.referred, _rate(summary.referral_rate)]
        cells += [counts.count(key, month) for counts, key in keyed]
        cells += [
            counts.in_group(group, value, key, month) for counts, key, group, value in grouped
        ]
        return cells

    months = [line(summary, m) for m, summary in zip(report.months, report.by_month, strict=True)]
    return header, months, line(report.overall, None)
