"""Where every failure becomes a response: JSON under /api/, a friendly page elsewhere.

No route handler builds an error response itself; no failure ever shows a stack trace.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booking.errors import (
    AlreadyBooked,
    DomainError,
    Invalid,
    LinkRefused,
    NotChangeable,
    NotFound,
    SlotTaken,
    TooMany,
)
from booking.web.messages import ERROR_TEXTS, ERROR_TITLES, NOTICES
from booking.web.rendering import field_message, render, translate

log = logging.getLogger("booking.errors")


class BadRequest(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, code: str, status: int) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": translate(request, ERROR_TITLES[code]),
            "text": translate(request, ERROR_TEXTS[code]),
        },
        status,
    )


def error_response(request: Request, code: str, status: int) -> Response:
    """An error in the route's format: ``{"error": code}`` under /api/, else the page."""
    if _is_api(request):
        return JSONResponse({"error": code}, status_code=status)
    return error_page(request, code, status)


def _slots(alternatives: Any) -> list[dict[str, str]]:
    return [
        {"start": s.start.isoformat(timespec="seconds"), "end": s.end.isoformat(timespec="seconds")}
        for s in alternatives
    ]


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, LinkRefused):
        status = 404 if exc.code == "unknown_location" else 403
        if _is_api(request):
            return JSONResponse({"error": exc.code}, status_code=status)
        return error_page(request, exc.code, status)
    if isinstance(exc, NotFound):
        if _is_api(request):
            return JSONResponse({"error": "not_found"}, status_code=404)
        return error_page(request, "not_found", 404)
    if isinstance(exc, TooMany):
        retry = {"Retry-After": str(exc.retry_after_seconds)}
        if _is_api(request):
            return JSONResponse({"error": exc.code}, status_code=429, headers=retry)
        response = error_page(request, exc.code, 429)
        response.headers.update(retry)
        return response
    if isinstance(exc, Invalid):
        fields = {name: field_message(request, code) for name, code in exc.fields.items()}
        return JSONResponse({"error": "invalid", "fields": fields}, status_code=422)
    if isinstance(exc, SlotTaken):
        body: dict[str, Any] = {"error": exc.code, "alternatives": _slots(exc.alternatives)}
    elif isinstance(exc, AlreadyBooked | NotChangeable):
        body = {"error": exc.code, "message": translate(request, NOTICES[exc.code])}
    else:
        body = {"error": exc.code}
    if _is_api(request):
        return JSONResponse(body, status_code=409)
    return render(
        request, "notice.html", {"notice": translate(request, NOTICES.get(exc.code, ""))}, 409
    )


async def bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    if _is_api(request):
        return JSONResponse({"error": "bad_request", "message": exc.detail}, status_code=400)
    return error_page(request, "bad_request", 400)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    headers = dict(exc.headers or {})
    if _is_api(request):
        return JSONResponse({"error": code}, status_code=exc.status_code, headers=headers)
    response = error_page(request, code, exc.status_code)
    response.headers.update(headers)
    return response


exception_handlers = {
    DomainError: domain_error,
    BadRequest: bad_request,
    HTTPException: http_error,
}


class CatchAllMiddleware:
    """The last net: an unexpected failure is logged (without request data) and answered with
    a friendly 500, never a traceback, and is not raised further into the server.

    It sits inside RequestContextMiddleware, so that the 500 is in the reader's language and
    carries the security headers like every other answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            endpoint = getattr(scope.get("endpoint"), "__name__", "-")
            # Where it failed, but not the exception's text: messages may carry personal data.
            frames = " < ".join(
                f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"
                for frame in reversed(traceback.extract_tb(exc.__traceback__))
            )
            log.error("unhandled %s in %s at %s", type(exc).__name__, endpoint, frames)
            if started:
                return
            request = Request(scope)
            if scope.get("path", "").startswith("/api/"):
                response: Response = JSONResponse({"error": "server_error"}, status_code=500)
            else:
                try:
                    response = error_page(request, "server_error", 500)
                except Exception:
                    response = Response("Server error", status_code=500, media_type="text/plain")
            await response(scope, receive, send)
