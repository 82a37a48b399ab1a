"""Loading the statistics rows: a few cheap queries, no personal data, then the pure report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from booking.errors import UnknownLocation
from booking.models import Booking, Location, Organisation, Ticket
from booking.outcome_statistics import OutcomeReport, outcome_report
from booking.services.days import zone_of
from booking.statistics import (
    Report,
    SessionRow,
    TicketRow,
    add_months,
    build_report,
    first_day,
    month_of,
)


@dataclass(frozen=True)
class Statistics:
    report: Report
    locations: tuple[tuple[str, str], ...]  # (code, name) of every location, for the filter
    location: str | None  # the chosen location's code, None for all
    organisations: dict[str, str]  # code -> name
    outcomes: OutcomeReport  # topics covered and referrals made


async def locations() -> tuple[tuple[str, str], ...]:
    rows = await Location.all().order_by("name").values_list("code", "name")
    return tuple((str(code), str(name)) for code, name in rows)


async def _places(location_code: str | None) -> list[Location]:
    query = Location.all()
    if location_code is not None:
        query = query.filter(code=location_code)
    places = await query
    if location_code is not None and not places:
        raise UnknownLocation(location_code)
    return list(places)


def _bounds(place: Location, months: tuple[str, ...]) -> tuple[datetime, datetime]:
    """The months' first and last moment at the location, in UTC: month boundaries are local,
    and SQLite compares stored UTC text, so the bounds are converted before filtering."""
    zone = zone_of(place)
    since = datetime.combine(first_day(months[0]), time(0), tzinfo=zone).astimezone(UTC)
    until_day = first_day(add_months(months[-1], 1))
    return since, datetime.combine(until_day, time(0), tzinfo=zone).astimezone(UTC)


async def load_rows(
    location_code: str | None, months: tuple[str, ...], now: datetime
) -> list[SessionRow]:
    """The sessions of one location (or all) whose local start lies in ``months``."""
    if not months:
        return []
    places = await _places(location_code)
    organisation_codes = dict(await Organisation.all().values_list("id", "code"))
    now = now.astimezone(UTC)
    rows: list[SessionRow] = []
    for place in places:
        zone = zone_of(place)
        since, until = _bounds(place, months)
        found = await Booking.filter(
            location_id=place.id, start__gte=since, start__lt=until
        ).values(
            "start",
            "end",
            "organisation_id",
            "topic",
            "language",
            "channel",
            "status",
            "outcome_topics",
            "referral",
        )
        for booking in found:
            start: datetime = booking["start"]
            end: datetime = booking["end"]
            rows.append(
                SessionRow(
                    month=month_of(start.astimezone(zone).date()),
                    location=place.code,
                    organisation=str(organisation_codes.get(booking["organisation_id"], "?")),
                    topic=booking["topic"],
                    language=booking["language"],
                    channel=booking["channel"],
                    status=booking["status"],
                    over=end <= now,
                    covered=tuple(str(t) for t in booking["outcome_topics"] or ()),
                    referral=booking["referral"] or "",
                )
            )
    return rows


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


async def load_tickets(location_code: str | None, months: tuple[str, ...]) -> list[TicketRow]:
    """The walk-in tickets of one location (or all) that arrived in ``months``: times and
    states only, never the name."""
    if not months:
        return []
    rows: list[TicketRow] = []
    for place in await _places(location_code):
        zone = zone_of(place)
        since, until = _bounds(place, months)
        found = await Ticket.filter(
            location_id=place.id, arrived_at__gte=since, arrived_at__lt=until
        ).values("arrived_at", "first_called_at", "status", "estimate_earliest", "estimate_latest")
        for ticket in found:
            arrived: datetime = ticket["arrived_at"].astimezone(zone)
            called: datetime | None = ticket["first_called_at"]
            earliest, latest = ticket["estimate_earliest"], ticket["estimate_latest"]
            error = None
            if called is not None and earliest is not None and latest is not None:
                error = _minutes(called, earliest + (latest - earliest) / 2)
            rows.append(
                TicketRow(
                    month=month_of(arrived.date()),
                    location=place.code,
                    weekday=arrived.weekday(),
                    hour=arrived.hour,
                    status=ticket["status"],
                    waited=None if called is None else max(0.0, _minutes(called, arrived)),
                    estimate_error=error,
                )
            )
    return rows


async def gather(location_code: str | None, months: tuple[str, ...], now: datetime) -> Statistics:
    """Everything the statistics page and its CSV show; UnknownLocation for a bad filter."""
    rows = await load_rows(location_code, months, now)
    tickets = await load_tickets(location_code, months)
    organisations = dict(await Organisation.all().values_list("code", "name"))
    return Statistics(
        report=build_report(rows, months, tickets),
        locations=await locations(),
        location=location_code,
        organisations={str(code): str(name) for code, name in organisations.items()},
        outcomes=outcome_report(rows, months),
    )
