"""Speed and fairness of the balancing rule (booking/balance.py, issue 4).

1. CPU time of ``choose`` for one booking with 30 free counsellors in 8 organisations and a
   tally half-way through a busy month: median and 99th percentile over 10,000 calls, each
   on one of 100 different situations. Target: well under 1 ms.
2. The month's simulation (``python -m booking.bench balance``) for seeds 1 to 5, one line
   each, with the issue's targets marked as met or missed.

The last line is one JSON object with every figure. The exit code is 1 only when the speed
target is missed: the simulation's misses are known and printed (see booking/bench/balance.py).

    .venv/bin/python tests/benchmarks/bench_balance.py    # or: make bench-balance
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from booking.balance import Candidate, Tally, choose, default_weights
from booking.bench.balance import simulate

CALLS = 10_000
SITUATIONS = 100
COUNSELLORS = 30
ORGANISATIONS = ["lhh", "awo", "caritas", "diakonie", "drk", "kargah", "lmdr", "paritaet"]
SPEED_TARGET_US = 1000.0
SEEDS = range(1, 6)


def situation(rng: random.Random) -> tuple[list[Candidate], dict[str, float], Tally]:
    start = datetime(2026, 11, 16, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    candidates = [
        Candidate(
            counsellor_id=cid,
            organisation=ORGANISATIONS[cid % len(ORGANISATIONS)],
            sessions_today=rng.randint(0, 8),
            free_since=start + timedelta(minutes=30 * rng.randint(0, 12)),
        )
        for cid in range(COUNSELLORS)
    ]
    rng.shuffle(candidates)
    weights = default_weights({code: rng.uniform(150, 450) for code in ORGANISATIONS})
    entitlement = {code: w * 15 + rng.uniform(-1, 1) for code, w in weights.items()}
    actual = {code: round(e) for code, e in entitlement.items()}
    return candidates, weights, Tally(entitlement, actual)


def time_choose() -> tuple[float, float]:
    rng = random.Random(1)
    situations = [situation(rng) for _ in range(SITUATIONS)]
    for candidates, weights, tally in situations:  # warm up
        choose(candidates, weights, tally)
    spent = []
    for n in range(CALLS):
        candidates, weights, tally = situations[n % SITUATIONS]
        began = time.process_time_ns()
        choose(candidates, weights, tally)
        spent.append((time.process_time_ns() - began) / 1000)
    spent.sort()
    return statistics.median(spent), spent[int(len(spent) * 0.99)]


def verdict(value: float, target: float) -> str:
    return f"{value:.2f} ({'met' if value <= target else 'MISSED'} <= {target:g})"


def main() -> int:
    median, p99 = time_choose()
    print(
        f"choose, one booking, {COUNSELLORS} counsellors in {len(ORGANISATIONS)} organisations: "
        f"median {median:.1f} µs, p99 {p99:.1f} µs CPU over {CALLS:,} calls "
        f"(target {SPEED_TARGET_US:g} µs)"
    )
    runs = {}
    for seed in SEEDS:
        began = time.perf_counter()
        s = simulate(seed).summary
        runs[seed] = s
        beaten = all(
            s[m] < s[b]
            for m in ("max_abs_deviation", "max_abs_deviation_unconstrained")
            for b in ("baseline_least_recent", "baseline_share_of_all")
        )
        print(
            f"seed {seed}: {s['bookings']} bookings, max |deviation| "
            f"{verdict(s['max_abs_deviation'], 2)}, unconstrained "
            f"{verdict(s['max_abs_deviation_unconstrained'], 1)}, decisions only "
            f"{s['decisions_only_max_abs_deviation']:.2f} / "
            f"{s['decisions_only_max_abs_deviation_unconstrained']:.2f}, baselines "
            f"{s['baseline_least_recent']:.2f} / {s['baseline_share_of_all']:.2f} "
            f"({'beaten' if beaten else 'NOT beaten'}), longest run "
            f"{s['longest_same_org_run']}, {time.perf_counter() - began:.1f} s"
        )
    print(json.dumps({"choose_median_us": median, "choose_p99_us": p99, "simulations": runs}))
    return 0 if p99 < SPEED_TARGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
