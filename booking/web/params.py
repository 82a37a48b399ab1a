"""Reading values at the web boundary: ids, dates, codes, page numbers, JSON and text.

One place decides what a value from a path, a query, a form or a JSON body may be, so that
nothing out of range reaches the core or the database: an id past the INTEGER column would not
bind (OverflowError on SQLite, DataError on PostgreSQL), ``"²".isdigit()`` is true but
``int("²")`` fails, a date at the calendar's end overflows the next day, PostgreSQL refuses a
NUL in text, and JSON nested a thousand deep exhausts the recursion limit. What cannot name
anything in a path is a 404; anything else unreadable is the caller's 400 or 422.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.convertors import Convertor, register_url_convertor

from booking.web.errors import BadRequest

MAX_ID = 2**31 - 1  # an INTEGER primary key (int4 on PostgreSQL)
MAX_BIG_ID = 2**63 - 1  # a BIGINT primary key (the outbox)
# Far enough for any appointment, follow-up or statistics; near enough that the day after,
# the week around or the month after still exists.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
MAX_PAGE = 10_000
CODE_LENGTH = 32  # the code columns of locations and organisations
REPLACEMENT = "\ufffd"


def numbers_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1 to ``limit``, without leading zeros.

    A path whose id lies past its column then matches no route: a 404 before any handler."""
    digits = str(limit)
    width = len(digits)
    options = [f"[1-9][0-9]{{0,{width - 2}}}"] if width > 1 else []  # fewer digits than limit
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:  # the same start, a smaller digit here, then any digits
            rest = width - position - 1
            options.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


ID_PATTERN = numbers_up_to(MAX_ID)


class IntegerId(Convertor[int]):
    """A path segment that can name a row: ASCII digits, 1 to the column's largest value."""

    regex = numbers_up_to(MAX_ID)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


class BigIntegerId(IntegerId):
    regex = numbers_up_to(MAX_BIG_ID)


def register_convertors() -> None:
    """``{name:id}`` for INTEGER keys and ``{name:bigid}`` for BIGINT keys in route paths."""
    register_url_convertor("id", IntegerId())
    register_url_convertor("bigid", BigIntegerId())


# --- queries and form fields ---------------------------------------------------------------


def record_id(text: object) -> int | None:
    """An id typed or sent as text or a JSON integer, or None when it can name no row."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 < text <= MAX_ID else None
    if not isinstance(text, str) or not re.fullmatch(ID_PATTERN, text.strip()):
        return None
    return int(text.strip())


def day(text: str) -> date | None:
    """A date as YYYY-MM-DD within the years a schedule can be about, else None."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        found = date.fromisoformat(text)
    except ValueError:
        return None
    return found if FIRST_DAY <= found <= LAST_DAY else None


def page_number(text: str | None) -> int:
    """A page of a listing: junk reads as the first page, anything past the last as the last
    we would ever show (an empty page, not an offset the database cannot bind)."""
    if text is None or not re.fullmatch(r"[0-9]{1,6}", text):
        return 1
    return max(1, min(int(text), MAX_PAGE))


def code(text: str | None, limit: int = CODE_LENGTH) -> str | None:
    """A code (of a location or an organisation) that could exist, or None: printable, no
    longer than its column."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > limit or has_control(text):
        return None
    return text


# --- text in general -------------------------------------------------------------------------

# C0 and C1 control characters and DEL, but not tab and the line breaks a note may hold; and
# lone UTF-16 halves, which JSON can spell ("\ud800") and no database driver can encode.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character other than tab and line breaks (or a lone
    surrogate)."""
    return _CONTROL.search(text) is not None


def without_controls(text: str) -> str:
    """``text`` with each control character (other than tab and line breaks) replaced by
    U+FFFD, the character a decoder puts where it cannot read: PostgreSQL refuses NUL in text,
    and no one types the others. The value then names nothing and fails every code pattern,
    so it is answered as any unknown or malformed value is (404, 422), never a 500."""
    return _CONTROL.sub(REPLACEMENT, text)


def query_without_controls(query: bytes) -> bytes:
    """A query string or a form body (application/x-www-form-urlencoded) with its decoded
    values cleaned as above, encoded again; unchanged when it holds no control character."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if not any(has_control(name) or has_control(value) for name, value in pairs):
        return query
    cleaned = [(without_controls(name), without_controls(value)) for name, value in pairs]
    return urlencode(cleaned).encode("ascii")


def parse_json(body: bytes) -> Any:
    """A JSON document with control characters in its strings and keys cleaned as above; or
    BadRequest when it cannot be read (nested a thousand deep: RecursionError)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The body is not valid JSON.") from None
    if isinstance(data, str):
        return without_controls(data)
    pending = [data]
    while pending:  # not recursive: what json.loads accepted may be nested deep
        node = pending.pop()
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            node.update((without_controls(key), value) for key, value in items)
            entries: Iterable[tuple[Any, Any]] = node.items()
        elif isinstance(node, list):
            entries = enumerate(node)
        else:
            continue
        for place, value in list(entries):
            if isinstance(value, str):
                node[place] = without_controls(value)
            elif isinstance(value, dict | list):
                pending.append(value)
    return data
