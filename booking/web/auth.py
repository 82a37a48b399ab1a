"""Staff authentication and the enforcement of booking/access.py, in one place.

Every staff route is declared with ``staff_route(path, handler, permission)``. Before the handler
runs, the wrapper finds the member of staff (session cookie for pages, ``Authorization: Bearer``
for the API), answers anonymous requests (pages: to /login; API: 401) and wrong roles (403),
and checks the CSRF token of every state-changing form.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from booking.access import allowed
from booking.models import StaffUser
from booking.services import accounts
from booking.web.errors import error_page
from booking.web.rendering import render

Handler = Callable[[Request], Awaitable[Response]]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (also before signing in)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def csrf_ok(request: Request) -> bool:
    expected = request.session.get("csrf")
    sent = (await request.form()).get("csrf")
    if not isinstance(expected, str) or not isinstance(sent, str):
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def staff_page(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> Response:
    """A staff page: rendered with the session's CSRF token for its forms."""
    return render(request, template, {"csrf": csrf_token(request), **context}, status)


def request_time(request: Request) -> datetime:
    """Now, from the application's clock (tests move it)."""
    now: datetime = request.app.state.clock()
    return now


def sign_in(request: Request, user: StaffUser) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "v": user.session_version})
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


async def current_user(request: Request) -> StaffUser | None:
    """The staff member behind the request: bearer token for the API, session for pages."""
    if request.url.path.startswith("/api/"):
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await accounts.user_for_token(token.strip(), request.app.state.clock())
    uid, version = request.session.get("uid"), request.session.get("v")
    if not isinstance(uid, int) or not isinstance(version, int):
        return None
    user = await StaffUser.get_or_none(id=uid, active=True)
    if user is None or user.session_version != version:
        return None
    return user


def _local_next(path: str) -> str:
    return quote(path, safe="/?=&")


def staff_route(
    path: str,
    handler: Handler,
    permission: str,
    methods: Sequence[str] = ("GET",),
    name: str | None = None,
) -> Route:
    is_api = path.startswith("/api/")

    async def guarded(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            if is_api:
                return JSONResponse(
                    {"error": "unauthorized"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_local_next(target)}", status_code=303)
        principal = await accounts.principal_of(user)
        if not allowed(principal, permission):
            if is_api:
                return JSONResponse({"error": "forbidden"}, status_code=403)
            return error_page(request, "forbidden", 403)
        if not is_api and request.method not in SAFE_METHODS and not await csrf_ok(request):
            return error_page(request, "csrf", 403)
        request.state.user = user
        request.state.principal = principal
        return await handler(request)

    guarded.__name__ = handler.__name__
    route = Route(path, guarded, methods=list(methods), name=name or handler.__name__)
    route.permission = permission  # type: ignore[attr-defined]  # read by the access matrix test
    return route
