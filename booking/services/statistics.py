"""Loading the statistics rows: a few cheap queries, no personal data, then the pure report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from booking.models import Booking, Location, Organisation
from booking.services.days import zone_of
from booking.statistics import Report, SessionRow, add_months, build_report, first_day, month_of


class UnknownLocation(LookupError):
    """The filter names a location that does not exist."""


@dataclass(frozen=True)
class Statistics:
    report: Report
    locations: tuple[tuple[str, str], ...]  # (code, name) of every location, for the filter
    location: str | None  # the chosen location's code, None for all
    organisations: dict[str, str]  # code -> name


async def locations() -> tuple[tuple[str, str], ...]:
    rows = await Location.all().order_by("name").values_list("code", "name")
    return tuple((str(code), str(name)) for code, name in rows)


async def load_rows(
    location_code: str | None, months: tuple[str, ...], now: datetime
) -> list[SessionRow]:
    """The sessions of one location (or all) whose local start lies in ``months``."""
    if not months:
        return []
    query = Location.all()
    if location_code is not None:
        query = query.filter(code=location_code)
    places = await query
    if location_code is not None and not places:
        raise UnknownLocation(location_code)
    organisation_codes = dict(await Organisation.all().values_list("id", "code"))
    now = now.astimezone(UTC)
    rows: list[SessionRow] = []
    for place in places:
        zone = zone_of(place)
        # Month boundaries are local to the location; SQLite compares stored UTC text, so the
        # bounds must be converted to UTC before filtering.
        since = datetime.combine(first_day(months[0]), time(0), tzinfo=zone).astimezone(UTC)
        until_day = first_day(add_months(months[-1], 1))
        until = datetime.combine(until_day, time(0), tzinfo=zone).astimezone(UTC)
        found = await Booking.filter(
            location_id=place.id, start__gte=since, start__lt=until
        ).values("start", "end", "organisation_id", "topic", "language", "channel", "status")
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
                )
            )
    return rows


async def gather(location_code: str | None, months: tuple[str, ...], now: datetime) -> Statistics:
    """Everything the statistics page and its CSV show; UnknownLocation for a bad filter."""
    rows = await load_rows(location_code, months, now)
    organisations = dict(await Organisation.all().values_list("code", "name"))
    return Statistics(
        report=build_report(rows, months),
        locations=await locations(),
        location=location_code,
        organisations={str(code): str(name) for code, name in organisations.items()},
    )
