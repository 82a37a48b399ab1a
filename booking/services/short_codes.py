"""The short code on a follow-up's printed slip: typed at ``/m``, it opens the manage page.

Ten characters from the reference alphabet (no 0/O, 1/I) carry 50 bits. Typing is what the
code is for, so it has to be short; guessing is what it must resist. Only the codes of sessions
still planned open anything (a few hundred at a location, say 10^4 to be generous), and each
guess is a POST counted by the client limit (20 writes in 10 minutes per address,
booking/limits.py). With a thousand addresses, 2^50 / 10^4 / (20,000 per 10 minutes) is about a
century of guessing for one hit. The code is stored only as an HMAC keyed by the secret key, so
a copy of the database alone does not let anyone try the 2^50 codes offline (plain SHA-256 of
50 bits would fall to a graphics card in days).

A new slip issues a new code and the old one stops working: the code is shown only on the
slip, never again, like the manage link at the desk; a visitor who lost the slip gets a new
one and whoever found the old one has nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from booking.errors import NotFound
from booking.models import BOOKED, Booking
from booking.services.bookings import REFERENCE_ALPHABET

LENGTH = 10  # 50 bits: see the module's docstring
GROUP = 5  # printed as two groups of five, "ABCDE-FGHJK"
MAX_TYPED = 40  # room for spaces and dashes; anything longer is no code


def new_short_code() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(LENGTH))
    return f"{code[:GROUP]}-{code[GROUP:]}"


def normalise(typed: str) -> str | None:
    """The code as typed (any case, with spaces or dashes), or None if it cannot be one."""
    if len(typed) > MAX_TYPED:
        return None
    code = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(code) != LENGTH or any(ch not in REFERENCE_ALPHABET for ch in code):
        return None
    return code


def hash_short_code(secret: str, code: str) -> str:
    """The keyed hash of a normalised code, as stored."""
    return hmac.new(secret.encode(), b"short-code:" + code.encode(), hashlib.sha256).hexdigest()


async def issue(booking_id: int, secret: str) -> str:
    """A new code for the booking, replacing the one before; the code, formatted."""
    for _attempt in range(3):  # a collision of 50-bit codes: practically never
        code = new_short_code()
        digest = hash_short_code(secret, code.replace("-", ""))
        try:
            async with in_transaction():
                await Booking.filter(id=booking_id).update(short_code_hash=digest)
            return code
        except IntegrityError:
            continue
    raise RuntimeError("no free short code after three tries")


async def find_by_short_code(secret: str, typed: str, now: datetime) -> Booking:
    """The planned session (not yet begun) with this code; NotFound for anything else. The
    QR code's manage link still opens a past or cancelled one."""
    code = normalise(typed)
    if code is None:
        raise NotFound()
    booking = await Booking.get_or_none(
        short_code_hash=hash_short_code(secret, code), status=BOOKED, start__gt=now.astimezone(UTC)
    )
    if booking is None:
        raise NotFound()
    return booking
