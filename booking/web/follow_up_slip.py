"""The printed slip for a follow-up booked at the desk (issue 14): date, time, room,
organisation and reference in the visitor's language and in German, a QR code that opens the
manage page, and a short code to type at ``/m`` for those who cannot scan.

On the ESC/POS printer too when one is configured (in the background, as the walk-in slip).
Printing is a POST that issues a new short code (booking/services/short_codes.py): the code is
shown on this page only, and a second slip makes the first one's code useless. The QR code
carries the manage link, the same as in every mail (derived from the booking's nonce).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date, format_time
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from booking.access import allowed
from booking.errors import NotChangeable, NotFound
from booking.i18n import isolate_ltr, text_direction, time_format, visitor_language
from booking.models import BOOKED, Booking, Counsellor, Location
from booking.schedule import Entry
from booking.services import bookings, short_codes
from booking.services import desk as desk_service
from booking.services.days import zone_of
from booking.services.ticket_printing import BackgroundPrinter
from booking.vocabulary import FOLLOW_UP, N_
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.rendering import Renderer
from booking.web.walkins import FALLBACK_VISITOR_LANGUAGE, SLIP_LANGUAGE, qr_svg
from integrations.escpos import Slip, TextBlock

# The slip's captions, in the visitor's language and in German.
FOLLOW_UP_SLIP_TEXTS: dict[str, str] = {
    "title": N_("Your counselling session"),
    "date": N_("Date"),
    "time": N_("Time"),
    "room": N_("Room"),
    "organisation": N_("Organisation"),
    "reference": N_("Reference"),
    "manage": N_(
        "To change or cancel the session, scan the code or open %(url)s and enter this code:"
    ),
}


@dataclass(frozen=True)
class Block:
    """The slip's texts and values in one language, with its writing direction."""

    lang: str
    dir: str
    texts: dict[str, str]
    date: str
    time: str


def slip_languages(booking: Booking) -> list[str]:
    """The visitor's language (the page language they booked in, else the session's), then
    German."""
    first = (
        visitor_language(booking.ui_language)
        or visitor_language(booking.language)
        or FALLBACK_VISITOR_LANGUAGE
    )
    return [first] if first == SLIP_LANGUAGE else [first, SLIP_LANGUAGE]


def slip_blocks(renderer: Renderer, booking: Booking, short_url: str) -> list[Block]:
    zone = zone_of(booking.location)
    blocks = []
    for language in slip_languages(booking):
        texts = {key: renderer.gettext(language, t) for key, t in FOLLOW_UP_SLIP_TEXTS.items()}
        texts["manage"] = texts["manage"] % {"url": isolate_ltr(short_url, language)}
        start, end = (
            format_time(moment, format=time_format(language), tzinfo=zone, locale=language)
            for moment in (booking.start, booking.end)
        )
        day = format_date(booking.start.astimezone(zone), format="full", locale=language)
        blocks.append(Block(language, text_direction(language), texts, day, f"{start} – {end}"))
    return blocks


def printed_slip(booking: Booking, blocks: list[Block], code: str, manage_url: str) -> Slip:
    """The browser slip as plain data for the ESC/POS printer: the code large, under the first
    language's "enter this code", then each language's facts, then the QR code."""
    room = booking.room.name if booking.room else ""

    def lines(block: Block, first: bool) -> tuple[str, ...]:
        t = block.texts

        def ltr(text: str) -> str:
            return isolate_ltr(text, block.lang)

        facts = [
            t["title"],
            f"{t['date']}: {block.date}",
            f"{t['time']}: {ltr(block.time)}",
            *([f"{t['room']}: {ltr(room)}"] if room else []),
            f"{t['organisation']}: {booking.organisation.name}",
            f"{t['reference']}: {ltr(booking.reference)}",
        ]
        return tuple(facts if first else [*facts, t["manage"]])

    return Slip(
        place=booking.location.name,
        label=code,
        blocks=tuple(
            TextBlock(b.lang, b.dir, b.texts["manage"], lines(b, i == 0))
            for i, b in enumerate(blocks)
        ),
        status_url=manage_url,
        named=f"follow-up {booking.reference}",  # never the code
    )


async def reprintable(request: Request, entries: list[Entry], now: datetime) -> set[int]:
    """The schedule's follow-ups whose slip the signed-in counsellor may print again: planned,
    ahead, and of their organisation (for the schedule's "New slip")."""
    principal = request.state.principal
    counsellor_id = getattr(request.state.user, "counsellor_id", None)
    if not allowed(principal, "walk_in_desk") or counsellor_id is None:
        return set()
    counsellor = await Counsellor.get_or_none(id=counsellor_id).prefetch_related("organisation")
    if counsellor is None:
        return set()
    return {
        e.id
        for e in entries
        if e.channel == FOLLOW_UP
        and e.status == BOOKED
        and e.start > now
        and e.organisation == counsellor.organisation.code
    }


async def _follow_up_of_colleague(request: Request) -> Booking:
    """A planned follow-up of the signed-in counsellor's organisation (a colleague may print
    the slip again when the visitor comes back); NotFound or NotChangeable otherwise."""
    counsellor = await desk_service.counsellor_of(request.state.user)
    booking_id = desk_service.ticket_in_range(request.path_params["booking_id"])
    booking = await Booking.get_or_none(
        id=booking_id,
        channel=FOLLOW_UP,
        organisation_id=counsellor.organisation_id,
    ).prefetch_related("location", "room", "organisation")
    if booking is None:
        raise NotFound()
    if not bookings.changeable(booking, request_time(request)):
        raise NotChangeable()
    return booking


async def print_slip(request: Request) -> Response:
    """A new slip with a new short code (the old code stops working)."""
    booking = await _follow_up_of_colleague(request)
    mailer = request.app.state.mailer
    manage_url = mailer.manage_url(booking, booking.manage_token_hash)
    if manage_url is None:  # made before manage tokens were derived: no link to print
        raise NotChangeable()
    code = await short_codes.issue(booking.id, request.app.state.settings.secret_key.value)
    short_url = f"{request.app.state.settings.base_url}/m"
    location: Location = booking.location
    blocks = slip_blocks(request.app.state.renderer, booking, short_url)
    printer: BackgroundPrinter | None = request.app.state.ticket_printer
    if printer is not None:
        printer.submit(printed_slip(booking, blocks, code, manage_url))  # returns at once
    return staff_page(
        request,
        "staff/follow_up_slip.html",
        {
            "booking": booking,
            "location": location,
            "blocks": blocks,
            "code": code,
            "short_url": short_url,
            "qr": qr_svg(manage_url, blocks[0].texts["manage"]),
            "back": f"/staff/desk?location={location.code}",
            "sent_to_printer": printer is not None,
        },
    )


routes: list[BaseRoute] = [
    staff_route(
        "/staff/desk/follow-ups/{booking_id:id}/slip", print_slip, "walk_in_desk", methods=["POST"]
    ),
]
