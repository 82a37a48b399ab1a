"""Domain outcomes that are not successes, all of them here. Each carries a short code, its key;
the web layer maps the code to a status and a translated message (booking/web/messages.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from booking.slots import Slot


class DomainError(Exception):
    code = "error"


class Coded(DomainError):
    """A domain error whose key is given where it is raised, from a closed set of codes."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LinkRefused(Coded):
    """The office link cannot be used: bad_signature, expired, invalid, unknown_location, past."""


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


class Rejected(DomainError):
    """The stored data refuses the form (a code in use, a day already closed)."""

    code = "invalid_form"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(self.code)
        self.errors = dict(errors)  # field name -> message code (booking/admin_forms.py)


class Busy(DomainError):
    """Someone changed the same records at the same moment; trying again will do."""

    code = "busy"


class BadCredentials(DomainError):
    code = "bad_credentials"


class Throttled(DomainError):
    code = "throttled"


class AccountInvalid(Coded):
    """An account change refused, e.g. demoting oneself or the last active administrator."""


class PasswordChangeRequired(DomainError):
    code = "password_change_required"


class TokenInvalid(Coded):
    """label_required, label_long, owner_invalid or owner_must_change."""


class NotFailed(DomainError):
    """Only a failed message can be sent again (this one is pending, sending or sent)."""

    code = "mail_not_failed"


class UnknownLocation(DomainError, LookupError):
    """The filter names a location that does not exist."""

    code = "unknown_location"


class ScopeRefused(Coded):
    """The principal may not see this part of the schedule; ``code`` says why."""


class Held(DomainError):
    """Nothing called: the counsellor's next booked session begins too soon (they may call
    anyway)."""

    code = "held"


class RoomNeeded(DomainError):
    """A call needs a room and none is known for the counsellor: they choose one of these."""

    code = "room_needed"

    def __init__(self, rooms: list[str]) -> None:
        super().__init__(self.code)
        self.rooms = rooms
