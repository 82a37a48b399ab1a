"""Reading what an applicant typed (booking/applicant.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from booking.applicant import read_choice, read_contact, read_start
from tests.support.addresses import UNSENDABLE

GOOD = {"name": "Amina Yılmaz", "email": "amina@example.org", "phone": "", "consent": "on"}


def test_good_contact() -> None:
    contact, errors = read_contact({**GOOD, "name": "  Amina   Yılmaz "})
    assert errors == {} and contact is not None and contact.name == "Amina Yılmaz"


def test_names_in_any_script() -> None:
    for name in ("محمد الأحمد", "Олена Коваленко", "ሰምሃር ተስፋይ"):
        assert read_contact({**GOOD, "name": name})[1] == {}


def test_each_problem_is_named() -> None:
    _, errors = read_contact(
        {"name": "<b>x</b>", "email": "a@b", "phone": "call me", "consent": "no"}
    )
    assert errors == {
        "name": "name_chars",
        "email": "email_invalid",
        "phone": "phone_invalid",
        "consent": "consent_required",
    }
    _, errors = read_contact({})
    assert errors == {
        "name": "name_required",
        "email": "email_required",
        "consent": "consent_required",
    }


def test_choice() -> None:
    choice, errors = read_choice({"topic": "housing", "language": "FA-af"})
    assert errors == {} and choice is not None and choice.language == "fa-AF"
    assert set(read_choice({"topic": "x", "language": "!!"})[1]) == {"topic", "language"}


def test_start_needs_an_offset() -> None:
    assert read_start({"start": "2026-11-23T10:00:00+01:00"})[0] is not None
    assert read_start({"start": "2026-11-23T10:00:00"})[1] == {"start": "choose_time"}


@given(
    st.dictionaries(
        st.text(max_size=10),
        st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.lists(st.integers())),
    )
)
def test_any_input_gives_a_result_or_field_errors(data: dict[str, object]) -> None:
    for reader in (read_contact, read_choice, read_start):
        value, errors = reader(data)
        assert (value is None) == bool(errors)


def test_addresses_that_sending_refuses_are_refused_on_input() -> None:
    for address in UNSENDABLE:
        assert read_contact({**GOOD, "email": address})[1] == {"email": "email_invalid"}, address
    for address in ("amina+1@example.org", "a.b@müller.de", "A_B-c@sub.example.org"):
        assert read_contact({**GOOD, "email": address})[1] == {}, address
