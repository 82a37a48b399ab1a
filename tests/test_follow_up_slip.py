"""The follow-up's printed slip, its short code at /m, and moving a follow-up (issue 14)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx2 as httpx
import pytest

from booking.app import create_app
from booking.demo import load_demo, load_demo_accounts
from booking.limits import BookingLimits
from booking.models import Booking, Counsellor
from booking.services.short_codes import hash_short_code, normalise
from booking.web.follow_up_slip import FOLLOW_UP_SLIP_TEXTS, printed_slip, slip_blocks
from booking.web.walkins import qr_svg
from integrations.escpos import PrinterSetupError, SlipFonts, render_slip
from tests.conftest import STAFF_PASSWORD, Clock, Service, at, clear_database, make_settings
from tests.support.desk import DESK, open_desk, press
from tests.support.printer import (
    PrinterServer,
    printed_image,
    qr_modules,
    read_qr,
    service_with_printer,
)
from tests.support.staff import bearer
from tests.support.walkins import register

TUESDAY = at(0).replace(day=24)
LETTER = "[2-9A-HJ-NP-Z]"  # the reference alphabet
CODE = re.compile(rf'<p class="slip-code"><bdi dir="ltr">({LETTER}{{5}}-{LETTER}{{5}})</bdi>')


def form(ticket_id: int) -> str:
    return f"/staff/desk/walk-ins/{ticket_id}/follow-up"


def slip_of(booking_id: int) -> str:
    return f"/staff/desk/follow-ups/{booking_id}/slip"


async def follow_up(
    staff: Service, username: str = "awo1", language: str = "de", **fields: str
) -> Booking:
    """``username`` calls and starts a walk-in on Monday at nine and books its follow-up on
    Tuesday at ten (other fields of the form as given)."""
    staff.clock.now = at(9)
    ticket = await register(staff, await bearer(staff, "reception"), language=language)
    await open_desk(staff, username)
    await press(staff, "/staff/desk/call-next")
    assert (await press(staff, f"/staff/desk/walk-ins/{ticket['id']}/start"))[0] == 303
    values = {"day": "2026-11-24", "slot": "2026-11-24T10:00:00+01:00", **fields}
    status, where = await press(staff, form(ticket["id"]), **values)
    assert status == 303, where
    return await Booking.get(channel="follow_up").prefetch_related(
        "location", "organisation", "room"
    )


def manage_url(staff: Service, booking: Booking) -> str:
    url = staff.app.state.mailer.manage_url(booking, booking.manage_token_hash)
    assert url is not None
    return str(url)


async def print_slip(staff: Service, booking_id: int) -> httpx.Response:
    desk = await staff.client.get(DESK)
    csrf = re.search(r'name="csrf" value="([^"]+)"', desk.text)
    assert csrf
    return await staff.client.post(
        slip_of(booking_id), data={"csrf": csrf.group(1), "location": "hsc"}
    )


async def test_the_slip_in_arabic_and_german(staff: Service) -> None:
    booking = await follow_up(staff, "lhh2", language="ar", phone="+49 511 1234567")
    assert (booking.ui_language, booking.phone, booking.email) == ("ar", "+49 511 1234567", "")
    # The desk offers the slip instead of a 64-character link.
    desk = (await staff.client.get(DESK + "?lang=en")).text
    assert f'action="{slip_of(booking.id)}"' in desk and "Print the slip for the visitor" in desk
    assert "/manage/" not in desk

    page = await print_slip(staff, booking.id)
    assert page.status_code == 200, page.text
    html = page.text
    arabic, german = html.index('lang="ar" dir="rtl"'), html.index('lang="de" dir="ltr"')
    assert arabic < german  # the visitor's language first, then German
    for caption in ("التاريخ", "الوقت", "المنظمة", "رقم الحجز", "جلسة الاستشارة الخاصة بك"):
        assert caption in html[arabic:german]
    for caption in ("Datum", "Uhrzeit", "Träger", "Buchungsnummer", "Ihr Beratungstermin"):
        assert caption in html[german:]
    assert "Dienstag, 24. November 2026" in html and "الثلاثاء" in html
    assert "10:00 – 10:30" in html
    assert booking.room is not None and html.count(booking.room.name) == 2
    assert html.count(booking.organisation.name) == 2
    assert html.count(booking.reference) == 3  # the title and both blocks
    assert html.count("http://test/m") >= 3  # both texts and under the code
    # The QR code is the manage link, drawn by segno as the walk-in slip draws its own.
    title = staff.app.state.renderer.gettext("ar", FOLLOW_UP_SLIP_TEXTS["manage"])
    isolated = "\u2066http://test/m\u2069"  # the address keeps its order in Arabic
    assert str(qr_svg(manage_url(staff, booking), title % {"url": isolated})) in html
    found = CODE.search(html)
    assert found
    await booking.refresh_from_db()
    secret = staff.settings.secret_key.value
    assert booking.short_code_hash == hash_short_code(secret, found.group(1).replace("-", ""))
    assert found.group(1).replace("-", "") not in str(await Booking.all().values())


async def test_the_short_code_opens_the_manage_page(staff: Service) -> None:
    booking = await follow_up(staff)
    first = CODE.search((await print_slip(staff, booking.id)).text)
    assert first
    staff.client.cookies.clear()  # the visitor, not signed in
    form_page = await staff.client.get("/m?lang=en")
    assert form_page.status_code == 200 and 'action="/m"' in form_page.text
    typed = " " + first.group(1).lower().replace("-", " - ") + " "  # as someone might type it
    opened = await staff.client.post("/m", data={"code": typed})
    assert opened.status_code == 303
    assert opened.headers["location"] == manage_url(staff, booking)
    manage = await staff.client.get(opened.headers["location"] + "?lang=en")
    assert manage.status_code == 200 and booking.reference in manage.text

    wrong_codes = (
        "ABCDE-FGHJK",
        "",
        "0000000000",
        "x" * 5000,
        "ABCDE\x00FGHJ",
        first.group(1)[:-1],
    )
    for wrong in wrong_codes:
        refused = await staff.client.post("/m?lang=en", data={"code": wrong})
        assert refused.status_code == 404, wrong
        assert "No session has this code" in refused.text

    # A new slip: a new code, and the old one stops working.
    await open_desk(staff)
    second = CODE.search((await print_slip(staff, booking.id)).text)
    assert second and second.group(1) != first.group(1)
    staff.client.cookies.clear()
    assert (await staff.client.post("/m", data={"code": first.group(1)})).status_code == 404
    assert (await staff.client.post("/m", data={"code": second.group(1)})).status_code == 303
    # Once the session has begun (or is cancelled) the code opens nothing: fewer live codes to
    # hit by guessing. The QR code's link still opens the manage page.
    staff.clock.now = at(10, day=TUESDAY)
    assert (await staff.client.post("/m", data={"code": second.group(1)})).status_code == 404
    assert (await staff.client.get(manage_url(staff, booking))).status_code == 200


def test_codes_are_read_leniently_and_strictly() -> None:
    assert normalise("abcde-fghjk") == "ABCDEFGHJK"
    assert normalise("ABCDE FGHJK") == "ABCDEFGHJK"
    assert normalise("ABCDE-FGHJ0") is None  # no 0, O, 1 or I in the alphabet
    assert normalise("ABCDE-FGHJKL") is None
    assert normalise("A" * 100) is None


async def test_only_colleagues_print_and_only_planned_follow_ups(staff: Service) -> None:
    booking = await follow_up(staff)
    staff.client.cookies.clear()
    await open_desk(staff, "caritas1")  # another organisation
    assert (await print_slip(staff, booking.id)).status_code == 404
    tuesday = "/staff/schedule?date=2026-11-24&view=organisation&lang=en"
    assert slip_of(booking.id) not in (await staff.client.get(tuesday)).text
    staff.client.cookies.clear()
    await open_desk(staff, "awo2")  # a colleague, when the visitor comes back for a new slip
    schedule = (await staff.client.get(tuesday)).text
    assert f'action="{slip_of(booking.id)}"' in schedule and "New slip" in schedule
    assert (await print_slip(staff, booking.id)).status_code == 200
    await Booking.filter(id=booking.id).update(status="cancelled", slot_key=None)
    assert (await print_slip(staff, booking.id)).status_code == 409
    assert (await print_slip(staff, 999_999)).status_code == 404


async def test_the_schedule_names_a_follow_up_as_such(staff: Service) -> None:
    """A follow-up has no office appointment: its row says "Follow-up", not "Walk-in"."""
    booking = await follow_up(staff)
    tuesday = "/staff/schedule?date=2026-11-24&view=organisation&lang=en"
    schedule = (await staff.client.get(tuesday)).text
    row = next(r for r in schedule.split("<tr")[1:] if booking.reference in r)
    cell = row.split('data-label="Office appointment"><div>', 1)[1].split("</div>", 1)[0]
    assert cell == "Follow-up"


async def test_a_follow_up_moves_within_a_week_and_cancels(staff: Service) -> None:
    booking = await follow_up(staff)
    token = manage_url(staff, booking).rsplit("/", 1)[1]
    staff.client.cookies.clear()
    manage = (await staff.client.get(f"/manage/{token}?lang=en")).text
    assert f"/manage/{token}/reschedule" in manage and f"/manage/{token}/cancel" in manage
    offer = await staff.client.get(f"/manage/{token}/reschedule?lang=en")
    assert offer.status_code == 200
    assert "Tuesday, November 24, 2026" in offer.text and "Tuesday, December 1, 2026" in offer.text
    assert "December 2, 2026" not in offer.text  # a week after its day, not more
    assert 'value="2026-11-24T10:00:00+01:00"' not in offer.text  # its own time
    assert 'value="2026-11-25T11:00:00+01:00"' in offer.text

    moved = await staff.client.post(
        f"/manage/{token}/reschedule", data={"slot": "2026-11-25T11:00:00+01:00"}
    )
    assert (moved.status_code, moved.headers["location"]) == (303, f"/manage/{token}?done=moved")
    await booking.refresh_from_db()
    assert booking.start == at(11, day=TUESDAY + timedelta(days=1))
    awo = {c.id for c in await Counsellor.filter(organisation__code="awo")}
    assert booking.counsellor_id in awo and booking.sequence == 1
    # Beyond the week after its (new) day: refused as a time no longer free.
    far = await staff.client.post(
        f"/manage/{token}/reschedule", data={"slot": "2026-12-03T11:00:00+01:00"}
    )
    assert far.status_code == 409
    cancelled = await staff.client.post(f"/manage/{token}/cancel")
    assert cancelled.status_code == 303
    await booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.slot_key is None


async def test_phone_and_e_mail_are_optional_and_checked(staff: Service) -> None:
    staff.clock.now = at(9)
    ticket = await register(staff, await bearer(staff, "reception"))
    await open_desk(staff)
    await press(staff, "/staff/desk/call-next")
    await press(staff, f"/staff/desk/walk-ins/{ticket['id']}/start")
    ten = "2026-11-24T10:00:00+01:00"
    page = (await staff.client.get(form(ticket["id"]) + "?lang=en&day=2026-11-24")).text
    assert 'name="phone"' in page and "Phone (optional)" in page
    bad = await press(staff, form(ticket["id"]), day="2026-11-24", slot=ten, phone="call me")
    assert bad[0] == 422 and 'id="phone-error"' in bad[1]
    assert not await Booking.filter(channel="follow_up").exists()
    assert (await press(staff, form(ticket["id"]), day="2026-11-24", slot=ten))[0] == 303
    booking = await Booking.get(channel="follow_up")
    assert (booking.email, booking.phone) == ("", "")


@pytest.fixture
async def limited(database: str, clock: Clock, staff_password_hash: str) -> AsyncIterator[Service]:
    """The service with the limits as a real installation has them, and the demo staff."""
    settings = make_settings(database, booking_limits=BookingLimits())
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        await clear_database()
        await load_demo()
        await load_demo_accounts(STAFF_PASSWORD, password_hash=staff_password_hash)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Service(app, client, clock, settings)


async def test_guessing_codes_meets_the_client_limit(limited: Service) -> None:
    limited.clock.now = at(9)
    answers = [
        (await limited.client.post("/m", data={"code": f"ABCDE-FGH{c}K"})).status_code
        for c in "23456789ABCDEFGHJKLMN"
    ]
    assert answers == [404] * 20 + [429]


async def test_moving_a_follow_up_meets_the_limit_per_booking(limited: Service) -> None:
    booking = await follow_up(limited)
    token = manage_url(limited, booking).rsplit("/", 1)[1]
    limited.client.cookies.clear()  # the visitor: signed-in staff are exempt
    moves = [
        (
            await limited.client.post(
                f"/manage/{token}/reschedule", data={"slot": f"2026-11-25T{hour}:00:00+01:00"}
            )
        ).status_code
        for hour in ("09", "10", "11", "13", "14", "15")
    ]
    assert moves == [303] * 5 + [429]  # five moves of one booking in 24 hours


@pytest.fixture(scope="module")
def fonts() -> SlipFonts:
    try:
        return SlipFonts.find()
    except PrinterSetupError as error:
        pytest.skip(f"ESC/POS slips cannot be drawn on this machine: {error}")


async def test_the_slip_goes_to_the_ticket_printer_too(
    fonts: SlipFonts,
    database: str,
    clock: Clock,
    staff_password_hash: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="booking")
    async with (
        PrinterServer().running() as printer,
        service_with_printer(database, clock, staff_password_hash, printer.port) as service,
    ):
        booking = await follow_up(service, "lhh2", language="ar")
        page = await print_slip(service, booking.id)
        assert page.status_code == 200 and "Sent to the ticket printer." in page.text
        printed = await printer.next_slip()
        found = CODE.search(page.text)
        assert found
        url = manage_url(service, booking)
        assert read_qr(printed_image(printed)) == qr_modules(url)
        # The same texts, code and facts as the browser slip, drawn as the walk-in slip is.
        blocks = slip_blocks(service.app.state.renderer, booking, "http://test/m")
        expected = render_slip(printed_slip(booking, blocks, found.group(1), url), fonts)
        assert printed_image(printed).tobytes() == expected.tobytes()
        slip = printed_slip(booking, blocks, found.group(1), url)
        assert slip.label == found.group(1) and slip.name == f"follow-up {booking.reference}"
        assert [b.language for b in slip.blocks] == ["ar", "de"]
        assert f"Buchungsnummer: {booking.reference}" in slip.blocks[1].lines
    assert found.group(1) not in caplog.text
