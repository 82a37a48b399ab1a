"""Domain outcomes that are not successes. Each carries a short code; the web layer maps the
code to a status and a translated message (booking/web/messages.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from booking.slots import Slot


class DomainError(Exception):
    code = "error"


class LinkRefused(DomainError):
    """The office link cannot be used: bad_signature, expired, invalid, unknown_location, past."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SlotTaken(DomainError):
    code = "slot_taken"

    def __init__(self, alternatives: Sequence[Slot]) -> None:
        super().__init__(self.code)
        self.alternatives = list(alternatives)


class AlreadyBooked(DomainError):
    code = "already_booked"


class NotFound(DomainError):
    code = "not_found"


class NotChangeable(DomainError):
    """The booking was cancelled or its time has come: it can no longer be moved."""

    code = "not_changeable"


class Invalid(DomainError):
    code = "invalid"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__(self.code)
        self.fields = dict(fields)  # field name -> message code


class TooMany(DomainError):
    """A booking limit (booking/limits.py) refused the write; try again after some seconds."""

    code = "too_many"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(self.code)
        self.retry_after_seconds = retry_after_seconds
