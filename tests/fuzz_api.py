"""Schemathesis against the JSON API, as an outside attacker would see it (``make fuzz-api``).

The real service (``python -m booking serve``) runs on a free localhost port over a fresh
database with the demo data: a temporary SQLite file, or a PostgreSQL database
``booking_fuzz_<pid>`` that is dropped at the end. Schemathesis reads ``/api/v1/openapi.json``
and sends generated requests, valid and invalid, to every operation: once anonymously and once
with a token of each role (admin, reception, counsellor). Every answer must

- not be a server error (not_a_server_error),
- use a status code the document names for the operation (status_code_conformance),
- have the content type the document names (content_type_conformance),
- match the document's schema for that status (response_schema_conformance).

The number of examples per operation is bounded (``--max-examples``, default 25) so that the
whole target takes a few minutes on two cores. The exit code is schemathesis's: 1 on any
failure, with the request that reproduces it in the output.

    .venv/bin/python tests/fuzz_api.py --database sqlite
    .venv/bin/python tests/fuzz_api.py --database postgres   # BOOKING_TEST_POSTGRES_URL

The hand-written hypothesis tests in tests/test_robustness.py stay beside it: they sign links
validly and sign in to the staff pages, which schemathesis cannot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live import live_service

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
ROLES = {"anonymous": None, "admin": "admin", "reception": "reception", "counsellor": "awo1"}
PASSWORD = "fuzz-password-1"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A database URL for the run; a PostgreSQL database is created here and dropped after."""
    if kind == "sqlite":
        yield f"sqlite://{tmp / 'fuzz.sqlite3'}"
        return
    admin_url = os.environ.get("BOOKING_TEST_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES
    name = f"booking_fuzz_{os.getpid()}"

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def serving(database_url: str, tmp: Path) -> Iterator[str]:
    """The demo service on a free port over ``database_url``, until the block ends."""
    try:
        with live_service(tmp, database_url, BOOKING_DEMO_PASSWORD=PASSWORD) as service:
            yield service.base_url
    finally:
        # What the server logged (never personal data): shown when something failed.
        log_path = tmp / "server.log"
        log = log_path.read_text() if log_path.exists() else ""
        errors = [line for line in log.splitlines() if "ERROR" in line]
        if errors:
            print("\n".join(["server errors:", *errors]), file=sys.stderr)


def token_for(base_url: str, username: str) -> str:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    answer.raise_for_status()
    token: str = answer.json()["token"]
    return token


def fuzz(base_url: str, role: str, token: str | None, max_examples: int, tmp: Path) -> int:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(max_examples),
        "--phases",
        "examples,coverage,fuzzing",
        # One worker: hypothesis describing strategies in several threads at once failed
        # inside Python's AST parser ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "too_slow,filter_too_much,data_too_large",
        "--no-color",
        "--warnings",
        "off",
    ]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    print(f"\n=== schemathesis as {role} ===", flush=True)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    return subprocess.run(command, cwd=tmp, env=env, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--max-examples", type=int, default=25, help="per operation and role")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="booking-fuzz-") as name:
        tmp = Path(name)
        with database(args.database, tmp) as url, serving(url, tmp) as base_url:
            # Tokens first: the anonymous run signs in wrongly many times and is throttled.
            tokens = {
                role: token_for(base_url, user) if user else None for role, user in ROLES.items()
            }
            failed = [
                role
                for role, token in tokens.items()
                if fuzz(base_url, role, token, args.max_examples, tmp) != 0
            ]
    print(f"\nfuzz-api on {args.database}: " + (f"FAILED for {failed}" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
