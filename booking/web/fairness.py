"""The fairness report (page and CSV), admins' weight overrides, and why a booking went where
it went."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.access import Principal
from booking.charts import Bar, bar_chart
from booking.errors import NotFound
from booking.models import COUNSELLOR, Booking, Counsellor, Location, Organisation
from booking.services import fairness
from booking.services import schedule as schedule_service
from booking.services.days import local_date, zone_of
from booking.vocabulary import N_
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.rendering import translate
from booking.web.spreadsheet import Cell, Number, csv_response, decimal_comma

MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
RULE_LABELS = {
    "only_candidate": N_("Only one organisation had a free counsellor for this session."),
    "largest_shortfall": N_("The organisation furthest below its fair share got the session."),
    "tie_broken": N_(
        "Several organisations were equally far below their fair share: the larger weight, "
        "then the organisation code, decided."
    ),
    "requested_organisation": N_("The applicant asked for this organisation."),
}


class BadMonth(Exception):
    pass


async def _scope(request: Request) -> tuple[Location, str]:
    params = request.query_params
    code = params.get("location", "")
    location = (
        await schedule_service.location_by_code(code)
        if code
        else await schedule_service.default_location()
    )
    if location is None:
        raise NotFound()
    month = params.get("month", "") or local_date(request_time(request), location).strftime("%Y-%m")
    if not MONTH.match(month):
        raise BadMonth()
    return location, month


async def _own_organisation(principal: Principal) -> str | None:
    """A counsellor's organisation code: the only row they see."""
    if principal.role != COUNSELLOR or principal.organisation_id is None:
        return None
    organisation = await Organisation.get(id=principal.organisation_id)
    return organisation.code


def _number(value: float) -> Number:
    return decimal_comma(value, 1)


async def _report(
    request: Request,
) -> tuple[Location, str, list[fairness.ReportRow], fairness.Weights] | Response:
    try:
        location, month = await _scope(request)
    except BadMonth:
        return error_page(request, "bad_month", 422)
    rules = fairness.Rules.of(request.app.state.settings)
    rows, weights = await fairness.report(location, month, request_time(request), rules)
    own = await _own_organisation(request.state.principal)
    if own is not None:
        rows = [row for row in rows if row.organisation == own]
    return location, month, rows, weights


async def fairness_page(request: Request) -> Response:
    loaded = await _report(request)
    if isinstance(loaded, Response):
        return loaded
    location, month, rows, weights = loaded
    title = translate(request, N_("Sessions and fair shares"))
    bars = [
        Bar(row.name, float(row.actual), f"{row.actual} / {_number(row.entitlement)}")
        for row in rows
    ]
    description = translate(request, N_("Sessions per organisation, and its fair share"))
    chart = Markup(
        bar_chart("fairness", title, f"{description}: {month}", bars, translate(request, EMPTY))
    )
    now = request_time(request)
    context: dict[str, Any] = {
        "location": location,
        "locations": await Location.filter(active=True).order_by("name"),
        "month": month,
        "months": fairness.months_back(local_date(now, location), 12),
        "rows": rows,
        "weights": weights,
        "chart": chart,
        "can_set": request.state.principal.role == "admin",
        "all_rows": request.state.principal.role != COUNSELLOR,  # the shares add up to 100
        "base_percent": request.app.state.settings.balance_base_percent,
        "organisations": await Organisation.filter(active=True).order_by("name"),
        "error": None,
    }
    return staff_page(request, "staff/fairness.html", context)


EMPTY = N_("No sessions in this month.")


async def fairness_csv(request: Request) -> Response:
    loaded = await _report(request)
    if isinstance(loaded, Response):
        return loaded
    location, month, rows, _weights = loaded
    header = [
        translate(request, text)
        for text in (
            N_("Location"),
            N_("Month"),
            N_("Organisation"),
            N_("Weight"),
            N_("Share in percent"),
            N_("Entitlement"),
            N_("Sessions"),
            N_("Deviation"),
        )
    ]
    body: list[list[Cell]] = [
        [
            location.code,
            month,
            row.name,
            _number(row.weight),
            decimal_comma(row.share, fairness.SHARE_PLACES),
            decimal_comma(row.entitlement, 2),
            str(row.actual),
            decimal_comma(row.deviation, 2),
        ]
        for row in rows
    ]
    return csv_response([header, *body], f"fairness-{location.code}-{month}.csv")


def _read_weight(text: str) -> tuple[float | None, bool]:
    """A weight override, or None to return to the computed default; False if unreadable."""
    text = text.strip().replace(",", ".")
    if not text:
        return None, True
    try:
        value = float(text)
    except ValueError:
        return None, False
    if not 0 <= value <= 1000:  # also refuses NaN, which compares false
        return None, False
    return value, True


async def set_weight(request: Request) -> Response:
    try:
        location, month = await _scope(request)
    except BadMonth:
        return error_page(request, "bad_month", 422)
    form = await request.form()
    organisation = await Organisation.get_or_none(code=str(form.get("organisation", "")))
    weight, readable = _read_weight(str(form.get("weight", "")))
    if organisation is None or not readable:
        return error_page(request, "weight_invalid", 422)
    await fairness.set_weight(
        location, organisation, weight, request.state.principal.username, request_time(request)
    )
    return RedirectResponse(
        f"/staff/fairness?location={location.code}&month={month}&done=weight", status_code=303
    )


async def allocation_page(request: Request) -> Response:
    booking = await Booking.get_or_none(id=request.path_params["booking_id"]).prefetch_related(
        "location", "organisation", "counsellor", "room"
    )
    if booking is None:
        return error_page(request, "not_found", 404)
    decided = booking.allocation or {}
    names = {o.code: o.name for o in await Organisation.all()}
    counsellor_ids = [c.get("id") for c in decided.get("counsellors", [])]
    counsellors = {c.id: c.display_name for c in await Counsellor.filter(id__in=counsellor_ids)}
    rule = decided.get("rule")
    try:
        decided_at = datetime.fromisoformat(str(decided.get("decided_at")))
    except ValueError:
        decided_at = None
    context = {
        "decided_at": decided_at,
        "booking": booking,
        "zone": zone_of(booking.location),
        "decided": decided,
        "rule_text": translate(request, RULE_LABELS[rule]) if rule in RULE_LABELS else None,
        "names": names,
        "counsellors": counsellors,
    }
    return staff_page(request, "staff/allocation.html", context)


routes: list[BaseRoute] = [
    staff_route("/staff/fairness", fairness_page, "read_fairness"),
    staff_route("/staff/fairness.csv", fairness_csv, "read_fairness"),
    staff_route("/staff/fairness/weights", set_weight, "set_weights", methods=["POST"]),
    staff_route("/staff/bookings/{booking_id:id}/allocation", allocation_page, "read_allocation"),
]
