"""The walk-in queue's JSON API (booking/web/walkins_api.py), on every database: the contracts
other systems rely on, the desk's actions, and the races at the location's lock."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta

from booking.models import Booking, Location, Ticket
from booking.services import fairness
from tests.conftest import Service, at
from tests.support.bookings import book
from tests.support.rows import add_booking
from tests.support.staff import bearer
from tests.support.walkins import WALK_IN, act, call_next, counsellor_of, register


async def tally_of(service: Service, organisation: str) -> int:
    location = await Location.get(code="hsc")
    rules = fairness.Rules.of(service.settings)
    month = fairness.month_of(service.clock.now, location)
    return (await fairness.tally(location, month, rules)).actual.get(organisation, 0)


def local(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=1), "times are in the location's zone"
    return moment


# -- reception --------------------------------------------------------------------------------


async def test_registering_a_walk_in_answers_the_contract(staff: Service) -> None:
    staff.clock.now = at(9)
    reception = await bearer(staff, "reception")
    body = await register(staff, reception)
    assert set(body) == {
        "id", "number", "token", "status_url", "ticket_url", "position", "estimate",
    }  # fmt: skip
    token = body["token"]
    assert body["number"] == "W 001" and body["position"] == 1
    assert body["status_url"] == f"http://test/t/{token}"
    assert (
        body["ticket_url"] == f"http://test/staff/reception/walk-ins/{body['id']}/ticket?t={token}"
    )
    assert set(body["estimate"]) == {"earliest", "latest"}
    earliest, latest = local(body["estimate"]["earliest"]), local(body["estimate"]["latest"])
    assert at(9) <= earliest <= latest <= at(16)
    ticket = await Ticket.get(id=body["id"])
    assert ticket.name == "Amina" and ticket.token_hash != token  # only a hash is stored
    assert ticket.estimate_earliest == earliest

    second = await register(staff, await bearer(staff, "admin"), priority="children", name="")
    assert (second["number"], second["position"]) == ("W 002", 1)  # priority comes first

    status = await staff.client.get(f"/api/v1/walk-ins/status/{token}")
    assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
    assert set(status.json()) == {"number", "status", "position", "estimate"}
    assert (status.json()["number"], status.json()["status"], status.json()["position"]) == (
        "W 001",
        "waiting",
        2,
    )
    assert set(status.json()["estimate"]) == {"earliest", "latest", "after_closing"}
    assert status.json()["estimate"]["after_closing"] is False
    assert "Amina" not in status.text
    unknown = await staff.client.get("/api/v1/walk-ins/status/not-a-token")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "not_found"})


async def test_only_reception_and_admins_register(staff: Service) -> None:
    url = "/api/v1/locations/hsc/walk-ins"
    anonymous = await staff.client.post(url, json=WALK_IN)
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "unauthorized"})
    counsellor = await staff.client.post(url, json=WALK_IN, headers=await bearer(staff, "awo1"))
    assert (counsellor.status_code, counsellor.json()) == (403, {"error": "forbidden"})
    assert not await Ticket.exists()


async def test_bad_walk_ins_are_explained_in_the_request_language(staff: Service) -> None:
    reception = await bearer(staff, "reception")
    url = "/api/v1/locations/hsc/walk-ins"
    bad = {"topic": "astrology", "language": "", "priority": "vip", "name": "<script>"}
    english = await staff.client.post(f"{url}?lang=en", json=bad, headers=reception)
    assert english.status_code == 422
    assert english.json() == {
        "error": "invalid",
        "fields": {
            "topic": "Please choose what you would like to talk about.",
            "language": "Please choose a language.",
            "priority": "Please choose a reason for priority from the list, or none.",
            "name": "Please enter a first name of at most 40 letters, or leave it empty.",
        },
    }
    german = await staff.client.post(f"{url}?lang=de", json=bad, headers=reception)
    assert german.status_code == 422
    assert german.json()["fields"]["topic"] == "Bitte wählen Sie, worüber Sie sprechen möchten."
    missing = await staff.client.post(f"{url}?lang=en", json={}, headers=reception)
    assert set(missing.json()["fields"]) == {"topic", "language"}
    for body in ("[1, 2]", "not json", ""):
        broken = await staff.client.post(url, content=body, headers=reception)
        assert (broken.status_code, broken.json()["error"]) == (400, "bad_request")
    nowhere = await staff.client.post(
        "/api/v1/locations/nowhere/walk-ins", json=WALK_IN, headers=reception
    )
    assert (nowhere.status_code, nowhere.json()) == (404, {"error": "not_found"})
    assert not await Ticket.exists()


async def test_twenty_walk_ins_at_once_get_twenty_numbers(staff: Service) -> None:
    reception = await bearer(staff, "reception")
    bodies = await asyncio.gather(*(register(staff, reception) for _ in range(20)))
    assert sorted(b["number"] for b in bodies) == [f"W {n:03d}" for n in range(1, 21)]
    assert len({b["token"] for b in bodies}) == 20
    assert await Ticket.all().count() == 20


# -- the desk ---------------------------------------------------------------------------------


async def test_call_next_answers_the_contract(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    nobody = await call_next(staff, awo1)
    assert nobody.status_code == 204 and nobody.content == b""
    registered = await register(staff, await bearer(staff, "reception"), priority="deadline")
    called = await staff.client.post("/api/v1/queue/call-next", headers=awo1)  # no body at all
    assert called.status_code == 200, called.text
    assert called.json() == {
        "id": registered["id"],
        "number": "W 001",
        "room": "1.04",  # Deniz Y.'s room in the plan
        "topic": "forms",
        "language": "de",
        "priority": "deadline",
        "status": "called",
    }
    booking = await Booking.get(tickets__id=registered["id"])
    assert (booking.channel, booking.status, booking.appointment_id) == ("walk_in", "booked", None)
    deniz = await counsellor_of("awo1")
    assert deniz.desk_location_id == (await Location.get(code="hsc")).id  # at their desk now
    again = await call_next(staff, awo1, location="hsc")
    assert again.json()["id"] == registered["id"]  # still holding it: nobody else is called

    for body, field in (({"anyway": "yes"}, "anyway"), ({"location": 7}, "location")):
        wrong = await call_next(staff, awo1, **body)
        assert (wrong.status_code, set(wrong.json()["fields"])) == (422, {field})
    unknown = await call_next(staff, awo1, location="nowhere")
    assert unknown.status_code == 404
    for username in ("reception", "admin"):
        refused = await call_next(staff, await bearer(staff, username))
        assert refused.status_code == 403
    assert (await staff.client.post("/api/v1/queue/call-next")).status_code == 401


async def test_a_call_without_a_known_room_asks_for_one(staff: Service) -> None:
    """Sunday: Deniz came in although the plan has no shift for him, so no room is known. The
    call asks for one of the location's rooms; with it, every screen shows that room."""
    staff.clock.now = at(10) - timedelta(days=1)
    awo1 = await bearer(staff, "awo1")
    reception = await bearer(staff, "reception")
    registered = await register(staff, reception)
    needed = await call_next(staff, awo1)
    assert needed.status_code == 409, needed.text
    body = needed.json()
    assert body["error"] == "room_needed" and "1.01" in body["rooms"] and body["message"]
    assert (await Ticket.get(id=registered["id"])).status == "waiting"
    assert (await call_next(staff, awo1, room="the cellar")).json()["error"] == "room_needed"
    wrong = await call_next(staff, awo1, room=7)
    assert (wrong.status_code, set(wrong.json()["fields"])) == (422, {"room"})
    called = await call_next(staff, awo1, room="1.07")
    assert called.status_code == 200 and called.json()["room"] == "1.07"
    display = (await staff.client.get("/api/v1/locations/hsc/display")).json()
    assert display["calls"][0]["room"] == "1.07"
    page = await staff.client.get(f"/t/{registered['token']}?lang=en")
    assert "1.07" in page.text
    current = await staff.client.get("/api/v1/queue/current", headers=awo1)
    assert current.status_code == 200 and current.json()["room"] == "1.07"
    # The next call of the day remembers the room recorded at the desk.
    await act(staff, awo1, registered["id"], "start")
    await act(staff, awo1, registered["id"], "finish")
    assert (await staff.client.get("/api/v1/queue/current", headers=awo1)).status_code == 204
    second = await register(staff, reception)
    again = await call_next(staff, awo1)
    assert again.json()["id"] == second["id"] and again.json()["room"] == "1.07"


async def test_the_ready_switch(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    url = "/api/v1/queue/ready"
    for body, field in (({"ready": "yes"}, "ready"), ({"ready": True, "room": 3}, "room")):
        wrong = await staff.client.post(url, json=body, headers=awo1)
        assert (wrong.status_code, set(wrong.json()["fields"])) == (422, {field}), body
    on = await staff.client.post(url, json={"ready": True}, headers=awo1)
    assert on.status_code == 200, on.text
    assert on.json() == {"ready": True, "room": "1.04", "ticket": None}  # the planned room
    registered = await register(staff, await bearer(staff, "reception"))
    current = await staff.client.get("/api/v1/queue/current", headers=awo1)
    assert current.status_code == 200 and current.json()["id"] == registered["id"]
    await act(staff, awo1, registered["id"], "start")
    await act(staff, awo1, registered["id"], "finish")
    # Taking the ticket ended readiness: the next walk-in waits for a press.
    second = await register(staff, await bearer(staff, "reception"))
    assert (await Ticket.get(id=second["id"])).status == "waiting"
    on = await staff.client.post(url, json={"ready": True, "room": "1.02"}, headers=awo1)
    assert on.json()["ticket"]["id"] == second["id"] and on.json()["room"] == "1.02"
    await act(staff, awo1, second["id"], "start")
    await act(staff, awo1, second["id"], "finish")
    off = await staff.client.post(url, json={"ready": False}, headers=awo1)
    assert off.json()["ready"] is False
    third = await register(staff, await bearer(staff, "reception"))
    assert (await Ticket.get(id=third["id"])).status == "waiting"
    assert (
        await staff.client.post(url, json={"ready": True}, headers=await bearer(staff, "reception"))
    ).status_code == 403


async def test_the_display_shows_numbers_and_rooms_only(staff: Service) -> None:
    staff.clock.now = at(9)
    reception = await bearer(staff, "reception")
    first = await register(staff, reception, name="Amina")
    await register(staff, reception, name="Omar")
    empty = await staff.client.get("/api/v1/locations/hsc/display")
    assert empty.status_code == 200 and empty.json() == {"calls": []}
    await call_next(staff, await bearer(staff, "awo1"))
    staff.clock.now = at(9, 1)
    await call_next(staff, await bearer(staff, "awo2"))
    shown = await staff.client.get("/api/v1/locations/hsc/display")  # no sign-in
    calls = shown.json()["calls"]
    assert [c["number"] for c in calls] == ["W 002", "W 001"]  # newest first
    assert calls[1] == {"number": first["number"], "room": "1.04", "called_at": at(9).isoformat()}
    assert "Amina" not in shown.text and "Omar" not in shown.text and "token" not in shown.text
    assert shown.headers["cache-control"] == "no-store"
    for code in ("nowhere", "x" * 33):  # longer than any code
        nowhere = await staff.client.get(f"/api/v1/locations/{code}/display")
        assert (nowhere.status_code, nowhere.json()) == (404, {"error": "not_found"})


async def test_a_session_from_call_to_finish(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    ticket = await register(staff, await bearer(staff, "reception"))
    before = await tally_of(staff, "awo")
    await call_next(staff, awo1)
    quick = await act(staff, awo1, ticket["id"], "recall")  # within the minute: not counted
    assert quick.status_code == 200 and (await Ticket.get(id=ticket["id"])).calls == 1
    staff.clock.now = at(9, 1)
    recalled = await act(staff, awo1, ticket["id"], "recall")
    assert recalled.status_code == 200 and recalled.json()["status"] == "called"
    assert (await Ticket.get(id=ticket["id"])).calls == 2
    early = await act(staff, awo1, ticket["id"], "finish")  # not started yet
    assert early.status_code == 409 and early.json()["error"] == "not_changeable"
    assert early.json()["message"]
    staff.clock.now = at(9, 3)
    started = await act(staff, awo1, ticket["id"], "start")
    assert started.json()["status"] == "serving"
    twice = await act(staff, awo1, ticket["id"], "start")
    assert twice.status_code == 409
    foreign = await act(staff, await bearer(staff, "awo2"), ticket["id"], "finish")
    assert foreign.status_code == 409  # another counsellor's ticket
    staff.clock.now = at(9, 40)
    finished = await act(staff, awo1, ticket["id"], "finish")
    assert finished.status_code == 200 and finished.json()["status"] == "done"
    booking = await Booking.get(tickets__id=ticket["id"])
    assert booking.status == "attended" and booking.checked_in_at is not None
    assert await tally_of(staff, "awo") == before + 1  # a walk-in served counts in the shares
    stored = await Ticket.get(id=ticket["id"])
    assert stored.first_called_at == at(9) and stored.finished_at == at(9, 40)

    for path, status in (
        (f"/api/v1/walk-ins/{ticket['id']}/dance", 404),
        ("/api/v1/walk-ins/999999/start", 404),
        ("/api/v1/walk-ins/99999999999999/start", 404),  # beyond an INTEGER column
    ):
        response = await staff.client.post(path, headers=awo1)
        assert (response.status_code, response.json()) == (status, {"error": "not_found"})
    refused = await staff.client.post(
        f"/api/v1/walk-ins/{ticket['id']}/recall", headers=await bearer(staff, "reception")
    )
    assert refused.status_code == 403


async def test_no_show_after_three_calls_or_ten_minutes(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    reception = await bearer(staff, "reception")
    first = await register(staff, reception)
    await call_next(staff, awo1)
    too_soon = await act(staff, awo1, first["id"], "no-show")
    assert too_soon.status_code == 409
    for _ in range(3):  # three clicks within seconds are not three calls
        await act(staff, awo1, first["id"], "recall")
    assert (await act(staff, awo1, first["id"], "no-show")).status_code == 409
    for minute in (1, 2):
        staff.clock.now = at(9, minute)
        await act(staff, awo1, first["id"], "recall")
    gone = await act(staff, awo1, first["id"], "no-show")
    assert gone.status_code == 200 and gone.json()["status"] == "no_show"
    missed = await Booking.get(tickets__id=first["id"])
    assert missed.status == "no_show" and missed.end == at(9, 2)  # not "in a session" for long

    second = await register(staff, reception)
    await call_next(staff, awo1)
    staff.clock.now = at(9, 11)
    assert (await act(staff, awo1, second["id"], "no-show")).status_code == 409  # 9 minutes
    staff.clock.now = at(9, 12)
    assert (await act(staff, awo1, second["id"], "no-show")).status_code == 200


async def test_a_parked_ticket_keeps_its_place(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    reception = await bearer(staff, "reception")
    first = await register(staff, reception)
    staff.clock.now = at(9, 1)
    second = await register(staff, reception)
    assert (await call_next(staff, awo1)).json()["id"] == first["id"]
    parked = await act(staff, awo1, first["id"], "park")
    assert parked.json()["status"] == "parked" and parked.json()["room"] is None
    # The call that led to no session counts for nobody and leaves no row in the schedule.
    assert not await Booking.filter(channel="walk_in").exists()
    status = (await staff.client.get(f"/api/v1/walk-ins/status/{first['token']}")).json()
    assert (status["status"], status["position"], status["estimate"]) == ("parked", None, None)
    assert (await call_next(staff, awo1)).json()["id"] == second["id"]
    staff.clock.now = at(9, 5)
    third = await register(staff, reception)
    resumed = await act(staff, await bearer(staff, "awo2"), first["id"], "resume")  # any desk
    assert resumed.json()["status"] == "waiting"
    assert (await act(staff, awo1, first["id"], "resume")).status_code == 409  # once
    status = (await staff.client.get(f"/api/v1/walk-ins/status/{first['token']}")).json()
    assert status["position"] == 1  # before the third, who came later
    await act(staff, awo1, second["id"], "start")
    await act(staff, awo1, second["id"], "finish")
    assert (await call_next(staff, awo1)).json()["id"] == first["id"]
    assert (await Ticket.get(id=third["id"])).status == "waiting"


async def test_a_transfer_restricts_who_may_call(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1, caritas1 = await bearer(staff, "awo1"), await bearer(staff, "caritas1")
    ticket = await register(staff, await bearer(staff, "reception"))
    await call_next(staff, awo1)
    for body, field in (
        ({}, "to"),
        ({"counsellor": 999999}, "counsellor"),
        ({"counsellor": "1"}, "counsellor"),
        ({"organisation": "nobody"}, "organisation"),
        ({"counsellor": 1, "organisation": "awo"}, "counsellor"),
    ):
        wrong = await staff.client.post(
            f"/api/v1/walk-ins/{ticket['id']}/transfer?lang=en", json=body, headers=awo1
        )
        assert (wrong.status_code, set(wrong.json()["fields"])) == (422, {field}), body
    claire = await counsellor_of("caritas1")
    absent = await act(staff, awo1, ticket["id"], "transfer", counsellor=claire.id)
    assert absent.status_code == 422  # Claire is not at her desk: it would wait for nobody
    assert (
        await act(staff, awo1, ticket["id"], "transfer", organisation="caritas")
    ).status_code == 422
    # Claire sits at her desk (the balance has not given her anything yet: nothing waits).
    at_desk = await staff.client.post(
        "/api/v1/queue/ready", json={"ready": False}, headers=caritas1
    )
    assert at_desk.status_code == 200
    await call_next(staff, caritas1, room="1.02")  # nothing waiting for her: ready
    moved = await act(staff, awo1, ticket["id"], "transfer", counsellor=claire.id)
    # Claire was ready: it is called for her at once, and the visitor kept their place.
    assert moved.status_code == 200 and moved.json()["status"] == "called"
    now = await staff.client.get("/api/v1/queue/current", headers=caritas1)
    assert now.status_code == 200 and now.json()["id"] == ticket["id"]
    assert now.json()["room"] == "1.02"
    assert (await call_next(staff, caritas1)).json()["id"] == ticket["id"]  # the same
    assert (await call_next(staff, awo1)).status_code == 204  # awo1 is ready now

    moved = await act(staff, caritas1, ticket["id"], "transfer", organisation="awo")
    assert moved.status_code == 200 and moved.json()["status"] == "called"
    assert (await staff.client.get("/api/v1/queue/current", headers=awo1)).json()["id"] == ticket[
        "id"
    ]
    # One row per ticket: the calls handed on count for nobody and leave no duplicate.
    bookings = await Booking.filter(channel="walk_in").order_by("id")
    assert [b.status for b in bookings] == ["booked"]
    stored = await Ticket.get(id=ticket["id"])
    assert stored.booking_id == bookings[0].id


async def test_a_booked_session_soon_holds_the_call(staff: Service) -> None:
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    deniz = await counsellor_of("awo1")
    booked = await add_booking("hsc", "awo", at(9, 20), status="booked")
    assert booked.counsellor_id == deniz.id
    ticket = await register(staff, await bearer(staff, "reception"))
    held = await call_next(staff, awo1, location="hsc")
    assert held.status_code == 409
    assert held.json()["error"] == "booked_session_soon"
    assert "anyway=true" in held.json()["message"]
    assert (await Ticket.get(id=ticket["id"])).status == "waiting"
    anyway = await call_next(staff, awo1, anyway=True)
    assert anyway.status_code == 200 and anyway.json()["id"] == ticket["id"]

    # Half an hour or more before the booked session, the call goes through.
    staff.clock.now = at(9, 25)
    await add_booking("hsc", "awo", at(10, 0), status="booked")
    await act(staff, awo1, ticket["id"], "start")
    await act(staff, awo1, ticket["id"], "finish")
    later = await register(staff, await bearer(staff, "reception"))
    assert (await call_next(staff, awo1)).json()["id"] == later["id"]


# -- races ------------------------------------------------------------------------------------


async def test_two_counsellors_at_once_never_get_the_same_ticket(staff: Service) -> None:
    staff.clock.now = at(9)
    reception = await bearer(staff, "reception")
    desks = [await bearer(staff, "awo1"), await bearer(staff, "awo2")]
    for round_ in range(3):
        tickets = [await register(staff, reception) for _ in range(2)]
        answers = await asyncio.gather(*(call_next(staff, d) for d in desks))
        assert [a.status_code for a in answers] == [200, 200], round_
        assert {a.json()["id"] for a in answers} == {t["id"] for t in tickets}
        for headers, answer in zip(desks, answers, strict=True):
            await act(staff, headers, answer.json()["id"], "start")
            await act(staff, headers, answer.json()["id"], "finish")
    last = await register(staff, reception)
    answers = await asyncio.gather(*(call_next(staff, d) for d in desks))
    assert sorted(a.status_code for a in answers) == [200, 204]
    assert [a.json()["id"] for a in answers if a.status_code == 200] == [last["id"]]
    assert await Booking.filter(channel="walk_in").count() == 7


async def test_a_double_click_calls_one_ticket(staff: Service) -> None:
    staff.clock.now = at(9)
    reception = await bearer(staff, "reception")
    for _ in range(3):
        await register(staff, reception)
    awo1 = await bearer(staff, "awo1")
    answers = await asyncio.gather(*(call_next(staff, awo1) for _ in range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert await Ticket.filter(status="called").count() == 1
    assert await Ticket.filter(status="waiting").count() == 2
    assert await Booking.filter(channel="walk_in").count() == 1


# -- check-in ---------------------------------------------------------------------------------


async def test_check_in_by_reference(staff: Service) -> None:
    booking = await book(staff, at(9))
    tomorrow = await book(staff, at(9) + timedelta(days=1))
    staff.clock.now = at(8, 50)
    reception = await bearer(staff, "reception")
    url = f"/api/v1/bookings/{booking.reference}/check-in"
    first = await staff.client.post(url, headers=reception)
    assert first.status_code == 200
    assert first.json() == {"reference": booking.reference, "checked_in_at": at(8, 50).isoformat()}
    staff.clock.now = at(8, 55)
    again = await staff.client.post(url, headers=await bearer(staff, "admin"))
    assert again.json() == first.json()  # the first arrival stands
    stored = await Booking.get(id=booking.id)
    assert stored.checked_in_at == at(8, 50)

    not_today = await staff.client.post(
        f"/api/v1/bookings/{tomorrow.reference}/check-in", headers=reception
    )
    assert (not_today.status_code, not_today.json()["error"]) == (409, "not_changeable")
    for reference in ("WB-XXXX-XXXX", "0" * 17):  # longer than any reference
        unknown = await staff.client.post(
            f"/api/v1/bookings/{reference}/check-in", headers=reception
        )
        assert (unknown.status_code, unknown.json()) == (404, {"error": "not_found"})
    counsellor = await staff.client.post(url, headers=await bearer(staff, "awo1"))
    assert counsellor.status_code == 403
    assert (await staff.client.post(url)).status_code == 401


async def test_the_openapi_document_describes_the_queue(staff: Service) -> None:
    document = (await staff.client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    for path, method in (
        ("/api/v1/locations/{code}/walk-ins", "post"),
        ("/api/v1/queue/call-next", "post"),
        ("/api/v1/queue/current", "get"),
        ("/api/v1/queue/ready", "post"),
        ("/api/v1/walk-ins/{id}/{action}", "post"),
        ("/api/v1/locations/{code}/display", "get"),
        ("/api/v1/walk-ins/status/{token}", "get"),
        ("/api/v1/bookings/{reference}/check-in", "post"),
    ):
        operation = paths[path][method]
        assert "200" in operation["responses"] or "201" in operation["responses"], path
        assert "404" in operation["responses"], path
    schemas = document["components"]["schemas"]
    assert "room" in schemas["CallNextRequest"]["properties"]
    for name in (
        "WalkInCreated",
        "QueueTicket",
        "Display",
        "WalkInStatus",
        "CheckIn",
        "RoomNeeded",
        "Readiness",
    ):
        for ref in schemas[name].get("required", []):
            assert ref in schemas[name]["properties"], (name, ref)
    assert "409" in paths["/api/v1/queue/call-next"]["post"]["responses"]
    assert "204" in paths["/api/v1/queue/call-next"]["post"]["responses"]

    # Every path parameter is declared, and every reference resolves.
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            declared = {
                p["name"]
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                if p["in"] == "path"
            }
            assert declared == set(re.findall(r"\{(\w+)\}", path)), (path, method)
    references = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document))
    assert references and set(references) <= set(schemas)


async def test_finish_records_what_the_session_covered(staff: Service) -> None:
    """finish may carry the topics covered, a referral and a note: checked like the outcome
    form (nothing changes while one is wrong), then stored on the walk-in's booking."""
    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    ticket = await register(staff, await bearer(staff, "reception"))
    await call_next(staff, awo1)
    await act(staff, awo1, ticket["id"], "start")
    staff.clock.now = at(9, 30)
    for body, field in (
        ({"topics": ["cooking"]}, "topics"),
        ({"topics": "work"}, "topics"),
        ({"referral": "astrologer"}, "referral"),
        ({"note": "x" * 501}, "note"),
        ({"note": 7}, "note"),
    ):
        refused = await act(staff, awo1, ticket["id"], "finish", **body)
        assert refused.status_code == 422, body
        assert set(refused.json()["fields"]) == {field} and refused.json()["fields"][field]
    assert (await Ticket.get(id=ticket["id"])).status == "serving"
    finished = await act(
        staff,
        awo1,
        ticket["id"],
        "finish",
        topics=["work", "forms"],
        referral="job_centre",
        note=" Bewerbung besprochen ",
    )
    assert finished.status_code == 200 and finished.json()["status"] == "done"
    booking = await Booking.get(tickets__id=ticket["id"])
    assert booking.status == "attended"
    assert booking.outcome_topics == ["forms", "work"]  # in the list's order
    assert (booking.referral, booking.outcome_note) == ("job_centre", "Bewerbung besprochen")


async def test_reception_sees_the_desk_room_and_no_session_after_a_no_show(staff: Service) -> None:
    """A walk-in who did not come ends the session at once: reception does not list the
    counsellor as in a session until its planned end; and reception shows the room the
    counsellor chose at the desk, as the display does."""
    from booking.services import schedule as schedule_service

    staff.clock.now = at(9)
    awo1 = await bearer(staff, "awo1")
    ticket = await register(staff, await bearer(staff, "reception"))
    assert (await call_next(staff, awo1, room="1.06")).json()["room"] == "1.06"
    location = await Location.get(code="hsc")
    deniz = await counsellor_of("awo1")
    listed = {d.counsellor_id: d for d in await schedule_service.on_duty(location, staff.clock.now)}
    assert listed[deniz.id].room == "1.06"
    staff.clock.now = at(9, 10)
    assert (await act(staff, awo1, ticket["id"], "no-show")).status_code == 200
    staff.clock.now = at(9, 11)
    listed = {d.counsellor_id: d for d in await schedule_service.on_duty(location, staff.clock.now)}
    assert listed[deniz.id].state.state != "in_session"
