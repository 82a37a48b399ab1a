"""The walk-in service (booking/services/walkins/) on SQLite and PostgreSQL: numbering,
calls under the lock, the balance between free counsellors, the desk's actions, closing time,
estimates and anonymisation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from booking import queue
from booking.errors import Held, Invalid, NotChangeable
from booking.models import (
    ATTENDED,
    CANCELLED,
    AuditEntry,
    Booking,
    Counsellor,
    Location,
    PlanException,
    Ticket,
)
from booking.services import fairness, walkins
from booking.services.privacy import anonymise_due
from booking.services.walkins import WalkInForm
from booking.settings import DEMO_SECRET_KEY as SECRET
from tests.conftest import Service, at, utc

RULES = fairness.DEFAULT_RULES


async def hsc() -> Location:
    return await Location.get(code="hsc")


async def person(name: str) -> Counsellor:
    return await Counsellor.get(display_name=name)


async def register(
    service: Service, topic: str = "forms", language: str = "de", priority: str = "", name: str = ""
) -> walkins.Registered:
    form = WalkInForm(topic, language, priority, name)
    return await walkins.register(await hsc(), form, "reception", service.clock.now)


def test_the_form_names_what_is_wrong() -> None:
    with pytest.raises(Invalid) as caught:
        walkins.read_walk_in(
            {"topic": "cooking", "language": "??", "priority": "vip", "name": "<b>"}
        )
    assert set(caught.value.fields) == {"topic", "language", "priority", "name"}
    form = walkins.read_walk_in({"topic": "work", "language": "FA-af", "name": "  Amina  "})
    assert form == WalkInForm("work", "fa-AF", "", "Amina")


async def test_numbers_are_unique_per_day_even_at_once(service: Service) -> None:
    service.clock.now = at(9)
    made = await asyncio.gather(*(register(service) for _ in range(15)))
    assert sorted(r.ticket.number for r in made) == list(range(1, 16))
    assert {r.label for r in made} >= {"W 001", "W 015"}
    service.clock.now = at(9) + timedelta(days=1)  # a new day starts again at 1
    assert (await register(service)).ticket.number == 1


async def test_two_counsellors_calling_at_once_get_different_tickets(service: Service) -> None:
    service.clock.now = at(10, 5)
    for _ in range(3):
        await register(service)
    aylin, jonas = await person("Aylin K."), await person("Jonas M.")
    location = await hsc()
    first, second, again = (
        called.ticket
        for called in await asyncio.gather(
            walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True),
            walkins.call_next(jonas, location, service.clock.now, RULES, anyway=True),
            walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True),  # twice
        )
    )
    assert first is not None and second is not None and again is not None
    assert first.id != second.id and again.id == first.id
    assert await Ticket.filter(status=queue.CALLED).count() == 2
    walk_ins = await Booking.filter(channel="walk_in", start__gte=utc(at(10)))
    assert sorted(b.counsellor_id for b in walk_ins) == sorted([aylin.id, jonas.id])


async def at_desk(*people: Counsellor, now: datetime) -> None:
    for someone in people:
        await Counsellor.filter(id=someone.id).update(
            desk_location_id=(await hsc()).id, desk_since=now
        )


async def weigh(now: datetime, **weights: float) -> None:
    from booking.models import Organisation

    for code, weight in weights.items():
        await fairness.set_weight(
            await hsc(), await Organisation.get(code=code), weight, "admin", now
        )


async def test_call_next_serves_the_one_who_pressed(service: Service) -> None:
    """Both at their desk and free, and awo weighs nearly everything: when Aylin (lhh) presses,
    the Turkish walk-in is called for her, not for Deniz (awo), who never pressed."""
    service.clock.now = at(10, 5)
    location = await hsc()
    aylin, deniz = await person("Aylin K."), await person("Deniz Y.")  # lhh and awo, both speak tr
    await at_desk(aylin, deniz, now=service.clock.now)
    await weigh(service.clock.now, awo=1000.0, lhh=0.001)
    await register(service, language="tr")
    pressed = await walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True)
    assert pressed.ticket is not None and pressed.ticket.counsellor_id == aylin.id
    assert pressed.ticket.room_id is not None
    call = await AuditEntry.get(action="call", record_id=str(pressed.ticket.id))
    assert call.actor == str(aylin.id)
    booking = await Booking.get(id=pressed.ticket.booking_id)
    assert booking.allocation is not None and booking.allocation["organisation"] == "lhh"
    # Deniz's own press finds nothing: he goes on the ready list.
    nothing = await walkins.call_next(deniz, location, service.clock.now, RULES, anyway=True)
    assert nothing.ticket is None and nothing.ready
    assert (await Counsellor.get(id=deniz.id)).ready_since is not None


async def test_a_new_ticket_goes_to_the_ready_counsellor_furthest_behind(service: Service) -> None:
    """Aylin (lhh) and Deniz (awo) pressed and nothing fitted: both are ready. awo is furthest
    behind its share, so the next Turkish walk-in is called for Deniz at once, with his room on
    the display and the decision recorded; the one after goes to Aylin, the only one left."""
    service.clock.now = at(10, 5)
    location = await hsc()
    aylin, deniz = await person("Aylin K."), await person("Deniz Y.")
    await weigh(service.clock.now, awo=1000.0, lhh=0.001)
    for someone in (aylin, deniz):
        assert (await walkins.call_next(someone, location, service.clock.now, RULES)).ready
    first = await register(service, language="tr")
    handed = await Ticket.get(id=first.ticket.id)
    assert handed.status == queue.CALLED and handed.counsellor_id == deniz.id
    assert first.position is None  # called at once: no place in the queue
    current = await walkins.current(deniz)
    assert current is not None and current.id == handed.id
    assert await walkins.current(aylin) is None
    booking = await Booking.get(id=handed.booking_id)
    assert booking.allocation is not None and booking.allocation["organisation"] == "awo"
    assert {s["organisation"] for s in booking.allocation["standings"]} == {"awo", "lhh"}
    calls = await walkins.display(location, service.clock.now)
    assert [c.label for c in calls] == ["W 001"] and calls[0].room is not None
    second = await register(service, language="tr")
    assert (await Ticket.get(id=second.ticket.id)).counsellor_id == aylin.id
    third = await register(service, language="tr")  # nobody is ready any more: it waits
    assert (await Ticket.get(id=third.ticket.id)).status == queue.WAITING


async def test_readiness_ends_after_an_hour_a_booked_session_or_leaving(service: Service) -> None:
    from booking.services import desk

    service.clock.now = at(9, 5)
    location = await hsc()
    aylin = await person("Aylin K.")
    assert (await walkins.call_next(aylin, location, service.clock.now, RULES)).ready
    service.clock.now = at(10, 6)  # more than an hour later
    late = await register(service, language="tr")
    assert (await Ticket.get(id=late.ticket.id)).status == queue.WAITING
    await Ticket.filter(id=late.ticket.id).update(status=queue.CLOSED)
    # Ready again; then she leaves the desk: off the list.
    assert (await walkins.call_next(aylin, location, service.clock.now, RULES)).ready
    await desk.leave(aylin, "aylin", service.clock.now)
    gone = await register(service, language="tr")
    assert (await Ticket.get(id=gone.ticket.id)).status == queue.WAITING


async def test_a_booked_session_soon_holds_the_call(service: Service) -> None:
    service.clock.now = at(9, 15)
    link = service.link(at(11, 30), ref="ABH-HOLD")
    booked = await service.client.post(
        "/api/v1/bookings",
        json=service.booking_body(link, at(10, 30), language="tr", organisation="awo"),
    )
    assert booked.status_code == 201, booked.text
    deniz = await person("Deniz Y.")
    booking = await Booking.get(reference=booked.json()["reference"])
    assert booking.counsellor_id == deniz.id
    service.clock.now = at(10, 5)  # 25 minutes before it: less than a session takes
    await register(service, language="tr")
    with pytest.raises(Held):
        await walkins.call_next(deniz, await hsc(), service.clock.now, RULES)
    called = (
        await walkins.call_next(deniz, await hsc(), service.clock.now, RULES, anyway=True)
    ).ticket
    assert called is not None


async def test_serving_parking_and_finishing(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await hsc()
    first = await register(service)
    second = await register(service)
    aylin = await person("Aylin K.")
    called = (
        await walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True)
    ).ticket
    assert called is not None and called.id == first.ticket.id
    # Called to the immigration counter: parked, and the session counts for nobody.
    parked = await walkins.act(called.id, "park", aylin, service.clock.now)
    assert parked.status == queue.PARKED
    assert not await Booking.exists(id=called.booking_id)
    with pytest.raises(NotChangeable):
        await walkins.act(called.id, "park", aylin, service.clock.now)  # twice changes nothing
    # Back again: it comes before the ticket that arrived after it.
    await walkins.act(called.id, "resume", aylin, service.clock.now)
    status = await walkins.status(first.token, service.clock.now)
    assert (
        status.position == 1
        and (await walkins.status(second.token, service.clock.now)).position == 2
    )
    again = (await walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True)).ticket
    # A fresh count after the resume: its first call of the new round.
    assert again is not None and again.id == first.ticket.id and again.calls == 1
    service.clock.now = at(10, 7)
    started = await walkins.act(again.id, "start", aylin, service.clock.now)
    assert started.status == queue.SERVING
    service.clock.now = at(10, 40)
    done = await walkins.act(again.id, "finish", aylin, service.clock.now)
    assert done.status == queue.DONE
    session = await Booking.get(id=done.booking_id)
    # One row in the schedule for the ticket, not a cancelled duplicate for the parked call.
    assert await Booking.filter(channel="walk_in", name=session.name).count() == 1
    assert (
        session.status == ATTENDED
        and session.channel == "walk_in"
        and session.appointment_id is None
    )
    month = fairness.month_of(service.clock.now, location)
    tally = await fairness.tally(location, month, RULES)
    assert tally.actual.get("lhh", 0) >= 1  # the walk-in counts in the fair shares


async def test_transfer_and_no_show(service: Service) -> None:
    service.clock.now = at(10, 5)
    location = await hsc()
    ticket = await register(service)
    aylin, jonas = await person("Aylin K."), await person("Jonas M.")
    called = (
        await walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True)
    ).ticket
    assert called is not None
    with pytest.raises(Invalid):  # Jonas is not at his desk: the ticket would wait for nobody
        await walkins.act(called.id, "transfer", aylin, service.clock.now, to_counsellor=jonas.id)
    await Counsellor.filter(id=jonas.id).update(
        desk_location_id=location.id, desk_since=service.clock.now
    )
    await walkins.act(called.id, "transfer", aylin, service.clock.now, to_counsellor=jonas.id)
    assert (
        await walkins.call_next(aylin, location, service.clock.now, RULES, anyway=True)
    ).ticket is None
    taken = (await walkins.call_next(jonas, location, service.clock.now, RULES, anyway=True)).ticket
    assert taken is not None and taken.id == ticket.ticket.id
    with pytest.raises(NotChangeable):  # not after one call and a moment
        await walkins.act(taken.id, "no-show", jonas, service.clock.now)
    service.clock.now += timedelta(minutes=queue.DEFAULT_NO_SHOW.minutes)
    gone = await walkins.act(taken.id, "no-show", jonas, service.clock.now)
    assert gone.status == queue.NO_SHOW


async def test_estimates_and_honest_unknowns(service: Service) -> None:
    service.clock.now = at(10, 5)
    made = [await register(service) for _ in range(4)]
    assert [m.position for m in made] == [1, 2, 3, 4]
    estimates = [m.estimate for m in made]
    assert all(e is not None for e in estimates)
    assert estimates[0].earliest <= estimates[-1].earliest  # type: ignore[union-attr]
    stored = await Ticket.get(id=made[0].ticket.id)
    assert stored.estimate_earliest is not None and stored.estimate_latest is not None
    nobody = await register(service, language="sw")  # Swahili: nobody on duty speaks it
    status = await walkins.status(nobody.token, service.clock.now)
    assert status.estimate is None and status.nobody_fits and status.position == 5


async def test_closing_time_closes_the_queue_with_a_reason(service: Service) -> None:
    service.clock.now = at(15)
    waiting = await register(service)
    location = await hsc()
    assert await walkins.close_day(location, service.clock.now) == 0  # still open
    service.clock.now = at(16)
    assert await walkins.close_due(service.clock.now) == 1
    status = await walkins.status(waiting.token, service.clock.now)
    assert status.status == queue.CLOSED and status.closed_reason == walkins.CLOSED_AT_CLOSING


async def test_a_walk_ins_first_name_is_anonymised_on_schedule(service: Service) -> None:
    service.clock.now = at(9)
    made = await register(service, name="Amina")
    await anonymise_due(service.clock.now + timedelta(days=29), 30, SECRET)
    assert (await Ticket.get(id=made.ticket.id)).name == "Amina"
    await anonymise_due(service.clock.now + timedelta(days=31), 30, SECRET)
    assert (await Ticket.get(id=made.ticket.id)).name == ""


async def test_display_names_nobody(service: Service) -> None:
    service.clock.now = at(10, 5)
    await register(service, name="Amina")
    aylin = await person("Aylin K.")
    await walkins.call_next(aylin, await hsc(), service.clock.now, RULES, anyway=True)
    calls = await walkins.display(await hsc(), service.clock.now)
    assert [c.label for c in calls] == ["W 001"]
    assert "Amina" not in repr(calls)


async def test_someone_at_the_desk_on_a_day_off_counts_for_the_estimate(service: Service) -> None:
    """Sunday: nobody is in the plan, but Aylin came in and is at her desk."""
    service.clock.now = at(10) - timedelta(days=1)
    location = await hsc()
    waiting = await register(service)
    closed = await walkins.status(waiting.token, service.clock.now)
    assert closed.desk_closed and closed.opens_at == at(8)  # Monday morning, not "nobody fits"
    aylin = await person("Aylin K.")
    await Counsellor.filter(id=aylin.id).update(
        desk_location_id=location.id, desk_since=service.clock.now
    )
    status = await walkins.status(waiting.token, service.clock.now)
    assert not status.nobody_fits and status.estimate is not None
    assert status.estimate.earliest == service.clock.now


async def test_extra_hours_over_the_plan_count_for_the_estimate(service: Service) -> None:
    """A coordinator keeps Aylin on duty all day with extra hours that overlap her weekly plan
    (as on a long day): the evening's walk-in is registered and gets an estimate."""
    service.clock.now = at(19, 30)
    location = await hsc()
    aylin = await person("Aylin K.")
    await PlanException.create(
        counsellor_id=aylin.id,
        location_id=location.id,
        day=service.clock.now.date(),
        kind="extra",
        starts=0,
        ends=23 * 60 + 59,
    )
    made = await register(service, language="tr")  # Aylin speaks Turkish
    assert made.position == 1
    assert made.estimate is not None and made.estimate.earliest == service.clock.now


async def test_a_colleague_with_a_booked_session_soon_is_not_handed_a_walk_in(
    service: Service,
) -> None:
    """awo weighs nearly everything, so the balance among the ready would give a Turkish
    walk-in to Deniz; but his booked session begins in 25 minutes, less than a session takes:
    Aylin, ready too, gets it. Once his session is cancelled, the next one goes to him."""
    service.clock.now = at(9, 15)
    location = await hsc()
    link = service.link(at(11, 30), ref="ABH-SOON")
    booked = await service.client.post(
        "/api/v1/bookings",
        json=service.booking_body(link, at(10, 30), language="tr", organisation="awo"),
    )
    assert booked.status_code == 201, booked.text
    service.clock.now = at(10, 5)
    aylin, deniz = await person("Aylin K."), await person("Deniz Y.")
    await weigh(service.clock.now, awo=1000.0, lhh=0.001)
    assert (await walkins.call_next(aylin, location, service.clock.now, RULES)).ready
    assert (await walkins.call_next(deniz, location, service.clock.now, RULES, anyway=True)).ready
    first = await register(service, language="tr")
    taken = await Ticket.get(id=first.ticket.id)
    assert taken.counsellor_id == aylin.id

    for action in ("start", "finish"):
        await walkins.act(taken.id, action, aylin, service.clock.now)
    assert (await walkins.call_next(aylin, location, service.clock.now, RULES)).ready
    await Booking.filter(reference=booked.json()["reference"]).update(status=CANCELLED)
    second = await register(service, language="tr")
    handed = await Ticket.get(id=second.ticket.id)
    assert handed.status == queue.CALLED and handed.counsellor_id == deniz.id
