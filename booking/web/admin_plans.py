"""Administration pages: a counsellor's weekly plan and dated exceptions (the bookings that
need attention afterwards have their page in booking/web/admin_attention.py)."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from booking import admin_forms as forms
from booking.errors import Rejected
from booking.models import Counsellor, Location, PlanException, Room, WorkShift
from booking.services import admin, admin_plans
from booking.web.admin_common import (
    actor,
    admin_route,
    apply_change,
    form_page,
    read_form,
    saved,
    today,
    weekdays,
)
from booking.web.auth import request_time, staff_page
from booking.web.errors import error_page

COUNSELLORS = "/staff/admin/counsellors"


async def _counsellor(request: Request) -> Counsellor | None:
    return await Counsellor.get_or_none(id=request.path_params["counsellor_id"])


async def _places() -> tuple[list[Location], list[Room]]:
    """Active locations and their active rooms, for the choices of a form."""
    locations = await Location.filter(active=True).order_by("name")
    rooms = await Room.filter(active=True, location__active=True).order_by("code")
    return locations, rooms


def _room_owners(rooms: list[Room]) -> dict[int, int]:
    return {room.id: room.location_id for room in rooms}


async def _plan_page(
    request: Request,
    counsellor: Counsellor,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    locations, rooms = await _places()
    blocks = (
        await WorkShift.filter(counsellor_id=counsellor.id)
        .order_by("weekday", "starts")
        .prefetch_related("location", "room")
    )
    context = {
        "counsellor": counsellor,
        "blocks": blocks,
        "locations": locations,
        "rooms": rooms,
        "weekdays": weekdays(request),
        "clock": forms.format_clock,
        "values": values,
    }
    return form_page(request, "staff/admin/plan.html", context, errors)


async def plan(request: Request) -> Response:
    counsellor = await _counsellor(request)
    if counsellor is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        return await _plan_page(request, counsellor, {})
    form = await read_form(request)
    locations, rooms = await _places()
    others = [
        (b.weekday, b.starts, b.ends) for b in await WorkShift.filter(counsellor_id=counsellor.id)
    ]
    parsed, errors = forms.read_block(
        form.values, {loc.id for loc in locations}, _room_owners(rooms), others
    )
    if parsed is None:
        return await _plan_page(request, counsellor, form.values, errors)
    await admin.add_block(counsellor.id, parsed, actor(request), request_time(request))
    return saved(f"{COUNSELLORS}/{counsellor.id}/plan")


async def block_remove(request: Request) -> Response:
    block = await WorkShift.get_or_none(
        id=request.path_params["block_id"], counsellor_id=request.path_params["counsellor_id"]
    ).prefetch_related("counsellor", "location", "room")
    if block is None:
        return error_page(request, "not_found", 404)
    back = f"{COUNSELLORS}/{block.counsellor.id}/plan"
    if request.method == "GET":
        context = {
            "block": block,
            "weekdays": weekdays(request),
            "clock": forms.format_clock,
            "back": back,
        }
        return staff_page(request, "staff/admin/block_remove.html", context)
    return await apply_change(
        request,
        await read_form(request),
        partial(admin_plans.remove_block, block),
        action=f"{back}/{block.id}/remove",
        back=back,
        title=block.counsellor.display_name,
    )


async def _exceptions_page(
    request: Request,
    counsellor: Counsellor,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    locations, rooms = await _places()
    upcoming = (
        await PlanException.filter(counsellor_id=counsellor.id, day__gte=today(request))
        .order_by("day", "starts", "id")
        .limit(200)
        .prefetch_related("location", "room")
    )
    context = {
        "counsellor": counsellor,
        "exceptions": upcoming,
        "locations": locations,
        "rooms": rooms,
        "kinds": forms.KINDS,
        "clock": forms.format_clock,
        "values": values,
    }
    return form_page(request, "staff/admin/exceptions.html", context, errors)


async def exceptions(request: Request) -> Response:
    counsellor = await _counsellor(request)
    if counsellor is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        return await _exceptions_page(request, counsellor, {"kind": "absence"})
    form = await read_form(request)
    locations, rooms = await _places()
    parsed, errors = forms.read_exception(
        form.values, today(request), {loc.id for loc in locations}, _room_owners(rooms)
    )
    if parsed is None:
        return await _exceptions_page(request, counsellor, form.values, errors)
    back = f"{COUNSELLORS}/{counsellor.id}/exceptions"
    change = partial(admin_plans.add_exception, counsellor, parsed)
    try:
        return await apply_change(
            request, form, change, action=back, back=back, title=counsellor.display_name
        )
    except Rejected as problem:
        return await _exceptions_page(request, counsellor, form.values, problem.errors)


async def exception_remove(request: Request) -> Response:
    row = await PlanException.get_or_none(
        id=request.path_params["exception_id"],
        counsellor_id=request.path_params["counsellor_id"],
    ).prefetch_related("counsellor", "location")
    if row is None:
        return error_page(request, "not_found", 404)
    back = f"{COUNSELLORS}/{row.counsellor.id}/exceptions"
    if request.method == "GET":
        context = {"row": row, "kinds": forms.KINDS, "clock": forms.format_clock, "back": back}
        return staff_page(request, "staff/admin/exception_remove.html", context)
    return await apply_change(
        request,
        await read_form(request),
        partial(admin_plans.remove_exception, row),
        action=f"{back}/{row.id}/remove",
        back=back,
        title=row.counsellor.display_name,
    )


routes: list[BaseRoute] = [
    admin_route(COUNSELLORS + "/{counsellor_id:id}/plan", plan),
    admin_route(COUNSELLORS + "/{counsellor_id:id}/plan/{block_id:id}/remove", block_remove),
    admin_route(COUNSELLORS + "/{counsellor_id:id}/exceptions", exceptions),
    admin_route(
        COUNSELLORS + "/{counsellor_id:id}/exceptions/{exception_id:id}/remove",
        exception_remove,
    ),
]
