"""Walk-in tickets between two calls in the schedule (booking/services/walkins/rows.py), on
SQLite and PostgreSQL: a parked or transferred ticket is one row with its current state, under
the colleague who holds or awaits it, and never a cancelled duplicate."""

from __future__ import annotations

from booking import queue
from booking.models import Counsellor, Location
from booking.schedule import BOOKING, TICKET, Entry, Scope
from booking.services import fairness, walkins
from booking.services import schedule as schedule_service
from booking.services.days import local_date
from booking.services.walkins import WalkInForm
from tests.conftest import Service, at
from tests.support.staff import bearer, sign_in

RULES = fairness.DEFAULT_RULES


async def hsc() -> Location:
    return await Location.get(code="hsc")


async def person(name: str) -> Counsellor:
    return await Counsellor.get(display_name=name)


async def rows(
    service: Service,
    counsellor: Counsellor | None = None,
    organisation_id: int | None = None,
) -> list[Entry]:
    location = await hsc()
    scope = Scope(
        local_date(service.clock.now, location),
        organisation_id,
        counsellor.id if counsellor else None,
    )
    return await schedule_service.entries(location, scope, "test", service.clock.now)


async def called_ticket(service: Service, counsellor: Counsellor) -> int:
    await walkins.register(
        await hsc(), WalkInForm("forms", "de", "", "Amina"), "reception", service.clock.now
    )
    called = await walkins.call_next(counsellor, await hsc(), service.clock.now, RULES, anyway=True)
    assert called.ticket is not None
    return called.ticket.id


async def test_a_parked_ticket_is_one_row_under_its_holder(service: Service) -> None:
    service.clock.now = at(10, 5)
    aylin, jonas = await person("Aylin K."), await person("Jonas M.")
    ticket_id = await called_ticket(service, aylin)
    [session] = await rows(service)
    assert session.kind == BOOKING and session.status == "booked"

    await walkins.act(ticket_id, "park", aylin, service.clock.now)
    [parked] = await rows(service)  # one row, not a cancelled session beside a ticket
    assert (parked.kind, parked.status, parked.id) == (TICKET, queue.PARKED, ticket_id)
    assert parked.counsellor_id == aylin.id and parked.display_name == "Amina"
    assert parked.reference.endswith("001") and parked.start == service.clock.now
    assert [e.id for e in await rows(service, aylin)] == [ticket_id]
    assert await rows(service, jonas) == []

    # Back from the counter: waiting again, for anyone; still one row at the location.
    await walkins.act(ticket_id, "resume", aylin, service.clock.now)
    [back] = await rows(service)
    assert (back.kind, back.status, back.counsellor_id) == (TICKET, queue.WAITING, None)
    assert await rows(service, aylin) == []

    # Called again: the row is the session now.
    await walkins.call_next(jonas, await hsc(), service.clock.now, RULES, anyway=True)
    [again] = await rows(service)
    assert again.kind == BOOKING and again.counsellor_id == jonas.id


async def test_a_transferred_ticket_is_one_row_for_whom_it_waits(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await hsc()
    aylin, deniz = await person("Aylin K."), await person("Deniz Y.")
    await Counsellor.filter(id=deniz.id).update(
        desk_location_id=location.id, desk_since=service.clock.now
    )
    ticket_id = await called_ticket(service, aylin)
    await walkins.act(ticket_id, "transfer", aylin, service.clock.now, to_counsellor=deniz.id)
    [waiting] = await rows(service)
    assert (waiting.kind, waiting.status, waiting.counsellor_id) == (
        TICKET,
        queue.WAITING,
        deniz.id,
    )
    assert [e.id for e in await rows(service, deniz)] == [ticket_id]
    assert await rows(service, aylin) == []
    deniz_organisation: int = deniz.organisation_id
    assert [e.id for e in await rows(service, organisation_id=deniz_organisation)] == [ticket_id]


async def test_a_ticket_for_an_organisation_shows_in_its_view(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await hsc()
    aylin, deniz = await person("Aylin K."), await person("Deniz Y.")
    await Counsellor.filter(id=deniz.id).update(
        desk_location_id=location.id, desk_since=service.clock.now
    )
    deniz_organisation: int = deniz.organisation_id
    aylin_organisation: int = aylin.organisation_id
    assert deniz_organisation != aylin_organisation
    ticket_id = await called_ticket(service, aylin)
    await walkins.act(
        ticket_id, "transfer", aylin, service.clock.now, to_organisation=deniz_organisation
    )
    [waiting] = await rows(service, organisation_id=deniz_organisation)
    assert waiting.counsellor_id is None and waiting.organisation_name
    assert await rows(service, organisation_id=aylin_organisation) == []


async def test_reception_and_the_schedule_show_the_parked_ticket(staff: Service) -> None:
    staff.clock.now = at(10, 5)
    aylin = await person("Aylin K.")
    ticket_id = await called_ticket(staff, aylin)
    await walkins.act(ticket_id, "park", aylin, staff.clock.now)
    await sign_in(staff.client, "reception")
    page = await staff.client.get("/staff/reception?location=hsc&lang=en")
    assert page.status_code == 200
    assert "At the office counter" in page.text and "Check in" not in page.text
    await sign_in(staff.client, "admin")
    schedule = await staff.client.get("/staff/schedule?location=hsc&lang=en")
    assert schedule.status_code == 200 and "At the office counter" in schedule.text
    assert "Cancelled" not in schedule.text
    api = await staff.client.get(
        "/api/v1/schedule?location=hsc", headers=await bearer(staff, "admin")
    )
    assert api.status_code == 200, api.text
    [entry] = api.json()["entries"]
    assert (entry["kind"], entry["status"]) == ("ticket", "parked")
