"""The counsellor's desk (issue 6): today's own sessions, the walk-ins who fit them, and the
ticket they hold, with the queue's buttons. Every button is a POST form that answers with a
redirect back here; the page reloads itself every 20 seconds (no script: the CSP forbids it).
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.errors import Invalid, NotChangeable, NotFound
from booking.models import Counsellor, Location
from booking.schedule import Scope
from booking.services import desk as service
from booking.services import fairness, walkins
from booking.services import schedule as schedule_service
from booking.services.days import local_date, zone_of
from booking.vocabulary import N_
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.rendering import render, translate

PAGE = "/staff/desk"
REFRESH_SECONDS = 20

# What the last button did, shown once above the page (?note=...).
NOTES: dict[str, str] = {
    "called": N_("Called: the number is on the waiting-room display now."),
    "nobody": N_("Nobody waiting fits you right now."),
    "held": N_(
        "Your next booked session begins sooner than a walk-in session usually takes, so "
        "nobody was called. You may call the next walk-in anyway."
    ),
    "done": N_("Done."),
    "present": N_("You are at your desk: walk-ins are counted on you."),
    "away": N_("You have left the desk: walk-ins are no longer counted on you."),
}

PRIORITY_LABELS: dict[str, str] = {
    "children": N_("Small children"),
    "disability": N_("Disability"),
    "pregnancy": N_("Pregnancy"),
    "deadline": N_("Urgent deadline"),
}

NOT_CHANGEABLE = N_(
    "Nothing was changed: the ticket is no longer in a state that allows this. Someone may "
    "have acted on it at another desk, or the page was old. A no-show can be recorded after "
    "three calls or ten minutes. Please go back to the desk: it shows the current state."
)
TRANSFER_TARGET = N_("Please choose a counsellor or an organisation to transfer the ticket to.")

STATUS_LABELS: dict[str, str] = {
    "called": N_("Called"),
    "serving": N_("In session"),
    "done": N_("Finished"),
}


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
    own = Scope(today, counsellor.organisation_id, counsellor.id)  # type: ignore[attr-defined]
    note = request.query_params.get("note", "")
    context = {
        "view": await service.desk_view(counsellor, location, now),
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
        "ticket_status_labels": STATUS_LABELS,
        "refresh": REFRESH_SECONDS,
        "refresh_url": f"{PAGE}?{urlencode({'location': location.code})}",
    }
    return staff_page(request, "staff/desk.html", context)


async def _desk_of(request: Request, form: FormData) -> tuple[Counsellor, Location]:
    counsellor = await service.counsellor_of(request.state.user)
    location = await service.desk_location(counsellor, _code(form.get("location")))
    return counsellor, location


async def call_next(request: Request) -> Response:
    form = await request.form()
    counsellor, location = await _desk_of(request, form)
    try:
        ticket = await walkins.call_next(
            counsellor,
            location,
            request_time(request),
            fairness.Rules.of(request.app.state.settings),
            anyway=form.get("anyway") == "1",
        )
    except walkins.Held:
        return _back(location, "held")
    return _back(location, "called" if ticket is not None else "nobody")


def _transfer_choice(value: object) -> tuple[object, object]:
    """A select value "counsellor:<id>" or "organisation:<code>" as (counsellor, organisation)."""
    kind, _, key = (value if isinstance(value, str) else "").partition(":")
    if kind == "counsellor" and key.isdigit() and len(key) <= 10:
        return int(key), None
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
            to_counsellor=to_counsellor,
            to_organisation=to_organisation,
        )
    except Invalid:
        return _refused(request, location, TRANSFER_TARGET, 422)
    except NotChangeable:
        return _refused(request, location, NOT_CHANGEABLE, 409)
    return _back(location, "done")


async def presence(request: Request) -> Response:
    form = await request.form()
    counsellor, location = await _desk_of(request, form)
    actor, now = request.state.principal.username, request_time(request)
    if form.get("present") == "1":
        await service.arrive(counsellor, location, actor, now)
        return _back(location, "present")
    await service.leave(counsellor, actor, now)
    return _back(location, "away")


routes: list[BaseRoute] = [
    staff_route(PAGE, desk_page, "walk_in_desk"),
    staff_route(f"{PAGE}/call-next", call_next, "walk_in_desk", methods=["POST"]),
    staff_route(PAGE + "/walk-ins/{ticket_id:int}/{action}", act, "walk_in_desk", methods=["POST"]),
    staff_route(f"{PAGE}/presence", presence, "walk_in_desk", methods=["POST"]),
]
