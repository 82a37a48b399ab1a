"""Scheduled anonymisation (booking/services/privacy.py): the UPDATE, the command and the
service's own hourly run."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest

from booking.app import create_app
from booking.demo import load_demo
from booking.models import AuditEntry, Booking
from booking.services.privacy import anonymise_due, anonymise_periodically
from booking.services.statistics import gather
from booking.statistics import months_between
from tests.conftest import NOW, Clock, Service, clear_database, make_settings
from tests.test_statistics import add_booking, seed

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

    assert await anonymise_due(NOW, 30) == 1

    done = await Booking.get(id=due.id)
    assert (done.name, done.email, done.phone, done.outcome_note) == ("", "", "", "")
    assert done.anonymised_at == NOW.astimezone(UTC)
    kept = ("topic", "language", "channel", "status", "start", "end", "reference")
    assert all(getattr(done, field) == getattr(due, field) for field in kept)
    assert done.organisation_id == due.organisation_id  # type: ignore[attr-defined]
    assert done.location_id == due.location_id  # type: ignore[attr-defined]
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
    assert await anonymise_due(NOW, 30) == 0
    assert await AuditEntry.all().count() == before + 1
    # A minute later the edge case is due, and only it: the first keeps its date.
    assert await anonymise_due(NOW + timedelta(minutes=1), 30) == 1
    assert (await Booking.get(id=due.id)).anonymised_at == NOW_UTC
    assert (await Booking.get(id=edge.id)).anonymised_at == NOW_UTC + timedelta(minutes=1)


async def test_runs_at_the_same_time_anonymise_each_booking_once(service: Service) -> None:
    for days in range(31, 41):
        await add_booking("hsc", "awo", NOW - timedelta(days=days))
    counts = await asyncio.gather(*(anonymise_due(NOW, 30) for _ in range(5)))
    assert sum(counts) == 10
    assert await AuditEntry.filter(action="anonymise").count() == sum(1 for c in counts if c)
    assert not await Booking.filter(anonymised_at__isnull=True).exists()


async def test_statistics_survive_anonymisation(service: Service) -> None:
    await seed()
    months = months_between("2026-01", "2026-12")
    before = await gather(None, months, NOW)
    assert before.report.overall.sessions > 0
    assert await anonymise_due(NOW + timedelta(days=400), 1) == 9  # every seeded booking
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

    task = asyncio.create_task(anonymise_periodically(clock, 30, interval=0.01))
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
