"""Counting writes against the booking limits (booking/limits.py), exactly, also when many
arrive at once, on both databases.

A write is counted under a lock that serialises the writers of its key: the count of the
window's events is read, and the new event inserted only when the bound allows it. The
reference and reschedule limits are counted inside the booking transaction, under the
location lock it already holds (a booking that then fails for another reason takes its event
back with the rollback). The client limit runs in its own short transaction before the
booking's, whose first statement is a write to the client key's row (a row lock on
PostgreSQL, the write lock on SQLite), like the location lock.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from booking.errors import TooMany
from booking.limits import OFF, BookingLimits, Limit, limit_key
from booking.models import RateEvent, RateKey

log = logging.getLogger("booking.limits")

CLEAN_UP_INTERVAL_SECONDS = 3600.0


class Limiter:
    """The limits of one installation, with the key that hashes what they count."""

    def __init__(self, limits: BookingLimits, secret: str) -> None:
        self.limits = limits
        self._secret = secret.encode("utf-8")

    async def _admit(self, limit: Limit, key: str, now: datetime) -> None:
        """Count one write, or raise TooMany; the caller holds the lock that serialises
        this key's writers."""
        counted: list[datetime] = await RateEvent.filter(
            scope=limit.scope, key=key, at__gt=now - limit.window
        ).values_list("at", flat=True)  # type: ignore[assignment]  # flat: one value a row
        wait = limit.retry_after([*counted, now], now)
        if wait is not None:
            raise TooMany(math.ceil(wait.total_seconds()))
        await RateEvent.create(scope=limit.scope, key=key, at=now)

    async def _admit_under_location_lock(self, limit: Limit, value: str, now: datetime) -> None:
        if self.limits.enabled:
            now = now.astimezone(UTC)  # SQLite compares stored instants as UTC text
            await self._admit(limit, limit_key(self._secret, limit.scope, value), now)

    async def new_booking(self, location_id: int, ref: str, now: datetime) -> None:
        """Inside the booking transaction, under the location lock."""
        await self._admit_under_location_lock(self.limits.reference, f"{location_id}:{ref}", now)

    async def reschedule(self, booking_id: int, now: datetime) -> None:
        """Inside the reschedule transaction, under the location lock."""
        await self._admit_under_location_lock(self.limits.reschedule, str(booking_id), now)

    async def client_write(self, address: str, now: datetime) -> None:
        """Before the booking transaction, in a transaction of its own."""
        if not self.limits.enabled:
            return
        limit = self.limits.client
        now = now.astimezone(UTC)
        key = limit_key(self._secret, limit.scope, address)
        await RateKey.bulk_create([RateKey(key=key, touched_at=now)], ignore_conflicts=True)
        async with in_transaction():
            await RateKey.filter(key=key).update(touched_at=now)  # the lock: first a write
            await self._admit(limit, key, now)

    async def forget_old(self, now: datetime) -> int:
        """Delete the events and keys that no window counts any more."""
        before = now.astimezone(UTC) - self.limits.longest_window
        deleted: int = await RateEvent.filter(at__lte=before).delete()
        await RateKey.filter(touched_at__lte=before).delete()
        return deleted

    async def forget_periodically(
        self, clock: Callable[[], datetime], interval: float = CLEAN_UP_INTERVAL_SECONDS
    ) -> None:
        """Every ``interval`` seconds until cancelled; a failing run does not end the loop."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.forget_old(clock())
            except Exception as error:
                log.error("clean-up of booking limits failed: %s", type(error).__name__)


NO_LIMITS = Limiter(OFF, "")
