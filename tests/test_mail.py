"""Mail composed by us, delivered through a real SMTP server (aiosmtpd), read back by parsers.

The server runs in its own thread on a free localhost port; handlers that answer 451 or 550
stand in for a busy or refusing mail server. No database is involved.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from hypothesis import given
from hypothesis import strategies as st

from integrations.invitations import Invitation, calendar_bytes
from integrations.mail import (
    DirectoryTransport,
    OutgoingMail,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    backoff,
    compose,
)
from tests.smtp import Recorder, free_port, smtp_server

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
RECIPIENT = "amina.t@example.org"


def invitation(method: str = "REQUEST", sequence: int = 0) -> bytes:
    return calendar_bytes(
        Invitation(
            uid="ABH-2026-0042@welcome.example",
            sequence=sequence,
            start=START,
            end=START + timedelta(minutes=30),
            summary="Beratung: Arbeit (Deutsch)",
            description="Raum 1.12",
            location="Am Schützenplatz 1, 30169 Hannover, Raum 1.12",
            organizer_email="termine@welcome.example",
            organizer_name="Welcome Center",
            attendee_email=RECIPIENT,
            attendee_name="Amina Test",
            method=method,  # type: ignore[arg-type]
        ),
        NOW,
    )


def outgoing(
    method: str | None = "REQUEST", message_id: str = "m-1@welcome.example"
) -> OutgoingMail:
    return OutgoingMail(
        message_id=message_id,
        from_address="termine@welcome.example",
        from_name="Welcome Center Hannover",
        to_address=RECIPIENT,
        to_name='Amina "Mimi" Tést',
        subject="Ihre Beratung am 24. November – مشاوره",
        text="Guten Tag,\nIhre Beratung ist gebucht.\n",
        html="<p>Guten Tag,</p><p>Ihre Beratung ist gebucht.</p>",
        calendar=invitation(method) if method else None,
        calendar_method=method,
        language="de",
    )


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if "calendar" in part.get_content_type()] + [
        part for part in message.walk() if part.get_content_type() == "application/ics"
    ]


def test_compose_builds_the_invitation_tree() -> None:
    message = compose(outgoing(), date=NOW)
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    inline = list(alternative.iter_parts())[2]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    for part in (inline, attachment):
        body = part.get_payload(decode=True)
        assert body == invitation()
        assert b"METHOD:REQUEST\r\n" in body and body.count(b"\n") == body.count(b"\r\n")
    assert message["Message-ID"] == "<m-1@welcome.example>"
    assert message["Date"] == "Fri, 20 Nov 2026 15:30:00 +0000"
    assert message["Content-Language"] == "de"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["To"].addresses[0].display_name == "Amina Mimi Tést"


def test_compose_cancel_and_plain_mail() -> None:
    cancel = compose(outgoing("CANCEL"))
    inline = calendar_parts(cancel)[0]
    assert inline.get_param("method") == "CANCEL"
    assert b"METHOD:CANCEL\r\n" in inline.get_payload(decode=True)
    plain = compose(outgoing(None))  # a reminder, say: no calendar, no attachment
    assert plain.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in plain.iter_parts()] == ["text/plain", "text/html"]
    assert plain["Content-Language"] == "de"
    with pytest.raises(ValueError, match="METHOD"):
        compose(OutgoingMail(**{**outgoing().__dict__, "calendar_method": "CANCEL"}))
    with pytest.raises(ValueError):
        compose(outgoing(message_id="no id"))


async def test_delivered_through_real_smtp_and_read_by_vobject() -> None:
    handler = Recorder()
    with smtp_server(handler) as transport:
        await transport.send(compose(outgoing(), date=NOW))
    (raw,) = handler.received
    arrived = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(arrived, EmailMessage)
    assert arrived["Message-ID"] == "<m-1@welcome.example>"
    assert arrived["Subject"] == "Ihre Beratung am 24. November – مشاوره"
    text = arrived.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.replace("\r\n", "\n") == "Guten Tag,\nIhre Beratung ist gebucht.\n"
    inline, attachment = calendar_parts(arrived)
    assert inline.get_param("method") == "REQUEST"
    body = inline.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body == attachment.get_payload(decode=True) == invitation()
    assert body.count(b"\n") == body.count(b"\r\n")  # CRLF survived the trip
    parsed = vobject.readOne(body.decode("utf-8"))
    assert parsed.method.value == "REQUEST"
    assert parsed.vevent.uid.value == "ABH-2026-0042@welcome.example"
    assert parsed.vevent.attendee.value == f"mailto:{RECIPIENT}"
    assert parsed.vevent.organizer.value == "mailto:termine@welcome.example"


@pytest.mark.parametrize(
    ("handler", "failure", "reason"),
    [
        (
            Recorder(rcpt_reply="451 4.3.0 <amina.t@example.org> busy"),
            TemporaryFailure,
            "451 4.3.0",
        ),
        (
            Recorder(rcpt_reply="550 5.1.1 <amina.t@example.org> unknown"),
            PermanentFailure,
            "550 5.1.1",
        ),
        (Recorder(data_reply="452 4.3.1 Insufficient storage"), TemporaryFailure, "452 4.3.1"),
        (Recorder(data_reply="554 5.7.1 Amina Test: spam"), PermanentFailure, "554 5.7.1"),
    ],
)
async def test_replies_are_classified(
    handler: Recorder, failure: type[Exception], reason: str
) -> None:
    with smtp_server(handler) as transport, pytest.raises(failure) as raised:
        await transport.send(compose(outgoing()))
    text = str(raised.value)
    assert reason in text
    # Shown to admins and logged: no address, no name, and no chained server reply.
    assert "amina" not in text.lower() and "@" not in text
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


async def test_nobody_listening_is_temporary() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), "none", timeout=2)
    with pytest.raises(TemporaryFailure, match="unreachable"):
        await transport.send(compose(outgoing()))


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    # Accepts connections and never says a word: a hung mail server.
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def test_a_silent_server_times_out_as_temporary() -> None:
    async with silent_server() as port:
        transport = SmtpTransport("127.0.0.1", port, "none", timeout=0.3)
        with pytest.raises(TemporaryFailure, match="timed out"):
            await transport.send(compose(outgoing()))


async def test_starttls_is_required_not_hoped_for() -> None:
    # aiosmtpd offers no STARTTLS here: "starttls" must refuse, never send in plain text.
    handler = Recorder()
    with smtp_server(handler) as plain:
        transport = SmtpTransport("127.0.0.1", plain.port, "starttls", timeout=2)
        with pytest.raises(TemporaryFailure, match="STARTTLS"):
            await transport.send(compose(outgoing()))
    assert handler.received == []
    with pytest.raises(ValueError):
        SmtpTransport("127.0.0.1", 25, "maybe")  # type: ignore[arg-type]
    assert "secret" not in repr(SmtpTransport("h", 25, "tls", "user", "secret"))


async def test_directory_writes_one_file_per_message_id(tmp_path: Path) -> None:
    transport = DirectoryTransport(tmp_path / "mail")
    await transport.send(compose(outgoing("REQUEST")))
    await transport.send(compose(outgoing("CANCEL")))  # same Message-ID: a resend
    await transport.send(compose(outgoing(message_id="<m-2/../x@welcome.example>")))
    files = sorted(p.name for p in (tmp_path / "mail").iterdir())
    assert len(files) == 2 and "m-1@welcome.example.eml" in files
    assert all(name.endswith(".eml") and "/" not in name for name in files)
    kept = email.message_from_bytes(
        (tmp_path / "mail" / "m-1@welcome.example.eml").read_bytes(), policy=email.policy.default
    )
    assert kept["Message-ID"] == "<m-1@welcome.example>"
    assert calendar_parts(kept)[0].get_param("method") == "CANCEL"  # the latest


async def test_directory_failure_is_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TemporaryFailure):
        await DirectoryTransport(blocker).send(compose(outgoing()))


@given(attempt=st.integers(min_value=0, max_value=10_000), seed=st.integers())
def test_backoff_stays_within_a_minute(attempt: int, seed: int) -> None:
    delay = backoff(attempt, random.Random(seed))
    assert 0.0 <= delay <= 60.0


def test_backoff_grows_on_average() -> None:
    rng = random.Random(5)

    def mean(attempt: int) -> float:
        return sum(backoff(attempt, rng) for _ in range(2000)) / 2000

    means = [mean(attempt) for attempt in range(1, 10)]
    assert means[0] < means[2] < means[4] < means[6]
    assert 20 < means[-1] <= 60  # capped: around half a minute once the cap is reached
    with pytest.raises(ValueError):
        backoff(-1, rng)


UNSENDABLE = ("a..b@example.org", "a(b@example.org", "x@example.org(y", "ü@example.org")


def test_an_address_composing_refuses_is_a_permanent_failure_naming_no_address() -> None:
    from dataclasses import replace

    for address in UNSENDABLE:
        with pytest.raises(PermanentFailure) as refused:
            compose(replace(outgoing(), to_address=address), date=NOW)
        assert refused.value.reason == "recipient address not valid"
    with pytest.raises(PermanentFailure) as refused:
        compose(replace(outgoing(), from_address="service..box@example.org"), date=NOW)
    assert refused.value.reason == "sender address not valid"


_LOCAL = st.text(alphabet="ab.()+-_:ü\"' ", min_size=1, max_size=8)
_DOMAIN = st.text(alphabet="ab.()-ü", min_size=1, max_size=10)


@given(
    st.one_of(
        st.emails(),
        st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN),
        st.text(max_size=40),
    )
)
def test_input_accepts_exactly_the_addresses_composing_accepts(address: str) -> None:
    """One rule for both: what the forms accept can be sent, what they refuse cannot."""
    from dataclasses import replace

    from integrations.addresses import address_is_usable

    message = replace(outgoing(), to_address=address)
    if address_is_usable(address):
        assert compose(message, date=NOW)["To"].addresses[0].addr_spec == address
    else:
        with pytest.raises(PermanentFailure):
            compose(message, date=NOW)
