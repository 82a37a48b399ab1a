"""The walk-in queue's JSON API (issue 6), described in booking/web/openapi.py.

Reception's kiosks and systems register walk-ins and check booked people in; counsellors call
the next walk-in and act on the ticket they hold; the waiting-room display and the visitor's
status page read without signing in, and never see a name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from booking import queue
from booking.errors import Held, Invalid, RoomNeeded
from booking.models import ATTENDED, Location, Ticket
from booking.schedule import Outcome, read_outcome
from booking.services import desk, fairness, walkins
from booking.services import schedule as schedule_service
from booking.services.days import zone_of
from booking.vocabulary import N_
from booking.web.api import json_object
from booking.web.auth import request_time, staff_route
from booking.web.rendering import translate

BOOKED_SESSION_SOON = N_(
    "Your next booked session begins sooner than a walk-in session usually takes, so nobody "
    "was called. Send anyway=true to call the next walk-in all the same."
)
ROOM_NEEDED = N_("No room is known for you at this desk. Send the room you are sitting in.")
ROOM_MAX = 100
NO_STORE = {"Cache-Control": "no-store"}


def _iso(moment: datetime, location: Location) -> str:
    return moment.astimezone(zone_of(location)).isoformat(timespec="seconds")


def _estimate_json(
    estimate: queue.Estimate | None, location: Location, *, with_after_closing: bool
) -> dict[str, Any] | None:
    if estimate is None:
        return None
    found: dict[str, Any] = {
        "earliest": _iso(estimate.earliest, location),
        "latest": _iso(estimate.latest, location),
    }
    if with_after_closing:
        found["after_closing"] = estimate.after_closing
    return found


async def _ticket_json(ticket: Ticket) -> dict[str, Any]:
    await ticket.fetch_related("location", "room")
    location: Location = ticket.location
    return {
        "id": ticket.id,
        "number": walkins.ticket_label(location.ticket_prefix, ticket.number),
        "room": ticket.room.name if ticket.room else None,
        "topic": ticket.topic,
        "language": ticket.language,
        "priority": ticket.priority,
        "status": ticket.status,
    }


async def _optional_object(request: Request) -> dict[str, Any]:
    """An empty body reads as {}; anything else must be a JSON object."""
    if not (await request.body()).strip():
        return {}
    return await json_object(request)


async def register(request: Request) -> Response:
    location = await schedule_service.location_by_code(request.path_params["code"])
    form = walkins.read_walk_in(await json_object(request))
    registered = await walkins.register(
        location,
        form,
        request.state.principal.username,
        request_time(request),
        fairness.Rules.of(request.app.state.settings),
    )
    base = request.app.state.settings.base_url.rstrip("/")
    ticket = registered.ticket
    return JSONResponse(
        {
            "id": ticket.id,
            "number": registered.label,
            "token": registered.token,
            "status_url": f"{base}/t/{registered.token}",
            "ticket_url": f"{base}/staff/reception/walk-ins/{ticket.id}/ticket"
            f"?t={registered.token}",
            "position": registered.position,
            "estimate": _estimate_json(registered.estimate, location, with_after_closing=False),
        },
        status_code=201,
        headers=NO_STORE,
    )


def _room_needed(request: Request, needed: RoomNeeded) -> Response:
    return JSONResponse(
        {
            "error": "room_needed",
            "message": translate(request, ROOM_NEEDED),
            "rooms": needed.rooms,
        },
        status_code=409,
    )


def _room_field(data: dict[str, Any], errors: dict[str, str]) -> str | None:
    room = data.get("room")
    if room is not None and (not isinstance(room, str) or len(room) > ROOM_MAX):
        errors["room"] = "wrong_type"
        return None
    return room or None


async def call_next(request: Request) -> Response:
    data = await _optional_object(request)
    code, anyway = data.get("location"), data.get("anyway", False)
    errors: dict[str, str] = {}
    if code is not None and not isinstance(code, str):
        errors["location"] = "wrong_type"
    if not isinstance(anyway, bool):
        errors["anyway"] = "wrong_type"
    room = _room_field(data, errors)
    if errors:
        raise Invalid(errors)
    counsellor = await desk.counsellor_of(request.state.user)
    location = await desk.desk_location(counsellor, code)
    try:
        ticket = (
            await walkins.call_next(
                counsellor,
                location,
                request_time(request),
                fairness.Rules.of(request.app.state.settings),
                actor=request.state.principal.username,
                anyway=anyway,
                room=room,
            )
        ).ticket
    except Held:
        # Not a failure: nobody was called on purpose, and the caller may insist.
        return JSONResponse(
            {"error": "booked_session_soon", "message": translate(request, BOOKED_SESSION_SOON)},
            status_code=409,
        )
    except RoomNeeded as needed:
        return _room_needed(request, needed)
    if ticket is None:
        return Response(status_code=204)  # nothing fits: on the ready list now
    return JSONResponse(await _ticket_json(ticket))


async def current(request: Request) -> Response:
    """The ticket called for the counsellor now (also one the balance gave them while they
    were ready), or 204."""
    counsellor = await desk.counsellor_of(request.state.user)
    ticket = await walkins.current(counsellor)
    if ticket is None:
        return Response(status_code=204, headers=NO_STORE)
    return JSONResponse(await _ticket_json(ticket), headers=NO_STORE)


async def ready(request: Request) -> Response:
    """The "ready for walk-ins" switch: {"ready": true|false, "room", "location"}."""
    data = await json_object(request)
    switch, code = data.get("ready"), data.get("location")
    errors: dict[str, str] = {}
    if not isinstance(switch, bool):
        errors["ready"] = "wrong_type"
    if code is not None and not isinstance(code, str):
        errors["location"] = "wrong_type"
    room = _room_field(data, errors)
    if errors:
        raise Invalid(errors)
    counsellor = await desk.counsellor_of(request.state.user)
    location = await desk.desk_location(counsellor, code)
    try:
        called = await walkins.set_ready(
            counsellor,
            location,
            bool(switch),
            room,
            request.state.principal.username,
            request_time(request),
            fairness.Rules.of(request.app.state.settings),
        )
    except RoomNeeded as needed:
        return _room_needed(request, needed)
    await counsellor.refresh_from_db()
    answer: dict[str, Any] = {
        "ready": bool(switch),
        "room": None,
        "ticket": await _ticket_json(called) if called is not None else None,
    }
    if counsellor.desk_room_id is not None:
        rooms = {v: k for k, v in (await walkins.rooms_of(location)).items()}
        answer["room"] = rooms.get(counsellor.desk_room_id)
    return JSONResponse(answer, headers=NO_STORE)


async def _finish_outcome(request: Request) -> Outcome | None:
    """What a finish may carry: the topics covered, a referral and a note (all optional);
    None without a body."""
    if not (await request.body()).strip():
        return None
    data = await json_object(request)
    topics, referral, note = data.get("topics", []), data.get("referral", ""), data.get("note", "")
    wrong = {
        name: "wrong_type"
        for name, ok in (
            ("topics", isinstance(topics, list) and all(isinstance(t, str) for t in topics)),
            ("referral", isinstance(referral, str)),
            ("note", isinstance(note, str)),
        )
        if not ok
    }
    if wrong:
        raise Invalid(wrong)
    outcome, errors = read_outcome(ATTENDED, topics, referral, note)
    if outcome is None:
        raise Invalid(errors)
    return outcome


async def act(request: Request) -> Response:
    ticket_id = desk.ticket_in_range(request.path_params["ticket_id"])
    action = request.path_params["action"]
    to_counsellor = to_organisation = None
    if action == "transfer":
        data = await json_object(request)
        to_counsellor, to_organisation = await desk.transfer_target(
            data.get("counsellor"), data.get("organisation")
        )
    outcome = await _finish_outcome(request) if action == "finish" else None
    counsellor = await desk.counsellor_of(request.state.user)
    ticket = await walkins.act(
        ticket_id,
        action,
        counsellor,
        request_time(request),
        actor=request.state.principal.username,
        to_counsellor=to_counsellor,
        to_organisation=to_organisation,
        outcome=outcome,
        no_show=desk.no_show_rule(request.app.state.settings),
        rules=fairness.Rules.of(request.app.state.settings),
    )
    return JSONResponse(await _ticket_json(ticket))


async def display(request: Request) -> Response:
    location = await schedule_service.location_by_code(request.path_params["code"])
    calls = await walkins.display(location, request_time(request))
    return JSONResponse(
        {
            "calls": [
                {"number": c.label, "room": c.room, "called_at": _iso(c.called_at, location)}
                for c in calls
            ]
        },
        headers=NO_STORE,
    )


async def status(request: Request) -> Response:
    found = await walkins.status(request.path_params["token"], request_time(request))
    return JSONResponse(
        {
            "number": found.label,
            "status": found.status,
            "position": found.position,
            "estimate": _estimate_json(found.estimate, found.location, with_after_closing=True),
        },
        headers=NO_STORE,
    )


async def check_in(request: Request) -> Response:
    booking = await schedule_service.booking_by_reference(request.path_params["reference"])
    now = request_time(request)
    await schedule_service.check_in(booking.id, request.state.principal.username, now)
    await booking.refresh_from_db(fields=["checked_in_at"])
    arrived = booking.checked_in_at or now  # set now: check_in raised otherwise
    return JSONResponse(
        {"reference": booking.reference, "checked_in_at": _iso(arrived, booking.location)}
    )


routes: list[BaseRoute] = [
    staff_route(
        "/api/v1/locations/{code}/walk-ins",
        register,
        "walk_in_reception",
        methods=["POST"],
        name="api_register_walk_in",
    ),
    staff_route(
        "/api/v1/queue/call-next",
        call_next,
        "walk_in_desk",
        methods=["POST"],
        name="api_call_next",
    ),
    staff_route(
        "/api/v1/queue/current",
        current,
        "walk_in_desk",
        methods=["GET"],
        name="api_queue_current",
    ),
    staff_route(
        "/api/v1/queue/ready",
        ready,
        "walk_in_desk",
        methods=["POST"],
        name="api_queue_ready",
    ),
    staff_route(
        "/api/v1/walk-ins/{ticket_id:id}/{action}",
        act,
        "walk_in_desk",
        methods=["POST"],
        name="api_walk_in_action",
    ),
    staff_route(
        "/api/v1/bookings/{reference}/check-in",
        check_in,
        "reception_desk",
        methods=["POST"],
        name="api_check_in",
    ),
    Route("/api/v1/locations/{code}/display", display, name="api_display"),
    Route("/api/v1/walk-ins/status/{token}", status, name="api_walk_in_status"),
]
