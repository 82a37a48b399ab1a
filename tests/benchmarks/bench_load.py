"""Load benchmark: many applicants book counselling sessions at once, and none is booked twice.

It measures how fast the real service (``python -m booking serve``, a subprocess on a free
localhost port) answers booking attempts that compete for a limited set of slots, and then
checks in the database itself that no counsellor and no office appointment was booked twice.

1. A fresh database (a temporary SQLite file, or a new PostgreSQL database
   ``booking_bench_<pid>`` that is dropped at the end) is migrated and filled with the demo
   data by ``python -m booking demo``.
2. Before timing, the availability of the office appointments (09:00 to 15:00 on the next
   five working days) is fetched; every attempt gets its own signed office link and picks a
   slot at random, most of them the slots nearest to the appointment, so that many collide.
3. Timed: ``--attempts`` POST /api/v1/bookings with ``--concurrency`` in flight at once.
   201 (booked) and 409 (slot_taken, already_booked) are expected; anything else is an error.
4. Printed: throughput, latency percentiles, answers per status code, double bookings counted
   with SQL, and as the last line one JSON object. The exit code is 1 on errors, on double
   bookings, or when the 201 answers do not match the active booking rows.

Run from the project root (``make bench-load`` runs both):

    .venv/bin/python tests/benchmarks/bench_load.py --database sqlite
    .venv/bin/python tests/benchmarks/bench_load.py --database postgres

PostgreSQL: BOOKING_TEST_POSTGRES_URL, if set, is the admin connection used to create and drop
the benchmark database (default postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
import httpx2 as httpx

from booking.demo import demo_link, next_working_day
from booking.settings import DEMO_LINK_SECRET

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_WORKERS = {"sqlite": 1, "postgres": 2}

ZONE = ZoneInfo("Europe/Berlin")
WORKING_DAYS = 5
APPOINTMENT_TIMES = [clock_time(hour, 0) for hour in range(9, 16)]
TOPIC = "forms"
LANGUAGE = "de"
LINK_FIELDS = ("ref", "start", "duration", "location", "expires", "sig")
# Each slot further from the office appointment is chosen this much less often: most
# applicants want the nearest one, which is what makes the attempts collide.
SLOT_PREFERENCE_DECAY = 0.4
EXPECTED_CONFLICTS = frozenset({"slot_taken", "already_booked"})

SERVER_START_TIMEOUT_SECONDS = 30.0
SERVER_STOP_TIMEOUT_SECONDS = 15.0
REQUEST_TIMEOUT_SECONDS = 30.0
# uvicorn closes a connection after 5 s without a request. A client that keeps idle connections
# just as long can send a request into that close and get a reset (now and then, under this
# load); one that drops them sooner stays out of that race.
CLIENT_KEEPALIVE_SECONDS = 2.0
# Half the service's default per-client limit (20 booking writes in 10 minutes).
ATTEMPTS_PER_CLIENT_ADDRESS = 10


# --- the database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Integrity:
    """What the database holds after the run."""

    active_rows: int
    overlapping_pairs: int  # pairs of active bookings of one counsellor whose times overlap
    shared_appointments: int  # office appointments with more than one active booking

    @property
    def double_bookings(self) -> int:
        return self.overlapping_pairs + self.shared_appointments


ACTIVE_ROWS_SQL = "SELECT COUNT(*) FROM booking WHERE status <> 'cancelled'"
OVERLAPPING_PAIRS_SQL = """
    SELECT COUNT(*)
    FROM booking AS a
    JOIN booking AS b
      ON a.counsellor_id = b.counsellor_id
     AND a.id < b.id
     AND a.start < b."end"
     AND b.start < a."end"
    WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
"""
SHARED_APPOINTMENTS_SQL = """
    SELECT COUNT(*) FROM (
        SELECT appointment_id
        FROM booking
        WHERE status <> 'cancelled'
        GROUP BY appointment_id
        HAVING COUNT(*) > 1
    ) AS shared
"""


class BenchDatabase(ABC):
    """A fresh database for one run, and the SQL checks on it afterwards."""

    @property
    @abstractmethod
    def url(self) -> str:
        """The BOOKING_DATABASE_URL for the service."""

    @abstractmethod
    def integrity(self) -> Integrity: ...


class SqliteDatabase(BenchDatabase):
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def url(self) -> str:
        return f"sqlite://{self.path}"

    def integrity(self) -> Integrity:
        # Start and end are ISO text with +00:00 in SQLite, so comparing the text compares times.
        connection = sqlite3.connect(self.path)
        try:
            counts = [
                connection.execute(sql).fetchone()[0]
                for sql in (ACTIVE_ROWS_SQL, OVERLAPPING_PAIRS_SQL, SHARED_APPOINTMENTS_SQL)
            ]
        finally:
            connection.close()
        return Integrity(*counts)


class PostgresDatabase(BenchDatabase):
    def __init__(self, admin_url: str, database_name: str) -> None:
        self.admin_url = admin_url
        self.database_name = database_name

    @property
    def url(self) -> str:
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.database_name}"))

    def create(self) -> None:
        asyncio.run(self._admin(f'CREATE DATABASE "{self.database_name}"'))

    def drop(self) -> None:
        # FORCE: a server that had to be killed may not have closed its connections.
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'))

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def integrity(self) -> Integrity:
        return asyncio.run(self._integrity())

    async def _integrity(self) -> Integrity:
        connection = await asyncpg.connect(self.url)
        try:
            counts = [
                await connection.fetchval(sql)
                for sql in (ACTIVE_ROWS_SQL, OVERLAPPING_PAIRS_SQL, SHARED_APPOINTMENTS_SQL)
            ]
        finally:
            await connection.close()
        return Integrity(*counts)


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[BenchDatabase]:
    if kind == "sqlite":
        yield SqliteDatabase(workdir / "bench.sqlite3")
        return
    admin_url = os.environ.get("BOOKING_TEST_POSTGRES_URL", "").strip()
    database = PostgresDatabase(
        admin_url or DEFAULT_POSTGRES_ADMIN_URL, f"booking_bench_{os.getpid()}"
    )
    database.create()
    try:
        yield database
    finally:
        database.drop()


# --- the service ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    base_url: str
    stderr_path: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_environment(database_url: str, port: int) -> dict[str, str]:
    # Inherited BOOKING_* settings (a real link secret, say) would make the demo links invalid.
    env = {name: value for name, value in os.environ.items() if not name.startswith("BOOKING_")}
    env.update(
        BOOKING_DEMO="1",
        BOOKING_DATABASE_URL=database_url,
        BOOKING_PORT=str(port),
        BOOKING_HOST="127.0.0.1",
        BOOKING_LOG_LEVEL="warning",
    )
    return env


def load_demo_data(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "booking", "demo"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m booking demo failed:\n{done.stdout}{done.stderr}")


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, stderr_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the service exited with {process.returncode}:\n{stderr_path.read_text()}"
            )
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the service did not answer /healthz within {SERVER_START_TIMEOUT_SECONDS}s"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            pass
    # The service runs in its own process group: this also ends worker processes it left over.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait()


@contextmanager
def running_service(database_url: str, workers: int, workdir: Path) -> Iterator[Service]:
    port = free_port()
    env = service_environment(database_url, port)
    load_demo_data(env)
    base_url = f"http://127.0.0.1:{port}"
    stderr_path = workdir / "server.stderr"
    with (workdir / "server.stdout").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "booking", "serve", "--workers", str(workers)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            wait_until_healthy(process, base_url, stderr_path)
            yield Service(base_url, stderr_path)
        finally:
            stop(process)


# --- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Appointment:
    """An office appointment time and the slot starts offered around it, nearest first."""

    start: datetime
    slot_starts: list[str]  # ISO, exactly as the availability API wrote them


@dataclass(frozen=True)
class Attempt:
    link_values: dict[str, str]  # ref, start, duration, location, expires, sig
    slot_start: str


@dataclass(frozen=True)
class Outcome:
    answer: str  # the status code, or the name of the exception when there was no answer
    conflict: str | None  # the error code of an expected 409
    seconds: float

    @property
    def booked(self) -> bool:
        return self.answer == "201"

    @property
    def is_error(self) -> bool:
        return not self.booked and self.conflict is None


def link_values(url: str) -> dict[str, str]:
    query = parse_qs(urlsplit(url).query, strict_parsing=True)
    return {name: query[name][0] for name in LINK_FIELDS}


def office_link(base_url: str, start: datetime, ref: str) -> dict[str, str]:
    return link_values(
        demo_link(base_url, DEMO_LINK_SECRET, datetime.now(UTC), start=start, ref=ref)
    )


def appointment_starts(today: date) -> list[datetime]:
    starts = []
    day = today
    for _ in range(WORKING_DAYS):
        day = next_working_day(day)
        starts += [datetime.combine(day, moment, tzinfo=ZONE) for moment in APPOINTMENT_TIMES]
    return starts


async def fetch_availability(
    client: httpx.AsyncClient, base_url: str, start: datetime, number: int
) -> Appointment:
    # The offer does not depend on the ref, so one probe link serves all of this time's attempts.
    params = {
        **office_link(base_url, start, f"BENCH-PROBE-{number}"),
        "topic": TOPIC,
        "language": LANGUAGE,
    }
    response = await client.get("/api/v1/availability", params=params)
    if response.status_code != 200:
        raise RuntimeError(
            f"availability for {start} answered {response.status_code}: {response.text}"
        )
    slot_starts = [slot["start"] for slot in response.json()["slots"]]
    slot_starts.sort(key=lambda iso: abs(datetime.fromisoformat(iso) - start))
    return Appointment(start, slot_starts)


def plan_attempts(
    appointments: Sequence[Appointment], base_url: str, attempts: int, seed: int
) -> list[Attempt]:
    offered = [appointment for appointment in appointments if appointment.slot_starts]
    if not offered:
        raise RuntimeError("no appointment has a free slot; is the demo data loaded?")
    rng = random.Random(seed)
    plan = []
    for number in range(attempts):
        appointment = rng.choice(offered)
        weights = [SLOT_PREFERENCE_DECAY**rank for rank in range(len(appointment.slot_starts))]
        slot_start = rng.choices(appointment.slot_starts, weights=weights)[0]
        ref = f"BENCH-{os.getpid()}-{number:05d}"  # one booking per office appointment
        plan.append(Attempt(office_link(base_url, appointment.start, ref), slot_start))
    return plan


def booking_body(attempt: Attempt) -> dict[str, Any]:
    return {
        "appointment": attempt.link_values,
        "start": attempt.slot_start,
        "topic": TOPIC,
        "language": LANGUAGE,
        "name": "Bench Person",
        "email": "bench@example.org",
        "consent": True,
    }


async def book(
    client: httpx.AsyncClient, in_flight: asyncio.Semaphore, attempt: Attempt
) -> Outcome:
    body = booking_body(attempt)
    async with in_flight:
        started = time.perf_counter()
        try:
            response = await client.post("/api/v1/bookings", json=body)
        except httpx.HTTPError as error:
            return Outcome(type(error).__name__, None, time.perf_counter() - started)
        seconds = time.perf_counter() - started
    conflict = None
    if response.status_code == 409:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        code = payload.get("error") if isinstance(payload, dict) else None
        conflict = code if code in EXPECTED_CONFLICTS else None
    return Outcome(str(response.status_code), conflict, seconds)


@dataclass(frozen=True)
class LoadResult:
    seconds: float
    outcomes: list[Outcome]


def client_addresses(attempts: int) -> list[str]:
    """Loopback source addresses (127.0.0.0/8 is all local) for the attempts, so that each
    applicant's address stays well within the service's per-client limit, as in a real burst
    of many people, and the limit's own cost is part of what is measured."""
    count = max(1, math.ceil(attempts / ATTEMPTS_PER_CLIENT_ADDRESS))
    return [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(count)]


async def run_load(base_url: str, attempts: int, concurrency: int, seed: int) -> LoadResult:
    addresses = client_addresses(attempts)
    per_client = max(1, math.ceil(concurrency / len(addresses)))
    limits = httpx.Limits(
        max_connections=per_client,
        max_keepalive_connections=per_client,
        keepalive_expiry=CLIENT_KEEPALIVE_SECONDS,
    )
    clients = [
        httpx.AsyncClient(
            base_url=base_url,
            limits=limits,
            timeout=REQUEST_TIMEOUT_SECONDS,
            transport=httpx.AsyncHTTPTransport(limits=limits, local_address=address),
        )
        for address in addresses
    ]
    try:
        today = datetime.now(ZONE).date()
        appointments = await asyncio.gather(
            *(
                fetch_availability(clients[0], base_url, start, number)
                for number, start in enumerate(appointment_starts(today))
            )
        )
        plan = plan_attempts(appointments, base_url, attempts, seed)
        in_flight = asyncio.Semaphore(concurrency)
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(
                book(clients[number % len(clients)], in_flight, attempt)
                for number, attempt in enumerate(plan)
            )
        )
        return LoadResult(time.perf_counter() - started, outcomes)
    finally:
        for client in clients:
            await client.aclose()


# --- the report -------------------------------------------------------------------------------


def percentile_ms(seconds: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile, in milliseconds (None without a single answer)."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


def server_complaints(stderr_path: Path) -> Counter[str]:
    """The service's stderr lines (it logs at warning level), counted."""
    lines = stderr_path.read_text(errors="replace").splitlines()
    return Counter(line for line in lines if line.strip())


def report(
    database: str,
    workers: int,
    concurrency: int,
    load: LoadResult,
    integrity: Integrity,
    complaints: Counter[str],
) -> dict[str, Any]:
    outcomes = load.outcomes
    answered = [o.seconds for o in outcomes if o.answer.isdigit()]
    by_answer = Counter(o.answer for o in outcomes)
    by_conflict = Counter(o.conflict for o in outcomes if o.conflict)
    booked = sum(o.booked for o in outcomes)
    summary = {
        "database": database,
        "attempts": len(outcomes),
        "concurrency": concurrency,
        "per_second": round(len(outcomes) / load.seconds, 1),
        "p50_ms": percentile_ms(answered, 50),
        "p95_ms": percentile_ms(answered, 95),
        "p99_ms": percentile_ms(answered, 99),
        "booked": booked,
        "conflicts": sum(by_conflict.values()),
        "errors": sum(o.is_error for o in outcomes),
        "double_bookings": integrity.double_bookings,
    }
    print(f"database:            {database} ({workers} worker{'s' if workers != 1 else ''})")
    print(f"attempts:            {summary['attempts']} ({concurrency} in flight)")
    print(f"seconds:             {load.seconds:.2f}")
    print(f"attempts per second: {summary['per_second']}")
    print(
        f"latency ms:          p50 {summary['p50_ms']}  p95 {summary['p95_ms']}  "
        f"p99 {summary['p99_ms']}"
    )
    print("answers:             " + ", ".join(f"{k}: {n}" for k, n in sorted(by_answer.items())))
    print("conflicts:           " + ", ".join(f"{k}: {n}" for k, n in sorted(by_conflict.items())))
    print(f"errors:              {summary['errors']}")
    print(f"active booking rows: {integrity.active_rows} (201 answers: {booked})")
    print(
        f"double bookings:     {integrity.double_bookings} (overlapping pairs "
        f"{integrity.overlapping_pairs}, appointments booked twice {integrity.shared_appointments})"
    )
    print(f"server stderr:       {sum(complaints.values())} lines")
    for line, count in complaints.most_common(20):
        print(f"  {count:>5} x {line}")
    return summary


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=sorted(DEFAULT_WORKERS), default="sqlite")
    parser.add_argument("--attempts", type=int, default=1000, help="booking attempts (1000)")
    parser.add_argument("--concurrency", type=int, default=100, help="attempts in flight (100)")
    parser.add_argument("--workers", type=int, help="server processes (sqlite 1, postgres 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the slot choice (1)")
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = DEFAULT_WORKERS[args.database]
    if min(args.attempts, args.concurrency, args.workers) < 1:
        parser.error("--attempts, --concurrency and --workers must be at least 1")
    return args


def exit_on_sigterm() -> None:
    """Let SIGTERM (a CI timeout, say) stop the service and drop the database on the way out.

    The service runs in its own session, so signals meant for the benchmark never reach it.
    """

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="booking-bench-") as tmp:
        workdir = Path(tmp)
        with fresh_database(args.database, workdir) as database:
            with running_service(database.url, args.workers, workdir) as service:
                load = asyncio.run(
                    run_load(service.base_url, args.attempts, args.concurrency, args.seed)
                )
            # Counted once the service has stopped, so that no write is still under way.
            integrity = database.integrity()
        complaints = server_complaints(service.stderr_path)
    summary = report(args.database, args.workers, args.concurrency, load, integrity, complaints)
    print(json.dumps(summary))
    failed = (
        summary["double_bookings"] > 0
        or summary["errors"] > 0
        or summary["booked"] != integrity.active_rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
