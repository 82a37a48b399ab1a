"""Scheduled anonymisation (booking/services/privacy.py): the UPDATE, the command and the
service's own hourly run."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from tortoise import Tortoise

from booking.app import create_app
from booking.db import sqlite_url_with_pragmas
from booking.demo import load_demo
from booking.models import AuditEntry, Booking, Location, OfficeAppointment, Ticket
from booking.services.bookings import hash_token
from booking.services.privacy import anonymise_due, anonymise_periodically
from booking.services.sender import Sender
from booking.services.statistics import gather
from booking.settings import DEMO_SECRET_KEY as SECRET
from booking.statistics import months_between
from integrations.mail import DirectoryTransport
from tests.conftest import MONDAY, NOW, Clock, Service, at, clear_database, make_settings, utc
from tests.support.rows import add_booking, seed

NOW_UTC = NOW.astimezone(UTC)  # days as 24 hours, across the change from summer time
PERSONAL = {"name": "Amina Test", "email": "amina@example.org", "phone": "+49 511 1234567"}


async def test_only_due_bookings_are_anonymised_once(service: Service) -> None:
    due = await add_booking("hsc", "awo", NOW - timedelta(days=40), note="Needs a flat, 3 kids")
    due.outcome_topics = ["housing"]
    due.referral = "debt"
    await due.save()
    # Ended exactly 30 days ago: not yet older than the retention.
    edge = await add_booking("hsc", "awo", NOW_UTC - timedelta(days=30, minutes=30), note="edge")
    recent = await add_booking("hsc", "caritas", NOW - timedelta(days=10), note="recent")
    upcoming = await add_booking("hsc", "drk", NOW + timedelta(days=1), status="booked")
    before = await AuditEntry.all().count()

    assert await anonymise_due(NOW, 30, SECRET) == 1

    done = await Booking.get(id=due.id)
    assert (done.name, done.email, done.phone, done.outcome_note) == ("", "", "", "")
    assert done.anonymised_at == NOW.astimezone(UTC)
    kept = ("topic", "language", "channel", "status", "start", "end", "reference")
    assert all(getattr(done, field) == getattr(due, field) for field in kept)
    assert done.organisation_id == due.organisation_id
    assert done.location_id == due.location_id
    assert done.outcome_topics == ["housing"] and done.referral == "debt"
    for untouched in (edge, recent, upcoming):
        fresh = await Booking.get(id=untouched.id)
        assert fresh.anonymised_at is None
        assert (fresh.name, fresh.email, fresh.phone) == tuple(PERSONAL.values())
        assert fresh.outcome_note == untouched.outcome_note
    entries = await AuditEntry.filter(action="anonymise")
    assert [(e.actor, e.record_type, e.summary) for e in entries] == [
        ("system", "booking", "1 bookings")
    ]

    # Again: nothing more to do, no new audit entry.
    assert await anonymise_due(NOW, 30, SECRET) == 0
    assert await AuditEntry.all().count() == before + 1
    # A minute later the edge case is due, and only it: the first keeps its date.
    assert await anonymise_due(NOW + timedelta(minutes=1), 30, SECRET) == 1
    assert (await Booking.get(id=due.id)).anonymised_at == NOW_UTC
    assert (await Booking.get(id=edge.id)).anonymised_at == NOW_UTC + timedelta(minutes=1)


async def test_runs_at_the_same_time_anonymise_each_booking_once(service: Service) -> None:
    for days in range(31, 41):
        await add_booking("hsc", "awo", NOW - timedelta(days=days))
    counts = await asyncio.gather(*(anonymise_due(NOW, 30, SECRET) for _ in range(5)))
    assert sum(counts) == 10
    assert await AuditEntry.filter(action="anonymise").count() == sum(1 for c in counts if c)
    assert not await Booking.filter(anonymised_at__isnull=True).exists()


async def test_statistics_survive_anonymisation(service: Service) -> None:
    await seed()
    months = months_between("2026-01", "2026-12")
    before = await gather(None, months, NOW)
    assert before.report.overall.sessions > 0
    assert await anonymise_due(NOW + timedelta(days=400), 1, SECRET) == 9  # every seeded booking
    assert not await Booking.exclude(name="").exists()
    assert await gather(None, months, NOW) == before


# -- the command ------------------------------------------------------------------------------


def purge(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "BOOKING_DEMO": "1", "BOOKING_DATABASE_URL": database}
    return subprocess.run(
        [sys.executable, "-m", "booking", "purge", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_purge_command(service: Service) -> None:
    # The command runs on the real clock, next to the running service, on its database.
    now = datetime.now(UTC)
    old = await add_booking("hsc", "awo", now - timedelta(days=40))
    recent = await add_booking("hsc", "awo", now - timedelta(days=10))
    database = service.settings.database_url

    first = await asyncio.to_thread(purge, database)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Anonymised 1 booking."
    assert (await Booking.get(id=old.id)).name == ""
    assert (await Booking.get(id=recent.id)).name == "Amina Test"

    again = await asyncio.to_thread(purge, database)
    assert again.stdout.strip() == "Anonymised 0 bookings."

    shorter = await asyncio.to_thread(purge, database, "--days", "5")
    assert shorter.stdout.strip() == "Anonymised 1 booking."
    assert (await Booking.get(id=recent.id)).email == ""
    for output in (first, again, shorter):
        assert "Amina" not in output.stdout + output.stderr

    refused = await asyncio.to_thread(purge, database, "--days", "0")
    assert refused.returncode == 2 and "--days must lie between 1 and 3650" in refused.stderr


# -- inside the service -----------------------------------------------------------------------


async def test_the_service_anonymises_at_start_up_and_stops_cleanly(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database)
    app = create_app(settings, clock=Clock(NOW))
    async with app.router.lifespan_context(app):
        await clear_database()
        await load_demo()
        old = await add_booking("hsc", "awo", NOW - timedelta(days=31))
        recent = await add_booking("hsc", "awo", NOW - timedelta(days=29))
    assert not _purge_tasks(), "the hourly task ends with the service"

    caplog.set_level(logging.INFO, logger="booking")
    app = create_app(settings, clock=Clock(NOW))
    async with app.router.lifespan_context(app):
        assert (await Booking.get(id=old.id)).name == ""
        assert (await Booking.get(id=recent.id)).name == "Amina Test"
        assert len(_purge_tasks()) == 1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/healthz")).status_code == 200
    assert not _purge_tasks()
    assert "anonymised 1 bookings" in caplog.text
    assert "Amina" not in caplog.text and "example.org" not in caplog.text


def _purge_tasks() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and "anonymise_periodically" in repr(task.get_coro())
    ]


async def test_a_failing_run_is_logged_without_data_and_the_loop_goes_on(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    booking = await add_booking("hsc", "awo", NOW - timedelta(days=31))
    calls = 0

    def clock() -> datetime:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("Amina Test, amina@example.org")  # a message quoting data
        return NOW

    task = asyncio.create_task(anonymise_periodically(clock, 30, SECRET, interval=0.01))
    try:
        for _ in range(500):
            if (await Booking.get(id=booking.id)).anonymised_at is not None:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await Booking.get(id=booking.id)).name == ""
    assert calls >= 2
    assert "scheduled anonymisation failed: RuntimeError" in caplog.text
    assert "Amina" not in caplog.text and "example.org" not in caplog.text


# -- nothing left behind ----------------------------------------------------------------------
# Erasure and the scheduled purge are checked against every column of every table the models
# know, so that a table added later is searched too.

SECRETS = {
    "name": "Zofia Kowalczyk",
    "email": "zofia.k@example.org",
    "phone": "+49 511 7654321",
    "note": "Debts with the landlord, three children",
    "ref": "ABH-Q7Z9K4",
}


async def stored_rows() -> list[str]:
    rows = []
    for model in Tortoise.apps["models"].values():
        for row in await model.all().values():
            rows.append(f"{model.__name__} {row!r}")
    return rows


async def leaks() -> list[str]:
    """Every stored row that still holds one of the applicant's values."""
    found = []
    for row in await stored_rows():
        lowered = row.lower()
        found += [f"{what} in {row}" for what, value in SECRETS.items() if value.lower() in lowered]
    return found


async def book_secretly(service: Service, start: datetime) -> str:
    """A session booked through the API with every personal field; returns the manage token."""
    link = service.link(start + timedelta(hours=1), ref=SECRETS["ref"])
    body = service.booking_body(
        link, start, name=SECRETS["name"], email=SECRETS["email"], phone=SECRETS["phone"]
    )
    response = await service.client.post("/api/v1/bookings", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["manage_token"]
    return token


async def send_all(service: Service, folder: Path) -> None:
    sender = Sender(
        DirectoryTransport(folder),
        service.settings.mail_from_address,
        service.settings.mail_from_name,
        service.clock,
        service.settings.secret_key.value,
    )
    await sender.drain()


async def attended_with_note(service: Service, token: str) -> None:
    """The session took place and the counsellor wrote a note about it."""
    booking = await Booking.get(manage_token_hash=hash_token(token))
    service.clock.now = booking.end + timedelta(hours=2)
    await Booking.filter(id=booking.id).update(status="attended", outcome_note=SECRETS["note"])


async def test_erasing_before_the_session_leaves_nothing_once_the_cancellation_is_out(
    service: Service, tmp_path: Path
) -> None:
    token = await book_secretly(service, at(11))
    await send_all(service, tmp_path)
    assert await leaks()  # the search finds what is there
    erased = await service.client.post(f"/manage/{token}/delete")
    assert erased.status_code == 303
    await send_all(service, tmp_path)  # the cancellation the applicant still receives
    assert await leaks() == []


async def test_erasing_after_the_session_leaves_nothing(service: Service, tmp_path: Path) -> None:
    token = await book_secretly(service, at(11))
    await send_all(service, tmp_path)
    await attended_with_note(service, token)
    erased = await service.client.post(f"/manage/{token}/delete")
    assert erased.status_code == 303
    await send_all(service, tmp_path)
    assert await leaks() == []
    # The same appointment cannot be booked a second time, as before the erasure.
    assert await Booking.filter(appointment_key__isnull=False).count() == 1


async def test_the_purge_leaves_nothing(service: Service, tmp_path: Path) -> None:
    token = await book_secretly(service, at(11))
    await send_all(service, tmp_path)
    await attended_with_note(service, token)
    location = await Location.get(code="hsc")
    await Ticket.create(
        location=location,
        day=MONDAY.date(),
        number=1,
        token_hash=hash_token("walk-in"),
        topic="forms",
        language="de",
        name=SECRETS["name"],
        arrived_at=utc(at(9)),
        queued_at=utc(at(9)),
    )
    assert await anonymise_due(service.clock.now + timedelta(days=31), 30, SECRET) == 1
    assert await leaks() == []


async def test_an_erased_and_cancelled_appointment_can_be_booked_again(service: Service) -> None:
    token = await book_secretly(service, at(11))
    assert (await service.client.post(f"/manage/{token}/delete")).status_code == 303
    again = await book_secretly(service, at(11))
    assert again != token
    assert await OfficeAppointment.filter(ref=SECRETS["ref"]).count() == 1


async def test_an_anonymised_reference_still_refuses_a_second_booking(service: Service) -> None:
    token = await book_secretly(service, at(11))
    await attended_with_note(service, token)
    assert await anonymise_due(service.clock.now + timedelta(days=31), 30, SECRET) == 1
    assert not await OfficeAppointment.filter(ref=SECRETS["ref"]).exists()
    # The office sends the same reference again (its appointment moved into the future).
    service.clock.now = NOW + timedelta(days=40)
    later = service.clock.now.replace(hour=11)
    link = service.link(later + timedelta(hours=1), ref=SECRETS["ref"])
    response = await service.client.post("/api/v1/bookings", json=service.booking_body(link, later))
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "already_booked"


async def test_no_log_level_writes_personal_data(
    database: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(database, log_level="debug")
    app = create_app(settings, clock=Clock(NOW))
    async with app.router.lifespan_context(app):
        await clear_database()
        await load_demo()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            service = Service(app, client, app.state.clock, settings)
            token = await book_secretly(service, at(11))
            assert (await client.get(f"/manage/{token}")).status_code == 200
            await send_all(service, tmp_path)
            assert (await client.post(f"/manage/{token}/delete")).status_code == 303
            await send_all(service, tmp_path)
    assert caplog.records, "something was logged at all"
    # The test's own HTTP client logs the URLs it asks for; the service is what is checked.
    served = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    written = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in served)
    for what, value in {**SECRETS, "token": token}.items():
        assert value.lower() not in written.lower(), what


async def test_sqlite_overwrites_what_is_deleted(migrated: dict[str, str]) -> None:
    """Without secure_delete, an erased name stays readable in the file's free pages (a
    PRAGMA of SQLite only, so on SQLite only). The URL asks for it, since not every SQLite
    build has it on by default (this machine's does)."""
    assert "secure_delete=on" in sqlite_url_with_pragmas(migrated["sqlite"])
    app = create_app(make_settings(migrated["sqlite"]), clock=Clock(NOW))
    async with app.router.lifespan_context(app):
        connection = Tortoise.get_connection("sqlite")
        rows = await connection.execute_query_dict("PRAGMA secure_delete")
    assert rows == [{"secure_delete": 1}]
