"""The counsellor's calendar feed beside the mailed invitations: one UID per session in both,
the same SEQUENCE after a move, and every label of a feed in its owner's staff language."""

from __future__ import annotations

from icalendar import Calendar, Component

from booking.models import Booking, Counsellor, StaffUser
from booking.services import feeds
from tests.conftest import Service, at
from tests.smtp import Recorder, smtp_server
from tests.support.bookings import account_of
from tests.support.bookings import book_for_office_ref as book
from tests.support.mail import calendar_of, sender, to_applicant
from tests.support.staff import sign_in

COUNSELLOR_MAIL = "counsellor@example.org"


async def _feed_events(service: Service, token: str) -> list[Component]:
    response = await service.client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200, response.text
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


async def _sent(service: Service) -> list[bytes]:
    handler = Recorder()
    with smtp_server(handler) as transport:
        await sender(service, transport).drain()
    return handler.received


async def test_feed_and_invitations_carry_one_uid_across_a_move(staff: Service) -> None:
    created = await book(staff, "ABH-UID", email="amina@example.org", name="Amina Test")
    booking = await Booking.get(reference=created["reference"])
    counsellor_id: int = booking.counsellor_id
    await Counsellor.filter(id=counsellor_id).update(email=COUNSELLOR_MAIL)
    token = await feeds.reset_feed(counsellor_id, "test", staff.clock.now)
    moved = await staff.client.post(
        f"/api/v1/bookings/{created['manage_token']}/reschedule",
        json={"start": at(10).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert (await Booking.get(id=booking.id)).counsellor_id == counsellor_id

    received = await _sent(staff)
    (to_counsellor,) = to_applicant(received, COUNSELLOR_MAIL)  # the move reached them
    applicant_invitations = to_applicant(received)
    assert len(applicant_invitations) == 2  # booked, then moved
    (event,) = await _feed_events(staff, token)
    invited = calendar_of(to_counsellor).vevent
    uid = str(event["UID"])
    assert invited.uid.value == uid
    assert {calendar_of(m).vevent.uid.value for m in applicant_invitations} == {uid}
    assert int(invited.sequence.value) == int(str(event["SEQUENCE"])) == 1
    assert event.decoded("DTSTART") == at(10)

    # Another move: same UID everywhere, SEQUENCE up by one in the feed and the invitation.
    again = await staff.client.post(
        f"/api/v1/bookings/{created['manage_token']}/reschedule",
        json={"start": at(11).isoformat()},
    )
    assert again.status_code == 200, again.text
    (after,) = await _feed_events(staff, token)
    (invited_again,) = to_applicant(await _sent(staff), COUNSELLOR_MAIL)
    event_again = calendar_of(invited_again).vevent
    assert str(after["UID"]) == event_again.uid.value == uid
    assert int(str(after["SEQUENCE"])) == int(event_again.sequence.value) == 2
    assert after.decoded("DTSTART") == at(11)


async def test_a_feed_speaks_its_owners_staff_language(staff: Service) -> None:
    created = await book(staff, "ABH-LANG", language="ar")
    booking = await Booking.get(reference=created["reference"])
    counsellor_id: int = booking.counsellor_id
    counsellor = await Counsellor.get(id=counsellor_id)
    token = await feeds.reset_feed(counsellor_id, "test", staff.clock.now)
    username = await account_of(booking)

    # An account that never chose: German, every word of it.
    assert (await StaffUser.get(username=username)).language == "de"
    response = await staff.client.get(f"/calendar/{token}.ics")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Beratung: Anträge und Formulare (Arabisch)"
    assert str(event["DESCRIPTION"]) == f"Buchungsnummer: {booking.reference}"
    assert str(calendar["X-WR-CALNAME"]) == f"Beratungstermine von {counsellor.display_name}"

    # They use the staff pages in English: the feed follows, whatever the calendar client asks.
    await sign_in(staff.client, username)  # the sign-in page in English
    assert (await StaffUser.get(username=username)).language == "en"
    page = await staff.client.get("/staff/calendar")
    assert "The feed is in the language you use these pages in" in page.text
    response = await staff.client.get(f"/calendar/{token}.ics", headers={"Accept-Language": "de"})
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Counselling: Applications and forms (Arabic)"
    assert str(event["DESCRIPTION"]) == f"Reference: {booking.reference}"
    assert str(calendar["X-WR-CALNAME"]) == f"Counselling sessions of {counsellor.display_name}"

    # Back to German on a staff page: the next fetch is German again.
    assert (await staff.client.get("/staff?lang=de")).status_code == 200
    response = await staff.client.get(f"/calendar/{token}.ics")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Beratung: ")
