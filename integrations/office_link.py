"""The signed link that the immigration office puts into its own appointment confirmation.

The office system signs ``ref|start|duration|location|expires`` (the values exactly as they
stand in the link after percent-decoding) with HMAC-SHA256 under the shared link secret and
appends the lowercase hex digest as ``sig``. docs/integration.md is the office's manual.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

FIELDS = ("ref", "start", "duration", "location", "expires")
MAX_DURATION_MINUTES = 8 * 60
MAX_REF_LENGTH = 64
# Appointments the service can be about: inside these years the day before and after, the
# window around the appointment and the session after it all exist (9999-12-31 has no next day).
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_START = datetime(2200, 1, 1, tzinfo=UTC)


class LinkError(Exception):
    """The link cannot be used. ``code`` says why, for the message and the status code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # bad_signature | expired | invalid


@dataclass(frozen=True)
class OfficeLink:
    ref: str
    start: datetime  # aware, as the office gave it
    duration: timedelta
    location: str
    expires: datetime

    @property
    def end(self) -> datetime:
        return self.start + self.duration


def _text(value: object) -> str | None:
    """Link values arrive as strings; in JSON, duration and expires may also be integers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def signing_payload(values: Mapping[str, str]) -> bytes:
    return "|".join(values[name] for name in FIELDS).encode("utf-8")


def sign(values: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), signing_payload(values), hashlib.sha256).hexdigest()


def verify(params: Mapping[str, object], secret: str, now: datetime) -> OfficeLink:
    """Check the signature first (over the raw values), then read the values.

    Raises LinkError("bad_signature") for a missing or wrong signature,
    LinkError("invalid") for a signed link with unreadable values, LinkError("expired") when
    ``expires`` has passed. Whether the location exists and the appointment lies ahead is the
    caller's business: it needs the database and the clock.
    """
    raw = {name: _text(params.get(name)) for name in FIELDS}
    signature = _text(params.get("sig"))
    if signature is None or any(value is None for value in raw.values()):
        raise LinkError("bad_signature")
    values = {name: value for name, value in raw.items() if value is not None}
    expected = sign(values, secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode()):
        raise LinkError("bad_signature")
    link = _parse(values)
    if link.expires <= now:
        raise LinkError("expired")
    return link


def _parse(values: Mapping[str, str]) -> OfficeLink:
    ref = values["ref"].strip()
    location = values["location"].strip()
    if not ref or len(ref) > MAX_REF_LENGTH or not location or len(location) > 32:
        raise LinkError("invalid")
    try:
        start = datetime.fromisoformat(values["start"])
        minutes = int(values["duration"])
        expires = datetime.fromtimestamp(int(values["expires"]), UTC)
        # Year 1 at +14:00 lies before the first UTC moment: converting it overflows.
        utc_start = start.astimezone(UTC) if start.tzinfo is not None else None
    except (ValueError, OverflowError, OSError):
        raise LinkError("invalid") from None
    if utc_start is None or not 0 < minutes <= MAX_DURATION_MINUTES:
        raise LinkError("invalid")
    if not EARLIEST_START <= utc_start < LATEST_START:
        raise LinkError("invalid")
    return OfficeLink(ref, start, timedelta(minutes=minutes), location, expires)


def make_link(
    base_url: str,
    secret: str,
    *,
    ref: str,
    start: datetime,
    duration_minutes: int,
    location: str,
    expires: datetime,
) -> str:
    """Build a signed link as the office system would (used by demo-link and the tests)."""
    values = {
        "ref": ref,
        "start": start.isoformat(timespec="seconds"),
        "duration": str(duration_minutes),
        "location": location,
        "expires": str(int(expires.timestamp())),
    }
    query = urlencode({**values, "sig": sign(values, secret)})
    return f"{base_url.rstrip('/')}/add-on?{query}"


def link_values(link_params: Mapping[str, object]) -> dict[str, str]:
    """The six link values as strings, to carry them through the pages' forms."""
    out = {}
    for name in (*FIELDS, "sig"):
        value = _text(link_params.get(name))
        if value is not None:
            out[name] = value
    return out
