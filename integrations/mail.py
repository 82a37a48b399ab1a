"""Composing and delivering one e-mail, with errors sorted for the outbox.

The MIME layout is the one the big calendar services send, because it is the one every client
accepts: ``multipart/mixed`` holding first a ``multipart/alternative`` (plain text, HTML and an
inline ``text/calendar; method=...``, which is what Outlook treats as an invitation) and then
the same calendar as an ``invite.ics`` attachment for clients that only offer a download.

The calendar goes in as bytes, base64-encoded: a ``str`` part would be re-encoded with bare LF
line ends, and iCalendar requires CRLF.

Delivery sits behind :class:`MailTransport`: :class:`SmtpTransport` for production and
:class:`DirectoryTransport` (``.eml`` files) for the demo. Both raise only
:class:`TemporaryFailure` (try again later) or :class:`PermanentFailure` (stop, show an admin),
whose ``reason`` names no address and no content, because admins see it and logs keep it.
:func:`compose` raises :class:`PermanentFailure` too, for a message that cannot be composed
(an address that :func:`integrations.addresses.address_is_usable` refuses).
"""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import os
import random
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib

from integrations.addresses import address_is_usable
from integrations.invitations import clean_line

BACKOFF_BASE_SECONDS = 1.0
# At most a minute between tries: once the server is back, the next try comes within a
# minute and the message is delivered well within the two minutes the issue promises.
BACKOFF_CAP_SECONDS = 60.0


@dataclass(frozen=True)
class OutgoingMail:
    """One message as the outbox stores it: everything needed to compose it again, identically."""

    message_id: str  # stable from the start, so that a resend is recognisably the same message
    from_address: str
    from_name: str
    to_address: str
    to_name: str
    subject: str
    text: str
    html: str
    calendar: bytes | None  # from integrations.invitations.calendar_bytes
    calendar_method: str | None  # the calendar's METHOD, repeated as the MIME parameter
    language: str  # BCP 47 tag, e.g. "de", "fa"


class DeliveryFailure(Exception):
    """A message was not delivered. ``reason`` is short and free of addresses and content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later: 4xx replies, time-outs, refused or lost connections, DNS."""


class PermanentFailure(DeliveryFailure):
    """Trying again will not help without a person: 5xx replies, a refused recipient."""


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver the message or raise TemporaryFailure or PermanentFailure."""
        ...


def _angle_id(message_id: str) -> str:
    inner = message_id.strip().removeprefix("<").removesuffix(">")
    if not inner or "@" not in inner or any(c.isspace() or c in "<>" for c in inner):
        raise ValueError("a Message-ID looks like <unique@domain>")
    return f"<{inner}>"


def compose(message: OutgoingMail, *, date: datetime | None = None) -> EmailMessage:
    """The MIME message for ``message``; ``date`` (default: now) becomes the Date header.

    Raises PermanentFailure for an address no message can be sent to (the forms refuse them
    by the same rule; older rows may hold one), ValueError for a programming error."""
    if not address_is_usable(message.to_address):
        raise PermanentFailure("recipient address not valid")
    if not address_is_usable(message.from_address):
        raise PermanentFailure("sender address not valid")
    if (message.calendar is None) != (message.calendar_method is None):
        raise ValueError("calendar and calendar_method come together")
    # The MIME method parameter must equal METHOD inside, or Outlook ignores the invite.
    method_line = f"\r\nMETHOD:{message.calendar_method}\r\n".encode()
    if message.calendar is not None and method_line not in message.calendar:
        raise ValueError("calendar_method differs from the calendar's METHOD")
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["Message-ID"] = _angle_id(message.message_id)
    mail["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    mail["From"] = Address(clean_line(message.from_name), addr_spec=message.from_address)
    mail["To"] = Address(clean_line(message.to_name), addr_spec=message.to_address)
    mail["Subject"] = " ".join(message.subject.split())  # one line; quotes are fine here
    # RFC 3834: tells auto-responders (out of office) not to answer.
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    mail.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if message.calendar is not None and message.calendar_method is not None:
        mail.add_alternative(
            message.calendar,
            maintype="text",
            subtype="calendar",
            params={"method": message.calendar_method, "charset": "utf-8"},
        )
        mail.make_mixed()
        mail.add_attachment(
            message.calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
    # Set last: make_mixed() moves every Content-* header of the top part into the subpart.
    mail["Content-Language"] = message.language
    return mail


def backoff(attempt: int, rng: random.Random) -> float:
    """Seconds to wait after the ``attempt``-th failure (1, 2, …): exponential, full jitter.

    Invariants: ``0 <= backoff(n) <= 60``; the upper bound (and so the mean) never shrinks as
    ``n`` grows. Full jitter spreads out the senders that all failed during the same outage.
    """
    if attempt < 0:
        raise ValueError("attempt counts failures, from 0")
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** min(attempt, 32))
    return rng.uniform(0.0, ceiling)


_STATUS_CODE = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")


def _reply_reason(what: str, code: int, text: str) -> str:
    # Server replies often repeat the address ("550 5.1.1 <anna@…> unknown"): keep only the
    # reply code and the enhanced status code (RFC 3463), which are digits.
    found = _STATUS_CODE.search(text)
    enhanced = f" {found.group(0)}" if found else ""
    return f"{what}: SMTP {code}{enhanced}"


def _classify(what: str, code: int, text: str) -> DeliveryFailure:
    reason = _reply_reason(what, code, text)
    if 400 <= code < 500:
        return TemporaryFailure(reason)
    return PermanentFailure(reason)


@dataclass(frozen=True)
class SmtpTransport:
    """Delivery to an SMTP server, with the security mode stated, never guessed.

    ``tls`` is implicit TLS (port 465), ``starttls`` requires the upgrade (port 587) and fails
    if the server does not offer it, ``none`` is plain text on purpose (a relay on localhost).
    aiosmtplib's default would silently stay in plain text when STARTTLS is missing.
    """

    host: str
    port: int
    security: Literal["starttls", "tls", "none"]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # per socket operation, as aiosmtplib counts it

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "tls", "none"):
            raise ValueError("security is starttls, tls or none")

    async def send(self, message: EmailMessage) -> None:
        """Deliver, or raise TemporaryFailure or PermanentFailure and nothing else.

        Failures are raised ``from None``: aiosmtplib's own exceptions carry server replies
        and addresses, which must not reach the logs through the exception chain.
        """
        try:
            refused, _ = await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                timeout=self.timeout,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # One recipient per message; were several refused, any 5xx makes it permanent.
            worst = max(error.recipients, key=lambda refusal: refusal.code, default=None)
            if worst is None:
                raise PermanentFailure("recipient refused") from None
            raise _classify("recipient refused", worst.code, worst.message) from None
        except aiosmtplib.SMTPAuthenticationError as error:
            # A wrong password is a settings problem for every message, not a fault of this
            # one: keep it queued so that it goes out once an admin fixes the settings.
            raise TemporaryFailure(_reply_reason("authentication failed", error.code, "")) from None
        except aiosmtplib.SMTPSenderRefused as error:
            raise _classify("sender refused", error.code, error.message) from None
        except aiosmtplib.SMTPDataError as error:
            raise _classify("message refused", error.code, error.message) from None
        except aiosmtplib.SMTPResponseException as error:
            raise _classify("server refused", error.code, error.message) from None
        except aiosmtplib.SMTPNotSupported:
            # Credentials set but the server offers no AUTH: a settings problem, kept queued.
            raise TemporaryFailure("server does not offer AUTH") from None
        except (TimeoutError, aiosmtplib.SMTPTimeoutError):
            raise TemporaryFailure("mail server timed out") from None
        except OSError:
            # Refused or reset connections, DNS failures, TLS handshake errors.
            raise TemporaryFailure("mail server unreachable") from None
        except aiosmtplib.SMTPException as error:
            # aiosmtplib raises a bare SMTPException when STARTTLS is required but not offered;
            # its text is aiosmtplib's own, never the server's, so reading it is safe.
            if "STARTTLS" in str(error):
                raise TemporaryFailure("server does not offer STARTTLS") from None
            raise TemporaryFailure("SMTP error") from None
        except ValueError:
            # aiosmtplib found no usable sender or recipient in the message.
            raise PermanentFailure("message has no valid sender or recipient") from None
        if refused:
            raise PermanentFailure("recipient refused")


def eml_name(message_id: str) -> str:
    """A file name that is safe on every file system and the same for the same Message-ID."""
    inner = message_id.strip().removeprefix("<").removesuffix(">")
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", inner).lstrip(".")[:120]
    if safe != inner:
        # Two ids that differ only in replaced characters must not share a file.
        safe = f"{safe}-{hashlib.sha256(inner.encode()).hexdigest()[:12]}"
    return f"{safe}.eml"


@dataclass(frozen=True)
class DirectoryTransport:
    """Writes each message to ``<path>/<message-id>.eml`` instead of sending it (demo mode).

    A resend of the same Message-ID replaces the file, as a mail server would drop a
    duplicate. Files appear whole or not at all (temporary file, then rename), so a reader
    never sees half a message; temporary files start with a dot.
    """

    path: Path

    async def send(self, message: EmailMessage) -> None:
        message_id = message["Message-ID"]
        if not message_id:
            raise PermanentFailure("message has no Message-ID")
        data = message.as_bytes(policy=email.policy.SMTP)
        try:
            await asyncio.to_thread(self._write, eml_name(str(message_id)), data)
        except OSError:
            raise TemporaryFailure("mail directory not writable") from None

    def _write(self, name: str, data: bytes) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
