"""The admins' mail pages: the outbox with counts and reasons, one message as sent (also as an
.eml file), and sending failed messages again. Every route needs the "read_mail" permission."""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from booking.errors import NotFailed, NotFound
from booking.services import mail_admin
from booking.vocabulary import N_
from booking.web import params
from booking.web.admin_common import actor
from booking.web.auth import Handler, request_time, staff_page, staff_route
from booking.web.errors import error_page
from booking.web.rendering import translate
from integrations.mail import eml_name

BASE = "/staff/admin/mail"
NOT_FAILED = N_("Only a failed message can be sent again. This one has not failed.")


def _page_number(request: Request) -> int:
    return params.page_number(request.query_params.get("page"))


def _filter(request: Request) -> str:
    status = request.query_params.get("status", mail_admin.ALL)
    return status if status in mail_admin.FILTERS else mail_admin.ALL


async def messages(request: Request) -> Response:
    status = _filter(request)
    settings = request.app.state.settings
    context = {
        "status": status,
        "counts": await mail_admin.counts(),
        "listing": await mail_admin.listing(status, _page_number(request)),
        "smtp_host": settings.smtp_host,
        "smtp_port": settings.smtp_port,
        "mail_dir": str(settings.mail_dir.resolve()),
        "zone": ZoneInfo(settings.timezone),
    }
    return staff_page(request, "staff/admin/mail.html", context)


async def _open(request: Request, what: str) -> mail_admin.Opened | None:
    settings = request.app.state.settings
    return await mail_admin.open_message(
        request.path_params["message_id"],
        settings.mail_from_address,
        settings.mail_from_name,
        actor(request),
        request_time(request),
        what,
    )


async def message(request: Request) -> Response:
    opened = await _open(request, "page")
    if opened is None:
        return error_page(request, "not_found", 404)
    context = {"opened": opened, "zone": ZoneInfo(request.app.state.settings.timezone)}
    return staff_page(request, "staff/admin/mail_message.html", context)


async def message_eml(request: Request) -> Response:
    opened = await _open(request, "eml")
    if opened is None or opened.mime is None:  # nothing that could be sent: no file either
        return error_page(request, "not_found", 404)
    return Response(
        opened.mime.as_bytes(policy=email.policy.SMTP),
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="{eml_name(opened.message.message_id)}"',
            "Cache-Control": "no-store",
        },
    )


# The mail's own HTML, shown in a frame on the message page: no scripts, no requests, no
# forms, a unique origin; only its inline styles apply.
HTML_PART_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


async def message_html(request: Request) -> Response:
    opened = await _open(request, "html")
    if opened is None:
        return error_page(request, "not_found", 404)
    return HTMLResponse(
        opened.message.html,
        headers={
            "Content-Security-Policy": HTML_PART_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
        },
    )


async def retry(request: Request) -> Response:
    message_id = request.path_params["message_id"]
    back = f"{BASE}/{message_id}"
    try:
        await mail_admin.retry_one(message_id, actor(request), request_time(request))
    except NotFound:
        return error_page(request, "not_found", 404)
    except NotFailed:
        context = {"title": translate(request, NOT_FAILED), "back": back}
        return staff_page(request, "staff/admin/busy.html", context, 409)
    return RedirectResponse(f"{back}?done=retried", status_code=303)


async def retry_failed(request: Request) -> Response:
    if request.method == "GET":
        context = {"failed": await mail_admin.failed_count()}
        return staff_page(request, "staff/admin/mail_retry.html", context)
    await mail_admin.retry_failed(actor(request), request_time(request))
    return RedirectResponse(f"{BASE}?done=retried", status_code=303)


def _route(path: str, handler: Handler, methods: Sequence[str] = ("GET",)) -> BaseRoute:
    return staff_route(path, handler, "read_mail", methods=methods)


routes: list[BaseRoute] = [
    _route(BASE, messages),
    _route(f"{BASE}/retry-failed", retry_failed, methods=("GET", "POST")),
    _route(BASE + "/{message_id:bigid}", message),
    _route(BASE + "/{message_id:bigid}.eml", message_eml),
    _route(BASE + "/{message_id:bigid}.html", message_html),
    _route(BASE + "/{message_id:bigid}/retry", retry, methods=("POST",)),
]
