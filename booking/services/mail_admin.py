"""The admins' view of the outbox: what went out, what waits, what failed and why; reading one
message as it was sent, and sending failed ones again.

The list names no address and no content, only the kind of recipient and the booking's
reference. Opening a message shows personal data, so every opening is audited. A message shows
its manage link with the placeholder the outbox stores, never the live token. One that cannot
be composed (an address e-mail's parser refuses) is shown from its stored fields with the
reason, instead of failing the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from tortoise.functions import Count

from booking.errors import NotFailed, NotFound
from booking.models import FAILED, MAIL_STATUSES, OutboxMessage
from booking.services import outbox
from booking.services.accounts import audit
from integrations.mail import DeliveryFailure, compose

PAGE_SIZE = 50
ALL = "all"
FILTERS = (ALL, *MAIL_STATUSES)
MAX_ID = 2**63 - 1  # a BIGINT; larger numbers in a path name no message


@dataclass(frozen=True)
class Row:
    """One message in the list: no address, no subject, no content."""

    id: int
    created_at: datetime
    kind: str
    recipient: str  # applicant or counsellor
    reference: str | None  # the booking's; None once the booking is gone
    status: str
    attempts: int
    last_error: str
    sent_at: datetime | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    page: int
    more: bool  # older messages follow


@dataclass(frozen=True)
class Opened:
    """One message with its booking's reference and the MIME message it is (or was) sent as;
    ``mime`` is None when it cannot be composed, and ``problem`` says why."""

    message: OutboxMessage
    reference: str | None
    mime: EmailMessage | None
    problem: str | None
    headers: dict[str, str]  # From, To, Subject, Date, Message-ID as shown


async def counts() -> dict[str, int]:
    """Messages per status, every status present (0 if none), and ``all``."""
    found = {status: 0 for status in MAIL_STATUSES}
    rows = (
        await OutboxMessage.annotate(count=Count("id")).group_by("status").values("status", "count")
    )
    for row in rows:
        found[row["status"]] = row["count"]
    return {ALL: sum(found.values()), **found}


async def failed_count() -> int:
    return await OutboxMessage.filter(status=FAILED).count()


async def listing(status: str, page: int) -> Page:
    """Newest first, PAGE_SIZE per page; ``status`` is one of FILTERS."""
    assert status in FILTERS, f"unknown mail filter {status!r}"
    query = OutboxMessage.all() if status == ALL else OutboxMessage.filter(status=status)
    found = (
        await query.order_by("-created_at", "-id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .values(
            "id",
            "created_at",
            "kind",
            "recipient",
            "status",
            "attempts",
            "last_error",
            "sent_at",
            reference="booking__reference",
        )
    )
    rows = [Row(**row) for row in found[:PAGE_SIZE]]
    return Page(rows, page, len(found) > PAGE_SIZE)


def as_sent(message: OutboxMessage, from_address: str, from_name: str) -> EmailMessage:
    """The MIME message as the sender composes it. Dated when it was sent (or written, if not
    yet sent); only the MIME boundaries differ from the delivered one."""
    moment = message.sent_at or message.created_at
    return compose(outbox.outgoing(message, from_address, from_name), date=moment.astimezone(UTC))


async def open_message(
    message_id: int, from_address: str, from_name: str, actor: str, now: datetime, what: str
) -> Opened | None:
    """The message, audited as read by ``actor`` (``what``: the page or the .eml file);
    None if there is no such message."""
    if not 0 < message_id <= MAX_ID:
        return None
    message = await OutboxMessage.get_or_none(id=message_id).prefetch_related("booking")
    if message is None:
        return None
    reference = message.booking.reference if message.booking else None
    await audit(actor, "read_mail", "outbox_message", message.id, f"{message.kind}, {what}", now)
    try:
        mime: EmailMessage | None = as_sent(message, from_address, from_name)
        problem = None
    except DeliveryFailure as failure:
        mime, problem = None, failure.reason
    except Exception as error:  # its text may quote the content
        mime, problem = None, f"message could not be composed ({type(error).__name__})"
    return Opened(
        message, reference, mime, problem, _headers(message, mime, from_address, from_name)
    )


def _headers(
    message: OutboxMessage, mime: EmailMessage | None, from_address: str, from_name: str
) -> dict[str, str]:
    names = ("From", "To", "Subject", "Date", "Message-ID")
    if mime is not None:
        return {name: str(mime[name]) for name in names}
    # As stored, for the admin to see what is wrong (the page escapes it).
    moment = message.sent_at or message.created_at
    return {
        "From": f"{from_name} <{from_address}>",
        "To": f"{message.to_name} <{message.to_address}>",
        "Subject": message.subject,
        "Date": format_datetime(moment.astimezone(UTC)),
        "Message-ID": message.message_id,
    }


async def retry_one(message_id: int, actor: str, now: datetime) -> None:
    """Send a failed message again: NotFound if there is no such message, NotFailed if it is
    not (or, after another admin's click, no longer) failed."""
    if not 0 < message_id <= MAX_ID or not await OutboxMessage.exists(id=message_id):
        raise NotFound()
    if not await outbox.retry([message_id], now):
        raise NotFailed()
    await audit(actor, "retry_mail", "outbox_message", message_id, "", now)


async def retry_failed(actor: str, now: datetime) -> int:
    """Send every failed message again; how many."""
    failed = await OutboxMessage.filter(status=FAILED).only("id")
    retried = await outbox.retry([message.id for message in failed], now)
    if retried:
        await audit(actor, "retry_mail", "outbox_message", "", f"{retried} messages", now)
    return retried
