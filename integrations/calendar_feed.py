"""A counsellor's personal calendar feed (iCalendar, METHOD:PUBLISH), for Outlook or a phone.

Subscribed calendars are read by many clients that know nothing about our time zones, so every
event is written in UTC. The feed names no applicant: topic, language and reference only. The
events are built by the same helper as the invitations (``integrations.invitations``), so a
session looks the same in the feed and in the invitation mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from integrations.invitations import PRODID, _common_event, clean_line, new_calendar

__all__ = ["PRODID", "FeedEvent", "feed"]


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    sequence: int
    cancelled: bool


def feed(name: str, events: Iterable[FeedEvent], now: datetime) -> bytes:
    calendar = new_calendar("PUBLISH")
    calendar.add("x-wr-calname", clean_line(name))
    # Ask clients to refresh every half hour (most apply their own minimum).
    calendar.add("refresh-interval", timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT30M")
    for item in events:
        calendar.add_component(
            _common_event(
                uid=item.uid,
                sequence=item.sequence,
                start=item.start,
                end=item.end,
                summary=item.summary,
                description=item.description,
                location=item.location,
                cancelled=item.cancelled,
                now=now,
            )
        )
    body: bytes = calendar.to_ical()
    return body
