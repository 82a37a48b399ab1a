"""Properties and examples of the fair allocation's pure rules (booking/balance.py)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.balance import (
    LARGEST_SHORTFALL,
    ONLY_CANDIDATE,
    REQUESTED,
    TIE_BROKEN,
    Candidate,
    Tally,
    choose,
    default_weights,
    deviations,
    eligible_shares,
)

NINE = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CODES = ["awo", "caritas", "diakonie", "drk", "kargah", "lhh", "lmdr", "paritaet"]
EMPTY = Tally({}, {})


def candidate(cid: int, organisation: str, sessions: int = 0, free_minutes: int = 0) -> Candidate:
    """free_minutes: how long before 09:00 the counsellor has been free."""
    return Candidate(cid, organisation, sessions, NINE - timedelta(minutes=free_minutes))


weights_of = st.dictionaries(
    st.sampled_from(CODES), st.floats(0.1, 100), min_size=1, max_size=len(CODES)
)
hours_of = st.dictionaries(st.sampled_from(CODES), st.floats(0, 2000), max_size=len(CODES))


@st.composite
def candidate_lists(draw: st.DrawFn, organisations: Sequence[str] = CODES) -> list[Candidate]:
    """Up to 30 counsellors free for a session, in 1 to 8 organisations, with ids unique."""
    count = draw(st.integers(1, 30))
    return [
        Candidate(
            cid,
            draw(st.sampled_from(organisations)),
            draw(st.integers(0, 8)),
            NINE - timedelta(minutes=draw(st.integers(0, 60)) * 10),
        )
        for cid in range(count)
    ]


@st.composite
def tallies(draw: st.DrawFn) -> Tally:
    codes = draw(st.lists(st.sampled_from(CODES), unique=True))
    return Tally(
        {c: draw(st.floats(0, 500)) for c in codes}, {c: draw(st.integers(0, 500)) for c in codes}
    )


# --- shares and weights ---------------------------------------------------------------------


@given(st.dictionaries(st.sampled_from(CODES), st.floats(0, 100)), st.sets(st.sampled_from(CODES)))
def test_eligible_shares_add_up_to_one(weights: dict[str, float], eligible: set[str]) -> None:
    shares = eligible_shares(weights, eligible)
    assert set(shares) == eligible
    assert all(0 <= s <= 1 for s in shares.values())
    if eligible:
        assert sum(shares.values()) == pytest.approx(1)


def test_eligible_shares_of_missing_zero_and_all_zero_weights() -> None:
    assert eligible_shares({"awo": 3, "drk": 1}, ["awo", "drk", "lhh"]) == {
        "awo": 0.75,
        "drk": 0.25,
        "lhh": 0.0,
    }
    assert eligible_shares({"awo": 0, "drk": -2}, ["awo", "drk"]) == {"awo": 0.5, "drk": 0.5}
    assert eligible_shares({"awo": 1, "drk": -1, "lhh": 3}, ["awo", "drk", "lhh"]) == {
        "awo": 0.25,
        "drk": 0.0,
        "lhh": 0.75,
    }
    assert eligible_shares({"awo": 1}, []) == {}


@given(hours_of, st.floats(0, 1))
def test_default_weights_add_up_to_100(hours: dict[str, float], base_part: float) -> None:
    weights = default_weights(hours, base_part)
    assert set(weights) == {code for code, h in hours.items() if h > 0}
    assert all(w > 0 for w in weights.values()) or base_part == 0
    if weights:
        assert sum(weights.values()) == pytest.approx(100)


def test_default_weights_are_a_base_part_plus_hours() -> None:
    weights = default_weights({"awo": 30, "drk": 10, "lhh": 0}, 0.3)
    assert weights == pytest.approx({"awo": 15 + 52.5, "drk": 15 + 17.5})
    assert default_weights({}) == {}
    assert default_weights({"awo": 0}) == {}


# Floats: a weight computed from more hours may come out an ulp or so lower.
ROUNDING = 1e-9


@given(hours_of, st.sampled_from(CODES), st.floats(0.5, 500), st.sets(st.sampled_from(CODES)))
def test_more_hours_never_lower_the_weight_nor_the_share(
    hours: dict[str, float], code: str, more: float, others: set[str]
) -> None:
    more_hours = {**hours, code: hours.get(code, 0) + more}
    before, after = default_weights(hours), default_weights(more_hours)
    assert after[code] >= before.get(code, 0) - ROUNDING
    eligible = others | {code}
    share_before = eligible_shares(before, eligible)[code]
    assert eligible_shares(after, eligible)[code] >= share_before - ROUNDING


def test_deviations_cover_both_mappings() -> None:
    tally = Tally({"awo": 2.5, "drk": 1.0}, {"awo": 3, "lhh": 1})
    assert deviations(tally) == {"awo": 0.5, "drk": -1.0, "lhh": 1.0}


# --- one decision -----------------------------------------------------------------------------


@given(candidate_lists(), weights_of, tallies(), st.data())
def test_the_chosen_counsellor_is_a_free_candidate(
    pool: list[Candidate], weights: dict[str, float], tally: Tally, data: st.DataObject
) -> None:
    # Busy counsellors (and those without the language or topic) are left out by the caller.
    busy = data.draw(st.sets(st.sampled_from([c.counsellor_id for c in pool])))
    free = [c for c in pool if c.counsellor_id not in busy]
    if not free:
        return
    decision = choose(free, weights, tally)
    assert decision.counsellor_id not in busy
    chosen = next(c for c in free if c.counsellor_id == decision.counsellor_id)
    assert chosen.organisation == decision.organisation
    assert decision.candidates[0] == chosen
    assert {c.organisation for c in decision.candidates} == {decision.organisation}
    assert {s.organisation for s in decision.standings} == {c.organisation for c in free}
    assert decision.standings[0].organisation == decision.organisation
    assert sum(decision.shares.values()) == pytest.approx(1)


@given(candidate_lists(), weights_of, tallies(), st.data())
def test_a_requested_organisation_is_the_only_one(
    found: list[Candidate], weights: dict[str, float], tally: Tally, data: st.DataObject
) -> None:
    requested = data.draw(st.sampled_from(sorted({c.organisation for c in found})))
    decision = choose(found, weights, tally, requested=requested)
    assert decision.organisation == requested
    assert decision.rule == REQUESTED
    assert decision.shares == {requested: 1.0}
    assert decision.counsellor_id in {c.counsellor_id for c in found if c.organisation == requested}


@given(candidate_lists(), weights_of, tallies(), st.randoms(use_true_random=False))
def test_the_order_of_the_inputs_does_not_matter(
    found: list[Candidate], weights: dict[str, float], tally: Tally, rng: random.Random
) -> None:
    def shuffled_dict(mapping: dict[str, float]) -> dict[str, float]:
        keys = list(mapping)
        rng.shuffle(keys)
        return {k: mapping[k] for k in keys}

    shuffled = list(found)
    rng.shuffle(shuffled)
    other_tally = Tally(
        shuffled_dict(dict(tally.entitlement)), dict(reversed(list(tally.actual.items())))
    )
    assert choose(shuffled, shuffled_dict(weights), other_tally) == choose(found, weights, tally)


@given(candidate_lists(), weights_of, tallies(), st.sampled_from(CODES))
def test_more_capacity_never_lowers_the_share(
    found: list[Candidate], weights: dict[str, float], tally: Tally, code: str
) -> None:
    more = [*found, candidate(len(found), code, sessions=3)]
    before = choose(found, weights, tally).shares.get(code, 0.0)
    assert choose(more, weights, tally).shares[code] >= before


def test_the_largest_shortfall_wins() -> None:
    weights = {"awo": 1, "drk": 1, "lhh": 2}
    tally = Tally({"awo": 5.0, "drk": 5.0, "lhh": 10.0}, {"awo": 4, "drk": 6, "lhh": 10})
    decision = choose(
        [candidate(1, "lhh"), candidate(2, "drk"), candidate(3, "awo")], weights, tally
    )
    assert (decision.organisation, decision.counsellor_id) == ("awo", 3)
    assert decision.rule == LARGEST_SHORTFALL
    assert [s.organisation for s in decision.standings] == ["awo", "lhh", "drk"]
    awo = decision.standings[0]
    assert (awo.weight, awo.share, awo.entitlement, awo.actual) == (1, 0.25, 5.0, 4)
    assert awo.shortfall == pytest.approx(1.25)


def test_equal_shortfalls_go_to_the_larger_weight_then_the_code() -> None:
    # Shares 0.25 and 0.75; both then 1 session short.
    tally = Tally({"awo": 0.75, "drk": 0.25}, {})
    found = [candidate(1, "awo"), candidate(2, "drk")]
    decision = choose(found, {"awo": 1, "drk": 3}, tally)
    assert (decision.organisation, decision.rule) == ("drk", TIE_BROKEN)
    decision = choose(found, {"awo": 2, "drk": 2}, EMPTY)
    assert (decision.organisation, decision.rule) == ("awo", TIE_BROKEN)
    # A difference far below a thousandth of a session is float noise, not a shortfall.
    nearly = Tally({"awo": 0.3, "drk": 0.3 + 1e-12}, {})
    decision = choose(found, {"awo": 1, "drk": 1}, nearly)
    assert (decision.organisation, decision.rule) == ("awo", TIE_BROKEN)
    assert [s.organisation for s in decision.standings] == ["awo", "drk"]


def test_one_eligible_organisation_is_the_only_candidate() -> None:
    decision = choose([candidate(4, "drk"), candidate(2, "drk")], {"awo": 50}, EMPTY)
    assert (decision.organisation, decision.rule, decision.counsellor_id) == (
        "drk",
        ONLY_CANDIDATE,
        2,
    )
    assert decision.shares == {"drk": 1.0}


def test_a_request_beats_the_shortfall() -> None:
    tally = Tally({"awo": 0.0, "drk": 9.0}, {"awo": 5, "drk": 0})
    found = [candidate(1, "awo"), candidate(2, "drk"), candidate(3, "drk")]
    decision = choose(found, {"awo": 1, "drk": 1}, tally, requested="awo")
    assert (decision.organisation, decision.rule, decision.counsellor_id) == ("awo", REQUESTED, 1)
    assert [(s.organisation, s.share) for s in decision.standings] == [("awo", 1.0)]


def test_within_the_organisation_fewest_sessions_then_free_longest_then_lowest_id() -> None:
    found = [
        candidate(1, "awo", sessions=3, free_minutes=90),
        candidate(2, "awo", sessions=1, free_minutes=0),
        candidate(3, "awo", sessions=1, free_minutes=40),
        candidate(4, "awo", sessions=1, free_minutes=40),
        candidate(5, "drk", sessions=0, free_minutes=300),
    ]
    decision = choose(found, {"awo": 9, "drk": 1}, EMPTY)
    assert [c.counsellor_id for c in decision.candidates] == [3, 4, 2, 1]
    assert decision.counsellor_id == 3


# --- sequences of decisions: the deviation bound ---------------------------------------------


def play(
    weights: dict[str, float], eligible: Callable[[int], list[str]], steps: int
) -> tuple[float, float]:
    """Assign ``steps`` sessions, each among the organisations ``eligible(step)`` (one free
    counsellor each); the largest |deviation| and the largest over-service seen."""
    entitlement: dict[str, float] = {}
    actual: dict[str, int] = {}
    worst = over = 0.0
    for step in range(steps):
        found = [candidate(n, code) for n, code in enumerate(eligible(step))]
        decision = choose(found, weights, Tally(entitlement, actual))
        for code, share in decision.shares.items():
            entitlement[code] = entitlement.get(code, 0.0) + share
        actual[decision.organisation] = actual.get(decision.organisation, 0) + 1
        for deviation in deviations(Tally(entitlement, actual)).values():
            worst, over = max(worst, abs(deviation)), max(over, deviation)
    return worst, over


# When every organisation is always eligible, no organisation is ever a whole session ahead:
# the shortfalls of one assignment add up to 1 (the deviations to 0), so the largest is
# positive, and the chosen organisation ends less than 1 ahead; the others only gain.
# Behind, the largest-shortfall rule stays within 1 only in part: with 2 or 3 organisations
# (any weights; searched worst 0.83) and with 8 whose hours differ by up to a factor 2, as in
# the demo (worst found 0.92). Skewed weights go beyond: 4 organisations weighted 26.5, 711.7,
# 1.28 and 711.7 reach 1.04, and 8 with hours of 1000, 1000, 1000, 3 and 1 (five of them)
# reach 1.16.
@given(weights_of, st.integers(20, 150))
def test_always_eligible_never_a_whole_session_ahead(weights: dict[str, float], steps: int) -> None:
    _, over = play(weights, lambda _: list(weights), steps)
    assert over < 1


@given(
    st.dictionaries(st.sampled_from(CODES), st.floats(0.1, 100), min_size=2, max_size=3),
    st.integers(20, 150),
)
def test_always_eligible_two_or_three_stay_within_one(
    weights: dict[str, float], steps: int
) -> None:
    worst, _ = play(weights, lambda _: list(weights), steps)
    assert worst < 1


@given(
    st.dictionaries(st.sampled_from(CODES), st.floats(1, 2), min_size=2, max_size=8),
    st.integers(20, 150),
)
def test_always_eligible_with_the_demos_spread_of_hours_within_one(
    hours: dict[str, float], steps: int
) -> None:
    weights = default_weights(hours)
    worst, _ = play(weights, lambda _: list(weights), steps)
    assert worst < 1


# Random eligibility (each organisation free with the same chance at every assignment, 2 to 8
# organisations, any weights): 60,000 random sequences of 300 assignments stayed within 1.35.
# There is no proof: a share is only owed while an organisation is eligible, but if the
# eligible ones are all ahead, the chosen one goes further ahead; a searched, adversarial
# choice of eligible sets reached 1.87 with 5 organisations and 2.6 with 8.
@settings(max_examples=50)
@given(weights_of, st.floats(0.2, 0.9), st.randoms(use_true_random=False))
def test_random_eligibility_stays_within_two(
    weights: dict[str, float], chance: float, rng: random.Random
) -> None:
    codes = sorted(weights)

    def eligible(_: int) -> list[str]:
        return [c for c in codes if rng.random() < chance] or [rng.choice(codes)]

    worst, _ = play(weights, eligible, 120)
    assert worst <= 2
