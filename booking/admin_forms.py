"""Reading what a coordinator typed into the administration forms: pure, no database.

Each ``read_*`` takes the submitted fields (and, where a choice must be one of the stored
records, the ids to choose from) and returns the parsed value or a dict of field name ->
message code; ``MESSAGES`` holds the English msgids the web layer translates. Times of day are
minutes after local midnight, 00:00 to 23:59, written ``HH:MM``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from booking.models import ABSENCE, EXTRA
from booking.vocabulary import N_, TOPICS, normalise_language
from integrations.addresses import address_is_usable

# The last minute of the day: times of day are read back as datetime.time, which has no 24:00.
LAST_MINUTE = 23 * 60 + 59
NAME_MAX = 200
ADDRESS_MAX = 300
DISPLAY_NAME_MAX = 100
REASON_MAX = 200

MESSAGES: dict[str, str] = {
    "required": N_("This field is required."),
    "too_long": N_("This is too long."),
    "whole_number": N_("Please enter a whole number, for example 30."),
    "code_invalid": N_(
        "Please use lower-case letters, digits and hyphens (up to 32 characters), for example hsc."
    ),
    "code_taken": N_("This code is already in use."),
    "timezone_invalid": N_("Please enter a time zone such as Europe/Berlin."),
    "session_range": N_("The session length must be between 5 and 240 minutes."),
    "buffer_range": N_("The buffer must be between 0 and 240 minutes."),
    "window_range": N_("The window must be between 0 and 720 minutes."),
    "window_too_small": N_("The window must be at least the session length plus the buffer."),
    "notice_range": N_("The notice must be between 0 and 10080 minutes (one week)."),
    "subdivision_invalid": N_("Please choose a federal state."),
    "hours_invalid": N_("Please write times like 08:00–12:00, separated by commas."),
    "hours_order": N_("Each interval must end after it starts."),
    "hours_overlap": N_("The intervals of a day must not overlap."),
    "date_invalid": N_("Please enter a date, for example 2026-12-24."),
    "date_past": N_("Please choose today or a later day."),
    "closure_exists": N_("This day is already a closure day."),
    "room_code_invalid": N_(
        "Please use letters, digits, dots and hyphens (up to 32 characters), for example 1.01."
    ),
    "room_code_taken": N_("This location already has a room with this code."),
    "weight_invalid": N_("Please enter a number of 0 or more, or leave the field empty."),
    "display_name_invalid": N_(
        "Please enter the first name and the initial of the surname, for example Aylin K."
    ),
    "organisation_invalid": N_("Please choose an organisation."),
    "languages_invalid": N_(
        "Please enter language codes such as de, ar or fa-AF, separated by commas."
    ),
    "topics_required": N_("Please choose at least one topic."),
    "email_invalid": N_("Please check the e-mail address, for example name@example.org."),
    "weekday_invalid": N_("Please choose a weekday."),
    "time_invalid": N_("Please enter a time such as 08:30."),
    "time_order": N_("The end must be after the start."),
    "shift_overlap": N_("This overlaps another block of this counsellor on that weekday."),
    "location_invalid": N_("Please choose a location."),
    "room_invalid": N_("Please choose a room of the chosen location."),
    "kind_invalid": N_("Please choose absence or extra hours."),
    "times_pair": N_("Please enter both the start and the end, or neither for a whole day."),
    "extra_times": N_("Extra hours need a start and an end."),
    "extra_location": N_("Extra hours need a location."),
    "use_buttons": N_("Please use the buttons on the page."),
}

# The federal states for the public-holiday calendar (codes of the ``holidays`` package).
SUBDIVISIONS: dict[str, str] = {
    "BW": N_("Baden-Württemberg"),
    "BY": N_("Bavaria"),
    "BE": N_("Berlin"),
    "BB": N_("Brandenburg"),
    "HB": N_("Bremen"),
    "HH": N_("Hamburg"),
    "HE": N_("Hesse"),
    "MV": N_("Mecklenburg-Western Pomerania"),
    "NI": N_("Lower Saxony"),
    "NW": N_("North Rhine-Westphalia"),
    "RP": N_("Rhineland-Palatinate"),
    "SL": N_("Saarland"),
    "SN": N_("Saxony"),
    "ST": N_("Saxony-Anhalt"),
    "SH": N_("Schleswig-Holstein"),
    "TH": N_("Thuringia"),
}

KINDS: dict[str, str] = {
    ABSENCE: N_("Absence (illness, leave)"),
    EXTRA: N_("Extra hours"),
}

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_ROOM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_RANGE = re.compile(r"^(.+?)\s*[-–—]\s*(.+)$")
_DISPLAY_NAME = re.compile(r"^\w[\w'’. -]*\s\w\.$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Errors = dict[str, str]


def text(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _printable(value: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in value)


def _required(data: Mapping[str, object], name: str, limit: int, errors: Errors) -> str:
    value = text(data, name)
    if not value or not _printable(value):
        errors[name] = "required"
    elif len(value) > limit:
        errors[name] = "too_long"
    return value


def _optional(data: Mapping[str, object], name: str, limit: int, errors: Errors) -> str:
    value = text(data, name)
    if len(value) > limit:
        errors[name] = "too_long"
    elif not _printable(value):
        errors[name] = "required"
    return value


def parse_int(value: str) -> int | None:
    """A whole number written in ASCII digits (no signs, no other scripts' digits)."""
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def _number(
    data: Mapping[str, object], name: str, low: int, high: int, code: str, errors: Errors
) -> int:
    number = parse_int(text(data, name))
    if number is None:
        errors[name] = "whole_number"
        return 0
    if not low <= number <= high:
        errors[name] = code
    return number


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_clock(value: str) -> int | None:
    """``8``, ``8:30``, ``08.30`` -> minutes after midnight, up to 23:59; None if not a time."""
    match = _CLOCK.match(value.strip())
    if not match or not value.strip().isascii():
        return None
    hours, mins = int(match.group(1)), int(match.group(2) or 0)
    if mins > 59 or hours * 60 + mins > LAST_MINUTE:
        return None
    return hours * 60 + mins


def parse_date(value: str) -> date | None:
    value = value.strip()
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def overlapping(intervals: Iterable[tuple[int, int]]) -> bool:
    """Whether any two of the (start, end) intervals share time (touching is fine)."""
    ordered = sorted(intervals)
    return any(a[1] > b[0] for a, b in pairwise(ordered))


def parse_intervals(value: str) -> tuple[list[tuple[int, int]] | None, str | None]:
    """``08:00-12:00, 13:00-16:00`` (or with dashes) -> [(480, 720), (780, 960)], sorted;
    an empty text: no intervals."""
    intervals: list[tuple[int, int]] = []
    for piece in re.split(r"[,;\n]", value):
        piece = piece.strip()
        if not piece:
            continue
        match = _RANGE.match(piece)
        opens = parse_clock(match.group(1)) if match else None
        closes = parse_clock(match.group(2)) if match else None
        if opens is None or closes is None:
            return None, "hours_invalid"
        if opens >= closes:
            return None, "hours_order"
        intervals.append((opens, closes))
    if overlapping(intervals):
        return None, "hours_overlap"
    return sorted(intervals), None


def format_intervals(intervals: Iterable[tuple[int, int]]) -> str:
    return ", ".join(f"{format_clock(a)}–{format_clock(b)}" for a, b in sorted(intervals))


@dataclass(frozen=True)
class LocationForm:
    name: str
    address: str
    code: str
    timezone: str
    session_minutes: int
    buffer_minutes: int
    window_minutes: int
    notice_minutes: int
    holiday_subdivision: str


def _valid_zone(name: str) -> bool:
    if not name or len(name) > 64 or not name.isascii() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def read_location(data: Mapping[str, object]) -> tuple[LocationForm | None, Errors]:
    errors: Errors = {}
    name = _required(data, "name", NAME_MAX, errors)
    address = _required(data, "address", ADDRESS_MAX, errors)
    code = text(data, "code")
    if not _CODE.match(code):
        errors["code"] = "code_invalid"
    timezone = text(data, "timezone")
    if not _valid_zone(timezone):
        errors["timezone"] = "timezone_invalid"
    session = _number(data, "session_minutes", 5, 240, "session_range", errors)
    buffer = _number(data, "buffer_minutes", 0, 240, "buffer_range", errors)
    window = _number(data, "window_minutes", 0, 720, "window_range", errors)
    notice = _number(data, "notice_minutes", 0, 7 * 24 * 60, "notice_range", errors)
    timing = {"session_minutes", "buffer_minutes", "window_minutes"}
    if not errors.keys() & timing and window < session + buffer:
        errors["window_minutes"] = "window_too_small"
    subdivision = text(data, "holiday_subdivision")
    if subdivision not in SUBDIVISIONS:
        errors["holiday_subdivision"] = "subdivision_invalid"
    if errors:
        return None, errors
    form = LocationForm(name, address, code, timezone, session, buffer, window, notice, subdivision)
    return form, errors


def read_opening_hours(
    data: Mapping[str, object],
) -> tuple[dict[int, list[tuple[int, int]]] | None, Errors]:
    """Fields ``hours-0`` (Monday) to ``hours-6``; an empty field: closed that weekday."""
    errors: Errors = {}
    hours: dict[int, list[tuple[int, int]]] = {}
    for weekday in range(7):
        name = f"hours-{weekday}"
        intervals, problem = parse_intervals(text(data, name))
        if problem or intervals is None:
            errors[name] = problem or "hours_invalid"
        else:
            hours[weekday] = intervals
    return (None, errors) if errors else (hours, errors)


@dataclass(frozen=True)
class ClosureForm:
    day: date
    reason: str


def read_closure(data: Mapping[str, object], today: date) -> tuple[ClosureForm | None, Errors]:
    errors: Errors = {}
    day = parse_date(text(data, "day"))
    if day is None:
        errors["day"] = "date_invalid"
    elif day < today:
        errors["day"] = "date_past"
    reason = _optional(data, "reason", REASON_MAX, errors)
    if errors or day is None:
        return None, errors
    return ClosureForm(day, reason), errors


@dataclass(frozen=True)
class RoomForm:
    code: str
    name: str


def read_room(data: Mapping[str, object]) -> tuple[RoomForm | None, Errors]:
    errors: Errors = {}
    code = text(data, "code")
    if not _ROOM_CODE.match(code):
        errors["code"] = "room_code_invalid"
    name = _required(data, "name", 100, errors)
    return (None, errors) if errors else (RoomForm(code, name), errors)


@dataclass(frozen=True)
class OrganisationForm:
    code: str
    name: str
    target_weight: float | None  # None: computed from the plan


def parse_weight(value: str) -> tuple[float | None, bool]:
    """(weight, ok): empty is (None, True); ``1,5`` and ``1.5`` are 1.5; at most 1000."""
    value = value.strip().replace(",", ".")
    if not value:
        return None, True
    if not value.isascii() or not re.fullmatch(r"\d{1,4}(?:\.\d{1,4})?", value):
        return None, False
    weight = float(value)
    return (weight, True) if math.isfinite(weight) and 0 <= weight <= 1000 else (None, False)


def read_organisation(data: Mapping[str, object]) -> tuple[OrganisationForm | None, Errors]:
    errors: Errors = {}
    code = text(data, "code")
    if not _CODE.match(code):
        errors["code"] = "code_invalid"
    name = _required(data, "name", NAME_MAX, errors)
    weight, ok = parse_weight(text(data, "target_weight"))
    if not ok:
        errors["target_weight"] = "weight_invalid"
    return (None, errors) if errors else (OrganisationForm(code, name, weight), errors)


@dataclass(frozen=True)
class CounsellorForm:
    display_name: str
    organisation_id: int
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    email: str
    mail_invitations: bool = True  # new, moved and cancelled sessions as invitation mails


def parse_languages(value: str) -> tuple[str, ...] | None:
    """``de, AR, fa-af`` -> ("de", "ar", "fa-AF"), duplicates dropped; None if one is no code."""
    found: list[str] = []
    for piece in re.split(r"[,;\s]+", value.strip()):
        if not piece:
            continue
        code = normalise_language(piece)
        if code is None:
            return None
        if code not in found:
            found.append(code)
    return tuple(found) or None


def read_counsellor(
    data: Mapping[str, object], topics: Sequence[str], organisations: Collection[int]
) -> tuple[CounsellorForm | None, Errors]:
    errors: Errors = {}
    display_name = text(data, "display_name")
    if len(display_name) > DISPLAY_NAME_MAX:
        errors["display_name"] = "too_long"
    elif not _DISPLAY_NAME.match(display_name) or not _printable(display_name):
        errors["display_name"] = "display_name_invalid"
    organisation_id = parse_int(text(data, "organisation"))
    if organisation_id is None or organisation_id not in organisations:
        errors["organisation"] = "organisation_invalid"
    languages = parse_languages(text(data, "languages"))
    if languages is None or len(languages) > 20:
        errors["languages"] = "languages_invalid"
    chosen = tuple(code for code in TOPICS if code in topics)
    if not chosen:
        errors["topics"] = "topics_required"
    email = text(data, "email")
    if email and not address_is_usable(email):  # the rule sending uses
        errors["email"] = "email_invalid"
    if errors or organisation_id is None or languages is None:
        return None, errors
    # A checkbox: absent when unticked.
    wants_mail = text(data, "mail_invitations") in ("on", "1", "true")
    return CounsellorForm(
        display_name, organisation_id, languages, chosen, email, wants_mail
    ), errors


@dataclass(frozen=True)
class BlockForm:
    weekday: int
    starts: int
    ends: int
    location_id: int
    room_id: int | None


def _place(
    data: Mapping[str, object],
    locations: Collection[int],
    rooms: Mapping[int, int],
    errors: Errors,
    *,
    required: bool = True,
) -> tuple[int | None, int | None]:
    """The chosen location and (optional) room; ``rooms`` maps room id -> location id."""
    location_text = text(data, "location")
    location_id = parse_int(location_text)
    if location_id is None or location_id not in locations:
        if required or location_text:
            errors["location"] = "location_invalid"
        location_id = None
    room_text = text(data, "room")
    room_id = parse_int(room_text) if room_text else None
    if room_text and (room_id is None or rooms.get(room_id) != location_id):
        errors["room"] = "room_invalid"
    return location_id, room_id


def _times(data: Mapping[str, object], errors: Errors) -> tuple[int | None, int | None]:
    starts_text, ends_text = text(data, "starts"), text(data, "ends")
    starts = parse_clock(starts_text) if starts_text else None
    ends = parse_clock(ends_text) if ends_text else None
    if starts_text and starts is None:
        errors["starts"] = "time_invalid"
    if ends_text and ends is None:
        errors["ends"] = "time_invalid"
    if starts is not None and ends is not None and starts >= ends:
        errors["ends"] = "time_order"
    return starts, ends


def read_block(
    data: Mapping[str, object],
    locations: Collection[int],
    rooms: Mapping[int, int],
    others: Iterable[tuple[int, int, int]] = (),
) -> tuple[BlockForm | None, Errors]:
    """A block of the weekly plan; ``others`` are the counsellor's blocks as
    (weekday, starts, ends): a new block must not overlap one of them on its weekday."""
    errors: Errors = {}
    weekday = parse_int(text(data, "weekday"))
    if weekday is None or not 0 <= weekday <= 6:
        errors["weekday"] = "weekday_invalid"
    starts, ends = _times(data, errors)
    for name, value in (("starts", starts), ("ends", ends)):
        if value is None and name not in errors:
            errors[name] = "time_invalid"
    location_id, room_id = _place(data, locations, rooms, errors)
    if errors or weekday is None or starts is None or ends is None or location_id is None:
        return None, errors
    same_day = [(s, e) for day, s, e in others if day == weekday]
    if any(s < ends and starts < e for s, e in same_day):
        errors["starts"] = "shift_overlap"
        return None, errors
    return BlockForm(weekday, starts, ends, location_id, room_id), errors


@dataclass(frozen=True)
class ExceptionForm:
    day: date
    kind: str  # ABSENCE or EXTRA
    starts: int | None  # None with an absence: the whole day
    ends: int | None
    location_id: int | None  # None with an absence: every location they work at
    room_id: int | None
    note: str


def read_exception(
    data: Mapping[str, object],
    today: date,
    locations: Collection[int],
    rooms: Mapping[int, int],
) -> tuple[ExceptionForm | None, Errors]:
    errors: Errors = {}
    kind = text(data, "kind")
    if kind not in KINDS:
        errors["kind"] = "kind_invalid"
    day = parse_date(text(data, "day"))
    if day is None:
        errors["day"] = "date_invalid"
    elif day < today:
        errors["day"] = "date_past"
    starts, ends = _times(data, errors)
    if not errors.keys() & {"starts", "ends"}:
        if kind == EXTRA and (starts is None or ends is None):
            errors["starts"] = "extra_times"
        elif (starts is None) != (ends is None):
            errors["starts"] = "times_pair"
    location_id, room_id = _place(data, locations, rooms, errors, required=False)
    if kind == EXTRA and location_id is None and "location" not in errors:
        errors["location"] = "extra_location"
    note = _optional(data, "note", REASON_MAX, errors)
    if errors or day is None:
        return None, errors
    return ExceptionForm(day, kind, starts, ends, location_id, room_id, note), errors


def read_active(data: Mapping[str, object]) -> tuple[bool | None, Errors]:
    """The hidden ``active`` field of a (de)activation confirmation: "1" or "0"."""
    value = text(data, "active")
    if value not in ("0", "1"):
        return None, {"active": "use_buttons"}
    return value == "1", {}


MOVE = "move"
LEAVE = "leave"


@dataclass(frozen=True)
class Decision:
    """What the coordinator chose on the conflict page; ``resolution`` None: not asked yet."""

    resolution: str | None = None
    choices: Mapping[int, int] | None = None  # booking id -> counsellor id


def read_decision(items: Iterable[tuple[str, object]]) -> Decision:
    resolution: str | None = None
    choices: dict[int, int] = {}
    for name, value in items:
        if not isinstance(value, str):
            continue
        if name == "resolution" and value in (MOVE, LEAVE):
            resolution = value
        elif name.startswith("move-"):
            booking_id, counsellor_id = parse_int(name[5:]), parse_int(value)
            if booking_id is not None and counsellor_id is not None:
                choices[booking_id] = counsellor_id
    return Decision(resolution, choices)


def upcoming_holidays(
    country: str, subdivision: str, today: date, language: str, days: int = 366
) -> list[tuple[date, str]]:
    """The public holidays from today on (they close the location without a closure day)."""
    calendar = holidays.country_holidays(
        country,
        subdiv=subdivision or None,
        years=[today.year, today.year + 1],
        language="de" if language == "de" else "en_US",
    )
    until = today + timedelta(days=days)
    return sorted((day, str(name)) for day, name in calendar.items() if today <= day < until)
