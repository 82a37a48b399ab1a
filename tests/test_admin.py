"""The administration area: forms, validation, and changes that affect booked sessions.

Runs on the real service with the demo data (SQLite, and PostgreSQL when configured), signed in
as the demo admin, on Monday 2026-11-23 at 07:00 in Hannover.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC

import httpx2 as httpx
import pytest

from booking.models import (
    ABSENCE,
    EXTRA,
    AuditEntry,
    Booking,
    ClosureDay,
    Counsellor,
    Location,
    OpeningHours,
    Organisation,
    PlanException,
    Room,
    WorkShift,
)
from booking.services.bookings import slot_key
from tests.conftest import Service, at, utc
from tests.support.admin import ADMIN, Admin, absence_for, book, counsellor, hidden_fields
from tests.support.admin import admin as admin  # the fixture
from tests.support.staff import csrf_of, sign_in

# Locations, opening hours, closure days, rooms


async def test_index_counts_and_links(admin: Admin) -> None:
    page = await admin.get(ADMIN)
    assert page.status_code == 200
    for path in ("locations", "organisations", "counsellors", "attention"):
        assert f'href="{ADMIN}/{path}"' in page.text
    counts = re.findall(r'<span class="count">([^<]+)</span>', page.text)
    assert counts == ["1 active", "7 active", "17 active", "0"]  # locations, organisations, ...


async def test_non_admins_are_refused(staff: Service) -> None:
    for username in ("reception", "awo1"):
        staff.client.cookies.clear()
        await sign_in(staff.client, username)
        assert (await staff.client.get(ADMIN)).status_code == 403
        home = await staff.client.get("/staff")
        refused = await staff.client.post(
            f"{ADMIN}/organisations/new",
            data={"csrf": csrf_of(home.text), "code": "x", "name": "X"},
        )
        assert refused.status_code == 403
    assert not await Organisation.exists(code="x")


LOCATION = {
    "name": "Bürgeramt Linden",
    "address": "Lindener Marktplatz 1, 30449 Hannover",
    "code": "linden",
    "timezone": "Europe/Berlin",
    "session_minutes": "45",
    "buffer_minutes": "5",
    "window_minutes": "90",
    "notice_minutes": "120",
    "holiday_subdivision": "NI",
}


async def test_create_and_edit_a_location(admin: Admin) -> None:
    created = await admin.post(f"{ADMIN}/locations/new", LOCATION)
    assert created.status_code == 303
    location = await Location.get(code="linden")
    assert created.headers["location"] == f"{ADMIN}/locations/{location.id}?done=saved"
    assert (location.session_minutes, location.buffer_minutes) == (45, 5)
    assert (location.window_minutes, location.notice_minutes) == (90, 120)
    edited = await admin.post(
        f"{ADMIN}/locations/{location.id}", {**LOCATION, "name": "Linden", "timezone": "UTC"}
    )
    assert edited.status_code == 303
    await location.refresh_from_db()
    assert (location.name, location.timezone) == ("Linden", "UTC")
    page = await admin.get(edited.headers["location"])
    assert "Saved." in page.text and 'value="Linden"' in page.text
    assert await AuditEntry.exists(action="update", record_type="location", record_id=location.id)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "HSC!", "lower-case letters"),
        ("code", "hsc", "already in use"),
        ("timezone", "Mars/Olympus", "time zone such as"),
        ("timezone", "../../etc/passwd", "time zone such as"),
        ("session_minutes", "abc", "whole number"),
        ("session_minutes", "٤٥", "whole number"),
        ("session_minutes", "1", "between 5 and 240"),
        ("window_minutes", "40", "at least the session length plus the buffer"),
        ("holiday_subdivision", "XX", "federal state"),
        ("name", "", "This field is required."),
    ],
)
async def test_location_form_validation(admin: Admin, field: str, value: str, message: str) -> None:
    response = await admin.post(f"{ADMIN}/locations/new", {**LOCATION, field: value})
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text and 'role="alert"' in response.text
    assert 'value="Bürgeramt Linden"' in response.text or field == "name"  # refilled
    assert not await Location.exists(code="linden")


async def test_opening_hours_with_several_intervals(admin: Admin) -> None:
    location = await Location.get(code="hsc")
    path = f"{ADMIN}/locations/{location.id}/hours"
    hours = {f"hours-{d}": "" for d in range(7)}
    hours["hours-0"] = "08:00–12:00, 13:00-16:30"
    hours["hours-5"] = "9-12"
    saved = await admin.post(path, hours)
    assert saved.status_code == 303
    rows = await OpeningHours.filter(location_id=location.id).order_by("weekday", "opens")
    assert [(r.weekday, r.opens, r.closes) for r in rows] == [
        (0, 480, 720),
        (0, 780, 990),
        (5, 540, 720),
    ]
    page = await admin.get(path)
    assert "08:00–12:00, 13:00–16:30" in page.text
    for bad, message in (
        ("08:00-12:00, 11:00-13:00", "must not overlap"),
        ("12:00-08:00", "end after it starts"),
        ("morning", "Please write times like"),
        ("08:00-24:00", "Please write times like"),
    ):
        response = await admin.post(path, {**hours, "hours-1": bad})
        assert response.status_code == 422 and message in response.text, bad
        assert f'value="{bad}"' in response.text
    assert await OpeningHours.filter(location_id=location.id).count() == 3


async def test_closure_days_add_and_remove(admin: Admin) -> None:
    location = await Location.get(code="hsc")
    path = f"{ADMIN}/locations/{location.id}/closures"
    page = await admin.get(path)
    assert "No closure days ahead." in page.text
    assert "Christmas Day" in page.text  # public holidays of Lower Saxony, automatically
    added = await admin.post(path, {"day": "2026-12-07", "reason": "Staff outing"})
    assert added.status_code == 303
    again = await admin.post(path, {"day": "2026-12-07", "reason": ""})
    assert again.status_code == 422 and "already a closure day" in again.text
    past = await admin.post(path, {"day": "2026-11-20", "reason": ""})
    assert past.status_code == 422 and "today or a later day" in past.text
    nonsense = await admin.post(path, {"day": "2026-02-30", "reason": ""})
    assert nonsense.status_code == 422 and "Please enter a date" in nonsense.text
    closure = await ClosureDay.get(location_id=location.id)
    confirm = await admin.get(f"{path}/{closure.id}/remove")
    assert confirm.status_code == 200 and "2026-12-07" in confirm.text
    removed = await admin.post(f"{path}/{closure.id}/remove", {})
    assert removed.status_code == 303
    assert not await ClosureDay.exists(location_id=location.id)


async def test_a_closure_day_over_a_booked_session_is_a_conflict(admin: Admin) -> None:
    booking = await book(admin.service, 11, "de")
    location = await Location.get(code="hsc")
    path = f"{ADMIN}/locations/{location.id}/closures"
    asked = await admin.post(path, {"day": "2026-11-23", "reason": "Heating broken"})
    assert asked.status_code == 200
    assert booking.reference in asked.text
    assert "Nobody else is free then" in asked.text  # the location is closed for everyone
    assert 'value="move"' not in asked.text
    assert not await ClosureDay.exists(location_id=location.id)
    left = await admin.post(path, [*hidden_fields(asked.text), ("resolution", "leave")])
    assert left.status_code == 200 and "Not moved: 1" in left.text
    assert await ClosureDay.exists(location_id=location.id, day="2026-11-23")
    attention = await admin.get(f"{ADMIN}/attention")
    assert booking.reference in attention.text


async def test_rooms_create_rename_deactivate(admin: Admin) -> None:
    location = await Location.get(code="hsc")
    path = f"{ADMIN}/locations/{location.id}/rooms"
    assert (await admin.post(path, {"code": "2.01", "name": "Desk 2.01"})).status_code == 303
    duplicate = await admin.post(path, {"code": "2.01", "name": "Another"})
    assert duplicate.status_code == 422 and "already has a room with this code" in duplicate.text
    bad = await admin.post(path, {"code": "", "name": ""})
    assert bad.status_code == 422 and "for example 1.01" in bad.text
    room = await Room.get(location_id=location.id, code="2.01")
    renamed = await admin.post(f"{ADMIN}/rooms/{room.id}", {"code": "2.02", "name": "Desk 2.02"})
    assert renamed.status_code == 303
    clash = await admin.post(f"{ADMIN}/rooms/{room.id}", {"code": "1.01", "name": "x"})
    assert clash.status_code == 422
    confirm = await admin.get(f"{ADMIN}/rooms/{room.id}/active")
    assert "Deactivate 2.02" in confirm.text
    assert (await admin.post(f"{ADMIN}/rooms/{room.id}/active", {})).status_code == 422
    off = await admin.post(f"{ADMIN}/rooms/{room.id}/active", {"active": "0"})
    assert off.status_code == 303
    await room.refresh_from_db()
    assert (room.code, room.name, room.active) == ("2.02", "Desk 2.02", False)


async def test_a_new_location_has_no_rooms_yet(admin: Admin) -> None:
    await admin.post(f"{ADMIN}/locations/new", LOCATION)
    location = await Location.get(code="linden")
    page = await admin.get(f"{ADMIN}/locations/{location.id}/rooms")
    assert "No rooms yet." in page.text


async def test_deactivating_a_location_confirms_first(admin: Admin) -> None:
    location = await Location.get(code="hsc")
    confirm = await admin.get(f"{ADMIN}/locations/{location.id}/active")
    assert confirm.status_code == 200 and "Deactivate Hannover Service Center?" in confirm.text
    off = await admin.post(f"{ADMIN}/locations/{location.id}/active", {"active": "0"})
    assert off.status_code == 303
    await location.refresh_from_db()
    assert not location.active
    on = await admin.post(f"{ADMIN}/locations/{location.id}/active", {"active": "1"})
    assert on.status_code == 303
    await location.refresh_from_db()
    assert location.active


# Organisations and counsellors


async def test_organisations_create_edit_and_weight(admin: Admin) -> None:
    path = f"{ADMIN}/organisations/new"
    created = await admin.post(path, {"code": "dw", "name": "Der Weg", "target_weight": "1,5"})
    assert created.status_code == 303
    organisation = await Organisation.get(code="dw")
    assert organisation.target_weight == 1.5
    edited = await admin.post(
        f"{ADMIN}/organisations/{organisation.id}",
        {"code": "derweg", "name": "Der Weg e.V.", "target_weight": ""},
    )
    assert edited.status_code == 303
    await organisation.refresh_from_db()
    assert organisation.code == "derweg" and organisation.target_weight is None
    for weight in ("-1", "abc", "inf", "nan", "1e5"):
        bad = await admin.post(path, {"code": "zz", "name": "Z", "target_weight": weight})
        assert bad.status_code == 422 and "0 or more" in bad.text, weight
    taken = await admin.post(path, {"code": "awo", "name": "AWO", "target_weight": ""})
    assert taken.status_code == 422 and "already in use" in taken.text
    listing = await admin.get(f"{ADMIN}/organisations")
    assert "Der Weg e.V." in listing.text and "from the plan" in listing.text


async def test_counsellor_create_and_validate(admin: Admin) -> None:
    caritas = await Organisation.get(code="caritas")
    path = f"{ADMIN}/counsellors/new"
    form = {
        "display_name": "Mariam O.",
        "organisation": str(caritas.id),
        "languages": "DE, fa-af, ar, de",
        "topics": ["forms", "housing", "nonsense"],
        "email": "mariam@caritas.example.org",
    }
    created = await admin.post(path, form)
    assert created.status_code == 303
    made = await Counsellor.get(display_name="Mariam O.")
    assert made.languages == ["de", "fa-AF", "ar"]
    assert made.topics == ["forms", "housing"]
    assert made.organisation_id == caritas.id
    for field, value, message in (
        ("display_name", "Mariam Osman", "initial of the surname"),
        ("languages", "Deutsch!", "language codes such as"),
        ("languages", "", "language codes such as"),
        ("email", "mariam@", "check the e-mail address"),
        ("organisation", "999999", "choose an organisation"),
        ("organisation", "x", "choose an organisation"),
        ("topics", [], "at least one topic"),
    ):
        response = await admin.post(path, {**form, field: value})
        assert response.status_code == 422 and message in response.text, field
    refilled = await admin.post(path, {**form, "email": "bad"})
    assert 'value="forms" checked' in refilled.text and 'value="work">' in refilled.text
    # Invitation mails: ticked for a new counsellor, and a counsellor can be switched off.
    assert 'name="mail_invitations" value="on" checked' in (await admin.get(path)).text
    assert made.mail_invitations is False  # the form above did not tick the box
    edit = f"{ADMIN}/counsellors/{made.id}"
    await admin.post(edit, {**form, "languages": "de, fa-AF, ar", "mail_invitations": "on"})
    await made.refresh_from_db()
    assert made.mail_invitations is True
    assert 'name="mail_invitations" value="on" checked' in (await admin.get(edit)).text


async def test_counsellor_list_is_paginated(admin: Admin) -> None:
    organisation = await Organisation.get(code="awo")
    for number in range(40):
        await Counsellor.create(
            organisation=organisation, display_name=f"Test{number:02d} T.", languages=["de"]
        )
    first = await admin.get(f"{ADMIN}/counsellors")
    second = await admin.get(f"{ADMIN}/counsellors?page=2")
    assert "Next page" in first.text and "Previous page" in second.text
    assert first.text.count('/plan">') == 50 and second.text.count('/plan">') == 7
    assert (await admin.get(f"{ADMIN}/counsellors?page=abc")).status_code == 200


# Weekly plans and dated exceptions


async def test_plan_blocks_add_validate_remove(admin: Admin) -> None:
    person = await counsellor("Aylin K.")
    location = await Location.get(code="hsc")
    room = await Room.get(code="1.01")
    path = f"{ADMIN}/counsellors/{person.id}/plan"
    block = {"weekday": "5", "starts": "09:00", "ends": "12:00", "location": str(location.id)}
    added = await admin.post(path, {**block, "room": str(room.id)})
    assert added.status_code == 303
    saturday = await WorkShift.get(counsellor_id=person.id, weekday=5)
    assert (saturday.starts, saturday.ends, saturday.room_id) == (540, 720, room.id)
    for changes, message in (
        ({"starts": "11:00", "ends": "13:00"}, "overlaps another block"),
        ({"weekday": "0", "starts": "07:00", "ends": "08:30"}, "overlaps another block"),
        ({"starts": "12:00", "ends": "11:00", "weekday": "6"}, "end must be after the start"),
        ({"starts": "25:00", "weekday": "6"}, "time such as 08:30"),
        ({"weekday": "7"}, "choose a weekday"),
        ({"location": "abc", "weekday": "6"}, "choose a location"),
    ):
        response = await admin.post(path, {**block, **changes})
        assert response.status_code == 422 and message in response.text, changes
    other = await Location.create(code="other", name="Other", address="x")
    foreign = await Room.create(location=other, code="9", name="9")
    wrong_room = await admin.post(path, {**block, "weekday": "6", "room": str(foreign.id)})
    assert wrong_room.status_code == 422 and "room of the chosen location" in wrong_room.text
    removed = await admin.post(f"{path}/{saturday.id}/remove", {})
    assert removed.status_code == 303  # nothing booked on Saturdays
    assert not await WorkShift.exists(id=saturday.id)


async def test_exceptions_add_list_remove(admin: Admin) -> None:
    person = await counsellor("Aylin K.")
    location = await Location.get(code="hsc")
    path = f"{ADMIN}/counsellors/{person.id}/exceptions"
    assert "No absences or extra hours ahead." in (await admin.get(path)).text
    leave = {"kind": ABSENCE, "day": "2026-12-01", "note": "Leave"}
    assert (await admin.post(path, leave)).status_code == 303
    extra = {
        "kind": EXTRA,
        "day": "2026-11-28",
        "starts": "10:00",
        "ends": "13:00",
        "location": str(location.id),
    }
    assert (await admin.post(path, extra)).status_code == 303
    rows = await PlanException.filter(counsellor_id=person.id).order_by("day")
    assert [(r.kind, r.day.isoformat(), r.starts, r.ends) for r in rows] == [
        (EXTRA, "2026-11-28", 600, 780),
        (ABSENCE, "2026-12-01", None, None),
    ]
    assert rows[1].location_id == location.id  # where she works
    page = await admin.get(path)
    assert "2026-11-28" in page.text and "whole day" in page.text
    for changes, message in (
        ({"kind": EXTRA, "starts": "", "ends": ""}, "need a start and an end"),
        ({"kind": EXTRA, "location": ""}, "need a location"),
        ({"day": "2026-11-01"}, "today or a later day"),
        ({"kind": "holiday"}, "absence or extra hours"),
        ({"kind": ABSENCE, "starts": "10:00", "ends": ""}, "both the start and the end"),
    ):
        response = await admin.post(path, {**extra, **changes})
        assert response.status_code == 422 and message in response.text, changes
    removed = await admin.post(f"{path}/{rows[1].id}/remove", {})
    assert removed.status_code == 303
    assert await PlanException.filter(counsellor_id=person.id).count() == 1
    saturday = await admin.service.client.get(f"/staff/admin/counsellors/{person.id}/plan")
    assert saturday.status_code == 200


# Changes over booked sessions: the conflict page, "save and move", "save and leave"


async def test_an_absence_over_a_booked_session_moves_it(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ku", organisation="awo")
    deniz, rojda = await counsellor("Deniz Y."), await counsellor("Rojda E.")
    assert booking.counsellor_id == deniz.id
    path, absence = await absence_for(admin, deniz)
    asked = await admin.post(path, absence)
    assert asked.status_code == 200 and "Booked sessions are affected" in asked.text
    assert booking.reference in asked.text and "Amina" not in asked.text
    assert f'<option value="{rojda.id}">Rojda E. (kargah e.V.)</option>' in asked.text
    assert not await PlanException.exists(counsellor_id=deniz.id)  # nothing saved yet
    fields = hidden_fields(asked.text)
    assert ("note", "Ill") in fields
    moved = await admin.post(
        path, [*fields, (f"move-{booking.id}", str(rojda.id)), ("resolution", "move")]
    )
    assert moved.status_code == 200 and "Moved: 1" in moved.text
    await booking.refresh_from_db()
    kargah = await Organisation.get(code="kargah")
    rojda_room = await WorkShift.filter(counsellor_id=rojda.id).first()
    assert booking.counsellor_id == rojda.id
    assert booking.organisation_id == kargah.id
    assert rojda_room is not None and booking.room_id == rojda_room.room_id
    assert (
        booking.slot_key
        == slot_key(rojda.id, booking.start)
        == f"{rojda.id}@{int(at(11).timestamp())}"
    )
    assert (booking.sequence, booking.status, booking.start) == (1, "booked", utc(at(11)))
    assert await PlanException.exists(counsellor_id=deniz.id, day="2026-11-23", kind=ABSENCE)
    audit = await AuditEntry.get(action="move", record_type="booking", record_id=booking.id)
    assert audit.summary == f"counsellor {deniz.id} -> {rojda.id}"
    assert "Amina" not in audit.summary and "@" not in audit.summary
    # Rojda is now busy at 11:00, Deniz absent: nobody else speaks Kurdish.
    link = admin.service.link(at(10), ref="ABH-after-move")
    again = await admin.service.client.post(
        "/api/v1/bookings",
        json=admin.service.booking_body(link, at(11), language="ku", topic="forms"),
    )
    assert again.status_code == 409
    assert "No booked session needs attention." in (await admin.get(f"{ADMIN}/attention")).text


async def test_save_and_leave_keeps_the_booking_and_lists_it(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ku", organisation="awo")
    deniz, rojda = await counsellor("Deniz Y."), await counsellor("Rojda E.")
    path, absence = await absence_for(admin, deniz)
    asked = await admin.post(path, absence)
    left = await admin.post(path, [*hidden_fields(asked.text), ("resolution", "leave")])
    assert left.status_code == 200 and "Not moved: 1" in left.text
    await booking.refresh_from_db()
    assert booking.counsellor_id == deniz.id and booking.sequence == 0
    assert await PlanException.exists(counsellor_id=deniz.id)
    attention = await admin.get(f"{ADMIN}/attention")
    assert booking.reference in attention.text
    assert "Booked sessions needing attention: 1" in (await admin.get(ADMIN)).text
    moved = await admin.post(
        f"{ADMIN}/attention/{booking.id}", {f"move-{booking.id}": str(rojda.id)}
    )
    assert moved.status_code == 200 and "Moved: 1" in moved.text
    await booking.refresh_from_db()
    assert booking.counsellor_id == rojda.id and booking.sequence == 1
    assert (await admin.post(f"{ADMIN}/attention/999999", {})).status_code == 404


async def test_a_session_nobody_else_can_hold_is_reported(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ti")  # only Semhar T. speaks Tigrinya
    semhar = await counsellor("Semhar T.")
    path, absence = await absence_for(admin, semhar)
    asked = await admin.post(path, absence)
    assert "Nobody else is free then" in asked.text and 'value="move"' not in asked.text
    forced = await admin.post(path, [*hidden_fields(asked.text), ("resolution", "move")])
    assert forced.status_code == 200 and "Not moved: 1" in forced.text
    await booking.refresh_from_db()
    assert booking.counsellor_id == semhar.id and booking.sequence == 0


async def test_a_partial_absence_outside_the_session_is_no_conflict(admin: Admin) -> None:
    await book(admin.service, 11, "ku", organisation="awo")
    deniz = await counsellor("Deniz Y.")
    path, absence = await absence_for(admin, deniz)
    saved = await admin.post(path, {**absence, "starts": "13:00", "ends": "16:00"})
    assert saved.status_code == 303


async def test_cancel_on_the_conflict_page_saves_nothing(admin: Admin) -> None:
    await book(admin.service, 11, "ku", organisation="awo")
    deniz = await counsellor("Deniz Y.")
    path, absence = await absence_for(admin, deniz)
    asked = await admin.post(path, absence)
    assert f'href="{path}"' in asked.text  # the cancel link
    assert not await PlanException.exists(counsellor_id=deniz.id)


async def test_removing_a_block_over_a_booked_session(admin: Admin) -> None:
    booking = await book(admin.service, 9, "ku", organisation="awo")
    deniz = await counsellor("Deniz Y.")
    morning = await WorkShift.get(counsellor_id=deniz.id, weekday=0, starts=480)
    path = f"{ADMIN}/counsellors/{deniz.id}/plan/{morning.id}/remove"
    confirm = await admin.get(path)
    assert confirm.status_code == 200 and "Remove this block" in confirm.text
    asked = await admin.post(path, {})
    assert asked.status_code == 200 and booking.reference in asked.text
    assert await WorkShift.exists(id=morning.id)
    moved = await admin.post(path, [("resolution", "move")])
    assert "Moved: 1" in moved.text
    assert not await WorkShift.exists(id=morning.id)
    await booking.refresh_from_db()
    assert booking.counsellor_id != deniz.id


async def test_deactivating_a_counsellor_with_bookings(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ku", organisation="awo")
    deniz, rojda = await counsellor("Deniz Y."), await counsellor("Rojda E.")
    path = f"{ADMIN}/counsellors/{deniz.id}/active"
    confirm = await admin.get(path)
    assert "Deactivate Deniz Y.?" in confirm.text and "from now on: 1" in confirm.text
    asked = await admin.post(path, {"active": "0"})
    assert asked.status_code == 200 and booking.reference in asked.text
    moved = await admin.post(path, [("active", "0"), ("resolution", "move")])
    assert "Moved: 1" in moved.text
    await deniz.refresh_from_db()
    await booking.refresh_from_db()
    assert not deniz.active and booking.counsellor_id == rojda.id
    again = await admin.post(path, {"active": "1"})
    assert again.status_code == 303


async def test_deactivating_an_organisation_with_bookings(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ku", organisation="awo")
    awo = await Organisation.get(code="awo")
    path = f"{ADMIN}/organisations/{awo.id}/active"
    assert "Deactivate AWO Region Hannover?" in (await admin.get(path)).text
    asked = await admin.post(path, {"active": "0"})
    assert asked.status_code == 200 and booking.reference in asked.text
    left = await admin.post(path, [("active", "0"), ("resolution", "leave")])
    assert "Not moved: 1" in left.text
    await awo.refresh_from_db()
    assert not awo.active


async def test_dropping_a_language_a_booking_needs(admin: Admin) -> None:
    booking = await book(admin.service, 11, "ku", organisation="awo")
    deniz = await counsellor("Deniz Y.")
    awo = await Organisation.get(code="awo")
    path = f"{ADMIN}/counsellors/{deniz.id}"
    form = {
        "display_name": "Deniz Y.",
        "organisation": str(awo.id),
        "languages": "de, tr",
        "topics": list(deniz.topics),
        "email": deniz.email,
    }
    asked = await admin.post(path, form)
    assert asked.status_code == 200 and booking.reference in asked.text
    fields = hidden_fields(asked.text)
    assert ("topics", "forms") in fields and ("topics", "work") in fields
    await admin.post(path, [*fields, ("resolution", "move")])
    await deniz.refresh_from_db()
    await booking.refresh_from_db()
    assert deniz.languages == ["de", "tr"] and set(deniz.topics) == set(form["topics"])
    assert booking.counsellor_id != deniz.id
    renamed = await admin.post(path, {**form, "display_name": "Deniz Yilmaz"})
    assert renamed.status_code == 422


# Robustness


async def test_unknown_ids_are_404_and_bare_posts_are_422(admin: Admin) -> None:
    location = await Location.get(code="hsc")
    for path in (
        f"{ADMIN}/locations/999999",
        f"{ADMIN}/locations/999999/hours",
        f"{ADMIN}/rooms/999999",
        f"{ADMIN}/organisations/999999/active",
        f"{ADMIN}/counsellors/999999/plan",
        f"{ADMIN}/counsellors/999999/exceptions/1/remove",
        f"{ADMIN}/locations/{location.id}/closures/999999/remove",
        f"{ADMIN}/locations/abc",
    ):
        assert (await admin.get(path)).status_code == 404, path
        assert (await admin.post(path, {})).status_code in (404, 405), path
    for path in (
        f"{ADMIN}/locations/new",
        f"{ADMIN}/locations/{location.id}",
        f"{ADMIN}/locations/{location.id}/active",
        f"{ADMIN}/organisations/new",
        f"{ADMIN}/counsellors/new",
    ):
        response = await admin.post(path, {})
        assert response.status_code == 422, path


async def test_pages_follow_the_reader_language(admin: Admin) -> None:
    page = await admin.get(f"{ADMIN}/organisations?lang=de&done=saved")
    assert '<html lang="de"' in page.text and "Gespeichert." in page.text


# Concurrency: a move and a new booking for the same counsellor and time


@pytest.mark.parametrize("delay", [0, 0.003, 0.01, 0.03])
async def test_a_move_and_a_booking_never_share_a_counsellor(admin: Admin, delay: float) -> None:
    # Deniz holds the only Kurdish session at 11:00; he falls ill and the coordinator moves it
    # to Rojda while an applicant books 11:00 in Kurdish, which only Rojda could take.
    booking = await book(admin.service, 11, "ku", organisation="awo")
    deniz, rojda = await counsellor("Deniz Y."), await counsellor("Rojda E.")
    path, absence = await absence_for(admin, deniz)
    service = admin.service
    transport = httpx.ASGITransport(app=service.app)

    async def applicant() -> int:
        await asyncio.sleep(delay)  # either may win: both orders are checked
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            link = service.link(at(10), ref="ABH-race")
            response = await client.post(
                "/api/v1/bookings",
                json=service.booking_body(link, at(11), language="ku", topic="forms"),
            )
            return response.status_code

    async def coordinator() -> str:
        response = await admin.post(path, [*absence.items(), ("resolution", "move")])
        assert response.status_code == 200, response.text
        return "moved" if "Moved: 1" in response.text else "left"

    status, result = await asyncio.gather(applicant(), coordinator())
    await booking.refresh_from_db()
    at_eleven = await Booking.filter(start=at(11).astimezone(UTC)).exclude(status="cancelled")
    with_rojda = [b for b in at_eleven if b.counsellor_id == rojda.id]
    assert len(with_rojda) == 1
    if result == "moved":
        assert status == 409 and booking.counsellor_id == rojda.id
    else:
        assert status == 201 and booking.counsellor_id == deniz.id
