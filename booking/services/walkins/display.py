"""The waiting-room display: today's calls, newest first, number and room, never a name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking import queue
from booking.models import Location, Ticket
from booking.services.days import local_date
from booking.services.walkins.common import ticket_label

DISPLAY_CALLS = 8


@dataclass(frozen=True)
class Call:
    label: str
    room: str | None
    called_at: datetime


async def display(location: Location, now: datetime) -> list[Call]:
    """Today's calls, newest first: number and room, never a name."""
    rows = (
        await Ticket.filter(
            location_id=location.id,
            day=local_date(now, location),
            called_at__isnull=False,
            status__in=(queue.CALLED, queue.SERVING),
        )
        .order_by("-called_at")
        .limit(DISPLAY_CALLS)
        .prefetch_related("room")
    )
    return [
        Call(
            ticket_label(location.ticket_prefix, t.number),
            t.room.name if t.room else None,
            t.called_at or now,  # called_at is set: the filter says so
        )
        for t in rows
    ]
