"""Scheduled anonymisation: applicants' personal data is blanked some days after the session.

Only the personal fields are blanked (name, e-mail, phone and the counsellor's free-text note);
everything the statistics count stays. The work is one conditional UPDATE, so running it again,
or from several processes at once, changes nothing twice. Logs carry counts and exception
types, never data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from booking.models import Booking, Ticket
from booking.services import outbox
from booking.services.accounts import audit

log = logging.getLogger("booking.privacy")

PURGE_INTERVAL_SECONDS = 3600.0  # the service checks hourly; the command can run daily


async def anonymise_due(now: datetime, retention_days: int) -> int:
    """Blank the personal data of bookings that ended more than ``retention_days`` before
    ``now`` and are not anonymised yet; returns how many were anonymised."""
    assert retention_days >= 1, "a retention of less than a day would erase running sessions"
    now = now.astimezone(UTC)  # SQLite compares stored instants as UTC text
    count: int = await Booking.filter(
        anonymised_at__isnull=True, end__lt=now - timedelta(days=retention_days)
    ).update(name="", email="", phone="", outcome_note="", anonymised_at=now)
    await outbox.forget_delivered_of_anonymised()
    # A walk-in's optional first name, by the same rule (the day of the visit).
    await Ticket.filter(
        anonymised_at__isnull=True, arrived_at__lt=now - timedelta(days=retention_days)
    ).update(name="", anonymised_at=now)
    if count:
        await audit("system", "anonymise", "booking", "", f"{count} bookings", now)
    return count


async def anonymise_logged(clock: Callable[[], datetime], retention_days: int) -> int | None:
    """:func:`anonymise_due` for the service: a failure is logged by its exception type only
    (messages may quote data) and answered with None instead of raised."""
    try:
        count = await anonymise_due(clock(), retention_days)
    except Exception as error:
        log.error("scheduled anonymisation failed: %s", type(error).__name__)
        return None
    if count:
        log.info("anonymised %d bookings", count)
    return count


async def anonymise_periodically(
    clock: Callable[[], datetime], retention_days: int, interval: float = PURGE_INTERVAL_SECONDS
) -> None:
    """Every ``interval`` seconds (the first time after one interval), until cancelled; a
    failing run does not end the loop."""
    while True:
        await asyncio.sleep(interval)
        await anonymise_logged(clock, retention_days)
