"""The waiting-room display with two server processes on one PostgreSQL database: a call made
through one appears on a display connected to the other within 2 seconds.

The real thing, as it runs in production behind a load balancer: a fresh database with the demo
data (``python -m booking demo``), two ``python -m booking serve`` processes on free ports, and
only HTTP between the test and them. The servers use the real clock, so the walk-in is one every
demo counsellor can take (forms, German) and the call insists (``anyway``) in case a demo
session of the counsellor is about to begin.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx2 as httpx
import pytest

from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="set BOOKING_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) "
    "to run the display test with two server processes on one PostgreSQL database",
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "demo"
COUNSELLOR = "lhh1"  # Aylin K.: German and every topic, like every demo counsellor
APPEARS_WITHIN = 2.0  # seconds
POLL_EVERY = 0.05
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(database_url: str, mail_dir: Path, port: int | None = None) -> dict[str, str]:
    # Inherited BOOKING_* settings (another database, a real secret) must not leak in.
    env = {name: value for name, value in os.environ.items() if not name.startswith("BOOKING_")}
    env.update(
        BOOKING_DEMO="1",
        BOOKING_DEMO_PASSWORD=DEMO_PASSWORD,
        BOOKING_DATABASE_URL=database_url,
        BOOKING_MAIL_SENDER="0",
        BOOKING_MAIL_DIR=str(mail_dir),
        BOOKING_HOST="127.0.0.1",
        BOOKING_LOG_LEVEL="warning",
    )
    if port is not None:
        env["BOOKING_PORT"] = str(port)
    return env


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"booking_display_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    finally:
        # FORCE: a server that had to be killed may not have closed its connections.
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def load_demo(database_url: str, workdir: Path) -> None:
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "booking",
        "demo",
        env=environment(database_url, workdir / "mail"),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await done.communicate()
    assert done.returncode == 0, f"python -m booking demo failed:\n{output.decode()}"


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            return
        except TimeoutError:
            pass
    try:  # its own process group: uvicorn's workers go too
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    await process.wait()


def output_of(log: Path) -> str:
    return log.read_text(errors="replace")


async def wait_until_healthy(process: asyncio.subprocess.Process, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=base_url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            assert process.returncode is None, f"{base_url} exited:\n{output_of(log)}"
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base_url} did not answer /healthz within {START_TIMEOUT}s")


@asynccontextmanager
async def servers(count: int, tmp_path: Path) -> AsyncIterator[list[str]]:
    """A fresh database with the demo data, and ``count`` servers on it: their base URLs."""
    async with fresh_database() as database_url:
        await load_demo(database_url, tmp_path)
        processes: list[asyncio.subprocess.Process] = []
        try:
            urls = []
            for number in range(count):
                port = free_port()
                log = tmp_path / f"server-{number}.log"
                with log.open("wb") as output:
                    processes.append(
                        await asyncio.create_subprocess_exec(
                            sys.executable,
                            "-m",
                            "booking",
                            "serve",
                            env=environment(database_url, tmp_path / "mail", port),
                            cwd=PROJECT_ROOT,
                            stdout=output,
                            stderr=asyncio.subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
                urls.append(f"http://127.0.0.1:{port}")
                await wait_until_healthy(processes[-1], urls[-1], log)
            yield urls
        finally:
            for process in processes:
                await stop(process)


async def token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_call_through_one_server_shows_on_the_display_of_the_other(
    tmp_path: Path,
) -> None:
    async with (
        servers(2, tmp_path) as (url_a, url_b),
        httpx.AsyncClient(base_url=url_a, timeout=10.0) as a,
        httpx.AsyncClient(base_url=url_b, timeout=10.0) as b,
    ):
        reception, counsellor = await token(a, "reception"), await token(a, COUNSELLOR)
        registered = await a.post(
            "/api/v1/locations/hsc/walk-ins",
            json={"topic": "forms", "language": "de"},
            headers=reception,
        )
        assert registered.status_code == 201, registered.text
        number = registered.json()["number"]
        before = await b.get("/api/v1/locations/hsc/display")
        assert before.status_code == 200
        assert number not in [c["number"] for c in before.json()["calls"]]

        called = await a.post(
            "/api/v1/queue/call-next", json={"location": "hsc", "anyway": True}, headers=counsellor
        )
        call_returned = time.monotonic()
        assert called.status_code == 200, called.text
        assert called.json()["number"] == number

        shown: list[str] = []
        while time.monotonic() - call_returned < APPEARS_WITHIN:
            response = await b.get("/api/v1/locations/hsc/display")
            assert response.status_code == 200
            shown = [c["number"] for c in response.json()["calls"]]
            if number in shown:
                break
            await asyncio.sleep(POLL_EVERY)
        seconds = time.monotonic() - call_returned
        assert number in shown, f"{number} not on the other server's display after {seconds:.2f}s"
        assert seconds < APPEARS_WITHIN
