"""The composition root: settings in, a ready Starlette application out.

Resources (the database) are opened in the lifespan, never at import.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from booking.db import quiet_database_loggers, sqlite_url_with_pragmas, tortoise_config
from booking.i18n import load_translations
from booking.mail_texts import MailTexts
from booking.services import privacy
from booking.services.limits import Limiter
from booking.services.outbox import Mailer
from booking.services.sender import Sender
from booking.services.ticket_printing import BackgroundPrinter
from booking.services.walkins import close_periodically
from booking.settings import Settings, SettingsError
from booking.web import (
    admin,
    api,
    audit_log,
    desk,
    fairness,
    follow_up_slip,
    pages,
    reception,
    schedule,
    staff,
    staff_accounts,
    staff_tokens,
    statistics,
    walkins,
    walkins_api,
)
from booking.web.errors import CatchAllMiddleware, exception_handlers
from booking.web.input_limits import BodyLimitMiddleware, ControlCharacterMiddleware
from booking.web.middleware import RequestContextMiddleware
from booking.web.rendering import TEMPLATES_DIR, Renderer
from integrations.escpos import NetworkTicketPrinter, PrinterSetupError, SlipFonts
from integrations.mail import DirectoryTransport, MailTransport, SmtpTransport

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
Clock = Callable[[], datetime]
PRINTER_TIMEOUT_SECONDS = 5.0  # connecting and sending one slip
PRINT_GRACE_SECONDS = 3.0  # at shutdown, for slips still on their way to the printer


def system_clock() -> datetime:
    return datetime.now(UTC)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def build_mailer(settings: Settings, renderer: Renderer) -> Mailer:
    """What writes messages into the outbox, in the booking transactions."""
    texts = MailTexts(renderer, settings.mail_from_address, settings.mail_from_name)
    return Mailer(texts, settings.secret_key.value, settings.base_url, settings.reminder_time)


def build_transport(settings: Settings) -> MailTransport:
    """SMTP when a host is set; otherwise .eml files in BOOKING_MAIL_DIR (the demo)."""
    if not settings.smtp_host:
        return DirectoryTransport(settings.mail_dir)
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,  # type: ignore[arg-type]  # validated by Settings
        settings.smtp_username or None,
        settings.smtp_password.value or None,
    )


def build_sender(settings: Settings, clock: Clock) -> Sender:
    return Sender(
        build_transport(settings),
        settings.mail_from_address,
        settings.mail_from_name,
        clock,
        settings.secret_key.value,
    )


def build_ticket_printer(settings: Settings) -> BackgroundPrinter | None:
    """The ESC/POS printer for walk-in tickets, or None (browser slips only). Refuses to start
    without Pillow's raqm layout or a font, rather than print Arabic unjoined and backwards."""
    if not settings.ticket_printer_host:
        return None
    try:
        fonts = SlipFonts.find(settings.ticket_font)
    except PrinterSetupError as error:
        raise SettingsError(f"BOOKING_TICKET_PRINTER is set, but: {error}") from None
    printer = NetworkTicketPrinter(
        settings.ticket_printer_host,
        settings.ticket_printer_port,
        timeout=PRINTER_TIMEOUT_SECONDS,
        fonts=fonts,
    )
    return BackgroundPrinter(printer)


def periodic_jobs(
    settings: Settings, limiter: Limiter, now: Clock
) -> list[Coroutine[Any, Any, None]]:
    """Every job the running service repeats, in one list (tests/test_app.py checks that each
    ``*_periodically`` function in booking/ is started here)."""
    return [
        privacy.anonymise_periodically(now, settings.retention_days, settings.secret_key.value),
        limiter.forget_periodically(now),
        close_periodically(now, settings.queue_close_seconds),
    ]


def create_app(settings: Settings, clock: Clock = system_clock) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(sqlite_url_with_pragmas(settings.database_url))
        async with RegisterTortoise(app, config=config):

            def now() -> datetime:
                moment: datetime = app.state.clock()  # read each time: tests move the clock
                return moment

            # Personal data past its retention: blanked at start-up, then every hour.
            secret = settings.secret_key.value  # keys the hashed office references
            await privacy.anonymise_logged(now, settings.retention_days, secret)
            tasks = [
                asyncio.create_task(job) for job in periodic_jobs(settings, app.state.limiter, now)
            ]
            if settings.mail_sender:
                tasks.append(asyncio.create_task(build_sender(settings, now).run()))
            try:
                yield
            finally:
                if app.state.ticket_printer is not None:
                    await app.state.ticket_printer.close(PRINT_GRACE_SECONDS)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app = Starlette(
        routes=[
            *pages.routes,
            *api.routes,
            *staff.routes,
            *staff_accounts.routes,
            *staff_tokens.routes,
            *audit_log.routes,
            *schedule.routes,
            *reception.routes,
            *admin.routes,
            *statistics.routes,
            *fairness.routes,
            *walkins.routes,
            *walkins_api.routes,
            *desk.routes,
            *follow_up_slip.routes,
            Route("/healthz", health, name="health"),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        # Outermost first. Every answer, a 413 or a 500 included, passes through
        # RequestContextMiddleware (language, security headers); Starlette's own max_body_size
        # would sit outside it and answer in plain text.
        middleware=[
            Middleware(RequestContextMiddleware, secure_cookies=not settings.demo),
            Middleware(CatchAllMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(ControlCharacterMiddleware),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key.value,
                session_cookie="staff_session",
                max_age=10 * 3600,  # a working day
                same_site="lax",
                https_only=not settings.demo,
            ),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.renderer = Renderer(load_translations(), TEMPLATES_DIR)
    app.state.mailer = build_mailer(settings, app.state.renderer)
    app.state.limiter = Limiter(settings.booking_limits, settings.secret_key.value)
    app.state.ticket_printer = build_ticket_printer(settings)
    logging.getLogger("booking").setLevel(settings.log_level.upper())
    quiet_database_loggers()
    return app
