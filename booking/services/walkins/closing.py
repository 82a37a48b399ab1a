"""Closing time: tickets still waiting or parked are closed with a reason the status page shows.

The running service does it every two minutes (``close_periodically``, started from the
lifespan's list of periodic jobs in booking/app.py), and ``python -m booking close-queue``
does it once, for a cron.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from booking import queue
from booking.models import ClosureDay, Location, OpeningHours, Ticket, clock_time
from booking.plan import at, public_holiday
from booking.services.days import load_day, local_date, zone_of
from booking.services.walkins.common import CLOSED_AT_CLOSING

log = logging.getLogger("booking.walkins")

CLOSE_INTERVAL_SECONDS = 120.0
LOOK_AHEAD_DAYS = 21  # how far "when it opens" looks for the next opening


async def close_day(location: Location, now: datetime) -> int:
    """Tickets still waiting or parked at closing time are closed, with a reason the status
    page shows; so are any left from earlier days."""
    today = local_date(now, location)
    day = await load_day(location, today)
    closing = max((o.end for o in day.location.opening), default=None)
    last_day = today if closing is None or now >= closing else today - timedelta(days=1)
    return await Ticket.filter(
        location_id=location.id,
        day__lte=last_day,
        status__in=(queue.WAITING, queue.PARKED),
    ).update(status=queue.CLOSED, closed_reason=CLOSED_AT_CLOSING, finished_at=now.astimezone(UTC))


async def close_due(now: datetime) -> int:
    """:func:`close_day` for every active location."""
    closed = 0
    for location in await Location.filter(active=True):
        closed += await close_day(location, now)
    return closed


async def close_periodically(
    clock: Callable[[], datetime], interval: float = CLOSE_INTERVAL_SECONDS
) -> None:
    """Every ``interval`` seconds until cancelled; a failing run is logged by its type only."""
    while True:
        await asyncio.sleep(interval)
        try:
            await close_due(clock())
        except Exception as error:
            log.error("closing the day's tickets failed: %s", type(error).__name__)


async def next_opening(location: Location, now: datetime) -> datetime | None:
    """When the desk next opens after ``now``: the next opening hours on a day that is neither a
    closure day nor a public holiday; None when none lies within three weeks."""
    zone = zone_of(location)
    today = local_date(now, location)
    hours: dict[int, list[int]] = {}
    for row in await OpeningHours.filter(location_id=location.id):
        if row.opens < row.closes:
            hours.setdefault(row.weekday, []).append(row.opens)
    closed = set(
        await ClosureDay.filter(
            location_id=location.id,
            day__gte=today,
            day__lte=today + timedelta(days=LOOK_AHEAD_DAYS),
        ).values_list("day", flat=True)
    )
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if day in closed or public_holiday(
            day, location.holiday_country, location.holiday_subdivision
        ):
            continue
        for opens in sorted(hours.get(day.weekday(), [])):
            moment = at(day, clock_time(opens), zone)
            if moment > now:
                return moment
    return None


async def open_now(location: Location, now: datetime) -> bool:
    """Within today's opening hours (and not a closure day or holiday)."""
    day = await load_day(location, local_date(now, location))
    if day.location.closed:
        return False
    return any(o.start <= now < o.end for o in day.location.opening)
