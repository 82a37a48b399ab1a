"""An administrator's page for one staff account: its role, a password reset, lifting its
sign-in throttle. (The list, creating and disabling are in staff.py.)"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from booking.errors import AccountInvalid
from booking.models import ADMIN, ROLES, Counsellor, StaffUser
from booking.services import accounts
from booking.web import params
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.rendering import translate
from booking.web.staff_messages import ACCOUNT_MESSAGES

USERS = "/staff/users"


async def _target(request: Request) -> StaffUser | None:
    user_id: int = request.path_params["user_id"]  # {user_id:id}: within the column's range
    user: StaffUser | None = await StaffUser.get_or_none(id=user_id).prefetch_related("counsellor")
    return user


def _is_self(request: Request, user: StaffUser) -> bool:
    own: bool = user.id == request.state.user.id
    return own


async def _account_page(
    request: Request,
    user: StaffUser,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 422,
) -> Response:
    context = {
        "target": user,
        "own": _is_self(request, user),
        "roles": ROLES,
        "counsellors": await Counsellor.filter(active=True).order_by("display_name"),
        "failures": await accounts.recent_failures(user.username, request_time(request)),
        "error": error,
        "values": values or {"role": user.role, "counsellor": str(user.counsellor_id or "")},
    }
    return staff_page(request, "staff/account.html", context, status if error else 200)


async def account(request: Request) -> Response:
    user = await _target(request)
    if user is None:
        return error_page(request, "not_found", 404)
    return await _account_page(request, user)


async def account_role(request: Request) -> Response:
    user = await _target(request)
    if user is None:
        return error_page(request, "not_found", 404)
    if _is_self(request, user):
        return error_page(request, "forbidden", 403)  # an admin cannot demote themselves
    form = await request.form()
    role, counsellor = str(form.get("role", "")), str(form.get("counsellor", ""))
    counsellor_id = params.record_id(counsellor)
    if user.role == ADMIN and role in ROLES and role != ADMIN and form.get("confirmed") != "1":
        # Taking administration away is not undone by the account itself: ask first.
        context = {"target": user, "role": role, "counsellor": counsellor}
        return staff_page(request, "staff/account_role_confirm.html", context)
    try:
        await accounts.change_role(
            user.id, role, counsellor_id, request.state.user.username, request_time(request)
        )
    except AccountInvalid as problem:
        message = translate(request, ACCOUNT_MESSAGES[problem.code])
        values = {"role": role, "counsellor": counsellor}
        status = 409 if problem.code == "last_admin" else 422
        return await _account_page(request, user, message, values, status)
    return RedirectResponse(f"{USERS}/{user.id}?done=role", status_code=303)


async def account_reset(request: Request) -> Response:
    """GET: confirm. POST: reset, and show the temporary password this once."""
    user = await _target(request)
    if user is None:
        return error_page(request, "not_found", 404)
    if _is_self(request, user):
        return error_page(request, "forbidden", 403)  # one's own: /staff/password
    if request.method == "GET":
        return staff_page(request, "staff/account_reset.html", {"target": user, "password": None})
    temporary = await accounts.reset_password(
        user.id, request.state.user.username, request_time(request)
    )
    response = staff_page(
        request, "staff/account_reset.html", {"target": user, "password": temporary}
    )
    response.headers["Cache-Control"] = "no-store"  # the password is on this page
    return response


async def account_unlock(request: Request) -> Response:
    user = await _target(request)
    if user is None:
        return error_page(request, "not_found", 404)
    await accounts.lift_throttle(user.id, request.state.user.username, request_time(request))
    return RedirectResponse(f"{USERS}/{user.id}?done=unlocked", status_code=303)


routes: list[Route] = [
    staff_route(USERS + "/{user_id:id}", account, "manage_users"),
    staff_route(USERS + "/{user_id:id}/role", account_role, "manage_users", methods=["POST"]),
    staff_route(
        USERS + "/{user_id:id}/reset", account_reset, "manage_users", methods=["GET", "POST"]
    ),
    staff_route(USERS + "/{user_id:id}/unlock", account_unlock, "manage_users", methods=["POST"]),
]
