"""A counsellor's personal calendar feed (iCalendar, METHOD:PUBLISH), for Outlook or a phone.

Subscribed calendars are read by many clients that know nothing about our time zones, so every
event is written in UTC. The feed names no applicant: topic, language and reference only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

PRODID = "-//welcome-desk//booking//EN"


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


def _clean(text: str) -> str:
    # One line, no quotes: some clients break on either in a summary.
    return " ".join(text.replace('"', "").split())


def feed(name: str, events: Iterable[FeedEvent], now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _clean(name))
    # Ask clients to refresh every half hour (most apply their own minimum).
    calendar.add("refresh-interval", timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT30M")
    stamp = now.astimezone(UTC)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start.astimezone(UTC))
        event.add("dtend", item.end.astimezone(UTC))
        event.add("summary", _clean(item.summary))
        event.add("location", _clean(item.location))
        event.add("description", item.description)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
