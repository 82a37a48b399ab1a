"""What target weights mean as shares of the whole: pure functions for the fair-shares page.

A target weight is a relative number, not a percentage: an organisation's share is its weight
divided by the sum of all weights (booking/balance.py divides the same way among those
eligible for one session). So weights of 25, 30 and 57.6 are shares of 22.2 %, 26.6 % and
51.2 %, and the shares always add up to 100 %, however the weights were set.

Invariants (tests/test_shares.py): the shares add up to 100 (within float rounding) whenever
any weight is positive; the rounded shares add up to exactly 100 at the chosen decimals; each
rounded share differs from the exact one by less than one unit of the last decimal; a larger
weight never gets a smaller rounded share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def _weight(value: float) -> float:
    return value if value > 0 and math.isfinite(value) else 0.0  # as balance.py: none counts


def percent_shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Each key's share of the whole in percent; all 0 when no weight is positive."""
    own = {key: _weight(value) for key, value in weights.items()}
    total = math.fsum(own.values())
    if total <= 0:
        return dict.fromkeys(own, 0.0)
    return {key: 100 * value / total for key, value in own.items()}


def rounded_to_total(percents: Mapping[str, float], places: int = 1) -> dict[str, float]:
    """The percentages rounded to ``places`` decimals so that they still add up to their
    rounded total (100 for shares): largest remainder. Each is rounded down to the unit, and
    the units left over go to the largest remainders (ties: the larger value, then the key)."""
    unit = 10**places
    scaled = {key: value * unit for key, value in percents.items()}
    floors = {key: math.floor(value) for key, value in scaled.items()}
    left = round(math.fsum(scaled.values())) - sum(floors.values())
    order = sorted(scaled, key=lambda k: (-(scaled[k] - floors[k]), -scaled[k], k))
    for key in order[: max(0, left)]:
        floors[key] += 1
    return {key: round(floors[key] / unit, places) for key in percents}


def shown_shares(weights: Mapping[str, float], places: int = 1) -> dict[str, float]:
    """The shares as the page shows them: percent, ``places`` decimals, adding up to 100."""
    return rounded_to_total(percent_shares(weights), places)
