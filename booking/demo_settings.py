"""The demo's settings file: what `make run` ran the demo with, for commands in a new shell.

`python -m booking demo` (run by `make run`) writes ``data/demo.env`` in the working
directory: demo mode, and the database, host, port, base URL and time zone it ran with. No
secret is written (demo mode has its own demo values). When the service or a command starts
in that directory and its environment says nothing about demo mode, those values fill in what
the environment leaves out, so `python -m booking demo-link` in a fresh shell signs with the
demo secret and points at the port `make run` serves on.

It never applies when the environment sets ``BOOKING_DEMO`` (``0`` included) or names another
database: a production environment is never turned into a demo. The demo writes it for a
SQLite database only, as a database URL of a server can hold a password.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

DEMO_FILE = Path("data/demo.env")
KEYS = (
    "BOOKING_DEMO",
    "BOOKING_DATABASE_URL",
    "BOOKING_HOST",
    "BOOKING_PORT",
    "BOOKING_BASE_URL",
    "BOOKING_TIMEZONE",
)
HEADER = "# Written by `python -m booking demo` (make run); read in demo mode only. No secrets.\n"


def read_demo_file(path: Path = DEMO_FILE) -> dict[str, str]:
    """The file's known KEY=value lines; empty when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return {}
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in KEYS:
            values[key.strip()] = value.strip()
    return values


def with_demo_file(env: Mapping[str, str], path: Path = DEMO_FILE) -> Mapping[str, str]:
    """The environment, with the demo's values where it leaves them out (see the module)."""
    if env.get("BOOKING_DEMO", "").strip():
        return env
    recorded = read_demo_file(path)
    if recorded.get("BOOKING_DEMO") != "1":
        return env
    database = env.get("BOOKING_DATABASE_URL", "").strip()
    if database and database != recorded.get("BOOKING_DATABASE_URL"):
        return env
    given = {key: value for key, value in env.items() if value.strip()}
    return {**recorded, **given}


def write_demo_file(values: Mapping[str, str], path: Path = DEMO_FILE) -> bool:
    """Record the demo's settings; False (and nothing written) unless the database is SQLite."""
    if not values.get("BOOKING_DATABASE_URL", "").startswith("sqlite://"):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={values[key]}\n" for key in KEYS if values.get(key)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return True
