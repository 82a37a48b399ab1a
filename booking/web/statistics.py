"""Staff pages: statistics for the coordinators, as a page with charts and as a CSV file.

Both take the same filters (``location``: a code or empty for all; ``from`` and ``to``: months
as YYYY-MM, by default the last six months up to the current one). A bad filter answers 422
with the form and a message. The CSV is made for German Excel: ``;`` between fields, UTF-8 with
a byte order mark, CRLF line ends, decimal commas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from booking.charts import Bar, bar_chart
from booking.errors import UnknownLocation
from booking.models import ATTENDED, NO_SHOW
from booking.services import statistics as service
from booking.staff_vocabulary import CHANNEL_LABELS
from booking.statistics import (
    CALLED_WITHIN_MINUTES,
    MAX_MONTHS,
    Crossed,
    Grid,
    Outcomes,
    Report,
    Table,
    WalkIns,
    add_months,
    first_day,
    month_of,
    months_between,
    parse_month,
)
from booking.vocabulary import N_, STATUS_LABELS, TOPICS, language_name
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.rendering import translate
from booking.web.spreadsheet import Cell, csv_response, decimal_comma
from booking.web.statistics_outcomes import csv_columns, outcomes_view

TEMPLATE = "staff/statistics.html"
DEFAULT_MONTHS = 6
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")

FILTER_MESSAGES: dict[str, str] = {
    "month_format": N_("Please enter the month as YYYY-MM, for example 2026-01."),
    "month_order": N_("The first month must not come after the last month."),
    "too_many_months": N_("Please choose a period of at most %(count)d months."),
    "unknown_location": N_("Please choose a location from the list."),
}

TABLE_TITLES: dict[str, str] = {
    "organisation": N_("Sessions by organisation"),
    "topic": N_("Sessions by topic"),
    "language": N_("Sessions by language"),
    "channel": N_("Sessions by channel"),
}
KEY_HEADINGS: dict[str, str] = {
    "organisation": N_("Organisation"),
    "topic": N_("Topic"),
    "language": N_("Language"),
    "channel": N_("Channel"),
}
SESSIONS = N_("Sessions")
NOT_RECORDED = N_("Over, outcome not recorded")
UPCOMING = N_("Still to come")
CANCELLED_APART = N_("Cancelled (not counted as sessions)")
ATTENDED_RATE = N_("Attended rate")
NO_SHOW_RATE = N_("No-show rate")
TOTAL = N_("Total")
ALL_LOCATIONS = N_("All locations")
EMPTY = N_("No sessions in this period.")
PERIOD = N_("Period")

# The walk-in queue (issue 6).
WALK_INS = N_("Walk-ins")
WALK_INS_TITLE = N_("Walk-in queue per month")
WALK_INS_CALLED = N_("Walk-ins called")
WAIT_MEDIAN = N_("Waiting time until the first call, median")
WAIT_P90 = N_("Waiting time until the first call, 90th percentile")
CALLED_WITHIN = N_("Called within %(minutes)d minutes")
WALK_IN_NO_SHOWS = N_("Called, but did not come")
ESTIMATE_ERROR = N_("Estimate's mean error")
MINUTES = N_("minutes")
GRID_TITLE = N_("Walk-ins per weekday and hour of arrival")
HOUR = N_("Hour")
BY_CHANNEL_TITLE = N_("Sessions per organisation and channel")


@dataclass(frozen=True)
class Filters:
    location: str | None
    first: str
    last: str

    @property
    def months(self) -> tuple[str, ...]:
        return months_between(self.first, self.last)

    def query(self) -> str:
        return urlencode({"location": self.location or "", "from": self.first, "to": self.last})


def parse_filters(params: Mapping[str, str], current: str) -> Filters | dict[str, str]:
    """The filters, or error codes per field. ``current`` is this month, the default end."""
    errors: dict[str, str] = {}
    location = params.get("location", "").strip()
    if location not in ("", "all") and not _CODE.match(location):
        errors["location"] = "unknown_location"
    to_text, from_text = params.get("to", "").strip(), params.get("from", "").strip()
    last = parse_month(to_text) if to_text else current
    if last is None:
        errors["to"] = "month_format"
    first = parse_month(from_text) if from_text else add_months(last or current, 1 - DEFAULT_MONTHS)
    if first is None:
        errors["from"] = "month_format"
    elif last is not None and first > last:
        errors["from"] = "month_order"
    elif last is not None and len(months_between(first, last)) > MAX_MONTHS:
        errors["from"] = "too_many_months"
    if errors or first is None or last is None:
        return errors
    return Filters(None if location in ("", "all") else location, first, last)


def _message(request: Request, code: str) -> str:
    text = translate(request, FILTER_MESSAGES[code])
    return text % {"count": MAX_MONTHS} if code == "too_many_months" else text


async def _invalid(request: Request, errors: dict[str, str]) -> Response:
    params = request.query_params
    context = {
        "form": {name: params.get(name, "") for name in ("location", "from", "to")},
        "errors": {name: _message(request, code) for name, code in errors.items()},
        "locations": await service.locations(),
        "view": None,
    }
    return staff_page(request, TEMPLATE, context, 422)


async def _load(request: Request) -> tuple[Filters, service.Statistics] | Response:
    zone = ZoneInfo(request.app.state.settings.timezone)
    now = request_time(request)
    parsed = parse_filters(request.query_params, month_of(now.astimezone(zone).date()))
    if not isinstance(parsed, Filters):
        return await _invalid(request, parsed)
    try:
        data = await service.gather(parsed.location, parsed.months, now)
    except UnknownLocation:
        return await _invalid(request, {"location": "unknown_location"})
    return parsed, data


# -- labels and numbers in the reader's language --------------------------------------------


@dataclass(frozen=True)
class Words:
    """Translation and number formats of one request."""

    request: Request

    @property
    def language(self) -> str:
        language: str = self.request.state.language
        return language

    def __call__(self, message: str) -> str:
        return translate(self.request, message)

    def count(self, value: int) -> str:
        return format_decimal(value, locale=self.language)

    def rate(self, value: float | None) -> str:
        return "–" if value is None else format_percent(value, "#,##0.0\xa0%", locale=self.language)

    def minutes(self, value: float | None) -> str:
        return "–" if value is None else format_decimal(value, "#,##0.0", locale=self.language)

    def weekday(self, weekday: int) -> str:
        return str(get_day_names("wide", locale=self.language)[weekday])

    def month(self, month: str) -> str:
        return format_date(first_day(month), "MMM y", locale=self.language)

    def key(self, dimension: str, key: str, organisations: dict[str, str]) -> str:
        if dimension == "organisation":
            return organisations.get(key, key)
        if dimension == "topic":
            return self(TOPICS[key]) if key in TOPICS else key
        if dimension == "language":
            return language_name(key, self.language)
        return self(CHANNEL_LABELS[key]) if key in CHANNEL_LABELS else key


def _outcome_rows(words: Words) -> list[tuple[str, Callable[[Outcomes], str]]]:
    return [
        (words(SESSIONS), lambda o: words.count(o.sessions)),
        (words(STATUS_LABELS[ATTENDED]), lambda o: words.count(o.attended)),
        (words(STATUS_LABELS[NO_SHOW]), lambda o: words.count(o.no_show)),
        (words(NOT_RECORDED), lambda o: words.count(o.not_recorded)),
        (words(UPCOMING), lambda o: words.count(o.upcoming)),
        (words(CANCELLED_APART), lambda o: words.count(o.cancelled)),
        (words(ATTENDED_RATE), lambda o: words.rate(o.attended_rate)),
        (words(NO_SHOW_RATE), lambda o: words.rate(o.no_show_rate)),
    ]


def _called_within(words: Words) -> str:
    return words(CALLED_WITHIN) % {"minutes": CALLED_WITHIN_MINUTES}


def _walk_in_rows(words: Words) -> list[tuple[str, Callable[[WalkIns], str]]]:
    minutes = words(MINUTES)
    return [
        (words(WALK_INS), lambda w: words.count(w.tickets)),
        (words(WALK_INS_CALLED), lambda w: words.count(w.called)),
        (f"{words(WAIT_MEDIAN)} ({minutes})", lambda w: words.minutes(w.waited_median)),
        (f"{words(WAIT_P90)} ({minutes})", lambda w: words.minutes(w.waited_p90)),
        (_called_within(words), lambda w: words.rate(w.called_within)),
        (words(WALK_IN_NO_SHOWS), lambda w: words.count(w.no_shows)),
        (f"{words(ESTIMATE_ERROR)} ({minutes})", lambda w: words.minutes(w.estimate_error)),
    ]


def _hour(hour: int) -> str:
    return f"{hour:02d}:00–{hour + 1:02d}:00"


def _walk_ins_view(words: Words, report: Report, period: str) -> dict[str, Any] | None:
    if not report.walk_ins.tickets:
        return None
    title = words(WALK_INS_TITLE)
    bars = [
        Bar(words.month(month), w.tickets, words.count(w.tickets))
        for month, w in zip(report.months, report.walk_ins_by_month, strict=True)
    ]
    return {
        "id": "table-walk-ins",
        "title": title,
        "key_heading": words(N_("Figure")),
        "month_totals": None,
        "rows": [
            (label, [show(w) for w in report.walk_ins_by_month], show(report.walk_ins))
            for label, show in _walk_in_rows(words)
        ],
        "chart": _chart(words, "chart-walk-ins", words(N_("Walk-ins per month")), period, bars),
    }


def _grid_view(words: Words, grid: Grid) -> dict[str, Any]:
    return {
        "id": "table-walk-in-hours",
        "title": words(GRID_TITLE),
        "key_heading": words(HOUR),
        "columns": [words.weekday(d) for d in grid.weekdays],
        "rows": [
            (
                _hour(hour),
                [words.count(grid.count(d, hour)) for d in grid.weekdays],
                words.count(sum(grid.count(d, hour) for d in grid.weekdays)),
            )
            for hour in grid.hours
        ],
        "totals": [words.count(sum(grid.count(d, h) for h in grid.hours)) for d in grid.weekdays],
        "total": words.count(grid.total),
    }


def _by_channel_view(
    words: Words, crossed: Crossed, organisations: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": "table-organisation-channel",
        "title": words(BY_CHANNEL_TITLE),
        "key_heading": words(KEY_HEADINGS["organisation"]),
        "columns": [words.key("channel", c, organisations) for c in crossed.channels],
        "rows": [
            (
                words.key("organisation", o, organisations),
                [words.count(crossed.count(o, c)) for c in crossed.channels],
                words.count(sum(crossed.count(o, c) for c in crossed.channels)),
            )
            for o in crossed.organisations
        ],
        "totals": [
            words.count(sum(crossed.count(o, c) for o in crossed.organisations))
            for c in crossed.channels
        ],
        "total": words.count(crossed.total),
    }


def _period(words: Words, report: Report) -> str:
    return f"{words.month(report.months[0])} – {words.month(report.months[-1])}"


def _chart(words: Words, chart_id: str, title: str, period: str, bars: list[Bar]) -> Markup:
    description = f"{words(PERIOD)}: {period}."
    return Markup(bar_chart(chart_id, title, description, bars, words(EMPTY)))


def _dimension_view(
    words: Words, table: Table, organisations: dict[str, str], period: str
) -> dict[str, Any]:
    labels = [words.key(table.dimension, key, organisations) for key in table.keys]
    title = words(TABLE_TITLES[table.dimension])
    bars = [
        Bar(label, total, words.count(total))
        for label, total in zip(labels, table.key_totals, strict=True)
    ]
    return {
        "id": f"table-{table.dimension}",
        "title": title,
        "key_heading": words(KEY_HEADINGS[table.dimension]),
        "rows": [
            (label, [words.count(n) for n in cells], words.count(total))
            for label, cells, total in zip(labels, table.cells, table.key_totals, strict=True)
        ],
        "month_totals": [words.count(n) for n in table.month_totals],
        "total": words.count(table.total),
        "chart": _chart(words, f"chart-{table.dimension}", title, period, bars),
    }


def _view(words: Words, data: service.Statistics, filters: Filters) -> dict[str, Any]:
    report = data.report
    period = _period(words, report)
    overview_title = words(N_("Sessions and attendance per month"))
    month_bars = [
        Bar(words.month(month), outcome.sessions, words.count(outcome.sessions))
        for month, outcome in zip(report.months, report.by_month, strict=True)
    ]
    return {
        "months": [words.month(month) for month in report.months],
        "period": period,
        "has_sessions": report.overall.sessions > 0,
        "cancelled": report.overall.cancelled,
        "cancelled_text": words.count(report.overall.cancelled),
        "overview": {
            "id": "table-overview",
            "title": overview_title,
            "key_heading": words(N_("Figure")),
            "month_totals": None,
            "rows": [
                (label, [show(o) for o in report.by_month], show(report.overall))
                for label, show in _outcome_rows(words)
            ],
            "chart": _chart(
                words, "chart-overview", words(N_("Sessions per month")), period, month_bars
            ),
        },
        "tables": [
            _dimension_view(words, table, data.organisations, period) for table in report.tables
        ],
        "by_channel": _by_channel_view(words, report.by_channel, data.organisations),
        "outcomes": outcomes_view(words, data.outcomes, data.organisations, period),
        "walk_ins": _walk_ins_view(words, report, period),
        "grid": _grid_view(words, report.grid),
        "csv_url": f"/staff/statistics.csv?{filters.query()}",
    }


async def statistics_page(request: Request) -> Response:
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    filters, data = loaded
    context = {
        "form": {"location": filters.location or "", "from": filters.first, "to": filters.last},
        "errors": {},
        "locations": data.locations,
        "view": _view(Words(request), data, filters),
    }
    return staff_page(request, TEMPLATE, context)


# -- CSV for German Excel -------------------------------------------------------------------


def _decimal_comma(rate: float | None) -> Cell:
    return "" if rate is None else decimal_comma(rate * 100)


def _decimal(value: float | None) -> Cell:
    return "" if value is None else decimal_comma(value)


def csv_rows(words: Words, data: service.Statistics) -> list[list[Cell]]:
    """One row per month and a total row; one column per figure and per table key."""
    report = data.report
    location = dict(data.locations).get(data.location or "", words(ALL_LOCATIONS))
    header: list[Cell] = [
        words(N_("Location")),
        words(N_("Month")),
        words(SESSIONS),
        words(STATUS_LABELS[ATTENDED]),
        words(STATUS_LABELS[NO_SHOW]),
        words(NOT_RECORDED),
        words(UPCOMING),
        words(CANCELLED_APART),
        f"{words(ATTENDED_RATE)} (%)",
        f"{words(NO_SHOW_RATE)} (%)",
    ]
    for table in report.tables:
        heading = words(KEY_HEADINGS[table.dimension])
        header += [
            f"{heading}: {words.key(table.dimension, key, data.organisations)}"
            for key in table.keys
        ]
    minutes = words(MINUTES)
    header += [
        words(WALK_INS),
        words(WALK_INS_CALLED),
        f"{words(WAIT_MEDIAN)} ({minutes})",
        f"{words(WAIT_P90)} ({minutes})",
        f"{_called_within(words)} (%)",
        words(WALK_IN_NO_SHOWS),
        f"{words(ESTIMATE_ERROR)} ({minutes})",
    ]
    # Only the weekday-hour and organisation-channel pairs that occur: a column each.
    grid, crossed = report.grid, report.by_channel
    cells = [(d, h) for d in grid.weekdays for h in grid.hours if grid.count(d, h)]
    header += [f"{words(WALK_INS)}: {words.weekday(d)} {_hour(h)}" for d, h in cells]
    pairs = [(o, c) for o in crossed.organisations for c in crossed.channels if crossed.count(o, c)]
    header += [
        f"{words(SESSIONS)}: {words.key('organisation', o, data.organisations)} / "
        f"{words.key('channel', c, data.organisations)}"
        for o, c in pairs
    ]

    def figures(month_label: str, outcome: Outcomes, index: int | None) -> list[Cell]:
        line: list[Cell] = [
            location,
            month_label,
            *(
                str(n)
                for n in (
                    outcome.sessions,
                    outcome.attended,
                    outcome.no_show,
                    outcome.not_recorded,
                    outcome.upcoming,
                    outcome.cancelled,
                )
            ),
            _decimal_comma(outcome.attended_rate),
            _decimal_comma(outcome.no_show_rate),
        ]
        for table in report.tables:
            values = table.key_totals if index is None else [row[index] for row in table.cells]
            line += [str(n) for n in values]
        month = None if index is None else report.months[index]
        queue = report.walk_ins if index is None else report.walk_ins_by_month[index]
        line += [
            str(queue.tickets),
            str(queue.called),
            _decimal(queue.waited_median),
            _decimal(queue.waited_p90),
            _decimal_comma(queue.called_within),
            str(queue.no_shows),
            _decimal(queue.estimate_error),
        ]
        line += [str(grid.count(d, h, month)) for d, h in cells]
        line += [str(crossed.count(o, c, month)) for o, c in pairs]
        return line

    body = [
        figures(month, outcome, index)
        for index, (month, outcome) in enumerate(zip(report.months, report.by_month, strict=True))
    ]
    body.append(figures(words(TOTAL), report.overall, None))
    covered, per_month, overall = csv_columns(words, data.outcomes, data.organisations)
    for line, extra in zip(body, [*per_month, overall], strict=True):
        line += extra
    return [header + covered, *body]


async def statistics_csv(request: Request) -> Response:
    loaded = await _load(request)
    if isinstance(loaded, Response):
        return loaded
    filters, data = loaded
    filename = f"statistik-{filters.first}-{filters.last}.csv"
    return csv_response(csv_rows(Words(request), data), filename)


routes: list[BaseRoute] = [
    staff_route("/staff/statistics", statistics_page, "read_statistics"),
    staff_route("/staff/statistics.csv", statistics_csv, "read_statistics"),
]
