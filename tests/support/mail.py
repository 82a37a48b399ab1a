"""Mail in the tests: the outbox's sender over a transport, and messages read back (MIME, the
text, the calendar part by vobject)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

import vobject

from booking.services.sender import Sender
from integrations.mail import MailTransport
from tests.conftest import Service


def sender(service: Service, transport: MailTransport) -> Sender:
    settings = service.settings
    return Sender(
        transport,
        settings.mail_from_address,
        settings.mail_from_name,
        service.clock,
        settings.secret_key.value,
    )


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def calendar_of(message: EmailMessage) -> Any:
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_content_type() == "application/ics"]
    assert len(inline) == 1 and len(attached) == 1
    body = inline[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body == attached[0].get_payload(decode=True)
    assert body.count(b"\n") == body.count(b"\r\n")  # CRLF throughout
    assert inline[0].get_param("method") == vobject.readOne(body.decode()).method.value
    return vobject.readOne(body.decode("utf-8"))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def to_applicant(received: list[bytes], address: str = "amina@example.org") -> list[EmailMessage]:
    return [m for m in map(parse, received) if m["To"].addresses[0].addr_spec == address]
