"""The JSON API for the office's IT and kiosks (described in booking/web/openapi.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from booking.applicant import read_choice, read_contact, read_organisation, read_start
from booking.errors import Invalid
from booking.models import Booking
from booking.services import bookings, fairness
from booking.services.days import zone_of
from booking.slots import Slot
from booking.vocabulary import TOPICS, normalise_language
from booking.web.errors import BadRequest
from booking.web.limits import client_limited
from booking.web.openapi import openapi_document
from booking.web.params import parse_json
from integrations.office_link import OfficeLink


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _balance_rules(request: Request) -> fairness.Rules:
    return fairness.Rules.of(request.app.state.settings)


def _iso(moment: datetime, zone: Any) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def slots_json(slots: list[Slot], zone: Any) -> list[dict[str, str]]:
    return [{"start": _iso(s.start, zone), "end": _iso(s.end, zone)} for s in slots]


def booking_json(booking: Booking) -> dict[str, Any]:
    zone = zone_of(booking.location)
    return {
        "reference": booking.reference,
        "status": booking.status,
        "start": _iso(booking.start, zone),
        "end": _iso(booking.end, zone),
        "topic": booking.topic,
        "language": booking.language,
        "organisation": {"code": booking.organisation.code, "name": booking.organisation.name},
        "room": booking.room.name if booking.room else None,
        "location": {
            "code": booking.location.code,
            "name": booking.location.name,
            "address": booking.location.address,
        },
        "appointment": (
            {
                "ref": booking.appointment.ref,
                "start": _iso(booking.appointment.start, zone),
                "duration": booking.appointment.duration_minutes,
            }
            if booking.appointment
            else None  # a walk-in served from the queue
        ),
    }


async def json_object(request: Request) -> dict[str, Any]:
    data = parse_json(await request.body())
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _link(request: Request, params: Mapping[str, object]) -> OfficeLink:
    secret = request.app.state.settings.link_secret.value
    return bookings.check_link(params, secret, _now(request))


async def availability(request: Request) -> Response:
    params = request.query_params
    link = _link(request, params)
    errors: dict[str, str] = {}
    topic = params.get("topic") or None
    if topic is not None and topic not in TOPICS:
        errors["topic"] = "choose_topic"
    language = params.get("language") or None
    if language is not None:
        language = normalise_language(language)
        if language is None:
            errors["language"] = "choose_language"
    organisation, problem = read_organisation(params.get("organisation", "").strip())
    if problem:
        errors["organisation"] = problem
    if errors:
        raise Invalid(errors)
    offer = await bookings.offer(link, topic, language, _now(request), organisation)
    zone = zone_of(offer.location)
    return JSONResponse(
        {
            "slots": slots_json(offer.slots, zone),
            "language_on_duty": offer.language_on_duty,
            "fallback": {lang: slots_json(s, zone) for lang, s in offer.fallback.items()},
        }
    )


async def create_booking(request: Request) -> Response:
    data = await json_object(request)
    appointment = data.get("appointment")
    if not isinstance(appointment, dict):
        appointment = {}
    link = _link(request, appointment)
    choice, errors = read_choice(data)
    contact, contact_errors = read_contact(data)
    start, start_errors = read_start(data)
    errors |= contact_errors | start_errors
    if choice is None or contact is None or start is None:
        raise Invalid(errors)
    booked = await bookings.create_booking(
        link,
        choice,
        contact,
        start,
        _now(request),
        ui_language=request.state.language,
        balance_rules=_balance_rules(request),
        mailer=request.app.state.mailer,
        limiter=request.app.state.limiter,
        reference_secret=request.app.state.settings.secret_key.value,
    )
    booking = await bookings.find_booking(booked.manage_token)
    base_url = request.app.state.settings.base_url
    zone = zone_of(booking.location)
    return JSONResponse(
        {
            "reference": booking.reference,
            "start": _iso(booking.start, zone),
            "end": _iso(booking.end, zone),
            "organisation": {"code": booking.organisation.code, "name": booking.organisation.name},
            "room": booking.room.name if booking.room else None,
            "manage_token": booked.manage_token,
            "manage_url": f"{base_url}/manage/{booked.manage_token}",
        },
        status_code=201,
    )


async def booking_detail(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "DELETE":
        booking = await bookings.cancel(token, _now(request), request.app.state.mailer)
        return JSONResponse({"status": booking.status})
    booking = await bookings.find_booking(token)
    return JSONResponse(booking_json(booking))


async def reschedule(request: Request) -> Response:
    token = request.path_params["token"]
    data = await json_object(request)
    start, errors = read_start(data)
    if start is None:
        raise Invalid(errors)
    booking = await bookings.reschedule(
        token,
        start,
        _now(request),
        _balance_rules(request),
        request.app.state.mailer,
        request.app.state.limiter,
    )
    return JSONResponse(booking_json(booking))


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(request.app.state.settings.base_url))


routes = [
    Route("/api/v1/openapi.json", openapi, name="api_openapi"),
    Route("/api/v1/availability", availability, name="api_availability"),
    Route(
        "/api/v1/bookings",
        client_limited(create_booking),
        methods=["POST"],
        name="api_create_booking",
    ),
    Route(
        "/api/v1/bookings/{token}",
        client_limited(booking_detail),
        methods=["GET", "DELETE"],
        name="api_booking",
    ),
    Route(
        "/api/v1/bookings/{token}/reschedule",
        client_limited(reschedule),
        methods=["POST"],
        name="api_reschedule",
    ),
]
