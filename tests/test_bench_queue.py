"""The walk-in day's simulation (booking/bench/queue.py), kept short."""

from __future__ import annotations

import json

import pytest

from booking import queue
from booking.bench.__main__ import main
from booking.bench.queue import render, simulate


def test_a_short_day_is_deterministic_and_sane() -> None:
    first, second = simulate(seed=4, walk_ins=40), simulate(seed=4, walk_ins=40)
    assert render(first) == render(second)
    assert render(simulate(seed=5, walk_ins=40)) != render(first)
    # Every figure is there and a number (a None would fail here, by name, not in a comparison).
    s = {name: value for name, value in first.summary.items() if value is not None}
    assert s["arrivals"] == 40
    assert s["served"] <= s["called"] <= s["arrivals"]
    assert s["called"] + s["not_called"] == s["arrivals"]
    assert s["called"] >= 0.9 * s["arrivals"]  # a quiet day: nearly everyone is called
    assert s["unknown_estimates"] == 0  # every demo language and topic has a counsellor
    for figure in ("called_within_30_min", "inside_range"):
        assert 0 < s[figure] <= 1
    assert 0 <= s["median_wait_min"] <= s["p90_wait_min"] < 8 * 60
    assert 0 <= s["estimate_mae_min"] < 120
    for outcome in first.outcomes:
        if outcome.called is None:
            continue
        assert outcome.by is not None and queue.fits(outcome.visitor.ticket, outcome.by)
        assert outcome.visitor.arrived <= outcome.called
        assert outcome.estimate is not None and outcome.estimate.earliest >= outcome.visitor.arrived
    callers = [(o.by.counsellor_id, o.called) for o in first.outcomes if o.by and o.called]
    assert len(set(callers)) == len(callers), "nobody calls two tickets at once"


def test_the_command_ends_with_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queue", "--seed", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["seed"] == 2 and summary["arrivals"] > 0
    assert lines[1].split()[0] == "group" and lines[2].split()[0] == "all"
