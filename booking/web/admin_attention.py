"""The page of the bookings needing attention: for each, how to reach the person and what
was sent to them, and what the coordinator can do (booking/services/attention.py): give it to
a free colleague, move it to another time or day, or cancel it with a message to the
applicant; the last two also for every listed booking at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.admin_forms import MOVE, Decision
from booking.errors import NotChangeable, NotFound, SlotTaken
from booking.notices import CANCEL_REASONS
from booking.services import admin_plans, attention
from booking.services.days import zone_of
from booking.services.outbox import Mailer
from booking.vocabulary import N_
from booking.web import params
from booking.web.admin_common import actor, admin_route, apply_change, read_form
from booking.web.auth import request_time, staff_page
from booking.web.errors import error_page
from booking.web.rendering import translate

ATTENTION = "/staff/admin/attention"
PAGE_SIZE = 50

PROBLEMS = {
    "slot_taken": N_("This time is no longer free. Please choose another one."),
    "not_changeable": N_("This booking has been cancelled or has begun meanwhile."),
    "choose_time": N_("Please choose a time."),
    "choose_day": N_("Please choose a day."),
    "choose_reason": N_("Please choose what the message tells the applicant."),
}


async def _page(request: Request, problem: str | None = None, status: int = 200) -> Response:
    page = params.page_number(request.query_params.get("page"))
    first = (page - 1) * PAGE_SIZE
    now = request_time(request)
    items, total = await attention.listing(actor(request), now, first, PAGE_SIZE)
    context = {
        "stranded": items,
        "total": total,
        "page": page,
        "more": page * PAGE_SIZE < total,
        "labels": await admin_plans.labels(),
        "problem": translate(request, PROBLEMS[problem]) if problem else None,
        "done": request.query_params.get("done"),
    }
    return staff_page(request, "staff/admin/attention.html", context, status)


async def page(request: Request) -> Response:
    return await _page(request)


def _done(what: str) -> Response:
    return RedirectResponse(f"{ATTENTION}?done={what}", status_code=303)


async def to_colleague(request: Request) -> Response:
    """Give the session to a colleague free at the same time (the form names them)."""
    booking_id: int = request.path_params["booking_id"]
    form = await read_form(request)

    async def move(
        decision: Decision, who: str, when: datetime, mailer: Mailer
    ) -> admin_plans.Outcome:
        # The page's only answer is "move": the form carries just the chosen counsellors.
        moving = Decision(MOVE, decision.choices)
        return await admin_plans.move_stranded(booking_id, moving, who, when, mailer)

    try:
        return await apply_change(request, form, move, action=ATTENTION, back=ATTENTION, title="")
    except NotFound:
        return error_page(request, "not_found", 404)


def _start(text: str) -> datetime | None:
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


async def to_time(request: Request) -> Response:
    """Move the session to another free time (its window or another day)."""
    booking_id: int = request.path_params["booking_id"]
    form = await read_form(request)
    start = _start(form.values.get("start", ""))
    if start is None:
        return await _page(request, "choose_time", 422)
    try:
        await attention.move(
            booking_id, start, actor(request), request_time(request), request.app.state.mailer
        )
    except NotFound:
        return error_page(request, "not_found", 404)
    except SlotTaken:
        return await _page(request, "slot_taken", 409)
    except NotChangeable:
        return await _page(request, "not_changeable", 409)
    return _done("moved")


async def other_day(request: Request) -> Response:
    """The free times of another day for one booking, to move it there."""
    booking_id: int = request.path_params["booking_id"]
    when = params.day(request.query_params.get("day", ""))
    if when is None:
        return await _page(request, "choose_day", 422)
    try:
        booking, times = await attention.day_times(booking_id, when, request_time(request))
    except NotFound:
        return error_page(request, "not_found", 404)
    except NotChangeable:
        return await _page(request, "not_changeable", 409)
    context: dict[str, Any] = {
        "booking": booking,
        "day": when,
        "times": times,
        "zone": zone_of(booking.location),
    }
    return staff_page(request, "staff/admin/attention_day.html", context)


async def cancel(request: Request) -> Response:
    booking_id: int = request.path_params["booking_id"]
    form = await read_form(request)
    reason = form.values.get("reason", "")
    if reason not in CANCEL_REASONS:
        return await _page(request, "choose_reason", 422)
    try:
        await attention.cancel(
            booking_id, reason, actor(request), request_time(request), request.app.state.mailer
        )
    except NotFound:
        return error_page(request, "not_found", 404)
    except NotChangeable:
        return await _page(request, "not_changeable", 409)
    return _done("cancelled")


async def all_at_once(request: Request) -> Response:
    """Every listed booking: cancelled with the fitting message, or moved where it can go.
    GET asks first; POST does it and says how many."""
    what = request.path_params["what"]
    if what not in ("cancel", "move"):
        return error_page(request, "not_found", 404)
    now = request_time(request)
    if request.method == "GET":
        total = len(await admin_plans.needing_attention(now))
        context = {"what": what, "total": total, "done": None}
        return staff_page(request, "staff/admin/attention_all.html", context)
    await read_form(request)
    mailer = request.app.state.mailer
    if what == "cancel":
        done = await attention.cancel_all(actor(request), now, mailer)
    else:
        done = await attention.move_all(actor(request), now, mailer)
    context = {"what": what, "done": done}
    return staff_page(request, "staff/admin/attention_all.html", context)


routes: list[BaseRoute] = [
    admin_route(ATTENTION, page, methods=("GET",)),
    admin_route(ATTENTION + "/{booking_id:id}", to_colleague, methods=("POST",)),
    admin_route(ATTENTION + "/{booking_id:id}/time", to_time, methods=("POST",)),
    admin_route(ATTENTION + "/{booking_id:id}/day", other_day, methods=("GET",)),
    admin_route(ATTENTION + "/{booking_id:id}/cancel", cancel, methods=("POST",)),
    admin_route(ATTENTION + "/all/{what}", all_at_once),
]
