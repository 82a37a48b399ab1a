"""Limits on booking churn: how many writes one office reference, one booking or one client
address may make in a window, and when a refused writer may try again.

Bots that book out slots are a known problem at immigration offices, and every booking, move
and cancellation sends mail to whatever address was typed in. The limits are data; counting is
the service's (booking/services/limits.py). Pure: no I/O, the clock passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

REFERENCE = "reference"
RESCHEDULE = "reschedule"
CLIENT = "client"


@dataclass(frozen=True)
class Limit:
    """At most ``bound`` counted events per key within any ``window``."""

    scope: str
    bound: int
    window: timedelta

    def retry_after(self, counted: Sequence[datetime], now: datetime) -> timedelta | None:
        """None when the events ``counted`` (the window's, the newest one included) stay
        within the bound; otherwise how long until enough of them have left the window.

        Invariant: the answer is None exactly when at most ``bound`` of ``counted`` lie after
        ``now - window``, and otherwise positive and at most ``window``. Events stamped after
        ``now`` count too: a concurrent writer's clock may run a little ahead."""
        inside = sorted(at for at in counted if at > now - self.window)
        if len(inside) <= self.bound:
            return None
        # The bound is kept again once all but ``bound`` of them have aged out.
        leaving = inside[len(inside) - self.bound - 1]
        return min(max(leaving + self.window - now, timedelta(seconds=1)), self.window)


@dataclass(frozen=True)
class BookingLimits:
    """The three limits (settings BOOKING_RATE_LIMITS and BOOKING_LIMIT_*)."""

    enabled: bool = True
    per_reference: int = 3  # new bookings for one office appointment in 24 hours
    per_booking: int = 5  # reschedules of one booking in 24 hours
    per_client: int = 20  # booking writes from one client address in 10 minutes

    @property
    def reference(self) -> Limit:
        return Limit(REFERENCE, self.per_reference, timedelta(hours=24))

    @property
    def reschedule(self) -> Limit:
        return Limit(RESCHEDULE, self.per_booking, timedelta(hours=24))

    @property
    def client(self) -> Limit:
        return Limit(CLIENT, self.per_client, timedelta(minutes=10))

    @property
    def longest_window(self) -> timedelta:
        return max(limit.window for limit in (self.reference, self.reschedule, self.client))


OFF = BookingLimits(enabled=False)


def limit_key(secret: bytes, scope: str, value: str) -> str:
    """What is stored instead of a reference or an address: a keyed hash, so that a database
    dump cannot be matched against the office's references or a list of addresses."""
    return hmac.new(secret, f"{scope}\x00{value}".encode(), hashlib.sha256).hexdigest()
