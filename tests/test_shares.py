"""Target weights as shares of 100 % (booking/shares.py): the examples the page met, and the
properties."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from booking.shares import percent_shares, rounded_to_total, shown_shares

WEIGHTS = st.dictionaries(
    st.sampled_from(["awo", "caritas", "diakonie", "drk", "kargah", "lhh", "paritaet"]),
    st.floats(min_value=0, max_value=1000, allow_nan=False),
    min_size=1,
)


def test_drk_set_to_25_still_adds_up_to_100() -> None:
    """The page summed the weights to 112.6 % after DRK was set to 25; the shares are 100."""
    weights = {"awo": 20.8, "caritas": 25.4, "diakonie": 20.8, "drk": 25.0, "kargah": 20.6}
    assert round(sum(weights.values()), 1) == 112.6
    shares = shown_shares(weights)
    assert round(sum(shares.values()), 1) == 100.0
    assert shares["drk"] == 22.2  # 25 / 112.6


def test_no_positive_weight_is_no_share() -> None:
    assert percent_shares({"awo": 0.0, "drk": -3.0}) == {"awo": 0.0, "drk": 0.0}
    assert shown_shares({}) == {}


def test_three_thirds_round_to_100() -> None:
    assert sorted(shown_shares({"a": 1, "b": 1, "c": 1}).values()) == [33.3, 33.3, 33.4]
    assert sum(shown_shares({"a": 1, "b": 1, "c": 1}, places=0).values()) == 100


@given(WEIGHTS)
def test_the_shares_add_up_to_100(weights: dict[str, float]) -> None:
    shares = percent_shares(weights)
    if any(w > 0 for w in weights.values()):
        assert math.isclose(math.fsum(shares.values()), 100, abs_tol=1e-9)
    else:
        assert set(shares.values()) == {0.0}


@given(WEIGHTS, st.integers(min_value=0, max_value=2))
def test_the_rounded_shares_add_up_and_stay_close(weights: dict[str, float], places: int) -> None:
    exact = percent_shares(weights)
    shown = rounded_to_total(exact, places)
    unit = 10**places
    total = round(sum(v * unit for v in shown.values()))
    assert total == (100 * unit if any(w > 0 for w in weights.values()) else 0)
    for key, value in shown.items():
        assert abs(value - exact[key]) < 1 / unit + 1e-9
    for a in shown:
        for b in shown:
            if exact[a] > exact[b]:
                assert shown[a] >= shown[b]
