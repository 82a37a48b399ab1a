"""The outbox: e-mails written with the change that causes them, sent after commit.

``record_change`` runs inside the booking transaction: the messages exist exactly when the
change does, and a booking never waits for a mail server. Senders (booking/services/sender.py)
then claim due messages, several at once without sending one twice:

- on PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED``, so concurrent senders
  never even look at the same rows;
- everywhere, the claim itself is a conditional UPDATE (still pending, or its lease run out),
  and a sender only sends what its own claim token holds;
- a thread's messages (one booking's applicant, or one counsellor) are claimed one at a time,
  oldest first, so the latest SEQUENCE always arrives last.

A sender that dies after the mail server took a message but before it was marked sent leaves a
lease that runs out; the message is then sent again with the same Message-ID, which mail
servers and clients recognise as the same message. Every claim counts as an attempt, so that
such a message never sits in ``sending`` with no attempt counted.

The manage link is stored with :data:`MANAGE_LINK_PLACEHOLDER` instead of the token: the token
is derived from the booking's nonce and the secret key only when the message is sent
(:func:`manage_token_for`), so neither a dump of the outbox nor an admin reading a message can
act as the applicant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from booking.mail_texts import MailTexts
from booking.models import (
    CANCELLED as BOOKING_CANCELLED,
)
from booking.models import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    Booking,
    OutboxMessage,
)
from booking.notices import (
    APPLICANT,
    CANCELLED,
    REMINDER,
    Notice,
    SessionFacts,
    notices,
    reminder_thread,
)
from integrations.mail import OutgoingMail, PermanentFailure

LEASE = timedelta(minutes=5)  # far longer than one message takes, even on a slow server
EXPIRED_REASON = "not delivered before the session began"
# Stands for the manage token in stored bodies; filled in when the message is sent. Only
# characters that HTML escaping and URLs leave alone, so it reads the same in text and HTML.
MANAGE_LINK_PLACEHOLDER = "{manage_token}"
NO_LINK_REASON = "manage link not available"


def derive_manage_token(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), b"manage:" + nonce.encode(), hashlib.sha256)
    return digest.hexdigest()


def _token_if_valid(secret: str, nonce: str | None, token_hash: str) -> str | None:
    """The booking's manage token, if it can be derived (made by this version, with this
    secret key) and still opens the booking."""
    if not nonce:
        return None
    token = derive_manage_token(secret, nonce)
    if not hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), token_hash):
        return None
    return token


@dataclass(frozen=True)
class Mailer:
    """What writing messages needs, built once by the composition root."""

    texts: MailTexts
    secret: str  # derives manage tokens, so that every mail can carry the manage link
    base_url: str
    reminder_time: time | None

    def manage_token(self, nonce: str) -> str:
        return derive_manage_token(self.secret, nonce)

    def manage_url(self, booking: Booking, token_hash: str) -> str | None:
        """The live manage link, if the booking's token can be derived (made by this version,
        with this secret key); shown once at the desk, never stored."""
        token = _token_if_valid(self.secret, booking.token_nonce, token_hash)
        return None if token is None else f"{self.base_url}/manage/{token}"

    def stored_manage_url(self, booking: Booking) -> str | None:
        """The manage link as a message stores it: the placeholder in place of the token, which
        the sender fills in. None (the mail says nothing about a link) if it cannot be made."""
        if self.manage_url(booking, booking.manage_token_hash) is None:
            return None
        return f"{self.base_url}/manage/{MANAGE_LINK_PLACEHOLDER}"


def new_nonce() -> str:
    return secrets.token_hex(16)


async def facts(booking: Booking) -> SessionFacts:
    """The session as messages describe it; loads what the booking refers to."""
    await booking.fetch_related("location", "room", "counsellor", "appointment", "organisation")
    location = booking.location
    counsellor = booking.counsellor
    return SessionFacts(
        booking_id=booking.id,
        reference=booking.reference,
        sequence=booking.sequence,
        active=booking.status != BOOKING_CANCELLED,
        start=booking.start,
        end=booking.end,
        zone=ZoneInfo(location.timezone),
        topic=booking.topic,
        language=booking.language,
        ui_language=booking.ui_language,
        location_name=location.name,
        address=location.address,
        room=booking.room.name if booking.room else "",
        appointment_start=booking.appointment.start if booking.appointment else None,
        applicant_name=booking.name,
        applicant_email=booking.email,
        counsellor_id=counsellor.id,
        counsellor_name=counsellor.display_name,
        counsellor_email=counsellor.email,
        counsellor_wants_mail=counsellor.mail_invitations,
        organisation_name=booking.organisation.name,
    )


def _message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


async def record_change(
    mailer: Mailer | None,
    before: SessionFacts | None,
    booking: Booking,
    now: datetime,
    reason: str = "",
) -> list[OutboxMessage]:
    """Write the messages a change causes; call inside the change's transaction, after it.

    ``before`` is the session as it was (None for a new booking). Pending reminders of the
    booking are replaced by the current one. ``reason`` (booking/notices.py CANCEL_REASONS)
    tells the applicant why the service cancelled. Without a mailer (history loaded for the
    demo), nothing is written.
    """
    if mailer is None:
        return []
    after = await facts(booking)
    await OutboxMessage.filter(thread=reminder_thread(booking.id), status=PENDING).delete()
    written = []
    for notice in notices(before, after, now, mailer.reminder_time):
        if reason and notice.recipient == APPLICANT and notice.kind == CANCELLED:
            notice = replace(notice, reason=reason)
        written.append(await write(mailer, notice, now, booking))
    return written


async def write(
    mailer: Mailer, notice: Notice, now: datetime, booking: Booking | None = None
) -> OutboxMessage:
    """Render one notice and store it, due at its ``send_after``; the manage link comes from
    the booking, if there is one."""
    manage_url = mailer.stored_manage_url(booking) if booking else None
    composed = mailer.texts.compose(notice, manage_url, now)
    return await OutboxMessage.create(
        message_id=_message_id(mailer.texts.uid_domain),
        booking_id=booking.id if booking else None,
        thread=notice.thread,
        kind=notice.kind,
        recipient=notice.recipient,
        to_address=composed.to_address,
        to_name=composed.to_name,
        language=composed.language,
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
        calendar=composed.calendar.decode("utf-8") if composed.calendar else None,
        calendar_method=composed.calendar_method,
        sequence=notice.session.sequence if notice.kind != REMINDER else None,
        next_attempt_at=notice.send_after.astimezone(UTC),
        expires_at=notice.session.start.astimezone(UTC),
        created_at=now.astimezone(UTC),
    )


async def manage_token_for(message: OutboxMessage, secret: str) -> str | None:
    """The token to fill into ``message``'s manage link; None if it has no link. Raises
    PermanentFailure when it has one that can no longer be made (the booking erased or gone,
    the secret key changed): better an admin sees why than the applicant gets a dead link.
    Only applicants' messages carry the link; nothing else is ever filled in."""
    if message.recipient != APPLICANT or not _has_link(message):
        return None
    booking_id = message.booking_id
    booking = await Booking.get_or_none(id=booking_id) if booking_id else None
    token = None
    if booking is not None:
        token = _token_if_valid(secret, booking.token_nonce, booking.manage_token_hash)
    if token is None:
        raise PermanentFailure(NO_LINK_REASON)
    return token


def _has_link(message: OutboxMessage) -> bool:
    link = f"/manage/{MANAGE_LINK_PLACEHOLDER}"
    return link in message.text or link in message.html


def outgoing(
    message: OutboxMessage, from_address: str, from_name: str, manage_token: str | None = None
) -> OutgoingMail:
    """The message to compose; with ``manage_token`` the stored link gets the live token
    (for sending), without it the placeholder stays (what admins read)."""

    def filled(body: str) -> str:
        if manage_token is None:
            return body
        return body.replace(f"/manage/{MANAGE_LINK_PLACEHOLDER}", f"/manage/{manage_token}")

    return OutgoingMail(
        message_id=message.message_id,
        from_address=from_address,
        from_name=from_name,
        to_address=message.to_address,
        to_name=message.to_name,
        subject=message.subject,
        text=filled(message.text),
        html=filled(message.html),
        calendar=message.calendar.encode("utf-8") if message.calendar is not None else None,
        calendar_method=message.calendar_method,
        language=message.language,
    )


def _due(now: datetime) -> Q:
    return Q(status=PENDING, next_attempt_at__lte=now) | Q(status=SENDING, lease_until__lt=now)


def _is_postgres() -> bool:
    return OutboxMessage._meta.db.capabilities.dialect == "postgres"


async def claim(now: datetime, limit: int) -> tuple[str, list[OutboxMessage]]:
    """Take up to ``limit`` due messages for this sender; returns its claim token and them."""
    now = now.astimezone(UTC)
    token = uuid.uuid4().hex
    async with in_transaction():
        query = OutboxMessage.filter(_due(now)).order_by("id").limit(limit)
        if _is_postgres():
            query = query.select_for_update(skip_locked=True)
        candidates = await query
        if not candidates:
            return token, []
        threads = {m.thread for m in candidates}
        firsts = {
            row["thread"]: row["first"]
            for row in await OutboxMessage.filter(thread__in=threads, status__in=(PENDING, SENDING))
            .annotate(first=Min("id"))
            .group_by("thread")
            .values("thread", "first")
        }
        # Only the oldest unsent message of each thread: the later ones wait for it.
        ids = [m.id for m in candidates if firsts.get(m.thread) == m.id]
        if ids:
            # The attempt is counted here, not after the try: a sender that dies mid-send
            # has still made one.
            await OutboxMessage.filter(_due(now), id__in=ids).update(
                status=SENDING, claim=token, lease_until=now + LEASE, attempts=F("attempts") + 1
            )
    claimed = await OutboxMessage.filter(claim=token, status=SENDING).order_by("id")
    return token, list(claimed)


async def mark_sent(message: OutboxMessage, token: str, now: datetime) -> bool:
    changed = await OutboxMessage.filter(id=message.id, claim=token, status=SENDING).update(
        status=SENT,
        sent_at=now.astimezone(UTC),
        last_error="",
        claim=None,
        lease_until=None,
    )
    booking_id: int | None = message.booking_id
    # The last message to an applicant who erased their data (the cancellation) is personal
    # data too: it goes as soon as it is out.
    if (
        changed == 1
        and booking_id is not None
        and await Booking.exists(id=booking_id, anonymised_at__isnull=False)
    ):
        await OutboxMessage.filter(id=message.id, status=SENT).delete()
    return changed == 1


async def mark_failed(
    message: OutboxMessage, token: str, reason: str, now: datetime, retry_in: float | None
) -> None:
    """A failed try (counted when it was claimed): again after ``retry_in`` seconds, or
    (None) failed for good. A message whose session has begun is not worth another try."""
    now = now.astimezone(UTC)
    again = now + timedelta(seconds=retry_in) if retry_in is not None else None
    if again is not None and again >= message.expires_at:
        again, reason = None, f"{reason}; {EXPIRED_REASON}"
    await OutboxMessage.filter(id=message.id, claim=token, status=SENDING).update(
        status=PENDING if again else FAILED,
        next_attempt_at=again or message.next_attempt_at,
        last_error=reason[:200],
        claim=None,
        lease_until=None,
    )


async def expire(now: datetime) -> int:
    """Messages whose session has begun fail instead of going out late: pending ones, and
    those whose sender's lease ran out (a sender still holding one finishes its try)."""
    now = now.astimezone(UTC)
    return await OutboxMessage.filter(_not_held(now), expires_at__lte=now).update(
        status=FAILED, last_error=EXPIRED_REASON, claim=None, lease_until=None
    )


def _not_held(now: datetime) -> Q:
    """Not held by a live sender: pending, or sending with the lease run out."""
    return Q(status=PENDING) | Q(status=SENDING, lease_until__lt=now)


async def retry(message_ids: Sequence[int], now: datetime) -> int:
    """An admin's "send again" for failed messages: pending from now on, tries counted anew."""
    return await OutboxMessage.filter(id__in=list(message_ids), status=FAILED).update(
        status=PENDING,
        next_attempt_at=now.astimezone(UTC),
        expires_at=now.astimezone(UTC) + timedelta(days=1),
        attempts=0,
        last_error="",
    )


async def forget_booking(booking_id: int) -> int:
    """The applicant erased their data: every message about the booking goes, except a
    cancellation not yet sent, which they still receive (and which goes once sent)."""
    done = await OutboxMessage.filter(booking_id=booking_id, status__in=(SENT, FAILED)).delete()
    return done + await OutboxMessage.filter(booking_id=booking_id).exclude(kind=CANCELLED).delete()


async def forget_delivered_of_anonymised() -> int:
    """Messages are personal data too: once their booking is anonymised (or gone), its
    messages are deleted, whatever their status. Only a cancellation still to be sent stays
    (the one "delete my data" leaves for the applicant), until it is sent or fails: pending
    ones expire with the session, and one stuck ``sending`` expires once its lease runs out."""
    gone = Q(booking__anonymised_at__isnull=False) | Q(booking_id__isnull=True)
    return await OutboxMessage.filter(
        gone & (Q(status__in=(SENT, FAILED)) | ~Q(kind=CANCELLED))
    ).delete()
