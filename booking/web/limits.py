"""The client-address limit on booking writes, around the routes that book, move, cancel or
erase (booking/limits.py). Staff are exempt: reception and the office's IT book for many
people from one address."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from booking.web.auth import current_user

Handler = Callable[[Request], Awaitable[Response]]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_address(request: Request) -> str:
    """The client as the server saw it: behind a trusted proxy, uvicorn has already put the
    forwarded address here (FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


def client_limited(handler: Handler) -> Handler:
    """``handler`` with every write counted against its client address first."""

    async def limited(request: Request) -> Response:
        if request.method in WRITE_METHODS and await current_user(request) is None:
            await request.app.state.limiter.client_write(
                client_address(request), request.app.state.clock()
            )
        return await handler(request)

    limited.__name__ = handler.__name__
    return limited
