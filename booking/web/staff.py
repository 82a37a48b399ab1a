"""Staff sign-in and account pages; the token API for devices and integrations. (One account:
staff_accounts.py; API tokens in the browser: staff_tokens.py; the audit log: audit_log.py.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from booking.errors import (
    AccountInvalid,
    BadCredentials,
    DomainError,
    PasswordChangeRequired,
    Throttled,
)
from booking.models import ROLES, Counsellor, StaffUser
from booking.services import accounts, api_tokens, desk
from booking.web import params
from booking.web.auth import (
    PASSWORD_PAGE,
    csrf_ok,
    current_user,
    request_time,
    sign_in,
    sign_out,
    staff_page,
    staff_route,
)
from booking.web.errors import BadRequest, error_page
from booking.web.rendering import translate
from booking.web.staff_messages import ACCOUNT_MESSAGES


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _safe_next(value: object) -> str:
    """Only a path on this site: never an open redirect."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value
    return "/staff"


async def login(request: Request) -> Response:
    if request.method == "GET":
        next_path = _safe_next(request.query_params.get("next"))
        return staff_page(request, "staff/login.html", {"next": next_path, "error": None})
    form = await request.form()
    next_path = _safe_next(form.get("next"))
    if not await csrf_ok(request):
        return error_page(request, "csrf", 403)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    try:
        user = await accounts.authenticate(
            username, password, _client(request), request_time(request)
        )
    except Throttled:
        return error_page(request, "throttled", 429)
    except BadCredentials:
        message = translate(request, ACCOUNT_MESSAGES["bad_credentials"])
        context = {"next": next_path, "error": message, "username": username}
        return staff_page(request, "staff/login.html", context, 401)
    await sign_in(request, user)
    if user.must_change_password:
        next_path = PASSWORD_PAGE
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    if not await csrf_ok(request):
        return error_page(request, "csrf", 403)
    user = await current_user(request)
    if user is not None and user.counsellor_id is not None:
        await desk.sign_off(user.counsellor_id)
    await sign_out(request)
    return RedirectResponse("/login", status_code=303)


async def home(request: Request) -> Response:
    return staff_page(request, "staff/home.html", {"user": request.state.user})


async def password(request: Request) -> Response:
    error = None
    if request.method == "POST":
        form = await request.form()
        try:
            await accounts.change_password(
                request.state.user,
                str(form.get("current", "")),
                str(form.get("new", "")),
                str(form.get("repeat", "")),
                request_time(request),
            )
        except AccountInvalid as problem:
            error = translate(request, ACCOUNT_MESSAGES[problem.code])
        else:
            user = await StaffUser.get(id=request.state.user.id)
            await sign_in(request, user)  # this browser stays signed in; all others end
            return RedirectResponse("/staff?done=password", status_code=303)
    context = {"error": error, "reset": request.state.user.must_change_password}
    return staff_page(request, "staff/password.html", context, 422 if error else 200)


async def users(request: Request) -> Response:
    error = None
    if request.method == "POST":
        form = await request.form()
        counsellor = str(form.get("counsellor", ""))
        try:
            await accounts.create_user(
                str(form.get("username", "")),
                str(form.get("password", "")),
                str(form.get("role", "")),
                request.state.user.username,
                request_time(request),
                counsellor_id=params.record_id(counsellor) if counsellor else None,
            )
        except AccountInvalid as problem:
            error = translate(request, ACCOUNT_MESSAGES[problem.code])
        else:
            return RedirectResponse("/staff/users?done=created", status_code=303)
    listing = await StaffUser.all().order_by("username").prefetch_related("counsellor")
    counsellors = await Counsellor.filter(active=True).order_by("display_name")
    return staff_page(
        request,
        "staff/users.html",
        {"users": listing, "roles": ROLES, "counsellors": counsellors, "error": error},
        422 if error else 200,
    )


async def user_active(request: Request) -> Response:
    user = await StaffUser.get_or_none(id=request.path_params["user_id"])
    if user is None:
        return error_page(request, "not_found", 404)
    if request.method == "GET":
        return staff_page(request, "staff/user_confirm.html", {"target": user, "error": None})
    form = await request.form()
    try:
        await accounts.set_active(
            user.id, form.get("active") == "1", request.state.user.username, request_time(request)
        )
    except AccountInvalid as problem:  # oneself, or the last administrator
        context = {"target": user, "error": translate(request, ACCOUNT_MESSAGES[problem.code])}
        status = 403 if problem.code == "own_account" else 409
        return staff_page(request, "staff/user_confirm.html", context, status)
    return RedirectResponse("/staff/users?done=changed", status_code=303)


async def api_token(request: Request) -> Response:
    try:
        data = params.parse_json(await request.body())
    except BadRequest:
        data = None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("username", "password")
    ):
        return JSONResponse(
            {"error": "invalid", "fields": {"username": "required", "password": "required"}},
            status_code=422,
        )
    try:
        user = await accounts.authenticate(
            data["username"], data["password"], _client(request), request_time(request)
        )
    except Throttled:
        return JSONResponse({"error": "throttled"}, status_code=429)
    except DomainError:
        return JSONResponse({"error": "bad_credentials"}, status_code=401)
    try:
        issued = await api_tokens.issue_token(user, request_time(request))
    except PasswordChangeRequired:
        return JSONResponse({"error": "password_change_required"}, status_code=403)
    return JSONResponse(
        {"token": issued.token, "role": issued.role, "expires": issued.expires.isoformat()}
    )


async def api_me(request: Request) -> Response:
    principal = request.state.principal
    return JSONResponse({"username": principal.username, "role": principal.role})


routes = [
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/api/v1/auth/token", api_token, methods=["POST"], name="api_token"),
    staff_route("/staff", home, "staff_home"),
    staff_route("/staff/password", password, "change_password", methods=["GET", "POST"]),
    staff_route("/staff/users", users, "manage_users", methods=["GET", "POST"]),
    staff_route(
        "/staff/users/{user_id:id}/active", user_active, "manage_users", methods=["GET", "POST"]
    ),
    staff_route("/api/v1/auth/me", api_me, "staff_home"),
]
