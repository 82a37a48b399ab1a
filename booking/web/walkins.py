"""Walk-in pages (issue 6): the reception's quick registration and the ticket slip it prints,
the visitor's live status page, and the waiting room's display with the calls it polls.

Nothing is kept between requests: every page and every poll reads the database, so the
display stays right with several service processes.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import segno
from babel.dates import format_time
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from booking import queue
from booking.errors import Invalid, NotFound
from booking.i18n import VISITOR_LANGUAGES, text_direction, time_format, visitor_language
from booking.models import Location, Ticket
from booking.services import bookings, fairness, walkins
from booking.services import schedule as schedule_service
from booking.services.bookings import hash_token
from booking.services.days import local_date, zone_of
from booking.services.ticket_printing import BackgroundPrinter
from booking.staff_vocabulary import TICKET_STATUS_LABELS
from booking.vocabulary import N_, PRIORITY_LABELS
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.rendering import Renderer, field_message, render, translate
from integrations.escpos import Slip, TextBlock

FALLBACK_VISITOR_LANGUAGE = "en"  # for a language the pages do not speak (yet), say Vietnamese
SLIP_LANGUAGE = "de"  # every slip also speaks German, the language of the building
DISPLAY_ROWS = 6  # the latest call and five before it
NO_STORE = {"Cache-Control": "no-store"}

PRIORITY_CHOICES: dict[str, str] = {"": N_("None"), **PRIORITY_LABELS}

# What the slip tells the visitor, in their language where we have it and in German.
SLIP_TEXTS: dict[str, str] = {
    "number": N_("Your number"),
    "wait": N_("Please wait; your number will appear on the screen."),
    "purpose": N_("This number is for the free counselling, not for the immigration office."),
    "scan": N_("Scan the code to see your place in the queue on your phone."),
}


# The display's column heads, in every visitor language at once: a TV speaks to everyone.
DISPLAY_CAPTIONS = (N_("Number"), N_("Room"))
# Shown only when the browser refused to play sound without a click (not in kiosk mode).
SOUND_BUTTON = N_("Click to turn on the sound for new numbers")


@dataclass(frozen=True)
class Caption:
    lang: str
    dir: str
    text: str


def display_captions(renderer: Renderer, message: str) -> list[Caption]:
    """One column head in every visitor language, each wording once (Russian and Ukrainian
    both say "Номер")."""
    captions: dict[str, Caption] = {}
    for code in VISITOR_LANGUAGES:
        text = renderer.gettext(code, message)
        captions.setdefault(text, Caption(code, text_direction(code), text))
    return list(captions.values())


def round_minutes(minutes: float) -> int:
    """To the nearest five, never below zero."""
    return max(0, int(5 * round(minutes / 5)))


def wait_range(estimate: queue.Estimate, now: datetime) -> tuple[int, int]:
    """Minutes from now until the earliest and the latest expected call, rounded to five;
    the upper end is never below the lower."""
    low = round_minutes((estimate.earliest - now).total_seconds() / 60)
    high = round_minutes((estimate.latest - now).total_seconds() / 60)
    return low, max(low, high)


def qr_svg(url: str, title: str) -> Markup:
    """The URL as an inline SVG QR code: no image request, nothing leaves the page."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=1, border=4, title=title, svgclass="qr", omitsize=True)
    return Markup(svg)  # segno's own markup; it escapes the title


def _status_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.base_url}/t/{token}"


# Codes are short and plain (booking/admin_forms.py); anything else is no location's, and is not
# sent to the database, which refuses over-long values and PostgreSQL NUL characters (a 500).
LOCATION_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")


async def _location_by_code(code: str) -> Location:
    if not LOCATION_CODE.fullmatch(code):
        raise NotFound()
    return await schedule_service.location_by_code(code)


async def _location(code: object) -> Location:
    if isinstance(code, str) and code:
        return await _location_by_code(code)
    found = await schedule_service.default_location()
    if found is None:
        raise NotFound()
    return found


# --- reception ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTicket:
    """A line of the reception's list: what reception entered, and how long it has waited."""

    id: int
    label: str
    topic: str
    language: str
    priority: str
    name: str
    status: str
    room: str | None
    waited: int  # minutes from arrival until the first call, or until now


async def _open_tickets(location: Location, now: datetime) -> list[OpenTicket]:
    rows = (
        await Ticket.filter(
            location_id=location.id, day=local_date(now, location), status__in=queue.OPEN_STATES
        )
        .order_by("number")
        .prefetch_related("room")
    )
    return [
        OpenTicket(
            id=t.id,
            label=walkins.ticket_label(location.ticket_prefix, t.number),
            topic=t.topic,
            language=t.language,
            priority=t.priority,
            name=t.name,
            status=t.status,
            room=t.room.name if t.room else None,
            waited=max(0, int(((t.first_called_at or now) - t.arrived_at).total_seconds() // 60)),
        )
        for t in rows
    ]


async def _reception_page(
    request: Request,
    location: Location,
    values: dict[str, object],
    errors: dict[str, str],
) -> Response:
    now = request_time(request)
    context = {
        "location": location,
        "locations": await Location.filter(active=True).order_by("name"),
        "languages": await bookings.languages_at(location),
        "priorities": PRIORITY_CHOICES,
        "ticket_labels": TICKET_STATUS_LABELS,
        "name_max": walkins.NAME_MAX,
        "values": values,
        "errors": errors,
        "tickets": await _open_tickets(location, now),
        "zone": zone_of(location),
        "now": now,
    }
    return staff_page(request, "staff/walk_ins.html", context, 422 if errors else 200)


async def reception(request: Request) -> Response:
    """Register a walk-in: topic, language, priority and an optional first name."""
    if request.method == "GET":
        location = await _location(request.query_params.get("location"))
        return await _reception_page(request, location, {}, {})
    form = await request.form()
    location = await _location(form.get("location"))
    values: dict[str, object] = {
        key: form.get(key) for key in ("topic", "language", "priority", "name")
    }
    try:
        parsed = walkins.read_walk_in(values)
    except Invalid as problem:
        errors = {name: field_message(request, code) for name, code in problem.fields.items()}
        return await _reception_page(request, location, values, errors)
    registered = await walkins.register(
        location,
        parsed,
        request.state.principal.username,
        request_time(request),
        fairness.Rules.of(request.app.state.settings),
    )
    # The token exists only now (the database keeps its hash): it travels to the slip once.
    query = {"t": registered.token}
    printer: BackgroundPrinter | None = request.app.state.ticket_printer
    if printer is not None:
        printer.submit(_printed_slip(request, location, registered))  # returns at once
        query["printer"] = "1"  # the browser slip says so
    return RedirectResponse(
        f"/staff/reception/walk-ins/{registered.ticket.id}/ticket?{urlencode(query)}",
        status_code=303,
    )


@dataclass(frozen=True)
class SlipBlock:
    """The slip's visitor texts in one language, with its writing direction."""

    lang: str
    dir: str
    texts: dict[str, str]


def _slip_blocks(renderer: Renderer, ticket_language: str) -> list[SlipBlock]:
    first = visitor_language(ticket_language) or FALLBACK_VISITOR_LANGUAGE
    languages = [first] if first == SLIP_LANGUAGE else [first, SLIP_LANGUAGE]
    return [
        SlipBlock(
            language,
            text_direction(language),
            {key: renderer.gettext(language, message) for key, message in SLIP_TEXTS.items()},
        )
        for language in languages
    ]


def _printed_slip(request: Request, location: Location, registered: walkins.Registered) -> Slip:
    """The browser slip as plain data for the ESC/POS printer: the same texts in the same
    languages, the same QR code and time."""
    ticket = registered.ticket
    blocks = tuple(
        TextBlock(
            block.lang,
            block.dir,
            block.texts["number"],
            (block.texts["wait"], block.texts["purpose"], block.texts["scan"]),
        )
        for block in _slip_blocks(request.app.state.renderer, ticket.language)
    )
    language = request.state.language
    arrived = format_time(
        ticket.arrived_at, format=time_format(language), tzinfo=zone_of(location), locale=language
    )
    return Slip(
        place=location.name,
        label=registered.label,
        blocks=blocks,
        status_url=_status_url(request, registered.token),
        time=f"{ticket.day.isoformat()} {arrived}",
    )


async def ticket_slip(request: Request) -> Response:
    """The slip for an 80 mm receipt printer. The QR code needs the token from the
    registration; without it (a reprint) the slip has the number only."""
    ticket = await Ticket.get_or_none(id=request.path_params["ticket_id"]).prefetch_related(
        "location"
    )
    if ticket is None:
        raise NotFound()
    location: Location = ticket.location
    token = request.query_params.get("t", "")
    if token and not hmac.compare_digest(hash_token(token), ticket.token_hash):
        raise NotFound()  # never a QR code for a token that is not this ticket's
    now = request_time(request)
    status = await walkins.status(token, now) if token else None
    status_url = _status_url(request, token) if token else ""
    renderer: Renderer = request.app.state.renderer
    return staff_page(
        request,
        "staff/walk_in_ticket.html",
        {
            "ticket": ticket,
            "location": location,
            "label": walkins.ticket_label(location.ticket_prefix, ticket.number),
            "blocks": _slip_blocks(renderer, ticket.language),
            "status": status,
            "wait": wait_range(status.estimate, now) if status and status.estimate else None,
            "status_url": status_url,
            "qr": qr_svg(status_url, translate(request, SLIP_TEXTS["scan"])) if token else None,
            "sent_to_printer": bool(token) and request.query_params.get("printer") == "1",
            "zone": zone_of(location),
            "now": now,
        },
    )


# --- the visitor's status page -----------------------------------------------------------------


def _status_language(request: Request, ticket_language: str) -> str:
    """?lang= first; then the ticket's language if the pages speak it; then the usual choice."""
    asked = request.query_params.get("lang", "")
    if asked and visitor_language(asked) is not None:
        return str(request.state.language)
    return visitor_language(ticket_language) or str(request.state.language)


async def ticket_status(request: Request) -> Response:
    """The visitor's own ticket, nothing else: place, expected call, or where to go now."""
    token = request.path_params["token"]
    now = request_time(request)
    try:
        found = await walkins.status(token, now)
    except NotFound:
        return error_page(request, "unknown_ticket", 404)
    language = _status_language(request, found.language)
    request.state.language = language
    asked = request.query_params.get("lang", "")
    partial = {"partial": "1", **({"lang": language} if asked else {})}
    context = {
        "st": found,
        "wait": wait_range(found.estimate, now) if found.estimate else None,
        "live": found.status in queue.OPEN_STATES,
        "zone": zone_of(found.location),
        "now": now,
        "refresh_url": f"/t/{token}?{urlencode(partial)}",
    }
    template = "_walk_in_status.html" if request.query_params.get("partial") else "walk_in.html"
    response = render(request, template, context)
    response.headers.update({**NO_STORE, "Content-Language": language})
    return response


# --- the waiting room's display ----------------------------------------------------------------


async def _display_location(request: Request) -> Location:
    return await _location_by_code(request.path_params["location_code"])


async def display(request: Request) -> Response:
    """For a screen in the waiting room: the latest call large, a few before it; no names."""
    location = await _display_location(request)
    calls = await walkins.display(location, request_time(request))
    response = render(
        request,
        "display.html",
        {
            "location": location,
            "calls": calls[:DISPLAY_ROWS],
            "rows": DISPLAY_ROWS,
            "number_captions": display_captions(request.app.state.renderer, DISPLAY_CAPTIONS[0]),
            "room_captions": display_captions(request.app.state.renderer, DISPLAY_CAPTIONS[1]),
            "sound_captions": display_captions(request.app.state.renderer, SOUND_BUTTON),
        },
    )
    response.headers.update(NO_STORE)
    return response


async def display_calls(request: Request) -> Response:
    """What the display polls: today's calls, newest first, as number, room and time."""
    try:
        location = await _display_location(request)
    except NotFound:
        return JSONResponse({"error": "not_found"}, status_code=404, headers=NO_STORE)
    calls = await walkins.display(location, request_time(request))
    body = {
        "calls": [
            {
                "number": c.label,
                "room": c.room,
                "called_at": c.called_at.isoformat(timespec="seconds"),
            }
            for c in calls
        ]
    }
    return JSONResponse(body, headers=NO_STORE)


routes: list[BaseRoute] = [
    staff_route(
        "/staff/reception/walk-ins", reception, "walk_in_reception", methods=["GET", "POST"]
    ),
    staff_route(
        "/staff/reception/walk-ins/{ticket_id:id}/ticket", ticket_slip, "walk_in_reception"
    ),
    Route("/t/{token}", ticket_status, name="ticket_status"),
    Route("/display/{location_code}", display, name="display"),
    Route("/display/{location_code}/calls.json", display_calls, name="display_calls"),
]
