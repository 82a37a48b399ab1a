"""Administration pages for coordinators: the overview, locations (opening hours, closure days,
rooms). Organisations and counsellors are in admin_people.py, the weekly plans, dated
exceptions and the bookings needing attention in admin_plans.py, the outbox in admin_mail.py;
all routes are exported here. Every route needs the "administer" permission, the outbox's
"read_mail"."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from booking import admin_forms as forms
from booking.errors import Rejected
from booking.models import ClosureDay, Location, OpeningHours, Room
from booking.services import admin, admin_plans, mail_admin
from booking.web import admin_attention, admin_mail, admin_people
from booking.web import admin_plans as plan_pages
from booking.web.admin_common import (
    actor,
    admin_route,
    apply_change,
    confirm_active,
    form_page,
    future_bookings,
    read_form,
    saved,
    today,
    weekdays,
)
from booking.web.auth import request_time, staff_page
from booking.web.errors import error_page

BASE = "/staff/admin/locations"


async def index(request: Request) -> Response:
    now = request_time(request)
    context = {
        "counts": await admin.counts(now),
        "attention": len(await admin_plans.needing_attention(now)),
        "failed_mail": await mail_admin.failed_count(),
    }
    return staff_page(request, "staff/admin/index.html", context)


async def locations(request: Request) -> Response:
    listing = await Location.all().order_by("-active", "name")
    return staff_page(request, "staff/admin/locations.html", {"locations": listing})


def _location_values(location: Location) -> dict[str, str]:
    return {
        "name": location.name,
        "address": location.address,
        "code": location.code,
        "timezone": location.timezone,
        "session_minutes": str(location.session_minutes),
        "buffer_minutes": str(location.buffer_minutes),
        "window_minutes": str(location.window_minutes),
        "notice_minutes": str(location.notice_minutes),
        "holiday_subdivision": location.holiday_subdivision,
    }


def _location_form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    location: Location | None = None,
) -> Response:
    context = {"values": values, "location": location, "subdivisions": forms.SUBDIVISIONS}
    return form_page(request, "staff/admin/location_form.html", context, errors)


async def location_new(request: Request) -> Response:
    if request.method == "GET":
        values = {
            "timezone": request.app.state.settings.timezone,
            "session_minutes": "30",
            "buffer_minutes": "10",
            "window_minutes": "120",
            "notice_minutes": "60",
            "holiday_subdivision": "NI",
        }
        return _location_form(request, values)
    form = await read_form(request)
    parsed, errors = forms.read_location(form.values)
    if parsed is None:
        return _location_form(request, form.values, errors)
    try:
        location = await admin.create_location(parsed, actor(request), request_time(request))
    except Rejected as problem:
        return _location_form(request, form.values, problem.errors)
    return saved(f"{BASE}/{location.id}")


async def _location(request: Request) -> Location | None:
    return await Location.get_or_none(id=request.path_params["location_id"])


async def location_edit(request: Request) -> Response:
    location = await _location(request)
    if location is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        return _location_form(request, _location_values(location), location=location)
    form = await read_form(request)
    parsed, errors = forms.read_location(form.values)
    if parsed is None:
        return _location_form(request, form.values, errors, location)
    try:
        await admin.update_location(location.id, parsed, actor(request), request_time(request))
    except Rejected as problem:
        return _location_form(request, form.values, problem.errors, location)
    return saved(f"{BASE}/{location.id}")


async def location_hours(request: Request) -> Response:
    location = await _location(request)
    if location is None:
        return error_page(request, "not_found", 404)
    context = {"location": location, "weekdays": weekdays(request)}
    if request.method == "GET":
        stored: dict[int, list[tuple[int, int]]] = {}
        for row in await OpeningHours.filter(location_id=location.id):
            stored.setdefault(row.weekday, []).append((row.opens, row.closes))
        values = {f"hours-{d}": forms.format_intervals(stored.get(d, [])) for d in range(7)}
        return form_page(request, "staff/admin/hours.html", {**context, "values": values})
    form = await read_form(request)
    hours, errors = forms.read_opening_hours(form.values)
    if hours is None:
        return form_page(
            request, "staff/admin/hours.html", {**context, "values": form.values}, errors
        )
    await admin.set_opening_hours(location.id, hours, actor(request), request_time(request))
    return saved(f"{BASE}/{location.id}/hours")


async def _closures_page(
    request: Request,
    location: Location,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    day = today(request)
    context = {
        "location": location,
        "closures": await ClosureDay.filter(location_id=location.id, day__gte=day).order_by("day"),
        "holidays": forms.upcoming_holidays(
            location.holiday_country,
            location.holiday_subdivision,
            day,
            request.state.language,
        ),
        "subdivision": forms.SUBDIVISIONS.get(location.holiday_subdivision, ""),
        "values": values,
    }
    return form_page(request, "staff/admin/closures.html", context, errors)


async def location_closures(request: Request) -> Response:
    location = await _location(request)
    if location is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        return await _closures_page(request, location, {})
    form = await read_form(request)
    parsed, errors = forms.read_closure(form.values, today(request))
    if parsed is None:
        return await _closures_page(request, location, form.values, errors)
    back = f"{BASE}/{location.id}/closures"
    title = f"{location.name}: {parsed.day.isoformat()}"
    change = partial(admin_plans.close_day, location, parsed)
    try:
        return await apply_change(request, form, change, action=back, back=back, title=title)
    except Rejected as problem:
        return await _closures_page(request, location, form.values, problem.errors)


async def closure_remove(request: Request) -> Response:
    closure = await ClosureDay.get_or_none(
        id=request.path_params["closure_id"], location_id=request.path_params["location_id"]
    ).prefetch_related("location")
    if closure is None:
        return error_page(request, "not_found", 404)
    back = f"{BASE}/{closure.location.id}/closures"
    if request.method == "GET":
        context = {"closure": closure, "back": back}
        return staff_page(request, "staff/admin/closure_remove.html", context)
    await admin.remove_closure(closure, actor(request), request_time(request))
    return saved(back)


async def location_active(request: Request) -> Response:
    location = await _location(request)
    if location is None:
        return error_page(request, "not_found", 404)
    back = f"{BASE}/{location.id}"
    context = {
        "location": location,
        "bookings": await future_bookings(request, location_id=location.id),
        "back": back,
    }
    return await confirm_active(
        request,
        "staff/admin/location_active.html",
        context,
        partial(admin_plans.set_location_active, location),
        action=f"{back}/active",
        back=back,
        title=location.name,
    )


async def rooms(request: Request) -> Response:
    location = await _location(request)
    if location is None:
        return error_page(request, "not_found", 404)
    listing = await Room.filter(location_id=location.id).order_by("-active", "code")
    context = {"location": location, "rooms": listing}
    if request.method == "GET":
        return form_page(request, "staff/admin/rooms.html", {**context, "values": {}})
    form = await read_form(request)
    parsed, errors = forms.read_room(form.values)
    if parsed is not None:
        try:
            await admin.create_room(location.id, parsed, actor(request), request_time(request))
        except Rejected as problem:
            errors = problem.errors
        else:
            return saved(f"{BASE}/{location.id}/rooms")
    return form_page(request, "staff/admin/rooms.html", {**context, "values": form.values}, errors)


async def _room(request: Request) -> Room | None:
    return await Room.get_or_none(id=request.path_params["room_id"]).prefetch_related("location")


async def room_edit(request: Request) -> Response:
    room = await _room(request)
    if room is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        values = {"code": room.code, "name": room.name}
        return form_page(request, "staff/admin/room_form.html", {"room": room, "values": values})
    form = await read_form(request)
    parsed, errors = forms.read_room(form.values)
    if parsed is not None:
        try:
            await admin.update_room(room, parsed, actor(request), request_time(request))
        except Rejected as problem:
            errors = problem.errors
        else:
            return saved(f"{BASE}/{room.location.id}/rooms")
    context = {"room": room, "values": form.values}
    return form_page(request, "staff/admin/room_form.html", context, errors)


async def room_active(request: Request) -> Response:
    room = await _room(request)
    if room is None:
        return error_page(request, "not_found", 404)
    context = {"room": room, "use": await admin.room_use(room.id, request_time(request))}
    if request.method == "GET":
        return form_page(request, "staff/admin/room_active.html", context)
    form = await read_form(request)
    active, errors = forms.read_active(form.values)
    if active is None:
        return form_page(request, "staff/admin/room_active.html", context, errors)
    await admin.set_room_active(room.id, active, actor(request), request_time(request))
    return saved(f"{BASE}/{room.location.id}/rooms")


routes: list[BaseRoute] = [
    admin_route("/staff/admin", index, methods=("GET",)),
    admin_route(BASE, locations, methods=("GET",)),
    admin_route(f"{BASE}/new", location_new),
    admin_route(BASE + "/{location_id:id}", location_edit),
    admin_route(BASE + "/{location_id:id}/hours", location_hours),
    admin_route(BASE + "/{location_id:id}/closures", location_closures),
    admin_route(BASE + "/{location_id:id}/closures/{closure_id:id}/remove", closure_remove),
    admin_route(BASE + "/{location_id:id}/active", location_active),
    admin_route(BASE + "/{location_id:id}/rooms", rooms),
    admin_route("/staff/admin/rooms/{room_id:id}", room_edit),
    admin_route("/staff/admin/rooms/{room_id:id}/active", room_active),
    *admin_people.routes,
    *plan_pages.routes,
    *admin_attention.routes,
    *admin_mail.routes,
]
