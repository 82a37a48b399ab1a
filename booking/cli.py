"""The command line: python -m booking <command>."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise

from booking.db import migrate, quiet_database_loggers, sqlite_url_with_pragmas, tortoise_config
from booking.demo_settings import DEMO_FILE, write_demo_file
from booking.errors import AccountInvalid
from booking.settings import MAX_RETENTION_DAYS, Settings, SettingsError


async def _with_database(settings: Settings) -> None:
    quiet_database_loggers()
    await Tortoise.init(config=tortoise_config(sqlite_url_with_pragmas(settings.database_url)))


def _prepare_sqlite_dir(settings: Settings) -> None:
    path = settings.sqlite_path
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    _prepare_sqlite_dir(settings)
    asyncio.run(migrate(settings.database_url))
    print("Database schema is up to date.")
    return 0


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    from booking.demo import load_demo
    from booking.demo_history import load_demo_history

    async def run() -> bool:
        await _with_database(settings)
        try:
            loaded = await load_demo(settings.timezone, settings.demo_password.value)
            if loaded:
                await load_demo_history(datetime.now(UTC))
            return loaded
        finally:
            await Tortoise.close_connections()

    _prepare_sqlite_dir(settings)
    asyncio.run(migrate(settings.database_url))
    loaded = asyncio.run(run())
    print("Demo data loaded." if loaded else "The database already holds data; left as it is.")
    if settings.demo and write_demo_file(demo_values(settings)):
        print(f"Demo settings written to {DEMO_FILE}: commands in a new shell here use them.")
    return 0


def demo_values(settings: Settings) -> dict[str, str]:
    """What the demo ran with, for booking/demo_settings.py (no secrets)."""
    return {
        "BOOKING_DEMO": "1",
        "BOOKING_DATABASE_URL": settings.database_url,
        "BOOKING_HOST": settings.host,
        "BOOKING_PORT": str(settings.port),
        "BOOKING_BASE_URL": settings.base_url,
        "BOOKING_TIMEZONE": settings.timezone,
    }


def cmd_demo_link(settings: Settings, args: argparse.Namespace) -> int:
    from booking.demo import demo_link

    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            print(
                f"--start {args.start!r} is not ISO 8601, e.g. 2026-11-24T10:00+01:00",
                file=sys.stderr,
            )
            return 2
    print(
        demo_link(
            settings.base_url,
            settings.link_secret.value,
            datetime.now(UTC),
            start=start,
            duration_minutes=args.duration,
            location=args.location,
            timezone=settings.timezone,
        )
    )
    return 0


def print_demo_banner(settings: Settings) -> None:
    from booking.demo import demo_account_names, demo_link

    now = datetime.now(UTC)
    print()
    print(f"  Welcome service booking (demo) on {settings.base_url}")
    print("  Open this link, as the immigration office's confirmation would carry it:")
    print(f"    {demo_link(settings.base_url, settings.link_secret.value, now)}")
    print("  More links: .venv/bin/python -m booking demo-link [--start ISO] [--duration N]")
    print(f"  Staff sign-in: {settings.base_url}/login")
    print("    admin, reception, " + ", ".join(demo_account_names()))
    print("    password: the value of BOOKING_DEMO_PASSWORD (default: demo)")
    print("    demo sessions: the last eight weeks and the next seven days")
    print()


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app (beside the app itself and the worker count).

    With proxy_headers uvicorn takes the client's address from X-Forwarded-For, but only from
    the addresses in the FORWARDED_ALLOW_IPS environment variable (default 127.0.0.1): behind
    a proxy on another host it must name that proxy, or every request seems to come from the
    proxy and the sign-in throttle counts all staff as one client."""
    return {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,  # paths carry secrets; booking.requests logs without them
        "log_level": settings.log_level,
        "proxy_headers": True,
    }


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from booking.app import build_ticket_printer

    try:
        build_ticket_printer(settings)  # here, once and clearly, not in a worker's traceback
    except SettingsError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    if settings.demo:
        print_demo_banner(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(
        "booking.asgi:create", factory=True, workers=args.workers, **server_options(settings)
    )
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from booking.services import accounts

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password (at least 10 characters): ")
        if getpass.getpass("Again: ") != password:
            print("The two passwords differ.", file=sys.stderr)
            return 2

    async def run() -> str | None:
        await _with_database(settings)
        try:
            await accounts.create_user(
                args.username,
                password,
                args.role,
                "command line",
                datetime.now(UTC),
                counsellor_id=args.counsellor,
            )
        except AccountInvalid as problem:
            return problem.code
        finally:
            await Tortoise.close_connections()
        return None

    problem = asyncio.run(run())
    if problem:
        print(f"Not created: {problem.replace('_', ' ')}.", file=sys.stderr)
        return 2
    print(f"Account {args.username} ({args.role}) created.")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    from booking.services.privacy import anonymise_due

    days = settings.retention_days if args.days is None else args.days
    if not 1 <= days <= MAX_RETENTION_DAYS:
        print(f"--days must lie between 1 and {MAX_RETENTION_DAYS}, not {days}.", file=sys.stderr)
        return 2

    async def run() -> int:
        await _with_database(settings)
        try:
            return await anonymise_due(datetime.now(UTC), days, settings.secret_key.value)
        finally:
            await Tortoise.close_connections()

    count = asyncio.run(run())
    print(f"Anonymised {count} booking{'' if count == 1 else 's'}.")
    return 0


def cmd_close_queue(settings: Settings, _args: argparse.Namespace) -> int:
    """Close the walk-in queues whose closing time has passed, once (for a cron; the running
    service does the same every two minutes)."""
    from booking.services.walkins import close_due

    async def run() -> int:
        await _with_database(settings)
        try:
            return await close_due(datetime.now(UTC))
        finally:
            await Tortoise.close_connections()

    count = asyncio.run(run())
    print(f"Closed {count} walk-in ticket{'' if count == 1 else 's'}.")
    return 0


def cmd_send_mail(settings: Settings, args: argparse.Namespace) -> int:
    """The outbox sender as its own worker, beside or instead of the one in the service."""
    from booking.app import build_sender, system_clock

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    sender = build_sender(settings, system_clock)
    where = settings.smtp_host or f"{settings.mail_dir}/ (.eml files)"

    async def run() -> None:
        await _with_database(settings)
        try:
            if args.once:
                tally = await sender.drain()
                print(
                    f"Mail to {where}: {tally.sent} sent, {tally.retrying} to try again, "
                    f"{tally.failed} failed for good, {tally.withdrawn} reminders withdrawn "
                    "(their session will not take place)."
                )
            else:
                # At once, not when a pipe's buffer fills: a supervisor's log shows it started.
                print(f"Sending mail to {where}; stop with Ctrl+C.", flush=True)
                await sender.run()
        finally:
            await Tortoise.close_connections()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is the way to stop the worker
        asyncio.run(run())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m booking", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("demo", help="migrate and load the demo data into an empty database")
    link = commands.add_parser("demo-link", help="print a signed office link for the demo")
    link.add_argument("--start", help="office appointment start, ISO 8601 (local if no offset)")
    link.add_argument("--duration", type=int, default=30, help="minutes (default 30)")
    link.add_argument("--location", default="hsc", help="location code (default hsc)")
    user = commands.add_parser("create-user", help="create a staff account")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=["admin", "reception", "counsellor"])
    user.add_argument("--counsellor", type=int, help="counsellor profile id (counsellor role)")
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    purge = commands.add_parser(
        "purge", help="anonymise personal data of sessions older than the retention period"
    )
    purge.add_argument(
        "--days", type=int, help="days after the session (default BOOKING_RETENTION_DAYS, 30)"
    )
    mail = commands.add_parser(
        "send-mail", help="send the outbox's due messages (BOOKING_SMTP_HOST or BOOKING_MAIL_DIR)"
    )
    mail.add_argument("--once", action="store_true", help="send what is due now, then stop")
    commands.add_parser(
        "close-queue", help="close the walk-in queues whose closing time has passed"
    )
    serve = commands.add_parser("serve", help="serve HTTP (BOOKING_HOST, BOOKING_PORT)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    return parser


COMMANDS = {
    "migrate": cmd_migrate,
    "demo": cmd_demo,
    "demo-link": cmd_demo_link,
    "serve": cmd_serve,
    "create-user": cmd_create_user,
    "purge": cmd_purge,
    "send-mail": cmd_send_mail,
    "close-queue": cmd_close_queue,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    return COMMANDS[args.command](settings, args)
