"""Personal calendar feeds: one secret URL per counsellor, stored hashed, reset at will.

A feed answers only while its counsellor profile is active and an active staff account
belongs to it: disabling the account (or moving it to another profile) ends the feed at once,
as it ends the account's sessions and tokens. Enabling the account again brings the same
address back; "Reset" on the calendar page makes a new one.

The feed is written in one language, the staff language of the counsellor's account (German
unless they use the staff pages in another), and its events carry the same UID as the
invitations mailed for the same sessions (``integrations.invitations.session_uid``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from booking.errors import NotFound
from booking.i18n import DEFAULT_LANGUAGE, STAFF_LANGUAGES
from booking.models import CANCELLED, COUNSELLOR, Booking, Counsellor, StaffUser
from booking.services.accounts import audit
from booking.staff_vocabulary import FEED_NAME, FEED_SUMMARY
from booking.vocabulary import TOPICS, language_name
from integrations.calendar_feed import FeedEvent
from integrations.invitations import session_uid

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


@dataclass(frozen=True)
class Feed:
    counsellor: Counsellor
    language: str  # of the counsellor's staff account: every label of the feed is in it
    bookings: list[Booking]


async def feed_bookings(token: str, now: datetime) -> Feed:
    counsellor = await Counsellor.get_or_none(feed_token_hash=_hash(token), active=True)
    account = (
        None
        if counsellor is None
        else await StaffUser.filter(counsellor_id=counsellor.id, role=COUNSELLOR, active=True)
        .order_by("id")
        .first()
    )
    if counsellor is None or account is None:
        raise NotFound()
    language = account.language if account.language in STAFF_LANGUAGES else DEFAULT_LANGUAGE
    moment = now.astimezone(UTC)
    found = (
        await Booking.filter(
            counsellor_id=counsellor.id, start__gte=moment - PAST, start__lt=moment + AHEAD
        )
        .order_by("start")
        .prefetch_related("room", "location")
    )
    return Feed(counsellor, language, list(found))


def feed_name(feed: Feed, gettext: Callable[[str], str]) -> str:
    return gettext(FEED_NAME) % {"name": feed.counsellor.display_name}


def feed_events(
    bookings: Iterable[Booking], language: str, gettext: Callable[[str], str], mailbox: str
) -> list[FeedEvent]:
    """The feed's events, every label in ``language`` (``gettext`` translates into it). No
    applicant's name: topic, language, place and reference only."""
    reference_line = gettext("Reference: %(reference)s")
    return [
        FeedEvent(
            uid=session_uid(b.reference, mailbox),
            start=b.start,
            end=b.end,
            summary=gettext(FEED_SUMMARY)
            % {
                "topic": gettext(TOPICS.get(b.topic, b.topic)),
                "language": language_name(b.language, language),
            },
            location=" · ".join(x for x in (b.location.name, b.room.name if b.room else "") if x),
            description=reference_line % {"reference": b.reference},
            sequence=b.sequence,
            cancelled=b.status == CANCELLED,
        )
        for b in bookings
    ]
