"""Fixtures: the real service on SQLite, and on PostgreSQL when BOOKING_TEST_POSTGRES_URL is set.

Each database is created and migrated once per run (with the real migrations, so that every
constraint the service relies on is there); each test starts from the demo data and a clock
fixed on a known Monday morning.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, settings
from starlette.applications import Starlette
from tortoise import Tortoise
from tortoise.fields.relational import RelationalField
from tortoise.models import Model

from booking.app import create_app
from booking.db import migrate
from booking.demo import load_demo, load_demo_accounts
from booking.limits import OFF
from booking.services.accounts import hash_password
from booking.settings import DEMO_LINK_SECRET, Settings
from integrations.office_link import make_link

# Hypothesis: no per-example deadline anywhere. On a loaded two-core machine (CI, or colleagues'
# test runs beside yours) one example can take a second for reasons that say nothing about the
# code, and DeadlineExceeded then fails a property that holds. "ci" is chosen when CI is set;
# "dev" is the default; HYPOTHESIS_PROFILE picks one by name.
settings.register_profile(
    "ci",
    deadline=None,
    print_blob=True,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 23 November 2026, 07:00 in Hannover: the demo location opens at 08:00.
MONDAY = datetime(2026, 11, 23, tzinfo=BERLIN)
NOW = MONDAY.replace(hour=7)

TEST_MAIL_DIR = Path(tempfile.gettempdir()) / "booking-test-mail"

POSTGRES_URL = os.environ.get("BOOKING_TEST_POSTGRES_URL", "").strip()
DATABASES = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


class Clock:
    """The injected clock: tests move it; the service reads it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _replace_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def database_urls() -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="booking-test-") as tmp:
        urls["sqlite"] = f"sqlite://{Path(tmp) / 'test.sqlite3'}"
        if POSTGRES_URL:
            urls["postgres"] = _replace_database(
                POSTGRES_URL, f"booking_test_{uuid.uuid4().hex[:10]}"
            )
        yield urls


@pytest.fixture(scope="session")
async def migrated(database_urls: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    created: list[str] = []
    try:
        for name, url in database_urls.items():
            if name == "postgres":
                admin = await asyncpg.connect(POSTGRES_URL)
                try:
                    await admin.execute(f'CREATE DATABASE "{urlsplit(url).path[1:]}"')
                finally:
                    await admin.close()
                created.append(urlsplit(url).path[1:])
            await migrate(url)
        yield database_urls
    finally:
        for database in created:
            admin = await asyncpg.connect(POSTGRES_URL)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            finally:
                await admin.close()


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, migrated: dict[str, str]) -> str:
    return str(migrated[request.param])


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def children_first(models: Iterable[type[Model]]) -> list[type[Model]]:
    """The models in an order that deletes every row referring to another before that one."""
    ordered: list[type[Model]] = []
    seen: set[type[Model]] = set()

    def visit(model: type[Model]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name in model._meta.backward_fk_fields | model._meta.backward_o2o_fields:
            field = model._meta.fields_map[name]
            assert isinstance(field, RelationalField), (model.__name__, name)
            visit(field.related_model)
        ordered.append(model)

    for model in models:
        visit(model)
    return ordered


async def clear_database() -> None:
    # Every model Tortoise knows, so that a new model is cleared without anyone listing it.
    for model in children_first(Tortoise.apps["models"].values()):
        await model.all().delete()


@dataclass
class Service:
    app: Starlette
    client: httpx.AsyncClient
    clock: Clock
    settings: Settings

    def link(
        self,
        start: datetime,
        *,
        ref: str | None = None,
        duration: int = 30,
        location: str = "hsc",
        expires: datetime | None = None,
        secret: str = DEMO_LINK_SECRET,
    ) -> dict[str, str]:
        """The six values of a signed office link, as the office's confirmation carries them."""
        url = make_link(
            "http://test",
            secret,
            ref=ref or f"ABH-{uuid.uuid4().hex[:8]}",
            start=start,
            duration_minutes=duration,
            location=location,
            expires=expires or self.clock.now + timedelta(days=7),
        )
        return dict(parse_qsl(urlsplit(url).query))

    def booking_body(
        self, link: dict[str, Any], start: datetime, **overrides: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appointment": link,
            "start": start.isoformat(),
            "topic": "forms",
            "language": "de",
            "name": "Amina Test",
            "email": "amina@example.org",
            "consent": True,
        }
        body.update(overrides)
        return body


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "base_url": "http://test",
        "demo": True,
        # Tests send the outbox themselves (tests/test_sender.py), never into the checkout.
        "mail_sender": False,
        "mail_dir": TEST_MAIL_DIR,
        # Every request of the test client comes from one address, and many tests book more
        # than a client may; tests/test_booking_limits.py switches the limits on.
        "booking_limits": OFF,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def service(database: str, clock: Clock) -> AsyncIterator[Service]:
    settings = make_settings(database)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        await clear_database()
        await load_demo()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Service(app, client, clock, settings)
    # Tortoise keeps no connection open between tests.


STAFF_PASSWORD = "demo-password-1"


@pytest.fixture(scope="session")
def staff_password_hash() -> str:
    return hash_password(STAFF_PASSWORD)  # argon2 is slow by design: once per run


@pytest.fixture
async def staff(service: Service, staff_password_hash: str) -> Service:
    """The service with the demo staff accounts (admin, reception, awo1, ...)."""
    await load_demo_accounts(STAFF_PASSWORD, password_hash=staff_password_hash)
    return service


def at(hour: int, minute: int = 0, day: datetime = MONDAY) -> datetime:
    return day.replace(hour=hour, minute=minute)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
