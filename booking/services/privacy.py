"""Anonymisation: what an applicant's erasure and the scheduled purge remove, in one place.

Both blank the personal fields (name, e-mail, phone and the counsellor's free-text note), the
first name of a walk-in ticket served by the booking, and the messages about it; the office
reference, which the office can tie to a person, becomes a keyed hash. Everything the
statistics count stays. The blanking is one conditional UPDATE, so running it again, or from
several processes at once, changes nothing twice. Logs carry counts and exception types, never
data.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from booking.models import Booking, OfficeAppointment, Ticket
from booking.services import outbox
from booking.services.accounts import audit

log = logging.getLogger("booking.privacy")

PURGE_INTERVAL_SECONDS = 3600.0  # the service checks hourly; the command can run daily
# What anonymisation blanks in a booking: every field that names or describes the person.
PERSONAL_FIELDS = {"name": "", "email": "", "phone": "", "outcome_note": ""}
# Marks an office reference replaced by its keyed hash (43 characters of base64 follow), so
# that the hash is never hashed again; fits the 64 characters of OfficeAppointment.ref.
HIDDEN = "anon:"


def hidden_reference(secret: str, ref: str) -> str:
    """The office reference as kept after anonymisation: an HMAC under the secret key, so that
    the same reference still finds its bookings, but a database dump names no one."""
    if ref.startswith(HIDDEN):
        return ref
    digest = hmac.new(secret.encode(), b"office-ref:" + ref.encode(), hashlib.sha256).digest()
    return HIDDEN + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def anonymise(which: Q, now: datetime, secret: str) -> int:
    """Anonymise the bookings ``which`` selects that are not anonymised yet: the one rule for
    both the applicant's erasure and the scheduled purge; returns how many it anonymised."""
    now = now.astimezone(UTC)  # SQLite compares stored instants as UTC text
    count: int = await Booking.filter(which, anonymised_at__isnull=True).update(
        **PERSONAL_FIELDS, anonymised_at=now
    )
    booking_ids = await Booking.filter(which, anonymised_at=now).values_list("id", flat=True)
    if booking_ids:
        # A walk-in's first name, as the counsellor saw it when calling the ticket.
        await Ticket.filter(booking_id__in=booking_ids, anonymised_at__isnull=True).update(
            name="", anonymised_at=now
        )
    await hide_references(secret)
    await outbox.forget_delivered_of_anonymised()
    return count


async def hide_references(secret: str) -> None:
    """Replace the office references of anonymised bookings by their keyed hash.

    ``Booking.appointment_key`` keeps "one active booking per reference" (booking checks the
    hashed key too). An office appointment is hashed once none of its bookings holds personal
    data any more; a later link with the same reference makes a new one, in clear. Its hash
    includes the row's id, because an earlier appointment may already hold the plain hash of
    the same reference and (location, ref) is unique.
    """
    keyed = await Booking.filter(
        anonymised_at__isnull=False, appointment_key__isnull=False
    ).exclude(appointment_key__contains=f":{HIDDEN}")
    for booking in keyed:
        old = booking.appointment_key or ""
        location_id, _, ref = old.partition(":")
        try:
            await Booking.filter(id=booking.id, appointment_key=old).update(
                appointment_key=f"{location_id}:{hidden_reference(secret, ref)}"
            )
        except IntegrityError:
            # Only after a change of the secret key: the past appointment loses its key.
            await Booking.filter(id=booking.id, appointment_key=old).update(appointment_key=None)
    candidates = (
        await OfficeAppointment.filter(bookings__anonymised_at__isnull=False)
        .exclude(ref__startswith=HIDDEN)
        .distinct()
    )
    for appointment in candidates:
        if await Booking.filter(appointment_id=appointment.id, anonymised_at__isnull=True).exists():
            continue  # someone booked this appointment again: its reference is still in use
        await OfficeAppointment.filter(id=appointment.id, ref=appointment.ref).update(
            ref=hidden_reference(secret, f"{appointment.id}:{appointment.ref}")
        )


async def anonymise_due(now: datetime, retention_days: int, secret: str) -> int:
    """Anonymise bookings that ended more than ``retention_days`` before ``now`` and are not
    anonymised yet (and walk-in tickets of that age); returns how many bookings."""
    assert retention_days >= 1, "a retention of less than a day would erase running sessions"
    now = now.astimezone(UTC)
    cutoff = now - timedelta(days=retention_days)
    # Messages about sessions long past are not worth sending: failed, they can be forgotten.
    await outbox.expire(now)
    count = await anonymise(Q(end__lt=cutoff), now, secret)
    # A walk-in's optional first name, by the same rule (the day of the visit).
    await Ticket.filter(anonymised_at__isnull=True, arrived_at__lt=cutoff).update(
        name="", anonymised_at=now
    )
    if count:
        await audit("system", "anonymise", "booking", "", f"{count} bookings", now)
    return count


async def anonymise_logged(
    clock: Callable[[], datetime], retention_days: int, secret: str
) -> int | None:
    """:func:`anonymise_due` for the service: a failure is logged by its exception type only
    (messages may quote data) and answered with None instead of raised."""
    try:
        count = await anonymise_due(clock(), retention_days, secret)
    except Exception as error:
        log.error("scheduled anonymisation failed: %s", type(error).__name__)
        return None
    if count:
        log.info("anonymised %d bookings", count)
    return count


async def anonymise_periodically(
    clock: Callable[[], datetime],
    retention_days: int,
    secret: str,
    interval: float = PURGE_INTERVAL_SECONDS,
) -> None:
    """Every ``interval`` seconds (the first time after one interval), until cancelled; a
    failing run does not end the loop."""
    while True:
        await asyncio.sleep(interval)
        await anonymise_logged(clock, retention_days, secret)
