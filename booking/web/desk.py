"""The counsellor's desk (issue 6): today's own sessions, the walk-ins who fit them, and the
ticket they hold, with the queue's buttons. Every button is a POST form that answers with a
redirect back here; the page reloads itself every 20 seconds (static/desk.js, which waits while
someone works on the page and can be switched off; a meta refresh when scripts are off).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.applicant import read_start
from booking.errors import Held, Invalid, NotChangeable, NotFound, RoomNeeded, SlotTaken
from booking.models import Booking, Counsellor, Location, Ticket
from booking.schedule import Scope
from booking.services import desk as service
from booking.services import fairness, follow_up, walkins
from booking.services import schedule as schedule_service
from booking.services.days import local_date, zone_of
from booking.vocabulary import FOLLOW_UP, N_, PRIORITY_LABELS
from booking.web import params
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.messages import NOTICES
from booking.web.rendering import field_message, render, translate

PAGE = "/staff/desk"
REFRESH_SECONDS = 20

# What the last button did, shown once above the page (?note=...).
NOTES: dict[str, str] = {
    "called": N_("Called: the number is on the waiting-room display now."),
    "nobody": N_("Nobody waiting fits you right now."),
    "ready": N_(
        "Nobody waiting fits you right now. You are ready for walk-ins: the next one who fits "
        "you may be called for you."
    ),
    "not_ready": N_("You are no longer ready for walk-ins."),
    "room_needed": N_("Please choose the room you are sitting in."),
    "held": N_(
        "Your next booked session begins sooner than a walk-in session usually takes, so "
        "nobody was called. You may call the next walk-in anyway."
    ),
    "done": N_("Done."),
    "present": N_("You are at your desk: walk-ins are counted on you."),
    "away": N_("You have left the desk: walk-ins are no longer counted on you."),
}


NOT_CHANGEABLE = N_(
    "Nothing was changed: the ticket is no longer in a state that allows this. Someone may "
    "have acted on it at another desk, or the page was old. A no-show can be recorded after "
    "%(calls)d calls at least a minute apart or %(minutes)d minutes after the first call. "
    "Please go back to the desk: it shows the current state."
)
NOT_FOLLOW_UP = N_(
    "A follow-up can only be booked for the walk-in you are serving or finished today. "
    "Please go back to the desk: it shows the current state."
)
FOLLOWED_UP = N_("Follow-up booked: %(reference)s, %(date)s %(time)s.")
FOLLOW_UP_DAYS = 365  # how far ahead the day picker goes
TRANSFER_TARGET = N_("Please choose a counsellor or an organisation to transfer the ticket to.")


def _url(location: Location, note: str = "") -> str:
    query = urlencode({k: v for k, v in (("location", location.code), ("note", note)) if v})
    return f"{PAGE}?{query}"


def _back(location: Location, note: str = "") -> RedirectResponse:
    return RedirectResponse(_url(location, note), status_code=303)


def _refused(request: Request, location: Location, message: str, status: int) -> Response:
    """Nothing changed, and why; the way back to the desk."""
    context = {"notice": translate(request, message), "back": _url(location)}
    return render(request, "notice.html", context, status)


def _code(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


async def desk_page(request: Request) -> Response:
    counsellor = await service.counsellor_of(request.state.user)
    location = await service.desk_location(counsellor, _code(request.query_params.get("location")))
    now = request_time(request)
    today = local_date(now, location)
    own = Scope(today, counsellor.organisation_id, counsellor.id)
    note = request.query_params.get("note", "")
    booked = await _followed_up(request)
    context = {
        "followed_up": booked,
        "followed_up_url": request.app.state.mailer.manage_url(booked, booked.manage_token_hash)
        if booked
        else None,
        "view": await service.desk_view(
            counsellor, location, now, service.no_show_rule(request.app.state.settings)
        ),
        "entries": await schedule_service.entries(
            location, own, request.state.principal.username, now
        ),
        "locations": await Location.filter(active=True).order_by("name"),
        "zone": zone_of(location),
        "today": today,
        "now": now,
        "note": NOTES.get(note),
        "held": note == "held",
        "priority_labels": PRIORITY_LABELS,
        "refresh": REFRESH_SECONDS,
        "refresh_url": f"{PAGE}?{urlencode({'location': location.code})}",
    }
    return staff_page(request, "staff/desk.html", context)


async def _followed_up(request: Request) -> Booking | None:
    """The follow-up just booked at this desk, shown once (the session forgets it)."""
    booking_id = request.session.pop("follow_up", None)
    if not isinstance(booking_id, int):
        return None
    return await Booking.get_or_none(id=booking_id, channel=FOLLOW_UP).prefetch_related("location")


async def _desk_of(request: Request, form: FormData) -> tuple[Counsellor, Location]:
    counsellor = await service.counsellor_of(request.state.user)
    location = await service.desk_location(counsellor, _code(form.get("location")))
    return counsellor, location


def _room(form: FormData) -> str | None:
    value = form.get("room")
    return value if isinstance(value, str) and value else None


async def call_next(request: Request) -> Response:
    form = await request.form()
    counsellor, location = await _desk_of(request, form)
    try:
        called = await walkins.call_next(
            counsellor,
            location,
            request_time(request),
            fairness.Rules.of(request.app.state.settings),
            actor=request.state.principal.username,
            anyway=form.get("anyway") == "1",
            room=_room(form),
        )
    except Held:
        return _back(location, "held")
    except RoomNeeded:
        return _back(location, "room_needed")
    return _back(location, "called" if called.ticket is not None else "ready")


async def readiness(request: Request) -> Response:
    """The "ready for walk-ins" switch."""
    form = await request.form()
    counsellor, location = await _desk_of(request, form)
    ready = form.get("ready") == "1"
    try:
        called = await walkins.set_ready(
            counsellor,
            location,
            ready,
            _room(form),
            request.state.principal.username,
            request_time(request),
            fairness.Rules.of(request.app.state.settings),
        )
    except RoomNeeded:
        return _back(location, "room_needed")
    if called is not None:
        return _back(location, "called")
    return _back(location, "ready" if ready else "not_ready")


def _transfer_choice(value: object) -> tuple[object, object]:
    """A select value "counsellor:<id>" or "organisation:<code>" as (counsellor, organisation)."""
    kind, _, key = (value if isinstance(value, str) else "").partition(":")
    if kind == "counsellor" and (counsellor_id := params.record_id(key)) is not None:
        return counsellor_id, None
    if kind == "organisation" and key:
        return None, key
    return None, None


async def act(request: Request) -> Response:
    form = await request.form()
    counsellor, location = await _desk_of(request, form)
    ticket_id = service.ticket_in_range(request.path_params["ticket_id"])
    action = request.path_params["action"]
    if action not in walkins.ACTIONS:
        raise NotFound()
    to_counsellor = to_organisation = None
    rule = service.no_show_rule(request.app.state.settings)
    try:
        if action == "transfer":
            to_counsellor, to_organisation = await service.transfer_target(
                *_transfer_choice(form.get("to"))
            )
        await walkins.act(
            ticket_id,
            action,
            counsellor,
            request_time(request),
            actor=request.state.principal.username,
            to_counsellor=to_counsellor,
            to_organisation=to_organisation,
            no_show=rule,
            rules=fairness.Rules.of(request.app.state.settings),
        )
    except Invalid:
        return _refused(request, location, TRANSFER_TARGET, 422)
    except NotChangeable:
        message = translate(request, NOT_CHANGEABLE) % {
            "calls": rule.calls,
            "minutes": rule.minutes,
        }
        context = {"notice": message, "back": _url(location)}
        return render(request, "notice.html", context, 409)
    return _back(location, "done")


async def presence(request: Request) -> Response:
    form = await request.form()
    counsellor, location = await _desk_of(request, form)
    actor, now = request.state.principal.username, request_time(request)
    if form.get("present") == "1":
        try:
            await service.arrive(counsellor, location, actor, now, _room(form))
        except RoomNeeded:
            return _back(location, "room_needed")
        return _back(location, "present")
    await service.leave(counsellor, actor, now)
    return _back(location, "away")


def _follow_up_day(value: object, today: date) -> date | None:
    """The day asked for, if it is a date from today up to a year ahead."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None
    if day is None or not today <= day <= today + timedelta(days=FOLLOW_UP_DAYS):
        return None
    return day


async def _follow_up_page(
    request: Request,
    ticket: Ticket,
    counsellor: Counsellor,
    day: date,
    now: datetime,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    location: Location = ticket.location
    today = local_date(now, location)
    base = f"{PAGE}/walk-ins/{ticket.id}/follow-up"
    context = {
        "ticket": ticket,
        "label": walkins.ticket_label(location.ticket_prefix, ticket.number),
        "location": location,
        "zone": zone_of(location),
        "day": day,
        "slots": await follow_up.follow_up_slots(ticket, counsellor, day, now),
        "previous": f"{base}?day={day - timedelta(days=1)}" if day > today else None,
        "next": f"{base}?day={day + timedelta(days=1)}"
        if day < today + timedelta(days=FOLLOW_UP_DAYS)
        else None,
        "action": base,
        "back": _url(location),
        "values": values or {"name": ticket.name, "email": "", "phone": ""},
        "errors": {k: field_message(request, v) for k, v in (errors or {}).items()},
        "notice": notice,
    }
    return staff_page(request, "staff/follow_up.html", context, status)


async def follow_up_form(request: Request) -> Response:
    """The free times of one day for a follow-up of the walk-in (GET), and booking one (POST)."""
    counsellor = await service.counsellor_of(request.state.user)
    ticket_id = service.ticket_in_range(request.path_params["ticket_id"])
    now = request_time(request)
    try:
        ticket = await follow_up.ticket_to_follow_up(ticket_id, counsellor, now)
    except NotChangeable:
        return _refused(request, await service.desk_location(counsellor, None), NOT_FOLLOW_UP, 409)
    location: Location = ticket.location
    today = local_date(now, location)
    data = await request.form() if request.method == "POST" else request.query_params
    asked = data.get("day")
    if asked is None and request.method == "GET":
        day: date | None = await follow_up.next_open_day(location, today)
    else:
        day = _follow_up_day(asked, today)
    if day is None:
        return error_page(request, "bad_date", 422)
    if request.method == "GET":
        return await _follow_up_page(request, ticket, counsellor, day, now)
    fields = ("name", "email", "phone")
    values = {k: v if isinstance(v := data.get(k), str) else "" for k in fields}
    start, errors = read_start({"start": data.get("slot", "")})
    if start is None:
        return await _follow_up_page(
            request, ticket, counsellor, day, now, values=values, errors=errors, status=422
        )
    try:
        booked = await follow_up.book_follow_up(
            ticket.id,
            counsellor,
            day,
            start,
            values["email"],
            values["name"],
            now,
            fairness.Rules.of(request.app.state.settings),
            request.app.state.mailer,
            phone=values["phone"],
        )
    except Invalid as invalid:
        return await _follow_up_page(
            request, ticket, counsellor, day, now, values=values, errors=invalid.fields, status=422
        )
    except SlotTaken:
        notice = translate(request, NOTICES["slot_taken"])
        return await _follow_up_page(
            request, ticket, counsellor, day, now, values=values, notice=notice, status=409
        )
    except NotChangeable:
        return _refused(request, location, NOT_FOLLOW_UP, 409)
    request.session["follow_up"] = booked.booking.id
    return _back(location, "follow_up")


routes: list[BaseRoute] = [
    staff_route(PAGE, desk_page, "walk_in_desk"),
    staff_route(f"{PAGE}/call-next", call_next, "walk_in_desk", methods=["POST"]),
    # Before the actions' route, which would take "follow-up" for an action.
    staff_route(
        PAGE + "/walk-ins/{ticket_id:id}/follow-up",
        follow_up_form,
        "walk_in_desk",
        methods=["GET", "POST"],
    ),
    staff_route(PAGE + "/walk-ins/{ticket_id:id}/{action}", act, "walk_in_desk", methods=["POST"]),
    staff_route(f"{PAGE}/presence", presence, "walk_in_desk", methods=["POST"]),
    staff_route(f"{PAGE}/ready", readiness, "walk_in_desk", methods=["POST"]),
]
