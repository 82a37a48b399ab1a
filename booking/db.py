"""Database configuration and migrations, shared by the service, the commands and the tests."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

# Imported for its side effect first: it registers Tortoise's own SQLite adapters, and the
# datetime adapter below must replace that one, not be replaced by it.
import tortoise.backends.sqlite.executor  # noqa: F401
from tortoise import Tortoise
from tortoise.migrations.api import migrate as run_migrations

from booking.settings import DEFAULT_DATABASE_URL

MODELS_MODULE = "booking.models"
MIGRATIONS_MODULE = "migrations"


# Loggers of the ORM and the database drivers: at DEBUG they write every query with its
# parameters, that is names, e-mail and phone numbers, office references and token hashes.
DATABASE_LOGGERS = ("tortoise", "aiosqlite", "asyncpg", "psycopg", "pypika")


def quiet_database_loggers() -> None:
    """Keep the database loggers at INFO or above, whatever BOOKING_LOG_LEVEL says: no log
    level may write personal data. Called by every entry point that opens the database."""
    for name in DATABASE_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level))


def utc_text(moment: datetime) -> str:
    """A datetime as SQLite stores it: ISO text in UTC.

    Tortoise hands aware datetimes to the driver as they come, and SQLite keeps the text with
    whatever offset it has and compares and sorts it as text: one value written as
    ``12:00+01:00`` (a moved session) sorts after ``11:30+00:00`` (12:30 in Hannover), and a
    range filter in local time misses rows. Every write and every filter passes through this
    adapter, so it is the one place where instants become UTC on SQLite; PostgreSQL's
    timestamptz keeps the instant itself.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ")


sqlite3.register_adapter(datetime, utc_text)


def connection_label(database_url: str) -> str:
    """One connection name per dialect.

    Tortoise caches compiled queries by connection name, so SQLite and PostgreSQL must never
    share one inside a process (the test suite runs both).
    """
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


def tortoise_config(database_url: str) -> dict[str, Any]:
    label = connection_label(database_url)
    return {
        "connections": {label: database_url},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": label,
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


SQLITE_PRAGMAS = {
    # Concurrent writers from other processes wait instead of failing at once.
    "busy_timeout": "10000",
    # Erased and anonymised data is overwritten, not left readable in the file's free pages.
    "secure_delete": "on",
}


def sqlite_url_with_pragmas(database_url: str) -> str:
    """The SQLite URL with our PRAGMAs added, unless the URL sets them itself."""
    if not database_url.startswith("sqlite://"):
        return database_url
    for name, value in SQLITE_PRAGMAS.items():
        if name not in database_url:
            separator = "&" if "?" in database_url else "?"
            database_url = f"{database_url}{separator}{name}={value}"
    return database_url


async def migrate(database_url: str) -> None:
    """Bring the schema up to date; safe to run on every start and from several processes."""
    quiet_database_loggers()
    await run_migrations(config=tortoise_config(sqlite_url_with_pragmas(database_url)))
    await Tortoise.close_connections()


# For the `tortoise` command line (makemigrations) used while developing.
TORTOISE_ORM = tortoise_config(DEFAULT_DATABASE_URL)
