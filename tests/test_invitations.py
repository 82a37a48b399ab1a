"""Invitations read back by two independent parsers: icalendar (ours) and vobject (not ours).

A bug in how we call icalendar could be mirrored by icalendar's own parser; vobject shares no
code with it, so what both read the same is what calendar clients will read.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from integrations.calendar_feed import FeedEvent, feed
from integrations.invitations import (
    Invitation,
    calendar_bytes,
    clean_line,
    clean_name,
    clean_text,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=BERLIN)
START = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)  # winter time: 09:00 UTC
SUMMER = datetime(2026, 7, 14, 10, 0, tzinfo=BERLIN)  # summer time: 08:00 UTC

REQUEST = Invitation(
    uid="ABH-2026-0042@welcome.example",
    sequence=3,
    start=START,
    end=START + timedelta(minutes=30),
    summary="Beratung: Arbeit und Ausbildung (Deutsch)",
    description="Welcome Center, Raum 1.12\nBitte bringen Sie Ihre Unterlagen mit; danke.",
    location="Ausländerbehörde, Am Schützenplatz 1, 30169 Hannover, Raum 1.12",
    organizer_email="termine@welcome.example",
    organizer_name='Welcome "Center"\r\nHannover',
    attendee_email="amina.t@example.org",
    attendee_name='Amina "Mimi"\nTest',
    method="REQUEST",
    alarm_minutes=60,
)
CANCEL = replace(REQUEST, method="CANCEL", sequence=4)


def parse_both(body: bytes) -> tuple[Calendar, object]:
    return Calendar.from_ical(body), vobject.readOne(body.decode("utf-8"))


def test_request_read_by_icalendar() -> None:
    body = calendar_bytes(REQUEST, NOW)
    calendar = Calendar.from_ical(body)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == REQUEST.uid
    assert int(str(event["SEQUENCE"])) == 3
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert str(event["LOCATION"]) == REQUEST.location
    assert str(event["DESCRIPTION"]) == REQUEST.description
    organizer, attendee = event["ORGANIZER"], event["ATTENDEE"]
    assert str(organizer) == "mailto:termine@welcome.example"
    assert organizer.params["CN"] == "Welcome Center Hannover"
    assert str(attendee) == "mailto:amina.t@example.org"
    assert attendee.params["CN"] == "Amina Mimi Test"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-60)


def test_request_read_by_vobject() -> None:
    parsed = vobject.readOne(calendar_bytes(REQUEST, NOW).decode("utf-8"))
    assert parsed.method.value == "REQUEST"
    (event,) = parsed.vevent_list
    assert event.uid.value == REQUEST.uid
    assert event.sequence.value == "3"
    # Written in UTC: no VTIMEZONE that Outlook could misread.
    assert not hasattr(parsed, "vtimezone")
    assert event.dtstart.value == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert event.dtstart.value.utcoffset() == timedelta(0)
    assert event.dtstamp.value == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert event.organizer.value == "mailto:termine@welcome.example"
    assert event.organizer.params["CN"] == ["Welcome Center Hannover"]
    assert event.attendee.value == "mailto:amina.t@example.org"
    assert event.attendee.params == {
        "CN": ["Amina Mimi Test"],
        "ROLE": ["REQ-PARTICIPANT"],
        "PARTSTAT": ["NEEDS-ACTION"],
        "RSVP": ["TRUE"],
    }
    assert event.location.value == REQUEST.location
    assert event.description.value == REQUEST.description
    assert event.valarm.action.value == "DISPLAY"
    assert event.valarm.trigger.value == timedelta(minutes=-60)


def test_summer_time_is_written_in_utc_too() -> None:
    body = calendar_bytes(replace(REQUEST, start=SUMMER, end=SUMMER + timedelta(hours=1)), NOW)
    assert b"DTSTART:20260714T080000Z\r\n" in body
    assert b"VTIMEZONE" not in body and b"TZID" not in body


def test_cancel_has_status_cancelled_and_no_alarm() -> None:
    body = calendar_bytes(CANCEL, NOW)
    calendar, parsed = parse_both(body)
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == REQUEST.uid  # the same event, a later version
    assert int(str(event["SEQUENCE"])) == 4
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.walk("VALARM") == []
    assert b"VALARM" not in body
    assert parsed.method.value == "CANCEL"  # type: ignore[attr-defined]
    assert parsed.vevent.status.value == "CANCELLED"  # type: ignore[attr-defined]
    assert parsed.vevent.attendee.value == "mailto:amina.t@example.org"  # type: ignore[attr-defined]


def test_crlf_line_ends_and_folding() -> None:
    long = replace(REQUEST, description="Lange Beschreibung " * 20)
    for body in (calendar_bytes(long, NOW), calendar_bytes(CANCEL, NOW)):
        assert body.endswith(b"END:VCALENDAR\r\n")
        assert body.count(b"\n") == body.count(b"\r\n")
        assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # RFC 5545 3.1, octets


def test_invalid_invitations_are_refused() -> None:
    for wrong in (
        replace(REQUEST, method="PUBLISH"),  # type: ignore[arg-type]
        replace(REQUEST, end=REQUEST.start),
        replace(REQUEST, start=START.replace(tzinfo=None)),
        replace(REQUEST, attendee_email="x@example.org\r\nATTENDEE:mailto:y@example.org"),
    ):
        try:
            calendar_bytes(wrong, NOW)
        except ValueError:
            continue
        raise AssertionError(f"accepted {wrong}")


def test_feed_shares_the_event_properties() -> None:
    item = FeedEvent(
        uid=REQUEST.uid,
        start=START,
        end=START + timedelta(minutes=30),
        summary=REQUEST.summary,
        location=REQUEST.location,
        description="Deutsch",
        sequence=3,
        cancelled=False,
    )
    published = Calendar.from_ical(feed("Beratung", [item], NOW))
    invited = Calendar.from_ical(calendar_bytes(REQUEST, NOW))
    assert str(published["METHOD"]) == "PUBLISH"
    (mine,), (theirs,) = published.walk("VEVENT"), invited.walk("VEVENT")
    for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "LOCATION"):
        assert mine[name].to_ical() == theirs[name].to_ical(), name
    assert "ATTENDEE" not in mine and "ORGANIZER" not in mine  # a feed names nobody


names = st.text(max_size=60)
texts = st.text(max_size=300)


@settings(max_examples=60)
@given(summary=texts, description=texts, location=names, organizer=names, attendee=names)
def test_any_text_keeps_the_structure(
    summary: str, description: str, location: str, organizer: str, attendee: str
) -> None:
    invitation = replace(
        REQUEST,
        summary=summary,
        description=description,
        location=location,
        organizer_name=organizer,
        attendee_name=attendee,
    )
    body = calendar_bytes(invitation, NOW)
    assert body.count(b"\n") == body.count(b"\r\n")
    calendar, parsed = parse_both(body)
    (event,) = calendar.walk("VEVENT")
    (other,) = parsed.vevent_list  # type: ignore[attr-defined]
    assert str(event["UID"]) == other.uid.value == REQUEST.uid
    assert str(calendar["METHOD"]) == parsed.method.value == "REQUEST"  # type: ignore[attr-defined]
    assert len(event.walk("VALARM")) == 1
    assert str(event["SUMMARY"]) == other.summary.value == clean_line(summary)
    assert str(event["DESCRIPTION"]) == other.description.value == clean_text(description)
    assert str(event["LOCATION"]) == other.location.value == clean_line(location)
    assert str(event["ATTENDEE"]) == other.attendee.value == "mailto:amina.t@example.org"
    cn = clean_name(attendee)
    assert event["ATTENDEE"].params.get("CN", "") == other.attendee.params.get("CN", [""])[0] == cn
    cn = clean_name(organizer)
    assert (
        event["ORGANIZER"].params.get("CN", "") == other.organizer.params.get("CN", [""])[0] == cn
    )
    assert not set(cn) & set('"\\^\r\n')


def test_cleaning_keeps_ordinary_text() -> None:
    assert clean_line("Beratung – مشاوره (Farsi)") == "Beratung – مشاوره (Farsi)"
    assert clean_line('Anna "Ann"\r\nMüller\x00') == "Anna Ann Müller"
    assert clean_name("O\\'Brien") == "O 'Brien"
    assert clean_line("C:\\Neu") == "C:\\neu"  # else icalendar writes a line break
    assert clean_text("eins\r\nzwei\rdrei\u2028vier\x07") == "eins\nzwei\ndrei\nvier"
