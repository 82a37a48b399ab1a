"""The office's signed link (integrations/office_link.py)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.office_link import LinkError, make_link, sign, verify

SECRET = "a-test-secret-of-some-length"
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def link_params(**overrides: object) -> dict[str, object]:
    start = datetime.fromisoformat("2026-11-24T10:00:00+01:00")
    url = make_link(
        "http://x",
        SECRET,
        ref="ABH-1",
        start=start,
        duration_minutes=30,
        location="hsc",
        expires=NOW + timedelta(days=1),
    )
    params: dict[str, object] = dict(parse_qsl(urlsplit(url).query))
    params.update(overrides)
    return params


def test_the_signature_is_the_documented_hmac() -> None:
    params = link_params()
    message = "|".join(str(params[k]) for k in ("ref", "start", "duration", "location", "expires"))
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert params["sig"] == expected
    assert "%2B01%3A00" in make_link(
        "http://x",
        SECRET,
        ref="r",
        start=datetime.fromisoformat("2026-11-24T10:00:00+01:00"),
        duration_minutes=30,
        location="hsc",
        expires=NOW,
    )


def test_a_good_link_reads_back() -> None:
    link = verify(link_params(), SECRET, NOW)
    assert link.ref == "ABH-1" and link.location == "hsc"
    assert link.start == datetime.fromisoformat("2026-11-24T10:00:00+01:00")
    assert link.end - link.start == timedelta(minutes=30)


def test_uppercase_hex_is_accepted() -> None:
    params = link_params()
    params["sig"] = str(params["sig"]).upper()
    verify(params, SECRET, NOW)


@pytest.mark.parametrize("field", ["ref", "start", "duration", "location", "expires"])
def test_any_changed_value_breaks_the_signature(field: str) -> None:
    params = link_params()
    params[field] = str(params[field]) + "0"
    with pytest.raises(LinkError) as error:
        verify(params, SECRET, NOW)
    assert error.value.code == "bad_signature"


def test_a_plus_decoded_as_space_breaks_the_signature() -> None:
    # What happens when the office forgets to write %2B: the + arrives as a space.
    params = link_params()
    params["start"] = str(params["start"]).replace("+", " ")
    with pytest.raises(LinkError, match="bad_signature"):
        verify(params, SECRET, NOW)


def test_expired() -> None:
    with pytest.raises(LinkError, match="expired"):
        verify(link_params(), SECRET, NOW + timedelta(days=2))


def test_numbers_in_json_are_signed_in_decimal() -> None:
    params = link_params()
    params["duration"] = int(str(params["duration"]))
    params["expires"] = int(str(params["expires"]))
    verify(params, SECRET, NOW)
    params["duration"] = True  # a boolean is no number here
    with pytest.raises(LinkError):
        verify(params, SECRET, NOW)


def test_signed_but_unreadable_values_are_invalid() -> None:
    values = {
        "ref": "r",
        "start": "tomorrow",
        "duration": "30",
        "location": "hsc",
        "expires": str(int((NOW + timedelta(days=1)).timestamp())),
    }
    with pytest.raises(LinkError, match="invalid"):
        verify({**values, "sig": sign(values, SECRET)}, SECRET, NOW)
    naive = {**values, "start": "2026-11-24T10:00:00"}
    with pytest.raises(LinkError, match="invalid"):
        verify({**naive, "sig": sign(naive, SECRET)}, SECRET, NOW)


@given(
    st.dictionaries(
        st.sampled_from(["ref", "start", "duration", "location", "expires", "sig"]),
        st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans()),
    )
)
def test_any_input_gives_a_link_or_a_link_error(params: dict[str, object]) -> None:
    try:
        verify(params, SECRET, NOW)
    except LinkError as error:
        assert error.code in {"bad_signature", "expired", "invalid"}
