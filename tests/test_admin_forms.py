"""Reading the administration forms (booking/admin_forms.py): pure, properties and examples."""

from __future__ import annotations

import math
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from booking import admin_forms as forms
from booking.vocabulary import TOPICS

TODAY = date(2026, 11, 23)
minutes = st.integers(min_value=0, max_value=forms.LAST_MINUTE)


@given(minutes)
def test_clock_times_read_back_what_was_written(minute: int) -> None:
    assert forms.parse_clock(forms.format_clock(minute)) == minute


@given(st.text(max_size=12))
def test_any_text_is_a_time_of_day_or_none(value: str) -> None:
    minute = forms.parse_clock(value)
    assert minute is None or 0 <= minute <= forms.LAST_MINUTE


def test_clock_examples() -> None:
    assert forms.parse_clock("8") == 480 and forms.parse_clock("8.30") == 510
    for bad in ("24:00", "23:60", "-1:00", "8:5", "٨:٣٠", "", "noon"):
        assert forms.parse_clock(bad) is None, bad


@st.composite
def disjoint_intervals(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (touching allowed) intervals, built from sorted cut points."""
    points = sorted(draw(st.sets(minutes, max_size=8)))
    pairs = list(zip(points[::2], points[1::2], strict=False))
    return [(a, b) for a, b in pairs if a < b]


@given(disjoint_intervals())
def test_opening_hours_read_back_what_was_written(intervals: list[tuple[int, int]]) -> None:
    assert forms.parse_intervals(forms.format_intervals(intervals)) == (intervals, None)


@given(st.lists(st.tuples(minutes, minutes).map(sorted).filter(lambda p: p[0] < p[1]), max_size=5))
def test_overlapping_opening_hours_are_refused(pairs: list[list[int]]) -> None:
    intervals = [(a, b) for a, b in pairs]
    text = ", ".join(f"{forms.format_clock(a)}-{forms.format_clock(b)}" for a, b in intervals)
    parsed, problem = forms.parse_intervals(text)
    if forms.overlapping(intervals):
        assert (parsed, problem) == (None, "hours_overlap")
    else:
        assert parsed == sorted(intervals) and problem is None


@given(st.text(max_size=40))
def test_any_text_in_an_opening_hours_field_is_read_or_refused(value: str) -> None:
    parsed, problem = forms.parse_intervals(value)
    assert (parsed is None) == (problem is not None)
    for opens, closes in parsed or []:
        assert 0 <= opens < closes <= forms.LAST_MINUTE


def test_opening_hours_examples() -> None:
    assert forms.parse_intervals("08:00–12:00; 13:00 - 16:00") == ([(480, 720), (780, 960)], None)
    assert forms.parse_intervals("08:00-12:00, 12:00-16:00")[1] is None  # touching is fine
    assert forms.parse_intervals("09-12, 08-10") == (None, "hours_overlap")
    assert forms.parse_intervals("12-12") == (None, "hours_order")
    assert forms.parse_intervals("8 to 12") == (None, "hours_invalid")
    hours, errors = forms.read_opening_hours({"hours-0": "8-12", "hours-3": "x"})
    assert hours is None and errors == {"hours-3": "hours_invalid"}
    hours, errors = forms.read_opening_hours({"hours-0": "8-12"})
    assert errors == {} and hours == {0: [(480, 720)], **{d: [] for d in range(1, 7)}}


LOCATION = {
    "name": "Service Center",
    "address": "Hamburger Allee 25",
    "code": "hsc",
    "timezone": "Europe/Berlin",
    "session_minutes": "30",
    "buffer_minutes": "10",
    "window_minutes": "120",
    "notice_minutes": "60",
    "holiday_subdivision": "NI",
}


def test_a_location_is_read() -> None:
    form, errors = forms.read_location(LOCATION)
    assert errors == {} and form is not None
    assert (form.session_minutes, form.window_minutes, form.holiday_subdivision) == (30, 120, "NI")


@given(
    st.integers(min_value=5, max_value=240),
    st.integers(min_value=0, max_value=240),
    st.integers(min_value=0, max_value=720),
)
def test_the_window_holds_a_session_and_its_buffer(session: int, buffer: int, window: int) -> None:
    data = {
        **LOCATION,
        "session_minutes": str(session),
        "buffer_minutes": str(buffer),
        "window_minutes": str(window),
    }
    form, errors = forms.read_location(data)
    assert (form is not None) == (window >= session + buffer)
    if form is None:
        assert errors == {"window_minutes": "window_too_small"}


@given(st.dictionaries(st.sampled_from(sorted(LOCATION)), st.text(max_size=20)))
def test_any_location_form_is_read_or_refused_per_field(changes: dict[str, str]) -> None:
    form, errors = forms.read_location({**LOCATION, **changes})
    assert (form is None) == bool(errors)
    assert set(errors) <= set(LOCATION)
    assert all(code in forms.MESSAGES for code in errors.values())


def test_time_zones_are_checked_without_touching_files() -> None:
    for zone in ("Mars/Olympus", "../etc/localtime", "/etc/localtime", "Europe/Berlin/x", ""):
        assert forms.read_location({**LOCATION, "timezone": zone})[1] == {
            "timezone": "timezone_invalid"
        }


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=9999))
def test_weights_read_with_a_comma_or_a_point(whole: int, fraction: int) -> None:
    text = f"{whole}.{fraction:04d}"
    weight, ok = forms.parse_weight(text.replace(".", ","))
    assert ok == (whole + fraction / 10_000 <= 1000)
    if ok:
        assert weight is not None and math.isclose(weight, float(text))


def test_weight_examples() -> None:
    assert forms.parse_weight("") == (None, True)
    for bad in ("-1", "1e3", "nan", "inf", "1.2.3", "١"):
        assert forms.parse_weight(bad) == (None, False), bad


@given(st.lists(st.sampled_from(["de", "DE", "fa-af", "ar", "uk", "sr-Latn", "en-gb"]), min_size=1))
def test_languages_are_normalised_and_deduplicated(codes: list[str]) -> None:
    parsed = forms.parse_languages(", ".join(codes))
    assert parsed is not None and len(parsed) == len(set(parsed))
    assert forms.parse_languages(", ".join(parsed)) == parsed  # idempotent
    assert "fa-AF" in parsed or "fa-af" not in codes


COUNSELLOR = {
    "display_name": "Aylin K.",
    "organisation": "2",
    "languages": "de, tr",
    "email": "aylin@lhh.example.org",
}


def test_a_counsellor_is_read() -> None:
    form, errors = forms.read_counsellor(COUNSELLOR, ["work", "forms", "nonsense"], {2})
    assert errors == {} and form is not None
    assert form.topics == ("forms", "work")  # in the order of TOPICS, unknown ones dropped
    assert form.languages == ("de", "tr")
    assert forms.read_counsellor({**COUNSELLOR, "email": ""}, ["forms"], {2})[1] == {}


def test_counsellor_examples() -> None:
    for name in ("Anna-Lena M.", "Şirin Ö.", "Jean-Luc D'A. B.", "Мария К."):
        assert forms.read_counsellor({**COUNSELLOR, "display_name": name}, ["forms"], {2})[1] == {}
    for name in ("Aylin Kaya", "K.", "", " Aylin K.x"):
        errors = forms.read_counsellor({**COUNSELLOR, "display_name": name}, ["forms"], {2})[1]
        assert errors == {"display_name": "display_name_invalid"}, name
    _, errors = forms.read_counsellor({**COUNSELLOR, "organisation": "3"}, [], {2})
    assert errors == {"organisation": "organisation_invalid", "topics": "topics_required"}
    assert set(TOPICS) >= {"forms", "work"}


BLOCK = {"weekday": "0", "starts": "08:00", "ends": "12:00", "location": "1", "room": "5"}


@given(st.lists(st.tuples(st.integers(0, 6), minutes, minutes), max_size=6), minutes, minutes)
def test_a_block_never_overlaps_the_others_of_its_weekday(
    others: list[tuple[int, int, int]], starts: int, ends: int
) -> None:
    data = {**BLOCK, "starts": forms.format_clock(starts), "ends": forms.format_clock(ends)}
    form, errors = forms.read_block(data, {1}, {5: 1}, others)
    if starts >= ends:
        assert errors == {"ends": "time_order"}
        return
    clash = any(day == 0 and s < ends and starts < e for day, s, e in others)
    assert (form is None) == clash
    if clash:
        assert errors == {"starts": "shift_overlap"}
    else:
        assert form == forms.BlockForm(0, starts, ends, 1, 5)


def test_block_examples() -> None:
    assert forms.read_block({**BLOCK, "room": "6"}, {1}, {5: 1, 6: 2})[1] == {
        "room": "room_invalid"
    }
    assert forms.read_block({**BLOCK, "room": ""}, {1}, {})[0] == forms.BlockForm(
        0, 480, 720, 1, None
    )
    _, errors = forms.read_block({"weekday": "x"}, {1}, {})
    assert errors == {
        "weekday": "weekday_invalid",
        "starts": "time_invalid",
        "ends": "time_invalid",
        "location": "location_invalid",
    }


def test_exception_examples() -> None:
    read = forms.read_exception
    absence = {"kind": "absence", "day": "2026-11-24", "note": "Leave"}
    form, errors = read(absence, TODAY, {1}, {})
    assert errors == {} and form == forms.ExceptionForm(
        date(2026, 11, 24), "absence", None, None, None, None, "Leave"
    )
    form, _ = read({**absence, "starts": "10:00", "ends": "12:00", "location": "1"}, TODAY, {1}, {})
    assert form is not None and (form.starts, form.ends, form.location_id) == (600, 720, 1)
    extra = {"kind": "extra", "day": "2026-11-28", "starts": "9", "ends": "12", "location": "1"}
    assert read(extra, TODAY, {1}, {})[1] == {}
    assert read({**extra, "location": ""}, TODAY, {1}, {})[1] == {"location": "extra_location"}
    assert read({**extra, "ends": ""}, TODAY, {1}, {})[1] == {"starts": "extra_times"}
    assert read({**absence, "ends": "12:00"}, TODAY, {1}, {})[1] == {"starts": "times_pair"}
    assert read({**absence, "day": "2026-11-22"}, TODAY, {1}, {})[1] == {"day": "date_past"}
    assert read({**absence, "day": "24.11.2026"}, TODAY, {1}, {})[1] == {"day": "date_invalid"}
    assert read({**absence, "kind": "x"}, TODAY, {1}, {})[1] == {"kind": "kind_invalid"}
    assert read({**absence, "note": "x" * 201}, TODAY, {1}, {})[1] == {"note": "too_long"}


def test_closure_and_room_examples() -> None:
    assert forms.read_closure({"day": "2026-11-23"}, TODAY) == (
        forms.ClosureForm(TODAY, ""),
        {},
    )
    assert forms.read_closure({"day": "2026-13-01"}, TODAY)[1] == {"day": "date_invalid"}
    assert forms.read_room({"code": "1.01", "name": "Desk"})[0] == forms.RoomForm("1.01", "Desk")
    assert forms.read_room({"code": "1 01", "name": ""})[1] == {
        "code": "room_code_invalid",
        "name": "required",
    }


def test_decisions_and_confirmations() -> None:
    decision = forms.read_decision(
        [("resolution", "move"), ("move-12", "3"), ("move-x", "4"), ("move-13", "")]
    )
    assert decision == forms.Decision("move", {12: 3})
    assert forms.read_decision([("resolution", "drop")]).resolution is None
    assert forms.read_active({"active": "0"}) == (False, {})
    assert forms.read_active({"active": "yes"}) == (None, {"active": "use_buttons"})


def test_public_holidays_of_the_chosen_state() -> None:
    lower_saxony = dict(forms.upcoming_holidays("DE", "NI", date(2027, 10, 1), "en"))
    bavaria = dict(forms.upcoming_holidays("DE", "BY", date(2027, 10, 1), "de"))
    assert date(2027, 10, 31) in lower_saxony  # Reformation Day
    assert date(2027, 10, 31) not in bavaria and date(2027, 11, 1) in bavaria
    assert bavaria[date(2027, 12, 25)] == "Erster Weihnachtstag"
    assert all(day >= date(2027, 10, 1) for day in lower_saxony)


def test_every_message_code_has_a_text() -> None:
    produced = {
        "required", "too_long", "whole_number", "code_invalid", "timezone_invalid",
        "session_range", "buffer_range", "window_range", "window_too_small", "notice_range",
        "subdivision_invalid", "hours_invalid", "hours_order", "hours_overlap", "date_invalid",
        "date_past", "room_code_invalid", "weight_invalid", "display_name_invalid",
        "organisation_invalid", "languages_invalid", "topics_required", "email_invalid",
        "weekday_invalid", "time_invalid", "time_order", "shift_overlap", "location_invalid",
        "room_invalid", "kind_invalid", "times_pair", "extra_times", "extra_location",
        "use_buttons", "code_taken", "closure_exists", "room_code_taken",
    }  # fmt: skip
    assert produced == set(forms.MESSAGES)


def test_a_counsellor_address_must_be_one_mail_can_be_sent_to() -> None:
    from tests.support.addresses import UNSENDABLE

    for address in UNSENDABLE:
        errors = forms.read_counsellor({**COUNSELLOR, "email": address}, ["forms"], {2})[1]
        assert errors == {"email": "email_invalid"}, address
