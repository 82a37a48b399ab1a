"""Upgrading a database that holds data: every migration after the first release must work on
filled tables (adding a NOT NULL column, making a key nullable), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate as run_migrations

from booking.db import tortoise_config
from booking.demo import load_demo
from booking.demo_history import load_demo_history
from booking.models import Booking, Counsellor, Location
from tests.conftest import NOW, POSTGRES_URL, _replace_database

BEFORE_MAIL = "models.0004_fair_allocation"


@asynccontextmanager
async def _empty_database(dialect: str, name: str, tmp_path: object) -> AsyncIterator[str]:
    """A new, empty database of the dialect for one upgrade test, dropped afterwards."""
    if dialect == "sqlite":
        yield f"sqlite://{tmp_path}/{name}.sqlite3"
        return
    if not POSTGRES_URL:
        pytest.skip("set BOOKING_TEST_POSTGRES_URL to upgrade a PostgreSQL database too")
    admin = await asyncpg.connect(POSTGRES_URL)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield _replace_database(POSTGRES_URL, name)
    finally:
        admin = await asyncpg.connect(POSTGRES_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _fill_at(url: str, target: str) -> None:
    await run_migrations(config=tortoise_config(url), target=target)
    await Tortoise.close_connections()
    # The demo as the older release would have written it: the columns that release knew.
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = Tortoise.get_connection("sqlite" if url.startswith("sqlite") else "postgres")
        await conn.execute_script(
            "INSERT INTO location (code, name, address, timezone, session_minutes, "
            "buffer_minutes, window_minutes, notice_minutes, holiday_country, "
            "holiday_subdivision, active, booking_lock) VALUES ('old', 'Old office', "
            "'Street 1', 'Europe/Berlin', 30, 10, 120, 60, 'DE', 'NI', TRUE, 0);"
            "INSERT INTO organisation (code, name, active) VALUES ('org', 'Org', TRUE);"
            "INSERT INTO counsellor (organisation_id, display_name, languages, topics, email, "
            "active) SELECT id, 'Old C.', '[\"de\"]', '[\"forms\"]', '', TRUE "
            "FROM organisation WHERE code = 'org';"
        )
    finally:
        await Tortoise.close_connections()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_upgrading_a_filled_database(dialect: str, tmp_path: object) -> None:
    async with _empty_database(dialect, "booking_upgrade_test", tmp_path) as url:
        await _fill_at(url, BEFORE_MAIL)
        await run_migrations(config=tortoise_config(url))  # to the newest
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(url))
        try:
            old = await Location.get(code="old")
            assert old.ticket_prefix == "W"
            assert (await Counsellor.get(display_name="Old C.")).mail_invitations is True
            # The new release works on the upgraded database.
            await Counsellor.filter(display_name="Old C.").delete()
            await old.delete()
            assert await load_demo()
            await load_demo_history(NOW)
            assert await Booking.filter(appointment_id__isnull=False).exists()
        finally:
            await Tortoise.close_connections()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_stored_manage_tokens_are_replaced_by_the_placeholder(
    dialect: str, tmp_path: object
) -> None:
    """Messages written before 0008 kept the live token; after it, only the placeholder."""
    from booking.models import OutboxMessage
    from booking.services.outbox import MANAGE_LINK_PLACEHOLDER

    token = "ab12" * 16
    async with _empty_database(dialect, "booking_upgrade_links_test", tmp_path) as url:
        await run_migrations(config=tortoise_config(url), target="models.0006_walk_in_queue")
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(url))
        try:
            for n, status in enumerate(("sent", "pending")):
                await OutboxMessage.create(
                    message_id=f"<old-{n}@welcome.example>",
                    thread=f"applicant-{n}",
                    kind="confirmed",
                    recipient="applicant",
                    to_address="amina@example.org",
                    language="de",
                    subject="Ihr Beratungstermin",
                    text=f"Link:\nhttps://b.example/manage/{token}\n",
                    html=f'<a href="https://b.example/manage/{token}">Link</a>',
                    status=status,
                    next_attempt_at=NOW,
                    expires_at=NOW,
                    created_at=NOW,
                )
        finally:
            await Tortoise.close_connections()
        await run_migrations(config=tortoise_config(url))
        await Tortoise.init(config=tortoise_config(url))
        try:
            stored = await OutboxMessage.all().values_list("text", "html")
            assert len(stored) == 2
            for text, html in stored:
                assert token not in text + html
                assert f"https://b.example/manage/{MANAGE_LINK_PLACEHOLDER}\n" in text
                assert f'href="https://b.example/manage/{MANAGE_LINK_PLACEHOLDER}"' in html
        finally:
            await Tortoise.close_connections()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
async def test_instants_stored_with_an_offset_are_rewritten_in_utc(
    dialect: str, tmp_path: object
) -> None:
    """Before 0012 a moved session could keep its local offset on SQLite; after it, UTC."""
    async with _empty_database(dialect, "booking_upgrade_utc_test", tmp_path) as url:
        await run_migrations(config=tortoise_config(url), target="models.0011_follow_up_slip")
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(url))
        try:
            conn = Tortoise.get_connection("sqlite" if url.startswith("sqlite") else "postgres")
            # Written raw, as the older release left them (a local offset, and one in UTC).
            await conn.execute_script(
                "INSERT INTO audit_entry (at, actor, action, record_type, record_id, summary) "
                "VALUES ('2026-11-23 12:00:00+01:00', 'a', 'read', 'booking', '1', ''),"
                " ('2026-11-23 11:30:00+00:00', 'a', 'read', 'booking', '2', '');"
                "INSERT INTO rate_key (key, touched_at) "
                "VALUES ('k', '2026-07-01 09:15:30.5+02:00');"
            )
        finally:
            await Tortoise.close_connections()
        await run_migrations(config=tortoise_config(url))
        await Tortoise.init(config=tortoise_config(url))
        try:
            conn = Tortoise.get_connection("sqlite" if url.startswith("sqlite") else "postgres")
            audit = await conn.execute_query_dict(
                "SELECT record_id, at FROM audit_entry ORDER BY at"
            )
            touched = await conn.execute_query_dict("SELECT touched_at FROM rate_key")
            if dialect == "sqlite":
                assert audit == [
                    {"record_id": "1", "at": "2026-11-23 11:00:00+00:00"},
                    {"record_id": "2", "at": "2026-11-23 11:30:00+00:00"},
                ]
                assert touched == [{"touched_at": "2026-07-01 07:15:30.500000+00:00"}]
            else:
                assert [row["record_id"] for row in audit] == ["1", "2"]
                assert touched[0]["touched_at"] == datetime(2026, 7, 1, 7, 15, 30, 500000, UTC)
        finally:
            await Tortoise.close_connections()
