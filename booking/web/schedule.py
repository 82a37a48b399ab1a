"""Day schedules for staff (page, print view, API), attendance and outcomes, calendar feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from booking.access import Principal, allowed
from booking.errors import NotFound, ScopeRefused
from booking.models import ATTENDED, COUNSELLOR, NO_SHOW, Location, Organisation
from booking.schedule import (
    OUTCOME_STATUSES,
    Entry,
    Outcome,
    Scope,
    may_record,
    read_outcome,
    schedule_scope,
)
from booking.services import feeds
from booking.services import schedule as service
from booking.services.days import local_date, zone_of
from booking.staff_vocabulary import REFERRALS
from booking.web import follow_up_slip, params
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.rendering import translate
from booking.web.staff_messages import OUTCOME_MESSAGES
from integrations.calendar_feed import feed

# Which page a form came from; only our own schedule pages are allowed back.
RETURN_PREFIX = "/staff/schedule"


class BadQuery(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class ScheduleQuery:
    location: Location
    scope: Scope
    view: str  # "mine", "organisation" or "location"
    organisation: Organisation | None


def _date(text: str | None, default: date) -> date:
    if not text:
        return default
    day = params.day(text)
    if day is None:
        raise BadQuery("date")
    return day


def _id(text: str | None, field: str) -> int | None:
    if not text:
        return None
    found = params.record_id(text)
    if found is None:
        raise BadQuery(field)
    return found


def _code(text: str) -> str:
    """A code that could exist; one that cannot names nothing (NotFound, as an unknown one)."""
    found = params.code(text)
    if found is None:
        raise NotFound()
    return found


async def _query(request: Request, *, for_api: bool) -> ScheduleQuery:
    """Read the filters, narrowed by the access rules (ScopeRefused, NotFound, BadQuery).

    The API needs a location and answers with all the caller may see; the page falls back
    to the first location and opens on a counsellor's own sessions."""
    query = request.query_params
    principal: Principal = request.state.principal
    code = query.get("location", "")
    if code:
        location = await service.location_by_code(_code(code))
    elif for_api:
        raise BadQuery("location")
    else:
        found = await service.default_location()
        if found is None:
            raise NotFound()
        location = found
    now = request_time(request)
    today = local_date(now, location)
    day = _date(query.get("date"), today)

    organisation = None
    if query.get("organisation"):
        organisation = await service.organisation_by_code(_code(query["organisation"]))
    counsellor_id = _id(query.get("counsellor"), "counsellor")
    view = query.get("view", "")
    own_view = view != "organisation" and counsellor_id is None and organisation is None
    if principal.role == COUNSELLOR and own_view and not for_api:
        counsellor_id = request.state.user.counsellor_id
        view = "mine"
    counsellor_organisation = (
        await service.counsellor_organisation(counsellor_id) if counsellor_id else None
    )
    scope = schedule_scope(
        principal,
        day,
        today,
        organisation_id=organisation.id if organisation else None,
        counsellor_id=counsellor_id,
        counsellor_organisation_id=counsellor_organisation,
    )
    if view not in ("mine", "organisation"):
        view = "organisation" if principal.role == COUNSELLOR else "location"
    return ScheduleQuery(location, scope, view, organisation)


async def _page_query(request: Request) -> ScheduleQuery | Response:
    try:
        return await _query(request, for_api=False)
    except ScopeRefused as refused:
        return error_page(request, refused.code, 403)
    except BadQuery:
        return error_page(request, "bad_date", 422)


async def _context(request: Request, query: ScheduleQuery) -> dict[str, Any]:
    now = request_time(request)
    principal: Principal = request.state.principal
    found = await service.entries(query.location, query.scope, principal.username, now)
    day = query.scope.day
    base = {
        k: v for k, v in request.query_params.items() if k in ("location", "view", "organisation")
    }
    return {
        "location": query.location,
        "locations": await Location.filter(active=True).order_by("name"),
        "organisations": await Organisation.filter(active=True).order_by("name"),
        "zone": zone_of(query.location),
        "day": day,
        "today": local_date(now, query.location),
        "previous": (day - timedelta(days=1)).isoformat(),
        "next": (day + timedelta(days=1)).isoformat(),
        "base": base,
        "entries": found,
        "view": query.view,
        "organisation": query.organisation,
        "can_record": allowed(principal, "record_outcome"),
        "recordable": {e.id for e in found if e.is_session and may_record(e.status, e.start, now)},
        "reprintable": await follow_up_slip.reprintable(request, found, now),
        "return_to": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "role": principal.role,
    }


async def schedule_page(request: Request) -> Response:
    query = await _page_query(request)
    if isinstance(query, Response):
        return query
    return staff_page(request, "staff/schedule.html", await _context(request, query))


async def schedule_print(request: Request) -> Response:
    query = await _page_query(request)
    if isinstance(query, Response):
        return query
    return staff_page(request, "staff/schedule_print.html", await _context(request, query))


def _back(request: Request, form_value: object) -> str:
    if isinstance(form_value, str) and form_value.startswith(RETURN_PREFIX):
        return form_value
    return RETURN_PREFIX


async def attendance(request: Request) -> Response:
    """One click from the schedule: attended or did not come. Recorded topics stay."""
    form = await request.form()
    status = str(form.get("status", ""))
    if status not in (ATTENDED, NO_SHOW):
        return error_page(request, "bad_request", 422)
    principal: Principal = request.state.principal
    booking = await service.booking_for_staff(request.path_params["booking_id"], principal)
    topics = tuple(booking.outcome_topics) or (booking.topic,)
    outcome = Outcome(status, topics, booking.referral, booking.outcome_note)
    await service.record_outcome(booking.id, principal, outcome, request_time(request))
    return RedirectResponse(_back(request, form.get("return_to")), status_code=303)


async def outcome_form(request: Request) -> Response:
    principal: Principal = request.state.principal
    booking = await service.booking_for_staff(request.path_params["booking_id"], principal)
    now = request_time(request)
    errors: dict[str, str] = {}
    values = {
        "status": booking.status,
        "topics": booking.outcome_topics or [booking.topic],
        "referral": booking.referral,
        "note": booking.outcome_note,
    }
    return_to = _back(request, request.query_params.get("return_to"))
    if request.method == "GET" and booking.outcome_note:
        await service.audit_read(principal.username, booking, now)  # the note is personal
    if request.method == "POST":
        form = await request.form()
        return_to = _back(request, form.get("return_to"))
        status, referral = str(form.get("status", "")), str(form.get("referral", ""))
        topics, note = [str(t) for t in form.getlist("topics")], str(form.get("note", ""))
        values = {"status": status, "topics": topics, "referral": referral, "note": note}
        outcome, errors = read_outcome(status, topics, referral, note)
        if outcome is not None:
            await service.record_outcome(booking.id, principal, outcome, now)
            return RedirectResponse(return_to, status_code=303)
    context = {
        "booking": booking,
        "zone": zone_of(booking.location),
        "values": values,
        "errors": {k: translate(request, OUTCOME_MESSAGES[v]) for k, v in errors.items()},
        "statuses": OUTCOME_STATUSES,
        "referrals": REFERRALS,
        "recordable": may_record(booking.status, booking.start, now),
        "return_to": return_to,
    }
    return staff_page(request, "staff/outcome.html", context, 422 if errors else 200)


async def calendar_page(request: Request) -> Response:
    counsellor_id = request.state.user.counsellor_id
    if counsellor_id is None:
        return error_page(request, "not_found", 404)
    url = None
    if request.method == "POST":
        token = await feeds.reset_feed(
            counsellor_id, request.state.principal.username, request_time(request)
        )
        base = request.app.state.settings.base_url.rstrip("/")
        url = f"{base}/calendar/{token}.ics"
    context = {"url": url, "has_feed": await feeds.has_feed(counsellor_id)}
    return staff_page(request, "staff/calendar.html", context)


async def calendar_feed(request: Request) -> Response:
    now = request_time(request)
    try:
        found = await feeds.feed_bookings(request.path_params["token"], now)
    except NotFound:
        return Response("Not found\n", status_code=404, media_type="text/plain")
    # A calendar client sends no language preference: the feed speaks its owner's language.
    renderer = request.app.state.renderer

    def gettext(message: str) -> str:
        return str(renderer.gettext(found.language, message))

    mailbox = request.app.state.settings.mail_from_address
    events = feeds.feed_events(found.bookings, found.language, gettext, mailbox)
    body = feed(feeds.feed_name(found, gettext), events, now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def _entry_json(entry: Entry, zone: Any) -> dict[str, Any]:
    def iso(moment: Any) -> str:
        return str(moment.astimezone(zone).isoformat(timespec="seconds"))

    return {
        "start": iso(entry.start),
        "end": iso(entry.end),
        "counsellor": {"id": entry.counsellor_id, "name": entry.counsellor_name},
        "organisation": entry.organisation,
        "kind": entry.kind,
        "topic": entry.topic,
        "language": entry.language,
        "reference": entry.reference,
        "status": entry.status,
        "display_name": entry.display_name,
        "room": entry.room,
        "appointment_start": iso(entry.appointment_start) if entry.appointment_start else None,
        "checked_in": entry.checked_in_at is not None,
    }


async def api_schedule(request: Request) -> Response:
    try:
        query = await _query(request, for_api=True)
    except ScopeRefused as refused:
        return JSONResponse({"error": refused.code}, status_code=403)
    except BadQuery as bad:
        return JSONResponse({"error": "invalid", "fields": {bad.field: "invalid"}}, status_code=422)
    except NotFound:
        return JSONResponse({"error": "not_found"}, status_code=404)
    principal: Principal = request.state.principal
    found = await service.entries(
        query.location, query.scope, principal.username, request_time(request)
    )
    zone = zone_of(query.location)
    return JSONResponse(
        {"date": query.scope.day.isoformat(), "entries": [_entry_json(e, zone) for e in found]}
    )


routes: list[BaseRoute] = [
    staff_route("/staff/schedule", schedule_page, "view_schedule"),
    staff_route("/staff/schedule/print", schedule_print, "view_schedule"),
    staff_route(
        "/staff/bookings/{booking_id:id}/attendance",
        attendance,
        "record_outcome",
        methods=["POST"],
    ),
    staff_route(
        "/staff/bookings/{booking_id:id}/outcome",
        outcome_form,
        "record_outcome",
        methods=["GET", "POST"],
    ),
    staff_route("/staff/calendar", calendar_page, "own_calendar_feed", methods=["GET", "POST"]),
    staff_route("/api/v1/schedule", api_schedule, "view_schedule"),
    Route("/calendar/{token}.ics", calendar_feed, name="calendar_feed"),
]
