"""The sign-in throttle: its three keys, one atomic check-and-count under concurrency, the
client's address behind a proxy, and argon2 off the event loop. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Literal

import httpx2 as httpx
import pytest
import uvicorn
from argon2 import PasswordHasher

from booking.cli import server_options
from booking.models import LoginFailure
from booking.services import accounts
from tests.conftest import Service
from tests.support.staff import PASSWORD, sign_in

WRONG = "wrong-wrong-wrong"


@asynccontextmanager
async def client_at(
    service: Service, address: str, app: object = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at another address (the ASGI scope's client, as uvicorn fills it in)."""
    transport = httpx.ASGITransport(app=app or service.app, client=(address, 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_name_blocked_from_one_client_still_signs_in_from_another(staff: Service) -> None:
    async with client_at(staff, "10.0.0.5") as mallory, client_at(staff, "10.0.0.6") as colleague:
        for _ in range(accounts.MAX_FAILURES):
            assert (await sign_in(mallory, "admin", WRONG)).status_code == 401
        assert (await sign_in(mallory, "admin")).status_code == 429
        assert (await sign_in(colleague, "admin")).status_code == 303


async def test_typos_of_different_names_do_not_lock_an_office_network(staff: Service) -> None:
    # Five colleagues behind one address each mistype their name once: nobody is locked out.
    for number in range(5):
        assert (await sign_in(staff.client, f"colleague{number}", WRONG)).status_code == 401
    assert (await sign_in(staff.client, "reception")).status_code == 303
    token = await staff.client.post(
        "/api/v1/auth/token", json={"username": "reception", "password": PASSWORD}
    )
    assert token.status_code == 200


async def test_one_client_guessing_many_names_is_throttled(staff: Service) -> None:
    for number in range(accounts.MAX_CLIENT_FAILURES):
        await LoginFailure.create(
            username_key=accounts._key(f"guess{number}"),
            client_key=accounts._key("127.0.0.1"),
            at=staff.clock.now,
        )
    assert (await sign_in(staff.client, "reception")).status_code == 429
    token = await staff.client.post(
        "/api/v1/auth/token", json={"username": "reception", "password": PASSWORD}
    )
    assert token.status_code == 429
    async with client_at(staff, "10.0.0.7") as elsewhere:
        assert (await sign_in(elsewhere, "reception")).status_code == 303
    staff.clock.now += timedelta(minutes=16)
    assert (await sign_in(staff.client, "reception")).status_code == 303


async def test_one_name_guessed_from_many_clients_is_throttled(staff: Service) -> None:
    for number in range(accounts.MAX_NAME_FAILURES):
        await LoginFailure.create(
            username_key=accounts._key("admin"),
            client_key=accounts._key(f"198.51.100.{number}"),
            at=staff.clock.now,
        )
    async with client_at(staff, "10.0.0.8") as fresh:
        assert (await sign_in(fresh, "admin")).status_code == 429
        assert (await sign_in(fresh, "reception")).status_code == 303


async def test_concurrent_guesses_get_at_most_five_passwords_checked(staff: Service) -> None:
    """100 guesses for one name from one client at once: each 401 is a password actually
    checked (and a failure row); everything past the limit is 429 without a check."""
    guesses = 100

    async def guess(number: int) -> int:
        response = await staff.client.post(
            "/api/v1/auth/token", json={"username": "admin", "password": f"guess-{number}"}
        )
        assert response.status_code in (401, 429), response.text
        return response.status_code

    statuses = Counter(await asyncio.gather(*(guess(n) for n in range(guesses))))
    assert statuses[401] <= accounts.MAX_FAILURES, statuses
    assert statuses[401] + statuses[429] == guesses
    assert await LoginFailure.filter(username_key=accounts._key("admin")).count() == statuses[401]


async def test_concurrent_guesses_from_many_clients_stay_within_the_name_bound(
    staff: Service,
) -> None:
    # Already close to the name's bound; 40 clients guess at once: at most the rest is checked.
    before = accounts.MAX_NAME_FAILURES - 3
    for number in range(before):
        await LoginFailure.create(
            username_key=accounts._key("admin"),
            client_key=accounts._key(f"198.51.100.{number}"),
            at=staff.clock.now,
        )

    async def guess(number: int) -> int:
        async with client_at(staff, f"203.0.113.{number}") as client:
            response = await client.post(
                "/api/v1/auth/token", json={"username": "admin", "password": WRONG}
            )
        return response.status_code

    statuses = Counter(await asyncio.gather(*(guess(n) for n in range(40))))
    assert statuses == {401: 3, 429: 37}


async def test_the_throttle_keys_on_the_client_behind_a_trusted_proxy(
    staff: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Served as `python -m booking serve` serves it, behind a proxy at 10.0.0.1 named in
    FORWARDED_ALLOW_IPS: one client's failures do not block another behind the same proxy."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.1")
    config = uvicorn.Config(staff.app, **server_options(staff.settings))
    config.load()
    served = config.loaded_app

    def behind_proxy(client: str) -> dict[str, str]:
        return {"X-Forwarded-For": client}

    async with client_at(staff, "10.0.0.1", served) as proxy:
        for _ in range(accounts.MAX_FAILURES):
            response = await proxy.post(
                "/api/v1/auth/token",
                json={"username": "admin", "password": WRONG},
                headers=behind_proxy("198.51.100.1"),
            )
            assert response.status_code == 401
        blocked = await proxy.post(
            "/api/v1/auth/token",
            json={"username": "admin", "password": PASSWORD},
            headers=behind_proxy("198.51.100.1"),
        )
        other = await proxy.post(
            "/api/v1/auth/token",
            json={"username": "admin", "password": PASSWORD},
            headers=behind_proxy("198.51.100.2"),
        )
    assert (blocked.status_code, other.status_code) == (429, 200)
    keys = {f.client_key for f in await LoginFailure.all()}
    assert keys == {accounts._key("198.51.100.1")}  # the forwarded client, not the proxy


class RecordingHasher(PasswordHasher):
    """The real argon2 verification, recording where and how many at once; each waits for
    the test's go so that the test can look at the loop while a verification is running."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.threads: set[int] = set()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.get_ident())
        try:
            self.go.wait(timeout=10)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


async def test_argon2_runs_off_the_event_loop_a_few_at_a_time(
    staff: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = RecordingHasher()
    monkeypatch.setattr(accounts, "HASHER", hasher)
    names = ["admin", "reception", "awo1", "awo2", "caritas1", "lhh1"]

    async def token(name: str) -> int:
        response = await staff.client.post(
            "/api/v1/auth/token", json={"username": name, "password": PASSWORD}
        )
        return response.status_code

    sign_ins = [asyncio.create_task(token(name)) for name in names]
    for _ in range(1000):  # the loop turns while verifications wait in their threads
        if hasher.running >= accounts.HASH_THREADS:
            break
        await asyncio.sleep(0.01)
    health = await staff.client.get("/healthz")  # answered while argon2 is busy
    assert health.status_code == 200 and not hasher.go.is_set()
    await asyncio.sleep(0.2)
    assert hasher.running == accounts.HASH_THREADS  # the rest wait for a free thread
    hasher.go.set()
    assert await asyncio.gather(*sign_ins) == [200] * len(names)
    assert hasher.most == accounts.HASH_THREADS
    assert threading.get_ident() not in hasher.threads
