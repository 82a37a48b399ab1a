"""Calendar invitations for one session (iCalendar, RFC 5545, with iTIP, RFC 5546).

Calendar clients are strict in different ways, and each way has cost other booking systems
their invitations:

- a cancellation must be ``METHOD:CANCEL`` with ``STATUS:CANCELLED``, the same UID and a
  higher SEQUENCE, or the old event stays in the calendar; it carries no alarm, or the phone
  still rings for a session that no longer exists;
- the recipient must appear as ATTENDEE, or Gmail shows no invitation and Outlook blocks Accept;
- times are written in UTC, because the VTIMEZONE that icalendar generates is a list of
  RDATEs that Outlook ignores (the event then shifts by an hour);
- display names lose quotes and line breaks, which break parameter quoting in some clients.

The counsellors' PUBLISH feed (``integrations.calendar_feed``) builds its events with the same
``_common_event`` helper, so both agree on every property they share. No manage link goes into
calendar data: calendars get shared.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Alarm, Calendar, Event, vCalAddress

PRODID = "-//welcome-desk//booking//EN"
METHODS = ("REQUEST", "CANCEL")


@dataclass(frozen=True)
class Invitation:
    """One session as the recipient's calendar should show it.

    ``sequence`` is the stored counter of changes (RFC 5545 SEQUENCE): the caller increments it
    with every change, a cancellation included, in the transaction that makes the change.
    """

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str  # address and room, one line
    organizer_email: str  # the service mailbox that is also the mail's From
    organizer_name: str
    attendee_email: str
    attendee_name: str
    method: Literal["REQUEST", "CANCEL"]
    alarm_minutes: int = 60


def session_uid(reference: str, mailbox: str) -> str:
    """The one UID of a session, in every calendar object about it: the applicant's and the
    counsellor's invitations and the counsellor's feed. Calendars match events by UID, so a
    counsellor who subscribes to the feed and also accepts the mailed invitation sees the
    session once, and a move (same UID, higher SEQUENCE) updates it in both. The domain is the
    service mailbox's, which organises every invitation."""
    return f"{reference}@{mailbox.rpartition('@')[2] or 'booking'}"


def clean_line(text: str) -> str:
    """One line without quotes or control characters, whitespace runs collapsed.

    For summaries, locations and display names: some clients break on quotes or line breaks
    there, and control characters are not allowed in iCalendar text at all.
    """
    visible = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return _keep_backslash_n(" ".join(visible.replace('"', "").split()))


def clean_text(text: str) -> str:
    """Multi-line text (a description): line breaks kept as LF, control characters removed.

    Every kind of line break (CR, CRLF, U+2028, …) becomes one LF, which iCalendar writes as
    ``\\n``; other control characters are forbidden in iCalendar text and become spaces.
    """
    lines = (
        "".join(" " if unicodedata.category(c) == "Cc" else c for c in line).strip()
        for line in text.splitlines()
    )
    return _keep_backslash_n("\n".join(lines).strip())


def _keep_backslash_n(text: str) -> str:
    # icalendar 7.3 turns a literal backslash-N (as in C:\New) into a line break instead of
    # escaping the backslash; a lowercase n is escaped correctly.
    return text.replace("\\N", "\\n")


def clean_name(name: str) -> str:
    """A display name for a CN parameter: ``clean_line`` without backslashes and carets.

    Parameter values have no escapes in RFC 5545, but some parsers (vobject among them) read
    a backslash as one and lose the rest of the line; icalendar writes a caret as ``^^``
    (RFC 6868), which older parsers show doubled. No real name needs either.
    """
    return clean_line(name.replace("\\", " ").replace("^", " "))


def _mailto(address: str) -> str:
    # A calendar address is a URI: anything that is not a plain address would corrupt it.
    if "@" not in address or any(c.isspace() or c in '"<>' for c in address):
        raise ValueError("not a plain e-mail address")
    return f"mailto:{address}"


def _common_event(
    *,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    location: str,
    cancelled: bool,
    now: datetime,
) -> Event:
    """The VEVENT properties that invitations and the PUBLISH feed share, all times in UTC."""
    for moment in (start, end, now):
        if moment.tzinfo is None:
            raise ValueError("calendar times must be timezone-aware")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("summary", clean_line(summary))
    event.add("location", clean_line(location))
    event.add("description", clean_text(description))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def new_calendar(method: str) -> Calendar:
    """An empty VCALENDAR with our PRODID, VERSION 2.0 and the given iTIP method."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def calendar_bytes(invitation: Invitation, now: datetime) -> bytes:
    """The invitation as an iCalendar object with CRLF line ends, ready for a mail part.

    ``now`` becomes DTSTAMP (when this version was made), in UTC.
    """
    if invitation.method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    cancelled = invitation.method == "CANCEL"
    event = _common_event(
        uid=invitation.uid,
        sequence=invitation.sequence,
        start=invitation.start,
        end=invitation.end,
        summary=invitation.summary,
        description=invitation.description,
        location=invitation.location,
        cancelled=cancelled,
        now=now,
    )
    # Compared only now: _common_event has refused naive times, which would not compare.
    if invitation.end <= invitation.start:
        raise ValueError("a session must end after it starts")
    if invitation.sequence < 0:
        raise ValueError("SEQUENCE is never negative")
    event.add(
        "organizer",
        vCalAddress.new(
            _mailto(invitation.organizer_email), cn=clean_name(invitation.organizer_name)
        ),
    )
    event.add(
        "attendee",
        vCalAddress.new(
            _mailto(invitation.attendee_email),
            cn=clean_name(invitation.attendee_name),
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp=True,
        ),
    )
    if not cancelled and invitation.alarm_minutes > 0:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", clean_line(invitation.summary))
        alarm.add("trigger", timedelta(minutes=-invitation.alarm_minutes))
        event.add_component(alarm)
    calendar = new_calendar(invitation.method)
    calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body
