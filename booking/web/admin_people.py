"""Administration pages: organisations and counsellors."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from booking import admin_forms as forms
from booking.errors import Rejected
from booking.models import Counsellor, Organisation
from booking.services import admin, admin_plans
from booking.web import params
from booking.web.admin_common import (
    actor,
    admin_route,
    apply_change,
    confirm_active,
    form_page,
    future_bookings,
    read_form,
    saved,
)
from booking.web.auth import request_time
from booking.web.errors import error_page

ORGANISATIONS = "/staff/admin/organisations"
COUNSELLORS = "/staff/admin/counsellors"
PAGE_SIZE = 50


async def organisations(request: Request) -> Response:
    listing = await Organisation.all().order_by("-active", "name")
    active = {o.id: 0 for o in listing}
    for counsellor in await Counsellor.filter(active=True).only("id", "organisation_id"):
        organisation_id: int = counsellor.organisation_id
        active[organisation_id] = active.get(organisation_id, 0) + 1
    context = {"organisations": listing, "counsellors": active}
    return form_page(request, "staff/admin/organisations.html", context)


def _organisation_form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    organisation: Organisation | None = None,
) -> Response:
    context = {"values": values, "organisation": organisation}
    return form_page(request, "staff/admin/organisation_form.html", context, errors)


async def organisation_new(request: Request) -> Response:
    if request.method == "GET":
        return _organisation_form(request, {})
    form = await read_form(request)
    parsed, errors = forms.read_organisation(form.values)
    if parsed is None:
        return _organisation_form(request, form.values, errors)
    try:
        await admin.create_organisation(parsed, actor(request), request_time(request))
    except Rejected as problem:
        return _organisation_form(request, form.values, problem.errors)
    return saved(ORGANISATIONS)


async def _organisation(request: Request) -> Organisation | None:
    return await Organisation.get_or_none(id=request.path_params["organisation_id"])


async def organisation_edit(request: Request) -> Response:
    organisation = await _organisation(request)
    if organisation is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        weight = organisation.target_weight
        values = {
            "code": organisation.code,
            "name": organisation.name,
            "target_weight": "" if weight is None else f"{weight:g}",
        }
        return _organisation_form(request, values, organisation=organisation)
    form = await read_form(request)
    parsed, errors = forms.read_organisation(form.values)
    if parsed is None:
        return _organisation_form(request, form.values, errors, organisation)
    try:
        await admin.update_organisation(
            organisation.id, parsed, actor(request), request_time(request)
        )
    except Rejected as problem:
        return _organisation_form(request, form.values, problem.errors, organisation)
    return saved(ORGANISATIONS)


async def organisation_active(request: Request) -> Response:
    organisation = await _organisation(request)
    if organisation is None:
        return error_page(request, "not_found", 404)
    back = ORGANISATIONS
    context = {
        "organisation": organisation,
        "counsellors": await Counsellor.filter(
            organisation_id=organisation.id, active=True
        ).count(),
        "bookings": await future_bookings(request, organisation_id=organisation.id),
    }
    return await confirm_active(
        request,
        "staff/admin/organisation_active.html",
        context,
        partial(admin_plans.set_organisation_active, organisation),
        action=f"{ORGANISATIONS}/{organisation.id}/active",
        back=back,
        title=organisation.name,
    )


async def counsellors(request: Request) -> Response:
    page = params.page_number(request.query_params.get("page"))
    query = Counsellor.all().order_by("-active", "display_name", "id")
    total = await query.count()
    listing = (
        await query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).prefetch_related("organisation")
    )
    context = {"counsellors": listing, "page": page, "more": page * PAGE_SIZE < total}
    return form_page(request, "staff/admin/counsellors.html", context)


async def _organisation_choices(current: int | None = None) -> list[Organisation]:
    """Active organisations, and the counsellor's own even if it has been deactivated."""
    listing = await Organisation.all().order_by("name")
    return [o for o in listing if o.active or o.id == current]


async def _counsellor_form(
    request: Request,
    values: dict[str, str],
    topics: list[str],
    errors: dict[str, str] | None = None,
    counsellor: Counsellor | None = None,
) -> Response:
    current = None if counsellor is None else counsellor.organisation_id
    context = {
        "values": values,
        "chosen_topics": topics,
        "organisations": await _organisation_choices(current),
        "counsellor": counsellor,
    }
    return form_page(request, "staff/admin/counsellor_form.html", context, errors)


async def _read_counsellor(
    form_values: dict[str, str], topics: list[str], counsellor: Counsellor | None = None
) -> tuple[forms.CounsellorForm | None, dict[str, str]]:
    current = None if counsellor is None else counsellor.organisation_id
    allowed = {o.id for o in await _organisation_choices(current)}
    return forms.read_counsellor(form_values, topics, allowed)


async def counsellor_new(request: Request) -> Response:
    if request.method == "GET":
        return await _counsellor_form(request, {"mail_invitations": "on"}, [])
    form = await read_form(request)
    topics = form.getlist("topics")
    parsed, errors = await _read_counsellor(form.values, topics)
    if parsed is None:
        return await _counsellor_form(request, form.values, topics, errors)
    counsellor = await admin.create_counsellor(parsed, actor(request), request_time(request))
    return saved(f"{COUNSELLORS}/{counsellor.id}")


async def _counsellor(request: Request) -> Counsellor | None:
    return await Counsellor.get_or_none(id=request.path_params["counsellor_id"])


async def counsellor_edit(request: Request) -> Response:
    counsellor = await _counsellor(request)
    if counsellor is None:
        return error_page(request, "not_found", 404)
    back = f"{COUNSELLORS}/{counsellor.id}"
    if request.method == "GET":
        values = {
            "display_name": counsellor.display_name,
            "organisation": str(counsellor.organisation_id),
            "languages": ", ".join(counsellor.languages),
            "email": counsellor.email,
            "mail_invitations": "on" if counsellor.mail_invitations else "",
        }
        return await _counsellor_form(request, values, list(counsellor.topics), None, counsellor)
    form = await read_form(request)
    topics = form.getlist("topics")
    parsed, errors = await _read_counsellor(form.values, topics, counsellor)
    if parsed is None:
        return await _counsellor_form(request, form.values, topics, errors, counsellor)
    change = partial(admin_plans.update_counsellor, counsellor, parsed)
    return await apply_change(
        request, form, change, action=back, back=back, title=parsed.display_name
    )


async def counsellor_active(request: Request) -> Response:
    counsellor = await _counsellor(request)
    if counsellor is None:
        return error_page(request, "not_found", 404)
    back = f"{COUNSELLORS}/{counsellor.id}"
    context = {
        "counsellor": counsellor,
        "bookings": await future_bookings(request, counsellor_id=counsellor.id),
    }
    return await confirm_active(
        request,
        "staff/admin/counsellor_active.html",
        context,
        partial(admin_plans.set_counsellor_active, counsellor),
        action=f"{back}/active",
        back=back,
        title=counsellor.display_name,
    )


routes: list[BaseRoute] = [
    admin_route(ORGANISATIONS, organisations, methods=("GET",)),
    admin_route(f"{ORGANISATIONS}/new", organisation_new),
    admin_route(ORGANISATIONS + "/{organisation_id:id}", organisation_edit),
    admin_route(ORGANISATIONS + "/{organisation_id:id}/active", organisation_active),
    admin_route(COUNSELLORS, counsellors, methods=("GET",)),
    admin_route(f"{COUNSELLORS}/new", counsellor_new),
    admin_route(COUNSELLORS + "/{counsellor_id:id}", counsellor_edit),
    admin_route(COUNSELLORS + "/{counsellor_id:id}/active", counsellor_active),
]
