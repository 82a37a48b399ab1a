"""The month's simulation of the fair allocation (booking/bench/balance.py), kept short."""

from __future__ import annotations

import json

import pytest

from booking.bench.__main__ import main
from booking.bench.balance import JOINING_ORGANISATION, render, simulate

KEYS = {
    "bookings",
    "max_abs_deviation",
    "max_abs_deviation_unconstrained",
    "longest_same_org_run",
    "baseline_least_recent",
    "baseline_share_of_all",
    "seed",
    "days",
    "lost_requests",
    "cancellations",
    "no_shows",
    "decisions_only_max_abs_deviation",
    "decisions_only_max_abs_deviation_unconstrained",
}


def test_a_short_run_is_deterministic_and_beats_the_baselines() -> None:
    # 16 days: two weeks and the Monday the new organisation starts.
    first, second = simulate(seed=3, days=16), simulate(seed=3, days=16)
    assert render(first) == render(second)
    summary = first.summary
    assert summary.keys() >= KEYS
    assert summary["bookings"] > 1000
    assert JOINING_ORGANISATION in {row.organisation for row in first.rows}
    assert summary["cancellations"] > 0 and summary["no_shows"] > 0
    for measured in ("max_abs_deviation", "max_abs_deviation_unconstrained"):
        assert summary[measured] < summary["baseline_least_recent"]
        assert summary[measured] < summary["baseline_share_of_all"]
    # The bounds hold for the decisions themselves. Cancellations and sessions moved
    # off a sick counsellor take sessions away from an organisation at once, which no rule can
    # undo at that moment, so the full figures are reported but not held to 1 and 2.
    assert summary["decisions_only_max_abs_deviation_unconstrained"] <= 1
    assert summary["decisions_only_max_abs_deviation"] <= 2


def test_the_command_ends_with_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["balance", "--seed", "2", "--days", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["seed"] == 2 and summary["days"] == 3
    assert lines[1].split()[0] == "organisation"
