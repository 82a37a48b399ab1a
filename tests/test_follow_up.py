"""A follow-up session booked at the desk for a walk-in (booking/services/follow_up.py)."""

from __future__ import annotations

from datetime import date

import pytest

from booking.errors import NotChangeable
from booking.models import Booking, Counsellor, OutboxMessage, Ticket
from booking.services.follow_up import book_follow_up
from tests.conftest import Service, at
from tests.support.desk import DESK, open_desk, press
from tests.support.staff import bearer
from tests.support.walkins import register

TUESDAY = date(2026, 11, 24)


async def serving(staff: Service) -> int:
    """awo1 (Deniz Y.) calls and starts a walk-in on Monday at nine; the ticket's id."""
    staff.clock.now = at(9)
    ticket = await register(staff, await bearer(staff, "reception"), name="Amina")
    await open_desk(staff)
    await press(staff, "/staff/desk/call-next")
    assert (await press(staff, f"/staff/desk/walk-ins/{ticket['id']}/start"))[0] == 303
    ticket_id: int = ticket["id"]
    return ticket_id


def form(ticket_id: int) -> str:
    return f"/staff/desk/walk-ins/{ticket_id}/follow-up"


async def test_book_a_follow_up_with_an_e_mail(staff: Service) -> None:
    ticket_id = await serving(staff)
    desk = (await staff.client.get(DESK)).text
    assert f'href="{form(ticket_id)}"' in desk and "Book a follow-up" in desk
    page = await staff.client.get(form(ticket_id) + "?lang=en")
    assert page.status_code == 200, page.text
    assert "Tuesday, November 24, 2026" in page.text  # the next working day
    assert 'value="2026-11-24T10:00:00+01:00"' in page.text
    assert f'href="{form(ticket_id)}?day=2026-11-23"' in page.text  # the day before (today)
    assert f'href="{form(ticket_id)}?day=2026-11-25"' in page.text
    assert 'value="Amina"' in page.text  # the ticket's first name

    status, where = await press(
        staff,
        form(ticket_id),
        day="2026-11-24",
        slot="2026-11-24T10:00:00+01:00",
        email="amina@example.org",
        name="",
    )
    assert (status, where) == (303, "/staff/desk?location=hsc&note=follow_up")
    booking = await Booking.get(channel="follow_up")
    deniz = await Counsellor.get(accounts__username="awo1")
    assert booking.appointment_id is None and booking.appointment_key is None
    assert booking.counsellor_id == deniz.id
    assert booking.start == at(10, day=at(0).replace(day=24))
    assert (booking.topic, booking.language, booking.ui_language) == ("forms", "de", "de")
    assert (booking.name, booking.email, booking.status) == ("Amina", "amina@example.org", "booked")
    assert booking.consent_at is not None and booking.token_nonce
    assert booking.allocation and booking.allocation["rule"] == "requested_organisation"
    assert booking.allocation["organisation"] == "awo"
    mails = await OutboxMessage.filter(booking_id=booking.id, recipient="applicant")
    sent = {m.kind: (m.to_address, m.calendar_method) for m in mails}
    assert sent["confirmed"] == ("amina@example.org", "REQUEST")  # and a reminder the day before

    # The desk shows the reference and the slip's button once (issue 14: no more 64-character
    # link), and stops reloading meanwhile.
    desk = (await staff.client.get(where + "&lang=en")).text
    assert f"Follow-up booked: {booking.reference}, Tuesday, November 24, 2026 10:00" in desk
    assert 'http-equiv="refresh"' not in desk
    assert f'action="/staff/desk/follow-ups/{booking.id}/slip"' in desk and "/manage/" not in desk
    again = (await staff.client.get(where + "&lang=en")).text
    assert "Follow-up booked" not in again and 'http-equiv="refresh"' in again

    # The visitor's manage page works without an office appointment: move and cancel
    # (tests/test_follow_up_slip.py moves one).
    mailer = staff.app.state.mailer
    token = mailer.manage_url(booking, booking.manage_token_hash).rsplit("/", 1)[1]
    manage = await staff.client.get(f"/manage/{token}?lang=en")
    assert manage.status_code == 200 and booking.reference in manage.text
    assert "/reschedule" in manage.text and "/cancel" in manage.text


async def test_without_an_e_mail_no_mail(staff: Service) -> None:
    ticket_id = await serving(staff)
    status, _where = await press(
        staff, form(ticket_id), day="2026-11-24", slot="2026-11-24T11:00:00+01:00", name="Ali"
    )
    assert status == 303
    booking = await Booking.get(channel="follow_up")
    assert (booking.name, booking.email) == ("Ali", "")
    assert not await OutboxMessage.filter(booking_id=booking.id, recipient="applicant").exists()


async def test_a_finished_walk_in_can_be_followed_up(staff: Service) -> None:
    ticket_id = await serving(staff)
    staff.clock.now = at(9, 30)
    await press(staff, f"/staff/desk/walk-ins/{ticket_id}/finish")
    desk = (await staff.client.get(DESK)).text
    assert "Last finished: W 001." in desk and f'href="{form(ticket_id)}"' in desk
    assert (await staff.client.get(form(ticket_id) + "?day=2026-11-23")).status_code == 200


async def test_someone_elses_ticket_is_refused(staff: Service) -> None:
    ticket_id = await serving(staff)
    olga = await Counsellor.get(accounts__username="awo2")
    with pytest.raises(NotChangeable):
        await book_follow_up(
            ticket_id, olga, TUESDAY, at(10).replace(day=24), "", "", staff.clock.now
        )
    staff.client.cookies.clear()
    await open_desk(staff, "awo2")
    refused = await staff.client.get(form(ticket_id) + "?lang=en")
    assert refused.status_code == 409 and "only be booked for the walk-in you are" in refused.text
    status, _body = await press(staff, form(ticket_id), slot="2026-11-24T10:00:00+01:00")
    assert status == 409
    assert not await Booking.filter(channel="follow_up").exists()
    # A waiting ticket has no follow-up yet, not even for the one it will be called by.
    waiting = await register(staff, await bearer(staff, "reception"))
    assert (await staff.client.get(form(waiting["id"]))).status_code == 409


async def test_a_taken_slot_and_bad_input(staff: Service) -> None:
    ticket_id = await serving(staff)
    ten = "2026-11-24T10:00:00+01:00"
    bad = await press(staff, form(ticket_id), day="2026-11-24", slot=ten, email="no-at-sign")
    assert bad[0] == 422 and "Please check the e-mail address" in bad[1]
    unsendable = await press(
        staff, form(ticket_id), day="2026-11-24", slot=ten, email="a..b@example.org"
    )
    assert unsendable[0] == 422 and "Please check the e-mail address" in unsendable[1]
    assert (await press(staff, form(ticket_id), day="2026-11-24"))[0] == 422  # no time
    assert (await staff.client.get(form(ticket_id) + "?day=24.11.2026")).status_code == 422
    assert (await staff.client.get(form(ticket_id) + "?day=2026-11-20")).status_code == 422
    # Deniz Y. keeps the first; Olga P. (the other AWO counsellor) the second; then it is taken.
    for _ in range(2):
        assert (await press(staff, form(ticket_id), day="2026-11-24", slot=ten))[0] == 303
    holders = await Booking.filter(channel="follow_up").values_list("counsellor_id", flat=True)
    awo = await Counsellor.filter(organisation__code="awo").values_list("id", flat=True)
    assert sorted(holders) == sorted(awo)
    status, body = await press(staff, form(ticket_id), day="2026-11-24", slot=ten)
    assert status == 409 and "someone else has just booked this time" in body
    assert ten not in body and 'value="2026-11-24T10:30:00+01:00"' in body
    assert await Booking.filter(channel="follow_up").count() == 2
    assert (await Ticket.get(id=ticket_id)).status == "serving"
