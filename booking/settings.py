"""Settings, read once from the environment by the composition root.

Nothing else in the code base reads ``os.environ``: the app factory, the command line and the
tests build a :class:`Settings` and pass it down.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from booking.demo_settings import with_demo_file
from booking.limits import BookingLimits
from integrations.addresses import address_is_usable

DEFAULT_DATABASE_URL = "sqlite://data/booking.sqlite3"
DEMO_SECRET_KEY = "demo-secret-key-do-not-use-in-production"
DEMO_LINK_SECRET = "demo-link-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 16
MAX_RETENTION_DAYS = 3650
DEMO_MAIL_FROM = "Willkommensberatung <beratung@welcome-demo.invalid>"
# The privacy notice's controller in demo mode: plainly not a real city.
DEMO_CONTROLLER_NAME = "Stadt Beispielstadt, Willkommensberatung (Demo)"
DEMO_CONTROLLER_ADDRESS = "Musterstraße 1, 30159 Beispielstadt"
SMTP_SECURITY = ("starttls", "tls", "none")
DEFAULT_SMTP_PORT = {"starttls": 587, "tls": 465, "none": 25}
PRINTER_PORT = 9100  # receipt printers' raw port
PRINTER_ADDRESS = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+))(?::(?P<port>\d+))?"
)


class SettingsError(Exception):
    """The environment does not describe a service that may start."""


class Secret:
    """A string that does not show itself in reprs, tracebacks or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    @property
    def value(self) -> str:
        return self._value


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def printer_address(text: str) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[IPv6]:port`` as host and port; no port means 9100."""
    match = PRINTER_ADDRESS.fullmatch(text)
    port = int(match["port"]) if match and match["port"] else PRINTER_PORT
    if match is None or not 1 <= port <= 65535:
        raise SettingsError(
            f"BOOKING_TICKET_PRINTER must be the printer's address as host or host:port "
            f"(for example 192.168.10.50 or bon-drucker.local:9100; IPv6 in brackets), "
            f"not {text!r}. Leave it empty to print from the browser only."
        )
    return match["ipv6"] or match["host"], port


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    secret_key: Secret = field(default_factory=lambda: Secret(DEMO_SECRET_KEY))
    link_secret: Secret = field(default_factory=lambda: Secret(DEMO_LINK_SECRET))
    timezone: str = "Europe/Berlin"
    demo: bool = False
    demo_password: Secret = field(default_factory=lambda: Secret("demo"))
    max_body_bytes: int = 64 * 1024
    log_level: str = "info"
    retention_days: int = 30  # personal data is anonymised this many days after the session
    # Who is responsible for the data (GDPR Art. 13), named in the privacy notice: the city or
    # organisation that runs the service, its postal address, a contact for questions about
    # the data (default: the service mailbox) and, if it has one, its data protection officer.
    controller_name: str = DEMO_CONTROLLER_NAME
    controller_address: str = DEMO_CONTROLLER_ADDRESS
    controller_contact: str = ""
    dpo_contact: str = ""
    # Fair shares (booking/balance.py): the part of the target weights split equally among the
    # organisations, and whether a no-show counts as a session delivered.
    balance_base_percent: int = 30
    no_shows_count: bool = True
    # The walk-in desk's "did not come" (booking/queue.py's no-show rule): after this many
    # calls at least a minute apart, or this many minutes after the first call.
    no_show_calls: int = 3
    no_show_minutes: int = 10
    # How often the running service closes queues past closing time (close_periodically).
    queue_close_seconds: int = 120
    # Mail (integrations/mail.py). Without an SMTP host, messages become .eml files in mail_dir.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: Secret = field(default_factory=lambda: Secret(""))
    mail_from: str = DEMO_MAIL_FROM
    mail_dir: Path = Path("data/mail")
    mail_sender: bool = True  # run the outbox sender inside the service
    reminder_time: time | None = time(17, 0)  # local time the day before; None: no reminders
    # Walk-in tickets on an ESC/POS printer (integrations/escpos.py) besides the browser slip;
    # no host: the browser slip only. ticket_font: tried first, before the installed fonts.
    ticket_printer_host: str = ""
    ticket_printer_port: int = PRINTER_PORT
    ticket_font: Path | None = None
    # Booking churn (booking/limits.py): new bookings per office reference, reschedules per
    # booking, booking writes per client address; off for a closed network.
    booking_limits: BookingLimits = field(default_factory=BookingLimits)

    @property
    def mail_from_address(self) -> str:
        return parseaddr(self.mail_from)[1]

    @property
    def mail_from_name(self) -> str:
        return parseaddr(self.mail_from)[0]

    @property
    def privacy_contact(self) -> str:
        """Where applicants write about their data: the contact set, else the mailbox."""
        return self.controller_contact or self.mail_from_address

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """From ``env``; by default the process environment, completed by the demo's
        settings file when it says nothing about demo mode (booking/demo_settings.py)."""
        env = with_demo_file(os.environ) if env is None else env

        def get(name: str, default: str) -> str:
            value = env.get(name, "").strip()
            return value or default

        demo = _flag(get("BOOKING_DEMO", "0"))

        def whole(name: str, default: str, low: int, high: int) -> int:
            text = get(name, default)
            try:
                number = int(text)
            except ValueError:
                raise SettingsError(f"{name} must be a whole number, not {text!r}.") from None
            if not low <= number <= high:
                raise SettingsError(f"{name} must lie between {low} and {high}, not {number}.")
            return number

        port = whole("BOOKING_PORT", "8000", 1, 65535)
        retention_days = whole("BOOKING_RETENTION_DAYS", "30", 1, MAX_RETENTION_DAYS)
        base_part = whole("BOOKING_BALANCE_BASE_PERCENT", "30", 0, 100)
        host = get("BOOKING_HOST", "127.0.0.1")
        security = get("BOOKING_SMTP_SECURITY", "starttls").lower()
        if security not in SMTP_SECURITY:
            raise SettingsError(
                f"BOOKING_SMTP_SECURITY must be starttls, tls or none, not {security!r}."
            )
        smtp_port = whole("BOOKING_SMTP_PORT", str(DEFAULT_SMTP_PORT[security]), 1, 65535)
        reminder = get("BOOKING_REMINDER_TIME", "17:00").lower()
        try:
            reminder_time = None if reminder == "off" else time.fromisoformat(reminder)
        except ValueError:
            raise SettingsError(
                f"BOOKING_REMINDER_TIME must be a time like 17:00, or off, not {reminder!r}."
            ) from None
        printer = get("BOOKING_TICKET_PRINTER", "")
        printer_host, printer_port = printer_address(printer) if printer else ("", PRINTER_PORT)
        ticket_font = get("BOOKING_TICKET_FONT", "")
        booking_limits = BookingLimits(
            enabled=_flag(get("BOOKING_RATE_LIMITS", "1")),
            per_reference=whole("BOOKING_LIMIT_PER_REFERENCE", "3", 1, 1000),
            per_booking=whole("BOOKING_LIMIT_RESCHEDULES", "5", 1, 1000),
            per_client=whole("BOOKING_LIMIT_PER_CLIENT", "20", 1, 100000),
        )
        default_secret_key = DEMO_SECRET_KEY if demo else ""
        controller_name = get("BOOKING_CONTROLLER_NAME", DEMO_CONTROLLER_NAME if demo else "")
        controller_address = get(
            "BOOKING_CONTROLLER_ADDRESS", DEMO_CONTROLLER_ADDRESS if demo else ""
        )
        default_link_secret = DEMO_LINK_SECRET if demo else ""
        settings = cls(
            database_url=get("BOOKING_DATABASE_URL", DEFAULT_DATABASE_URL),
            host=host,
            port=port,
            base_url=get("BOOKING_BASE_URL", f"http://{host}:{port}").rstrip("/"),
            secret_key=Secret(env.get("BOOKING_SECRET_KEY", "").strip() or default_secret_key),
            link_secret=Secret(env.get("BOOKING_LINK_SECRET", "").strip() or default_link_secret),
            timezone=get("BOOKING_TIMEZONE", "Europe/Berlin"),
            demo=demo,
            demo_password=Secret(get("BOOKING_DEMO_PASSWORD", "demo")),
            log_level=get("BOOKING_LOG_LEVEL", "info").lower(),
            retention_days=retention_days,
            controller_name=controller_name,
            controller_address=controller_address,
            controller_contact=get("BOOKING_CONTROLLER_CONTACT", ""),
            dpo_contact=get("BOOKING_DPO_CONTACT", ""),
            balance_base_percent=base_part,
            no_shows_count=_flag(get("BOOKING_NO_SHOWS_COUNT", "1")),
            no_show_calls=whole("BOOKING_NO_SHOW_CALLS", "3", 1, 20),
            no_show_minutes=whole("BOOKING_NO_SHOW_MINUTES", "10", 1, 240),
            queue_close_seconds=whole("BOOKING_QUEUE_CLOSE_SECONDS", "120", 1, 3600),
            smtp_host=get("BOOKING_SMTP_HOST", ""),
            smtp_port=smtp_port,
            smtp_security=security,
            smtp_username=get("BOOKING_SMTP_USERNAME", ""),
            smtp_password=Secret(env.get("BOOKING_SMTP_PASSWORD", "")),
            mail_from=get("BOOKING_MAIL_FROM", DEMO_MAIL_FROM if demo else ""),
            mail_dir=Path(get("BOOKING_MAIL_DIR", "data/mail")),
            mail_sender=_flag(get("BOOKING_MAIL_SENDER", "1")),
            reminder_time=reminder_time,
            ticket_printer_host=printer_host,
            ticket_printer_port=printer_port,
            ticket_font=Path(ticket_font) if ticket_font else None,
            booking_limits=booking_limits,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse settings that would run a real service insecurely or not at all."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"BOOKING_TIMEZONE {self.timezone!r} is not a known IANA time zone "
                "(for example Europe/Berlin)."
            ) from None
        if not self.database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise SettingsError(
                "BOOKING_DATABASE_URL must start with sqlite:// or postgres:// "
                "(for example postgres://user:password@host:5432/booking)."
            )
        if not self.demo:
            self._validate_secrets()
            self._validate_controller()
        if self.ticket_font is not None and not self.ticket_font.is_file():
            raise SettingsError(
                f"BOOKING_TICKET_FONT {str(self.ticket_font)!r} is not a file; name a .ttf or "
                ".otf font, or leave it empty to use the installed Noto or DejaVu fonts."
            )
        address = parseaddr(self.mail_from)[1]
        if not address_is_usable(address):  # the rule every message is composed by
            raise SettingsError(
                "BOOKING_MAIL_FROM must be the service mailbox, for example "
                "'Willkommensberatung <beratung@stadt.example>'; calendars show it as the "
                "organiser, so it must be a real address that can receive replies."
            )

    def _validate_controller(self) -> None:
        for name, value, example in (
            ("BOOKING_CONTROLLER_NAME", self.controller_name, "Landeshauptstadt Hannover"),
            ("BOOKING_CONTROLLER_ADDRESS", self.controller_address, "Trammplatz 2, 30159 Hannover"),
        ):
            if not value or value in (DEMO_CONTROLLER_NAME, DEMO_CONTROLLER_ADDRESS):
                raise SettingsError(
                    f"{name} is empty or the demo value. The privacy notice must say who is "
                    "responsible for the data: set it to the city or organisation that runs "
                    f"the service (for example {example!r})."
                )

    def _validate_secrets(self) -> None:
        for name, secret, demo_value in (
            ("BOOKING_SECRET_KEY", self.secret_key, DEMO_SECRET_KEY),
            ("BOOKING_LINK_SECRET", self.link_secret, DEMO_LINK_SECRET),
        ):
            if not secret or secret.value == demo_value:
                raise SettingsError(
                    f"{name} is empty or the demo value. Outside demo mode set it to a long "
                    'random string, for example: python -c "import secrets; '
                    'print(secrets.token_urlsafe(32))". For a demo, set BOOKING_DEMO=1.'
                )
            if len(secret.value) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"{name} is shorter than {MIN_SECRET_LENGTH} characters; "
                    "use a long random string."
                )

    @property
    def sqlite_path(self) -> Path | None:
        """The database file, for SQLite URLs that name one."""
        if not self.database_url.startswith("sqlite://"):
            return None
        path = self.database_url.removeprefix("sqlite://").split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)
