"""Mail benchmark: 2,000 messages through the outbox to a local SMTP server.

1. A fresh database (a temporary SQLite file, or a new PostgreSQL database
   ``booking_mail_bench_<pid>``, dropped at the end) is migrated.
2. Untimed: the outbox is filled as bookings would fill it, with messages rendered by the real
   mail texts: per booking an applicant confirmation and a counsellor invitation, and for
   some an update in the applicant's thread, which may only go out after the confirmation.
3. Timed: ``--senders`` senders (as several service processes would run them) drain the outbox
   through ``SmtpTransport`` into aiosmtpd on a free localhost port.
4. Printed: messages per minute, and checks: every message arrived exactly once, each thread
   in order. As the last line one JSON object. Exit code 1 if a check fails.

Run from the project root (``make bench-mail`` runs it on SQLite, and on PostgreSQL when
BOOKING_TEST_POSTGRES_URL is set):

    .venv/bin/python tests/benchmarks/bench_mail.py --database sqlite --messages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import socket
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
from aiosmtpd.controller import Controller
from tortoise import Tortoise

from booking.app import build_mailer
from booking.db import migrate, sqlite_url_with_pragmas, tortoise_config
from booking.i18n import load_translations
from booking.models import SENT, OutboxMessage
from booking.notices import APPLICANT, CONFIRMED, COUNSELLOR, UPDATED, Notice, SessionFacts
from booking.services import outbox
from booking.services.sender import Sender
from booking.settings import Settings
from booking.web.rendering import TEMPLATES_DIR, Renderer
from integrations.mail import SmtpTransport

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 7, tzinfo=BERLIN)


class Counter:
    """Keeps the Message-ID and SEQUENCE of everything that arrives."""

    def __init__(self) -> None:
        self.arrived: list[tuple[str, str, int | None]] = []  # message id, to, sequence

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.SMTP)
        sequence = None
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                body = part.get_payload(decode=True)
                assert isinstance(body, bytes)
                line = next(x for x in body.split(b"\r\n") if x.startswith(b"SEQUENCE:"))
                sequence = int(line.split(b":")[1])
        self.arrived.append((str(message["Message-ID"]), str(message["To"]), sequence))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def session(n: int, sequence: int) -> SessionFacts:
    start = NOW + timedelta(days=1 + n % 5, hours=1 + n % 7)
    return SessionFacts(
        booking_id=n,
        reference=f"WB-{n:04d}-BNCH",
        sequence=sequence,
        active=True,
        start=start,
        end=start + timedelta(minutes=30),
        zone=BERLIN,
        topic="work",
        language="ar",
        ui_language="de" if n % 2 else "en",
        location_name="Hannover Service Center",
        address="Hamburger Allee 25, 30161 Hannover",
        room="1.06",
        appointment_start=start + timedelta(hours=1),
        applicant_name=f"Applicant {n}",
        applicant_email=f"applicant{n}@example.org",
        counsellor_id=n % 17,
        counsellor_name="Nadia R.",
        counsellor_email=f"counsellor{n % 17}@example.org",
        counsellor_wants_mail=True,
    )


async def fill(total: int, settings: Settings) -> float:
    """Write ``total`` messages as bookings would; returns seconds per message written."""
    mailer = build_mailer(settings, Renderer(load_translations(), TEMPLATES_DIR))
    started = time.perf_counter()
    written, n = 0, 0
    while written < total:
        plan = [(APPLICANT, CONFIRMED, 0), (COUNSELLOR, CONFIRMED, 0)]
        if n % 3 == 0:
            plan.append((APPLICANT, UPDATED, 1))
        for recipient, kind, sequence in plan[: total - written]:
            facts = session(n, sequence)
            thread = f"{n}:{recipient}"
            await outbox.write(mailer, Notice(recipient, kind, facts, NOW, thread), NOW)
            written += 1
        n += 1
    return (time.perf_counter() - started) / total


async def run(database_url: str, total: int, senders: int) -> dict[str, Any]:
    settings = Settings(database_url=database_url, demo=True)
    await migrate(database_url)
    await Tortoise.init(config=tortoise_config(sqlite_url_with_pragmas(database_url)))
    try:
        write_seconds = await fill(total, settings)
        counter = Counter()
        port = free_port()
        controller = Controller(counter, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            transport = SmtpTransport("127.0.0.1", port, "none", timeout=10)
            workers = [
                Sender(
                    transport,
                    settings.mail_from_address,
                    settings.mail_from_name,
                    lambda: NOW,
                    settings.secret_key.value,
                )
                for _ in range(senders)
            ]
            started = time.perf_counter()
            await asyncio.gather(*(w.drain() for w in workers))
            elapsed = time.perf_counter() - started
        finally:
            controller.stop()
        sent = await OutboxMessage.filter(status=SENT).count()
    finally:
        await Tortoise.close_connections()
    ids = [message_id for message_id, _, _ in counter.arrived]
    by_recipient: dict[str, list[int | None]] = defaultdict(list)
    for _, to, sequence in counter.arrived:
        by_recipient[to].append(sequence)
    in_order = all(
        [s for s in seqs if s is not None] == sorted(s for s in seqs if s is not None)
        for to, seqs in by_recipient.items()
        if to.startswith("Applicant")
    )
    return {
        "database": "postgres" if database_url.startswith("postgres") else "sqlite",
        "messages": total,
        "senders": senders,
        "seconds": round(elapsed, 2),
        "messages_per_minute": round(total / elapsed * 60),
        "write_ms_per_message": round(write_seconds * 1000, 2),
        "arrived": len(ids),
        "duplicates": len(ids) - len(set(ids)),
        "marked_sent": sent,
        "threads_in_order": in_order,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=1)
    args = parser.parse_args()
    admin_url = os.environ.get(
        "BOOKING_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    with tempfile.TemporaryDirectory(prefix="booking-mail-bench-") as tmp:
        if args.database == "sqlite":
            result = asyncio.run(
                run(f"sqlite://{Path(tmp) / 'bench.sqlite3'}", args.messages, args.senders)
            )
        else:
            name = f"booking_mail_bench_{os.getpid()}"
            parts = urlsplit(admin_url)
            url = urlunsplit(parts._replace(path=f"/{name}"))

            async def create() -> None:
                admin = await asyncpg.connect(admin_url)
                await admin.execute(f'CREATE DATABASE "{name}"')
                await admin.close()

            async def drop() -> None:
                admin = await asyncpg.connect(admin_url)
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()

            asyncio.run(create())
            try:
                result = asyncio.run(run(url, args.messages, args.senders))
            finally:
                asyncio.run(drop())
    ok = (
        result["arrived"] == result["messages"] == result["marked_sent"]
        and result["duplicates"] == 0
        and result["threads_in_order"]
    )
    print(
        f"{result['database']}: {result['messages']} messages through the outbox with "
        f"{result['senders']} sender(s) in {result['seconds']} s = "
        f"{result['messages_per_minute']} per minute (target >= 1000); "
        f"written at {result['write_ms_per_message']} ms each; arrived {result['arrived']}, "
        f"duplicates {result['duplicates']}, threads in order: {result['threads_in_order']}"
    )
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
