"""Staff authentication and the enforcement of booking/access.py, in one place.

Every staff route is declared with ``staff_route(path, handler, permission)``. Before the handler
runs, the wrapper finds the member of staff (a server-side session named by the signed cookie
for pages, ``Authorization: Bearer`` for the API), answers anonymous requests (pages: to
/login; API: 401) and wrong roles (403), sends an account whose password an administrator reset
to the password page first, and checks the CSRF token of every state-changing form.
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
from booking.services import accounts, api_tokens
from booking.web.errors import error_page
from booking.web.rendering import render

Handler = Callable[[Request], Awaitable[Response]]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PASSWORD_PAGE = "/staff/password"


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


async def sign_in(request: Request, user: StaffUser) -> None:
    """A new server-side session for this browser (a fresh CSRF token with it)."""
    key = await accounts.start_session(user, request_time(request))
    await remember_language(request, user)
    request.session.clear()
    request.session.update({"sid": key, "v": user.session_version})
    csrf_token(request)


async def remember_language(request: Request, user: StaffUser) -> None:
    """Keep the staff language the page is shown in on the account, for what is written
    without a request to choose by (the calendar feed)."""
    language = getattr(request.state, "language", None)
    if isinstance(language, str):
        await accounts.remember_language(user, language)


async def sign_out(request: Request) -> None:
    """Ends the session on the server too: a copy of the cookie no longer signs anyone in."""
    key = request.session.get("sid")
    if isinstance(key, str):
        await accounts.end_session(key)
    request.session.clear()


async def current_user(request: Request) -> StaffUser | None:
    """The staff member behind the request: bearer token for the API, session for pages."""
    if request.url.path.startswith("/api/"):
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await api_tokens.user_for_token(token.strip(), request.app.state.clock())
    key, version = request.session.get("sid"), request.session.get("v")
    if not isinstance(key, str) or not isinstance(version, int):
        return None
    return await accounts.user_for_session(key, version, request_time(request))


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
        if user.must_change_password and not is_api and permission != "change_password":
            return RedirectResponse(PASSWORD_PAGE, status_code=303)  # reset by an admin
        principal = await accounts.principal_of(user)
        if not allowed(principal, permission):
            if is_api:
                return JSONResponse({"error": "forbidden"}, status_code=403)
            return error_page(request, "forbidden", 403)
        if not is_api and request.method not in SAFE_METHODS and not await csrf_ok(request):
            return error_page(request, "csrf", 403)
        if not is_api:
            await remember_language(request, user)
        request.state.user = user
        request.state.principal = principal
        return await handler(request)

    guarded.__name__ = handler.__name__
    route = Route(path, guarded, methods=list(methods), name=name or handler.__name__)
    route.permission = permission  # type: ignore[attr-defined]  # read by the access matrix test
    return route
