"""The welcome desk: today's bookings at the location, check-in, and who is free now."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.access import Principal
from booking.errors import NotFound
from booking.models import Location
from booking.schedule import Scope
from booking.services import schedule as service
from booking.services.days import local_date, zone_of
from booking.web.auth import request_time, staff_page, staff_route


async def _location(request: Request, code: object) -> Location:
    if isinstance(code, str) and code:
        return await service.location_by_code(code)
    found = await service.default_location()
    if found is None:
        raise NotFound()
    return found


async def desk(request: Request) -> Response:
    location = await _location(request, request.query_params.get("location"))
    now = request_time(request)
    principal: Principal = request.state.principal
    today = local_date(now, location)
    listed = await service.entries(location, Scope(today, None, None), principal.username, now)
    waiting = [e for e in listed if e.checked_in_at and e.status == "booked"]
    context = {
        "location": location,
        "locations": await Location.filter(active=True).order_by("name"),
        "zone": zone_of(location),
        "today": today,
        "now": now,
        "entries": listed,
        "waiting": len(waiting),
        "on_duty": await service.on_duty(location, now),
    }
    return staff_page(request, "staff/reception.html", context)


async def check_in(request: Request) -> Response:
    await service.check_in(
        request.path_params["booking_id"], request.state.principal.username, request_time(request)
    )
    form = await request.form()
    code = form.get("location")
    target = f"/staff/reception?location={code}" if isinstance(code, str) and code else ""
    return RedirectResponse(target or "/staff/reception", status_code=303)


routes: list[BaseRoute] = [
    staff_route("/staff/reception", desk, "reception_desk"),
    staff_route(
        "/staff/reception/{booking_id:id}/check-in", check_in, "reception_desk", methods=["POST"]
    ),
]
