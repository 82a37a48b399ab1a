"""Counsellors' schedules, the schedule API, outcomes, calendar feeds and the reception desk."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from icalendar import Calendar

from booking.demo_history import load_demo_history
from booking.models import AuditEntry, Booking, Counsellor, Location, Organisation, Room, StaffUser
from booking.services import accounts
from booking.services import schedule as service
from booking.services.days import load_day, local_date
from tests.conftest import MONDAY, Service, at
from tests.support.bookings import account_of, book
from tests.support.staff import bearer, csrf_of, sign_in

TUESDAY = MONDAY + timedelta(days=1)


async def other_organisation_account(booking: Booking) -> str:
    user = (
        await StaffUser.filter(role="counsellor")
        .exclude(counsellor__organisation_id=booking.organisation_id)
        .first()
    )
    assert user is not None
    return user.username


async def test_counsellor_sees_their_day_and_the_api_agrees(staff: Service) -> None:
    first = await book(staff, at(9))
    second = await book(staff, at(10), name="Omar Haddad")
    username = await account_of(first)
    await sign_in(staff.client, username)

    page = await staff.client.get("/staff/schedule?lang=en")
    assert page.status_code == 200
    assert "Amina T." in page.text and "Amina Test" not in page.text
    assert first.reference in page.text
    assert "9:40" in page.text  # when the person must be upstairs

    organisation = await staff.client.get("/staff/schedule?view=organisation&lang=en")
    api = await staff.client.get(
        "/api/v1/schedule?location=hsc&date=2026-11-23", headers=await bearer(staff, username)
    )
    assert api.status_code == 200
    body = api.json()
    assert body["date"] == "2026-11-23"
    ours = [e for e in body["entries"] if e["organisation"] == first.organisation.code]
    assert {e["reference"] for e in ours} <= set(re.findall(r"WB-\w{4}-\w{4}", organisation.text))
    entry = next(e for e in body["entries"] if e["reference"] == first.reference)
    assert set(entry) >= {
        "start", "end", "counsellor", "organisation", "kind", "topic", "language",
        "reference", "status", "display_name",
    }  # fmt: skip
    assert entry["start"] == "2026-11-23T09:00:00+01:00"
    assert entry["counsellor"] == {"id": first.counsellor.id, "name": first.counsellor.display_name}
    assert (entry["kind"], entry["status"], entry["display_name"]) == (
        "booking",
        "booked",
        "Amina T.",
    )
    if second.organisation_id != first.organisation_id:
        assert second.reference not in organisation.text
        assert second.reference not in {e["reference"] for e in body["entries"]}


async def test_schedule_api_access_rules(staff: Service) -> None:
    booking = await book(staff, at(9))
    own = await account_of(booking)
    other = await other_organisation_account(booking)
    other_org = await Organisation.exclude(id=booking.organisation_id).first()
    assert other_org is not None
    url = "/api/v1/schedule?location=hsc&date=2026-11-23"
    as_other = await bearer(staff, other)
    refused = await staff.client.get(f"{url}&counsellor={booking.counsellor.id}", headers=as_other)
    assert (refused.status_code, refused.json()) == (403, {"error": "other_organisation"})
    refused = await staff.client.get(
        f"{url}&organisation={booking.organisation.code}", headers=as_other
    )
    assert refused.status_code == 403
    mine = await staff.client.get(
        f"{url}&counsellor={booking.counsellor.id}", headers=await bearer(staff, own)
    )
    assert [e["reference"] for e in mine.json()["entries"]] == [booking.reference]

    reception = await bearer(staff, "reception")
    assert (await staff.client.get(url, headers=reception)).status_code == 200
    tomorrow = await staff.client.get(
        "/api/v1/schedule?location=hsc&date=2026-11-24", headers=reception
    )
    assert (tomorrow.status_code, tomorrow.json()) == (403, {"error": "today_only"})
    admin = await bearer(staff, "admin")
    assert (
        await staff.client.get("/api/v1/schedule?location=hsc&date=2025-01-01", headers=admin)
    ).json() == {"date": "2025-01-01", "entries": []}
    for bad in ("location=hsc&date=23.11.2026", "date=2026-11-23", "location=hsc&counsellor=x"):
        assert (await staff.client.get(f"/api/v1/schedule?{bad}", headers=admin)).status_code == 422
    assert (
        await staff.client.get("/api/v1/schedule?location=nowhere", headers=admin)
    ).status_code == 404
    assert (await staff.client.get(url)).status_code == 401


async def test_reading_a_schedule_is_audited(staff: Service) -> None:
    await book(staff, at(9))
    await sign_in(staff.client, "admin")
    await staff.client.get("/staff/schedule?date=2026-11-23")
    entry = await AuditEntry.get(action="read", record_type="schedule")
    assert (entry.actor, entry.record_id) == ("admin", "hsc/2026-11-23")


async def test_days_and_print_view(staff: Service) -> None:
    booking = await book(staff, at(9, 0, TUESDAY))
    await sign_in(staff.client, await account_of(booking))
    today = await staff.client.get("/staff/schedule?lang=en")
    assert "No sessions on this day." in today.text
    assert 'href="?date=2026-11-24"' in today.text
    tuesday = await staff.client.get("/staff/schedule?date=2026-11-24&lang=en")
    assert booking.reference in tuesday.text and "planned sessions" in tuesday.text
    printed = await staff.client.get("/staff/schedule/print?date=2026-11-24&lang=en")
    assert printed.status_code == 200 and booking.reference in printed.text
    assert "staff-nav" not in printed.text and "print.css" in printed.text
    bad = await staff.client.get("/staff/schedule?date=tomorrow&lang=en")
    assert bad.status_code == 422 and "year-month-day" in bad.text


async def test_attendance_and_outcome(staff: Service) -> None:
    booking = await book(staff, at(9))
    await sign_in(staff.client, await account_of(booking))
    page = await staff.client.get("/staff/schedule")
    early = await staff.client.post(
        f"/staff/bookings/{booking.id}/attendance",
        data={"status": "attended", "csrf": csrf_of(page.text)},
    )
    assert early.status_code == 409  # the session has not begun
    staff.clock.now = at(9, 5)
    page = await staff.client.get("/staff/schedule?lang=en")
    assert f"/staff/bookings/{booking.id}/attendance" in page.text
    came = await staff.client.post(
        f"/staff/bookings/{booking.id}/attendance",
        data={"status": "attended", "csrf": csrf_of(page.text), "return_to": "/staff/schedule"},
    )
    assert came.status_code == 303 and came.headers["location"] == "/staff/schedule"
    assert (await Booking.get(id=booking.id)).status == "attended"

    form = await staff.client.get(f"/staff/bookings/{booking.id}/outcome?lang=en")
    assert form.status_code == 200 and 'value="forms" checked' in form.text
    wrong = await staff.client.post(
        f"/staff/bookings/{booking.id}/outcome?lang=en",
        data={"status": "attended", "topics": ["forms", "astrology"], "csrf": csrf_of(form.text)},
    )
    assert wrong.status_code == 422 and "Please choose topics from the list." in wrong.text
    saved = await staff.client.post(
        f"/staff/bookings/{booking.id}/outcome",
        data={
            "status": "attended",
            "topics": ["forms", "work"],
            "referral": "job_centre",
            "note": "Antrag mitgegeben",
            "csrf": csrf_of(form.text),
        },
    )
    assert saved.status_code == 303
    stored = await Booking.get(id=booking.id)
    assert (stored.outcome_topics, stored.referral, stored.outcome_note) == (
        ["forms", "work"], "job_centre", "Antrag mitgegeben",
    )  # fmt: skip
    assert await AuditEntry.filter(action="outcome", record_id=booking.reference).count() == 2
    assert not await AuditEntry.exists(action="read", record_type="booking")
    reread = await staff.client.get(f"/staff/bookings/{booking.id}/outcome")
    assert "Antrag mitgegeben" in reread.text
    assert await AuditEntry.exists(
        action="read", record_type="booking", record_id=booking.reference
    )

    other = await other_organisation_account(booking)
    staff.client.cookies.clear()
    await sign_in(staff.client, other)
    page = await staff.client.get("/staff/schedule")
    foreign = await staff.client.post(
        f"/staff/bookings/{booking.id}/attendance",
        data={"status": "no_show", "csrf": csrf_of(page.text)},
    )
    assert foreign.status_code == 404
    assert (await Booking.get(id=booking.id)).status == "attended"


async def test_calendar_feed(staff: Service) -> None:
    booking = await book(staff, at(9))
    await sign_in(staff.client, await account_of(booking))
    page = await staff.client.get("/staff/calendar?lang=en")
    assert "You have no feed address yet." in page.text
    made = await staff.client.post("/staff/calendar?lang=en", data={"csrf": csrf_of(page.text)})
    url = re.search(r"http://test(/calendar/[\w-]+\.ics)", made.text)
    assert url, made.text
    feed = await staff.client.get(url.group(1))
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]).split("@")[0] for e in events] == [booking.reference]
    assert events[0].decoded("DTSTART") == at(9)
    assert b"Amina" not in feed.content and b"Test" not in feed.content

    again = await staff.client.post("/staff/calendar", data={"csrf": csrf_of(made.text)})
    assert again.status_code == 200
    assert (await staff.client.get(url.group(1))).status_code == 404  # the old address ends


async def test_a_calendar_feed_ends_with_its_account(staff: Service) -> None:
    booking = await book(staff, at(9))
    username = await account_of(booking)
    await sign_in(staff.client, username)
    page = await staff.client.get("/staff/calendar?lang=en")
    made = await staff.client.post("/staff/calendar?lang=en", data={"csrf": csrf_of(page.text)})
    url = re.search(r"http://test(/calendar/[\w-]+\.ics)", made.text)
    assert url, made.text
    feed = url.group(1)
    assert (await staff.client.get(feed)).status_code == 200
    user = await StaffUser.get(username=username)

    await accounts.set_active(user.id, False, "admin", staff.clock.now)
    assert (await staff.client.get(feed)).status_code == 404
    await accounts.set_active(user.id, True, "admin", staff.clock.now)
    assert (await staff.client.get(feed)).status_code == 200  # the account is back
    # An account moved to another counsellor's profile no longer carries the old feed.
    other = await Counsellor.exclude(id=booking.counsellor_id).first()
    assert other is not None
    await StaffUser.filter(id=user.id).update(counsellor_id=other.id)
    assert (await staff.client.get(feed)).status_code == 404
    await StaffUser.filter(id=user.id).update(counsellor_id=booking.counsellor_id)
    await Counsellor.filter(id=booking.counsellor_id).update(active=False)
    assert (await staff.client.get(feed)).status_code == 404


async def test_reception_checks_people_in(staff: Service) -> None:
    booking = await book(staff, at(9))
    tomorrow = await book(staff, at(9, 0, TUESDAY))
    staff.clock.now = at(8, 50)
    await sign_in(staff.client, "reception")
    desk = await staff.client.get("/staff/reception?lang=en")
    assert desk.status_code == 200
    assert booking.reference in desk.text and tomorrow.reference not in desk.text
    assert "Free" in desk.text and booking.counsellor.display_name in desk.text
    for _ in range(2):  # two clicks, one check-in
        done = await staff.client.post(
            f"/staff/reception/{booking.id}/check-in", data={"csrf": csrf_of(desk.text)}
        )
        assert done.status_code == 303
    assert (await Booking.get(id=booking.id)).checked_in_at is not None
    assert await AuditEntry.filter(action="check_in").count() == 1
    refused = await staff.client.post(
        f"/staff/reception/{tomorrow.id}/check-in", data={"csrf": csrf_of(desk.text)}
    )
    assert refused.status_code == 409
    staff.clock.now = at(9, 10)
    desk = await staff.client.get("/staff/reception?lang=en")
    assert "In a session" in desk.text and "1 person has arrived" in desk.text
    schedule = await staff.client.get("/staff/schedule?lang=en")
    assert booking.reference in schedule.text and 'rel="next"' not in schedule.text


async def test_demo_history_fills_the_days(staff: Service) -> None:
    made = await load_demo_history(staff.clock.now)
    assert made > 300
    assert await load_demo_history(staff.clock.now) == 0  # only into an empty history
    past = await Booking.filter(end__lt=staff.clock.now, status="booked").count()
    assert past == 0  # every past session has its outcome
    await sign_in(staff.client, "reception")
    desk = await staff.client.get("/staff/reception?lang=en")
    assert desk.text.count("Check in") >= 5


async def test_two_desks_checking_in_at_once_check_in_once(staff: Service) -> None:
    from booking.services.schedule import check_in

    booking = await book(staff, at(9))
    results = await asyncio.gather(*(check_in(booking.id, f"desk{n}", at(8, 55)) for n in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await AuditEntry.filter(action="check_in").count() == 1


async def test_reception_lists_a_colleague_at_the_desk_outside_the_plan(staff: Service) -> None:
    """Extra hours: someone at their desk who is not in today's plan is on duty for reception
    (free, in the room they chose) like the plan's counsellors."""
    staff.clock.now = at(10)
    location = await Location.get(code="hsc")
    day = await load_day(location, local_date(staff.clock.now, location))
    planned = {c.id for c in day.counsellors}
    extra = await Counsellor.create(
        organisation=await Organisation.get(code="awo"),
        display_name="Extra E.",
        languages=["de"],
        topics=["forms"],
    )
    room = await Room.filter(location_id=location.id).first()
    assert room is not None
    await Counsellor.filter(id=extra.id).update(
        desk_location_id=location.id, desk_since=staff.clock.now, desk_room_id=room.id
    )
    listed = {d.counsellor_id: d for d in await service.on_duty(location, staff.clock.now)}
    assert listed.keys() == planned | {extra.id}
    assert listed[extra.id].state.state == "free" and listed[extra.id].room == room.name
    await sign_in(staff.client, "reception")
    page = await staff.client.get("/staff/reception?location=hsc&lang=en")
    assert extra.display_name in page.text.split("Today's sessions", 1)[0]
