"""Per-request concerns that every route shares: the reader's language, security headers, and a
request log that never contains a path (paths carry manage tokens and office references)."""

from __future__ import annotations

import logging
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booking.i18n import choose_language, languages_for_path

LANGUAGE_COOKIE = "lang"
log = logging.getLogger("booking.requests")

SECURITY_HEADERS = {
    # Manage links carry a secret: never hand it to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}

# Answers about one booking show the applicant's name, e-mail and phone, and staff screens
# show the day's names and numbers on shared office computers: never kept by a browser cache
# or a proxy, whatever the answer (pages, redirects, errors).
NO_STORE_PREFIXES = ("/manage/", "/api/v1/bookings/", "/staff", "/api/v1/schedule")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cookies = SimpleCookie()
        try:
            cookies.load(_header(scope, b"cookie") or "")
        except Exception:  # a malformed Cookie header must not cost the visitor the page
            cookies = SimpleCookie()
        cookie = cookies.get(LANGUAGE_COOKIE)
        choice = choose_language(
            (query.get("lang") or [None])[0],
            cookie.value if cookie else None,
            _header(scope, b"accept-language"),
            languages_for_path(scope.get("path", "")),
        )
        state = scope.setdefault("state", {})
        state["language"] = choice.language
        state["language_choice"] = choice  # pages about a booking may switch to its language
        no_store = str(scope.get("path", "")).startswith(NO_STORE_PREFIXES)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers["Cache-Control"] = "no-store"
                if choice.remember:
                    secure = "; Secure" if self.secure_cookies else ""
                    headers.append(
                        "set-cookie",
                        f"{LANGUAGE_COOKIE}={choice.language}; Path=/; Max-Age=31536000; "
                        f"SameSite=Lax; HttpOnly{secure}",
                    )
                if "content-language" not in headers:
                    headers["content-language"] = state["language"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            endpoint = scope.get("endpoint")
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                getattr(endpoint, "__name__", "-"),
                status,
                (time.perf_counter() - started) * 1000,
            )
