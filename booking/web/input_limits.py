"""What every request keeps to before a handler sees it: a body of bounded size (413 in the
route's format: the JSON error under /api/, the translated page elsewhere), and no control
characters in the path, the query or a form (PostgreSQL refuses NUL in text; no one types the
others). JSON bodies are cleaned where they are parsed (booking/web/params.py).

Both sit inside RequestContextMiddleware, so that their answers carry the security headers too.
"""

from __future__ import annotations

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booking.web.errors import error_response
from booking.web.params import has_control, query_without_controls, without_controls

URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for a body longer than ``max_bytes``: at once when Content-Length says so, else as
    soon as the bytes read pass the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(Request(scope), "too_large", 413)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await error_response(Request(scope), "too_large", 413)(scope, receive, send)


async def _whole_body(receive: Receive) -> bytes | None:
    """The request body, or None when the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the body read already to the app, then listens on as before."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class ControlCharacterMiddleware:
    """Control characters (other than tab and line breaks) in the path, the query and a form
    body become U+FFFD before routing (booking/web/params.py says why), however they were
    encoded; handlers and the database never see them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["path"] = without_controls(scope.get("path", ""))
        scope["query_string"] = query_without_controls(scope.get("query_string", b""))
        # The same test as Request.form(): only these bodies become form fields.
        kind, _ = parse_options_header(Headers(scope=scope).get("content-type"))
        if kind in (URLENCODED, MULTIPART):
            body = await _whole_body(receive)
            if body is None:
                return
            if kind == URLENCODED:
                body = query_without_controls(body)
            elif has_control(text := body.decode("utf-8", "replace")):
                # Boundaries and part headers end in CRLF, which stays; no form takes files.
                body = without_controls(text).encode("utf-8")
            receive = _replaying(body, receive)
        await self.app(scope, receive, send)
