"""Benchmark: the fairness report for a month of 3,000 sessions (target: under 200 ms).

A temporary SQLite database gets the demo plan and 3,000 sessions in November 2026 at the demo
location, each with the shares of its seven organisations (as the balancing rules store them).
Timed: the tally and the weights alone (both also run inside every booking decision, under
the location's lock), and the whole page ``GET /staff/fairness`` through the real app as an
admin (routing, access check, weights from the month's plan, tally, chart, template).
Printed: median and 95th percentile of 30 runs each, and one JSON object as the last line.

    .venv/bin/python tests/benchmarks/bench_fairness_report.py [--sessions 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx

from booking.app import create_app
from booking.db import migrate
from booking.demo import load_demo, load_demo_accounts
from booking.models import AllocationShare, Booking, Counsellor, Location, OfficeAppointment
from booking.services import fairness
from booking.services.bookings import hash_token, new_token
from booking.settings import Settings

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 17, tzinfo=BERLIN)
MONTH = "2026-11"
RUNS = 30


async def seed(sessions: int) -> None:
    location = await Location.get(code="hsc")
    counsellors = await Counsellor.all().prefetch_related("organisation")
    codes = sorted({c.organisation.code for c in counsellors})
    organisation_ids = {c.organisation.code: c.organisation.id for c in counsellors}
    chance = random.Random(3000)
    office = await OfficeAppointment.create(
        location=location, ref="BENCH", start=NOW.astimezone(UTC), duration_minutes=30
    )
    bookings = []
    for number in range(sessions):
        counsellor = chance.choice(counsellors)
        start = datetime(2026, 11, 2 + number % 27, 8, tzinfo=BERLIN) + timedelta(
            minutes=10 * (number // 27 % 48)
        )
        bookings.append(
            Booking(
                reference=f"B{number:07d}",
                location_id=location.id,
                appointment_id=office.id,
                counsellor_id=counsellor.id,
                organisation_id=counsellor.organisation.id,
                start=start.astimezone(UTC),
                end=(start + timedelta(minutes=30)).astimezone(UTC),
                topic="forms",
                language="de",
                status=chance.choice(["attended", "attended", "no_show", "cancelled"]),
                manage_token_hash=hash_token(new_token()),
            )
        )
    await Booking.bulk_create(bookings, batch_size=500)
    ids = await Booking.all().values_list("id", flat=True)
    await AllocationShare.bulk_create(
        [
            AllocationShare(
                booking_id=booking_id,
                location_id=location.id,
                organisation_id=organisation_ids[code],
                month=MONTH,
                share=1 / len(codes),
            )
            for booking_id in ids
            for code in codes
        ],
        batch_size=1000,
    )


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
    }


async def main(sessions: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-fairness-") as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        await migrate(url)
        settings = Settings(database_url=url, base_url="http://bench", demo=True)
        app = create_app(settings, clock=lambda: NOW)
        async with app.router.lifespan_context(app):
            await load_demo()
            await load_demo_accounts("bench-password")
            await seed(sessions)
            location = await Location.get(code="hsc")
            tallies, weights = [], []
            for _ in range(RUNS):
                started = time.perf_counter()
                await fairness.tally(location, MONTH, fairness.DEFAULT_RULES)
                tallies.append(time.perf_counter() - started)
                started = time.perf_counter()
                await fairness.weights(location, MONTH, NOW, fairness.DEFAULT_RULES)
                weights.append(time.perf_counter() - started)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                login = await client.get("/login")
                token = login.text.split('name="csrf" value="')[1].split('"')[0]
                await client.post(
                    "/login",
                    data={"username": "admin", "password": "bench-password", "csrf": token},
                )
                pages = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    response = await client.get(f"/staff/fairness?month={MONTH}")
                    pages.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.status_code
            counted = await Booking.exclude(status="cancelled").count()
    return {
        "sessions": sessions,
        "counted_sessions": counted,
        "tally": summary(tallies),
        "weights": summary(weights),
        "page": summary(pages),
        "target_ms": 200,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=3000)
    result = asyncio.run(main(parser.parse_args().sessions))
    print(
        f"fairness report, {result['sessions']} sessions in a month: "
        f"tally {result['tally']}, weights {result['weights']}, "
        f"whole page {result['page']} (target < 200 ms)"
    )
    print(json.dumps(result))
