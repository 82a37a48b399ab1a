"""The administrators' API tokens: the list (label, owner, created, last used, expiry), a new
token with a label for an account (shown once), and revoking one after a question."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from booking.errors import NotFound, TokenInvalid
from booking.models import StaffUser
from booking.services import api_tokens
from booking.web import params
from booking.web.auth import request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.rendering import translate
from booking.web.staff_messages import TOKEN_MESSAGES

TOKENS = "/staff/tokens"


async def _list_page(
    request: Request,
    *,
    issued: api_tokens.IssuedToken | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    context = {
        "tokens": await api_tokens.listing(),
        "owners": await StaffUser.filter(active=True).order_by("username"),
        "now": request_time(request),
        "zone": ZoneInfo(request.app.state.settings.timezone),
        "issued": issued,
        "error": error,
        "values": values or {"owner": str(request.state.user.id)},
    }
    response = staff_page(request, "staff/tokens.html", context, 422 if error else 200)
    if issued is not None:
        response.headers["Cache-Control"] = "no-store"  # the token is on this page
    return response


async def tokens(request: Request) -> Response:
    """GET: the list and the form. POST: a new token, shown on the page this once."""
    if request.method == "GET":
        return await _list_page(request)
    form = await request.form()
    label, owner = str(form.get("label", "")), str(form.get("owner", ""))
    try:
        issued = await api_tokens.create_for(
            params.record_id(owner), label, request.state.user.username, request_time(request)
        )
    except TokenInvalid as problem:
        message = translate(request, TOKEN_MESSAGES[problem.code])
        return await _list_page(request, error=message, values={"label": label, "owner": owner})
    return await _list_page(request, issued=issued)


async def token_revoke(request: Request) -> Response:
    """GET: which token, and a question. POST: revoke it."""
    token_id: int = request.path_params["token_id"]
    if request.method == "GET":
        token = await api_tokens.token_of(token_id)
        if token is None:
            return error_page(request, "not_found", 404)
        zone = ZoneInfo(request.app.state.settings.timezone)
        return staff_page(request, "staff/token_revoke.html", {"token": token, "zone": zone})
    try:
        await api_tokens.revoke_token(token_id, request.state.user.username, request_time(request))
    except NotFound:
        return error_page(request, "not_found", 404)
    return RedirectResponse(f"{TOKENS}?done=revoked", status_code=303)


routes: list[Route] = [
    staff_route(TOKENS, tokens, "manage_tokens", methods=["GET", "POST"]),
    staff_route(
        TOKENS + "/{token_id:id}/revoke", token_revoke, "manage_tokens", methods=["GET", "POST"]
    ),
]
