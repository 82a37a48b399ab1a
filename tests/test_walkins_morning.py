"""A morning at the demo location as issue 14's "Done when" plays it, through the real API and
pages: reception and three counsellors of two organisations (Aylin K. and Jonas M. of lhh,
Deniz Y. of awo). Each press serves the one who pressed; a new ticket goes to the ready
counsellor furthest behind; every call shows its room on the display; transfer lists only
present colleagues; a parked ticket resumes at the front with a fresh count; after closing the
queue closes by itself."""

from __future__ import annotations

import asyncio
from typing import Any

from booking import queue
from booking.models import Booking, Ticket
from booking.services import walkins
from tests.conftest import Service, at
from tests.support.staff import bearer, sign_in
from tests.support.walkins import act, call_next, counsellor_of, register


async def display(service: Service) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = (
        await service.client.get("/api/v1/locations/hsc/display")
    ).json()["calls"]
    return calls


async def current(service: Service, headers: dict[str, str]) -> Any:
    return await service.client.get("/api/v1/queue/current", headers=headers)


def furthest_behind(allocation: dict[str, Any]) -> bool:
    """The decision went to the organisation with the largest shortfall among those standing."""
    shortfalls = {s["organisation"]: s["shortfall"] for s in allocation["standings"]}
    return bool(shortfalls[allocation["organisation"]] >= max(shortfalls.values()) - 1e-6)


async def test_a_morning_at_the_desk(staff: Service) -> None:
    staff.clock.now = at(8, 5)
    reception = await bearer(staff, "reception")
    aylin, jonas, deniz = [await bearer(staff, name) for name in ("lhh1", "lhh2", "awo1")]
    desks = {"lhh1": aylin, "lhh2": jonas, "awo1": deniz}

    # Nobody waits yet: each press finds nothing and puts the counsellor on the ready list.
    for headers in desks.values():
        assert (await call_next(staff, headers)).status_code == 204
    assert await display(staff) == []

    # A new ticket goes to a ready counsellor at once, of the organisation furthest behind.
    first = await register(staff, reception)
    holders = {
        name: (await current(staff, headers)).json()
        for name, headers in desks.items()
        if (await current(staff, headers)).status_code == 200
    }
    assert [t["id"] for t in holders.values()] == [first["id"]]
    booking = await Booking.get(tickets__id=first["id"])
    assert booking.allocation is not None and furthest_behind(booking.allocation)
    assert {s["organisation"] for s in booking.allocation["standings"]} == {"lhh", "awo"}
    shown = await display(staff)
    assert shown[0]["number"] == first["number"]
    assert shown[0]["room"] == next(iter(holders.values()))["room"] is not None

    # Two more: the other ready counsellors get them; every call on the display has its room.
    second = await register(staff, reception)
    third = await register(staff, reception)
    held = {name: (await current(staff, headers)).json() for name, headers in desks.items()}
    assert sorted(t["id"] for t in held.values()) == sorted(
        [first["id"], second["id"], third["id"]]
    )
    rooms = {t["number"]: t["room"] for t in held.values()}
    assert {c["number"]: c["room"] for c in await display(staff)} == rooms
    assert all(rooms.values())

    # Aylin finishes; a fourth arrives while nobody is ready and waits; her press takes it,
    # although awo may be behind: the one who pressed is served.
    aylins = held["lhh1"]["id"]
    staff.clock.now = at(8, 10)
    await act(staff, aylin, aylins, "start")
    staff.clock.now = at(8, 40)
    await act(staff, aylin, aylins, "finish")
    fourth = await register(staff, reception)
    assert (await Ticket.get(id=fourth["id"])).status == queue.WAITING
    pressed = await call_next(staff, aylin)
    assert pressed.status_code == 200 and pressed.json()["id"] == fourth["id"]
    assert pressed.json()["room"] == held["lhh1"]["room"]

    # Transfer offers only present colleagues: Jonas and Deniz pressed today, Olga did not.
    await sign_in(staff.client, "lhh1")
    page = (await staff.client.get("/staff/desk?lang=en")).text
    transfer = page.split('name="to"', 1)[1].split("</select>", 1)[0]
    assert "Jonas M." in transfer and "Deniz Y." in transfer and "Olga P." not in transfer
    assert "Claire D." not in transfer and 'value="organisation:caritas"' not in transfer

    # Called to the immigration counter: parked, then back at the front with a fresh count.
    staff.clock.now = at(8, 42)
    await act(staff, aylin, fourth["id"], "recall")
    assert (await Ticket.get(id=fourth["id"])).calls == 2
    await act(staff, aylin, fourth["id"], "park")
    fifth = await register(staff, reception)  # arrives while the fourth is away
    assert (await Ticket.get(id=fifth["id"])).status == queue.WAITING
    staff.clock.now = at(9, 10)
    resumed = await act(staff, deniz, fourth["id"], "resume")  # any desk may put it back
    assert resumed.status_code == 200 and resumed.json()["status"] == "waiting"
    status = (await staff.client.get(f"/api/v1/walk-ins/status/{fourth['token']}")).json()
    assert status["position"] == 1  # before the fifth, who came later
    again = await call_next(staff, aylin)
    assert again.json()["id"] == fourth["id"]
    stored = await Ticket.get(id=fourth["id"])
    assert stored.calls == 1  # a fresh count: "did not come" is not offered at once
    assert (await act(staff, aylin, fourth["id"], "no-show")).status_code == 409
    # One row in the schedule for the fourth: the session that takes place.
    assert await Booking.filter(tickets__id=fourth["id"]).count() == 1

    # After closing time the running service closes the queue by itself.
    late = await register(staff, reception, language="sw")  # fits nobody: it waits
    staff.clock.now = at(16, 1)
    sweep = asyncio.create_task(walkins.close_periodically(lambda: staff.clock.now, 0.01))
    try:
        for _ in range(500):
            if (await Ticket.get(id=late["id"])).status == queue.CLOSED:
                break
            await asyncio.sleep(0.01)
    finally:
        sweep.cancel()
    closed = await Ticket.get(id=late["id"])
    assert (closed.status, closed.closed_reason) == (queue.CLOSED, walkins.CLOSED_AT_CLOSING)
    page = (await staff.client.get(f"/t/{late['token']}?lang=en")).text
    assert "We could not call you before closing time." in page
    deniz_id = (await counsellor_of("awo1")).id
    assert deniz_id  # the morning's desks are real profiles
