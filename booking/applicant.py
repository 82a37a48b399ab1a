"""Reading what an applicant typed: pure, shared by the pages and the API.

Errors are message codes per field (booking/web/messages.py translates them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from booking.vocabulary import TOPICS, normalise_language
from integrations.addresses import address_is_usable
from integrations.office_link import EARLIEST_START, LATEST_START

NAME_MAX = 100
PHONE_MAX = 40

# Deliberately loose: a name may be in any script.
_PHONE = re.compile(r"^\+?[0-9 ()/.\-]{5,}$")


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


_ORGANISATION_CODE = re.compile(r"^[a-z0-9-]{1,32}$")


@dataclass(frozen=True)
class Choice:
    topic: str
    language: str
    organisation: str | None = None  # None: any organisation (recommended)


def _text(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _printable(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text)


def read_choice(data: Mapping[str, object]) -> tuple[Choice | None, dict[str, str]]:
    errors: dict[str, str] = {}
    topic = _text(data, "topic")
    if topic not in TOPICS:
        errors["topic"] = "choose_topic"
    language = normalise_language(_text(data, "language"))
    if language is None:
        errors["language"] = "choose_language"
    organisation, problem = read_organisation(_text(data, "organisation"))
    if problem:
        errors["organisation"] = problem
    if errors or language is None:
        return None, errors
    return Choice(topic, language, organisation), errors


def read_organisation(text: str) -> tuple[str | None, str | None]:
    """An organisation code, or None for any organisation; else an error code."""
    if not text:
        return None, None
    if not _ORGANISATION_CODE.match(text):
        return None, "choose_organisation"
    return text, None


def name_problem(name: str) -> str | None:
    """The error code for a name typed (already trimmed), or None when it will do."""
    if len(name) > NAME_MAX:
        return "too_long"
    # U+FFFD: what the web boundary makes of a control character (booking/web/params.py).
    if not _printable(name) or any(ch in name for ch in "<>\ufffd"):
        return "name_chars"
    return None


def email_problem(email: str) -> str | None:
    """The error code for an e-mail address typed (already trimmed), or None. The rule is
    the one sending uses, so that every address accepted here can be written to."""
    if not address_is_usable(email):
        return "email_invalid"
    return None


def phone_problem(phone: str) -> str | None:
    """The error code for a phone number typed (already trimmed), or None."""
    if len(phone) > PHONE_MAX or not _PHONE.match(phone):
        return "phone_invalid"
    return None


def read_contact(data: Mapping[str, object]) -> tuple[Contact | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = " ".join(_text(data, "name").split())
    name_error = name_problem(name) if name else "name_required"
    if name_error:
        errors["name"] = name_error
    email = _text(data, "email")
    email_error = email_problem(email) if email else "email_required"
    if email_error:
        errors["email"] = email_error
    phone = _text(data, "phone")
    phone_error = phone_problem(phone) if phone else None
    if phone_error:
        errors["phone"] = phone_error
    consent = data.get("consent")
    if consent not in (True, "on", "true", "1", "yes"):
        errors["consent"] = "consent_required"
    if errors:
        return None, errors
    return Contact(name, email, phone), errors


def read_start(data: Mapping[str, object]) -> tuple[datetime | None, dict[str, str]]:
    """A slot start as ISO 8601 with an offset."""
    text = _text(data, "start")
    try:
        start = datetime.fromisoformat(text) if text else None
        # Within the years a link can name: the session's end and its day must exist too.
        in_range = start is not None and EARLIEST_START <= start.astimezone(UTC) < LATEST_START
    except (ValueError, OverflowError):
        start, in_range = None, False
    if start is None or start.tzinfo is None or not in_range:
        return None, {"start": "choose_time"}
    return start, {}
