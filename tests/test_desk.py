"""The counsellor's desk page (booking/web/desk.py): the queue's buttons as plain forms."""

from __future__ import annotations

import re

from booking.models import Booking, Counsellor, Location, Ticket
from tests.conftest import Service, at
from tests.support.bookings import book
from tests.support.desk import DESK, open_desk, press
from tests.support.rows import add_booking
from tests.support.staff import bearer, csrf_of, sign_in
from tests.support.walkins import WALK_IN, call_next, register


async def test_the_desk_shows_the_day_and_the_walk_ins_that_fit(staff: Service) -> None:
    staff.clock.now = at(9)
    session = await add_booking("hsc", "awo", at(11), status="booked")
    reception = await bearer(staff, "reception")
    await register(staff, reception, name="Farida", priority="children")
    await register(staff, reception, language="ar", name="Omar")  # Deniz Y. speaks no Arabic
    staff.clock.now = at(9, 12)
    html = await open_desk(staff)
    assert 'data-auto-reload="20" data-url="/staff/desk?location=hsc"' in html
    # Without scripts a meta refresh; with them desk.js, which waits while someone works.
    refresh = '<meta http-equiv="refresh" content="20; url=/staff/desk?location=hsc">'
    assert f"<noscript>{refresh}</noscript>" in html
    assert '<script src="/static/desk.js" defer></script>' in html
    assert '<a href="/staff/desk">My desk</a>' in html  # in the staff navigation
    assert session.reference in html  # their own sessions today
    waiting = html.split("Waiting for you", 1)[1].split("My sessions today", 1)[0]
    assert "W 001" in waiting and "Applications and forms" in waiting and "German" in waiting
    assert "Small children" in waiting and "12 minutes" in waiting
    assert "W 002" not in waiting
    assert "1 more person is waiting for someone else." in html
    assert "Farida" not in html and "Omar" not in html  # no names at the desk's list
    assert "You are not at your desk." in html and "I am at my desk" in html
    assert 'action="/staff/desk/call-next"' in html


async def test_call_start_finish_and_the_outcome_form(staff: Service) -> None:
    staff.clock.now = at(9)
    ticket = await register(staff, await bearer(staff, "reception"))
    await open_desk(staff)
    status, where = await press(staff, "/staff/desk/call-next")
    assert (status, where) == (303, "/staff/desk?location=hsc&note=called")
    html = (await staff.client.get(where + "&lang=en")).text
    assert "Called: the number is on the waiting-room display now." in html
    assert "W 001" in html and "Room" in html and "1.04" in html
    base = f"/staff/desk/walk-ins/{ticket['id']}"
    for button in ("/start", "/recall", "/park", "/transfer"):
        assert f'action="{base}{button}"' in html, button
    assert f'action="{base}/no-show"' not in html  # only after three calls or ten minutes
    assert "after 3 calls at least a minute apart or 10 minutes after the first call" in html

    assert (await press(staff, f"{base}/recall"))[0] == 303
    assert (await press(staff, f"{base}/start"))[0] == 303
    html = (await staff.client.get(DESK)).text
    booking = await Booking.get(tickets__id=ticket["id"])
    assert f'action="{base}/finish"' in html
    assert f'href="/staff/bookings/{booking.id}/outcome"' in html
    staff.clock.now = at(9, 35)
    assert (await press(staff, f"{base}/finish")) == (303, "/staff/desk?location=hsc&note=done")
    assert (await Booking.get(id=booking.id)).status == "attended"
    html = (await staff.client.get(DESK)).text
    assert "You are not holding a walk-in ticket." in html
    assert "Last finished: W 001." in html
    assert f'href="/staff/bookings/{booking.id}/outcome"' in html
    outcome = await staff.client.get(f"/staff/bookings/{booking.id}/outcome?lang=en")
    assert outcome.status_code == 200 and 'value="attended" checked' in outcome.text

    again = await press(staff, f"{base}/finish")
    assert again[0] == 409 and "Nothing was changed" in again[1]
    assert 'href="/staff/desk?location=hsc"' in again[1]  # the way back


async def test_nobody_fits_and_held_for_a_booked_session(staff: Service) -> None:
    staff.clock.now = at(9)
    await open_desk(staff)
    assert (await press(staff, "/staff/desk/call-next"))[1].endswith("note=ready")
    html = (await staff.client.get("/staff/desk?note=ready&lang=en")).text
    assert "Nobody waiting fits you right now. You are ready for walk-ins" in html
    assert "You are ready for walk-ins." in html and "Not ready for walk-ins" in html
    assert (await press(staff, "/staff/desk/ready", ready="0"))[1].endswith("note=not_ready")

    await add_booking("hsc", "awo", at(9, 15), status="booked")
    ticket = await register(staff, await bearer(staff, "reception"))
    status, where = await press(staff, "/staff/desk/call-next")
    assert (status, where) == (303, "/staff/desk?location=hsc&note=held")
    html = (await staff.client.get(where + "&lang=en")).text
    assert "Your next booked session begins sooner" in html
    assert 'name="anyway" value="1"' in html and "Call anyway" in html
    assert (await Ticket.get(id=ticket["id"])).status == "waiting"
    assert (await press(staff, "/staff/desk/call-next", anyway="1"))[1].endswith("note=called")
    assert (await Ticket.get(id=ticket["id"])).status == "called"


async def test_park_resume_and_transfer_from_the_desk(staff: Service) -> None:
    staff.clock.now = at(9)
    reception = await bearer(staff, "reception")
    first = await register(staff, reception, topic="health")
    await open_desk(staff)
    await press(staff, "/staff/desk/call-next")
    assert (await press(staff, f"/staff/desk/walk-ins/{first['id']}/park"))[0] == 303
    html = (await staff.client.get(DESK)).text
    assert "At the immigration counter" in html
    assert f'action="/staff/desk/walk-ins/{first["id"]}/resume"' in html
    assert (await press(staff, f"/staff/desk/walk-ins/{first['id']}/resume"))[0] == 303
    assert (await Ticket.get(id=first["id"])).status == "waiting"

    await press(staff, "/staff/desk/call-next")
    claire = await Counsellor.get(accounts__username="caritas1")
    html = (await staff.client.get(DESK)).text
    assert "Claire D." not in html  # not at her desk: not offered
    await Counsellor.filter(id=claire.id).update(
        desk_location_id=(await Location.get(code="hsc")).id, desk_since=staff.clock.now
    )
    html = (await staff.client.get(DESK)).text
    option = f'<option value="counsellor:{claire.id}">Claire D. (Caritasverband Hannover)</option>'
    assert option in html
    assert "Jonas M." not in html and "Rojda E." not in html  # they do not cover health
    assert '<option value="organisation:caritas">' in html
    action = f"/staff/desk/walk-ins/{first['id']}/transfer"
    for bad in ("", "counsellor:999999", "organisation:nowhere", "nonsense"):
        refused = await press(staff, action, to=bad)
        assert refused[0] == 422 and "Please choose a counsellor or an organisation" in refused[1]
    assert (await press(staff, action, to=f"counsellor:{claire.id}"))[0] == 303
    stored = await Ticket.get(id=first["id"])
    assert (stored.status, stored.for_counsellor_id) == ("waiting", claire.id)
    html = (await staff.client.get(DESK)).text
    assert "1 more person is waiting for someone else." in html
    assert (await call_next(staff, await bearer(staff, "caritas1"))).json()["id"] == first["id"]


async def test_at_the_desk_and_leaving_it(staff: Service) -> None:
    staff.clock.now = at(8, 30)
    await open_desk(staff)
    assert (await press(staff, "/staff/desk/presence", present="1"))[1].endswith("note=present")
    deniz = await Counsellor.get(accounts__username="awo1")
    hsc = await Location.get(code="hsc")
    assert (deniz.desk_location_id, deniz.desk_since) == (hsc.id, at(8, 30))
    html = (await staff.client.get(DESK)).text
    assert "You are at your desk." in html and "I am leaving the desk" in html
    assert (await press(staff, "/staff/desk/presence", present="0"))[1].endswith("note=away")
    deniz = await Counsellor.get(id=deniz.id)
    assert (deniz.desk_location_id, deniz.desk_since) == (None, None)
    staff.clock.now = at(8, 30).replace(day=24)
    await open_desk(staff)  # the next morning: yesterday's session has ended
    await press(staff, "/staff/desk/presence", present="1")
    staff.clock.now = at(8, 30).replace(day=25)  # yesterday's mark has lapsed
    await open_desk(staff)
    assert "You are not at your desk." in (await staff.client.get(DESK)).text


async def test_only_counsellors_have_a_desk(staff: Service) -> None:
    for username in ("reception", "admin"):
        staff.client.cookies.clear()
        await sign_in(staff.client, username)
        page = await staff.client.get(DESK)
        assert page.status_code == 403
        assert 'href="/staff/desk"' not in (await staff.client.get("/staff")).text
    staff.client.cookies.clear()
    anonymous = await staff.client.get("/staff/desk")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_odd_desk_requests_never_fail(staff: Service) -> None:
    staff.clock.now = at(9)
    await book(staff, at(10))
    ticket = await register(staff, await bearer(staff, "reception"), **WALK_IN)
    await open_desk(staff)
    assert (await staff.client.get("/staff/desk?location=nowhere")).status_code == 404
    assert (await staff.client.get("/staff/desk?note=%00&location=")).status_code == 200
    for path, fields, expected in (
        (f"/staff/desk/walk-ins/{ticket['id']}/dance", {}, 404),
        ("/staff/desk/walk-ins/99999999999999/start", {}, 404),
        (f"/staff/desk/walk-ins/{ticket['id']}/start", {}, 409),  # not called yet
        ("/staff/desk/call-next", {"location": "nowhere"}, 404),
        ("/staff/desk/presence", {"present": "maybe"}, 303),
    ):
        status, _body = await press(staff, path, **fields)
        assert status == expected, (path, status)
    no_token = await staff.client.post("/staff/desk/call-next", data={"location": "hsc"})
    assert no_token.status_code == 403
    assert re.search(r"W 001", (await staff.client.get(DESK)).text)


async def test_the_one_who_pressed_is_served_even_when_a_colleague_is_behind(
    staff: Service,
) -> None:
    """DRK weighs nearly everything and Nadia (DRK, German) sits free at her desk, but she has
    not pressed: awo1's press calls the German walk-in for awo1, in the room awo1 chose."""
    from booking.models import Organisation
    from booking.services import fairness

    staff.clock.now = at(9, 40)
    location = await Location.get(code="hsc")
    nadia = await Counsellor.get(display_name="Nadia R.")
    await Booking.filter(counsellor_id=nadia.id).delete()  # free all day, whatever the demo says
    await Counsellor.filter(id=nadia.id).update(
        desk_location_id=location.id, desk_since=staff.clock.now
    )
    for code, weight in (("drk", 1000.0), ("awo", 0.001)):
        await fairness.set_weight(
            location, await Organisation.get(code=code), weight, "admin", staff.clock.now
        )
    ticket = await register(staff, await bearer(staff, "reception"))
    html = await open_desk(staff)
    assert '<option value="1.04" selected>1.04</option>' in html  # the planned room
    status, where = await press(staff, "/staff/desk/call-next", anyway="1", room="1.01")
    assert (status, where) == (303, "/staff/desk?location=hsc&note=called")
    called = await Ticket.get(id=ticket["id"]).prefetch_related("room")
    deniz = await Counsellor.get(accounts__username="awo1")
    assert called.status == "called" and called.counsellor_id == deniz.id
    assert called.room is not None and called.room.name == "1.01"
    display = (await staff.client.get("/api/v1/locations/hsc/display")).json()
    assert display["calls"][0]["room"] == "1.01"


async def test_signing_off_ends_readiness(staff: Service) -> None:
    staff.clock.now = at(9)
    await open_desk(staff)
    assert (await press(staff, "/staff/desk/ready", ready="1"))[1].endswith("note=ready")
    deniz = await Counsellor.get(accounts__username="awo1")
    assert deniz.ready_since == at(9) and deniz.desk_room_id is not None
    page = await staff.client.get(DESK)
    assert (
        await staff.client.post("/logout", data={"csrf": csrf_of(page.text)})
    ).status_code == 303
    deniz = await Counsellor.get(id=deniz.id)
    assert deniz.ready_since is None and deniz.ready_until is None
    ticket = await register(staff, await bearer(staff, "reception"))
    assert (await Ticket.get(id=ticket["id"])).status == "waiting"  # not called for him


async def test_the_desk_asks_for_the_room_once(staff: Service) -> None:
    """One room choice on the page ("I am at my desk"); the call buttons carry the known room
    instead of a second select, and a call without any room known asks for it."""
    staff.clock.now = at(9)
    await register(staff, await bearer(staff, "reception"))
    html = await open_desk(staff)
    assert html.count('name="room"') - html.count('type="hidden" name="room"') == 1
    assert html.count("<select") == 1 and 'id="desk-room"' in html
    call = html.split('action="/staff/desk/call-next"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="room" value="1.04">' in call  # the planned room
    await press(staff, "/staff/desk/presence", present="1", room="1.01")
    html = (await staff.client.get(DESK)).text
    assert "<select" not in html.split("My walk-in", 1)[0]
    call = html.split('action="/staff/desk/call-next"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="room" value="1.01">' in call
