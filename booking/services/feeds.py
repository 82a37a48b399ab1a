"""Personal calendar feeds: one secret URL per counsellor, stored hashed, reset at will.

A feed answers only while its counsellor profile is active and an active staff account
belongs to it: disabling the account (or moving it to another profile) ends the feed at once,
as it ends the account's sessions and tokens. Enabling the account again brings the same
address back; "Reset" on the calendar page makes a new one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from booking.errors import NotFound
from booking.models import COUNSELLOR, Booking, Counsellor, StaffUser
from booking.services.accounts import audit

PAST = timedelta(days=14)
AHEAD = timedelta(days=90)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def reset_feed(counsellor_id: int, actor: str, now: datetime) -> str:
    """A new secret for the counsellor's feed; the old URL stops working at once."""
    token = secrets.token_urlsafe(32)
    changed = await Counsellor.filter(id=counsellor_id).update(feed_token_hash=_hash(token))
    if not changed:
        raise NotFound()
    await audit(actor, "reset", "calendar_feed", counsellor_id, "", now)
    return token


async def has_feed(counsellor_id: int) -> bool:
    return await Counsellor.filter(id=counsellor_id, feed_token_hash__isnull=False).exists()


async def feed_bookings(token: str, now: datetime) -> tuple[Counsellor, list[Booking]]:
    counsellor = await Counsellor.get_or_none(feed_token_hash=_hash(token), active=True)
    if counsellor is None or not await StaffUser.exists(
        counsellor_id=counsellor.id, role=COUNSELLOR, active=True
    ):
        raise NotFound()
    moment = now.astimezone(UTC)
    found = (
        await Booking.filter(
            counsellor_id=counsellor.id, start__gte=moment - PAST, start__lt=moment + AHEAD
        )
        .order_by("start")
        .prefetch_related("room", "location")
    )
    return counsellor, list(found)
