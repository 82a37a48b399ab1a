"""Fair shares of the sessions across the organisations: the pure rules (issue 4).

Fairness is measured on the chances an organisation had. For every assignment, each eligible
organisation (one with a free counsellor who speaks the language and covers the topic) is
entitled to its weight divided by the sum of the weights of the eligible organisations. An
organisation's entitlement is the sum of those shares over the period (a calendar month at one
location); its deviation is what it actually got minus its entitlement. An assignment goes to
the eligible organisation with the largest shortfall (entitlement, this assignment's share
included, minus actual); within it, to the counsellor with the fewest sessions that day, then
the one free the longest.

Everything here is a pure function over plain data; the clock is never read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

# The rules that can decide an assignment; stored with every booking.
ONLY_CANDIDATE = "only_candidate"  # one eligible organisation
LARGEST_SHORTFALL = "largest_shortfall"
TIE_BROKEN = "tie_broken"  # equal shortfalls: larger weight, then organisation code
REQUESTED = "requested_organisation"  # the applicant asked for one organisation

DEFAULT_BASE_PART = 0.30


@dataclass(frozen=True)
class Candidate:
    """A counsellor free for the session."""

    counsellor_id: int
    organisation: str  # organisation code
    sessions_today: int
    free_since: datetime  # end of their last session before this one today, else shift start


@dataclass(frozen=True)
class Tally:
    """The period so far (calendar month, one location), recomputed from stored facts."""

    entitlement: Mapping[str, float]  # organisation code -> sum of shares
    actual: Mapping[str, int]  # organisation code -> sessions delivered or booked


@dataclass(frozen=True)
class Standing:
    """One eligible organisation at the moment of a decision (what the admin sees)."""

    organisation: str
    weight: float
    share: float  # of this assignment: weight / sum of the eligible weights
    entitlement: float  # before this assignment
    actual: int  # before this assignment
    shortfall: float  # entitlement + share - actual


@dataclass(frozen=True)
class Decision:
    counsellor_id: int
    organisation: str
    rule: str
    standings: tuple[Standing, ...]  # every eligible organisation, largest shortfall first
    candidates: tuple[Candidate, ...]  # the chosen organisation's counsellors, best first

    @property
    def shares(self) -> dict[str, float]:
        """What each eligible organisation is entitled to from this assignment."""
        return {s.organisation: s.share for s in self.standings}


# Exactly-equal shortfalls are rare with float weights; sums of shares drift by a few ulps, so
# "equal" means within this much (far below the 1/1000 of a session anyone could see).
TIE_EPSILON = 1e-9


def _weight(weights: Mapping[str, float], organisation: str) -> float:
    value = weights.get(organisation, 0.0)
    assert not math.isinf(value), f"weight of {organisation} is infinite"
    return value if value > 0 else 0.0  # missing, zero, negative and NaN all count as none


def eligible_shares(weights: Mapping[str, float], eligible: Iterable[str]) -> dict[str, float]:
    """Each eligible organisation's share of one assignment; the shares add up to 1.

    An organisation missing from ``weights`` has weight 0. If every eligible weight is 0, the
    shares are equal.
    """
    # fsum is exactly rounded, so no share depends on the input order; sorted for the output.
    codes = sorted(set(eligible))
    if not codes:
        return {}
    own = [_weight(weights, code) for code in codes]
    total = math.fsum(own)
    if total <= 0:
        return dict.fromkeys(codes, 1 / len(codes))
    return {code: w / total for code, w in zip(codes, own, strict=True)}


def best_first(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """The order within an organisation: fewest sessions that day, then free the longest
    (earliest ``free_since``), then the lowest counsellor id."""
    return tuple(
        sorted(
            candidates,
            key=lambda c: (c.sessions_today, c.free_since, c.counsellor_id, c.organisation),
        )
    )


def _ranked(standings: list[Standing]) -> list[Standing]:
    """Largest shortfall first; shortfalls within TIE_EPSILON of the first of their group are
    tied and ordered by larger weight, then organisation code."""
    by_shortfall = sorted(standings, key=lambda s: (-s.shortfall, -s.weight, s.organisation))
    ranked: list[Standing] = []
    start = 0
    while start < len(by_shortfall):
        top = by_shortfall[start].shortfall
        end = start + 1
        while end < len(by_shortfall) and top - by_shortfall[end].shortfall <= TIE_EPSILON:
            end += 1
        ranked.extend(sorted(by_shortfall[start:end], key=lambda s: (-s.weight, s.organisation)))
        start = end
    return ranked


def choose(
    candidates: Sequence[Candidate],
    weights: Mapping[str, float],
    tally: Tally,
    *,
    requested: str | None = None,
) -> Decision:
    """The counsellor for one session, and why.

    ``candidates`` are the counsellors free for the session (non-empty). With ``requested``,
    only that organisation's counsellors count (the caller has checked there is one), it is
    the only eligible organisation (share 1) and the rule is REQUESTED.

    The decision depends only on the set of candidates, never on their order; it always names
    one of the candidates (of ``requested``, if given).
    """
    if requested is not None:
        candidates = [c for c in candidates if c.organisation == requested]
        assert candidates, f"no candidate of the requested organisation {requested}"
    assert candidates, "choose needs at least one candidate"
    by_organisation: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_organisation.setdefault(candidate.organisation, []).append(candidate)
    shares = eligible_shares(weights, by_organisation)
    standings = []
    for code, share in shares.items():
        entitlement = tally.entitlement.get(code, 0.0)
        actual = tally.actual.get(code, 0)
        standings.append(
            Standing(
                organisation=code,
                weight=_weight(weights, code),
                share=share,
                entitlement=entitlement,
                actual=actual,
                shortfall=entitlement + share - actual,
            )
        )
    ranked = _ranked(standings)
    chosen = ranked[0]
    if requested is not None:
        rule = REQUESTED
    elif len(ranked) == 1:
        rule = ONLY_CANDIDATE
    elif chosen.shortfall - ranked[1].shortfall <= TIE_EPSILON:
        rule = TIE_BROKEN
    else:
        rule = LARGEST_SHORTFALL
    order = best_first(by_organisation[chosen.organisation])
    return Decision(
        counsellor_id=order[0].counsellor_id,
        organisation=chosen.organisation,
        rule=rule,
        standings=tuple(ranked),
        candidates=order,
    )


def default_weights(
    hours: Mapping[str, float], base_part: float = DEFAULT_BASE_PART
) -> dict[str, float]:
    """Target weights as percentages adding up to 100: ``base_part`` shared equally among the
    participating organisations (those with hours > 0), the rest in proportion to the
    counsellor hours each staffs in the month's plan."""
    assert 0 <= base_part <= 1, f"base_part is a fraction between 0 and 1, not {base_part}"
    staffed = {code: h for code, h in sorted(hours.items()) if h > 0}
    if not staffed:
        return {}
    total = math.fsum(staffed.values())
    base = base_part * 100 / len(staffed)
    return {code: base + (1 - base_part) * 100 * (h / total) for code, h in staffed.items()}


def deviations(tally: Tally) -> dict[str, float]:
    """Actual minus entitlement, per organisation in either mapping."""
    codes = sorted(set(tally.entitlement) | set(tally.actual))
    return {c: tally.actual.get(c, 0) - tally.entitlement.get(c, 0.0) for c in codes}
