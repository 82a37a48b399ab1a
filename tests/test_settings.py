"""Settings from the environment (booking/settings.py) and the refusal to start insecurely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from booking.demo_settings import with_demo_file, write_demo_file
from booking.settings import DEMO_SECRET_KEY, Settings, SettingsError

GOOD = {
    "BOOKING_SECRET_KEY": "k" * 32,
    "BOOKING_LINK_SECRET": "l" * 32,
    "BOOKING_MAIL_FROM": "Beratung <beratung@stadt.example>",
    "BOOKING_CONTROLLER_NAME": "Landeshauptstadt Hannover, Fachbereich Soziales",
    "BOOKING_CONTROLLER_ADDRESS": "Trammplatz 2, 30159 Hannover",
}


def test_defaults() -> None:
    settings = Settings.from_env({"BOOKING_DEMO": "1"})
    assert settings.port == 8000
    assert settings.timezone == "Europe/Berlin"
    assert settings.database_url.startswith("sqlite://data/")
    assert settings.base_url == "http://127.0.0.1:8000"


def test_production_needs_real_secrets() -> None:
    with pytest.raises(SettingsError, match="BOOKING_SECRET_KEY"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="BOOKING_SECRET_KEY"):
        Settings.from_env({**GOOD, "BOOKING_SECRET_KEY": DEMO_SECRET_KEY})
    with pytest.raises(SettingsError, match="shorter"):
        Settings.from_env({**GOOD, "BOOKING_LINK_SECRET": "short"})
    assert Settings.from_env(GOOD).demo is False


def test_production_names_who_is_responsible_for_the_data() -> None:
    for name in ("BOOKING_CONTROLLER_NAME", "BOOKING_CONTROLLER_ADDRESS"):
        with pytest.raises(SettingsError, match=f"{name} is empty"):
            Settings.from_env({**GOOD, name: ""})
    settings = Settings.from_env({**GOOD, "BOOKING_DPO_CONTACT": "datenschutz@stadt.example"})
    assert settings.controller_address == "Trammplatz 2, 30159 Hannover"
    assert settings.privacy_contact == "beratung@stadt.example"  # the mailbox, unless set
    assert settings.dpo_contact == "datenschutz@stadt.example"
    chosen = Settings.from_env({**GOOD, "BOOKING_CONTROLLER_CONTACT": "+49 511 168-0"})
    assert chosen.privacy_contact == "+49 511 168-0"
    demo = Settings.from_env({"BOOKING_DEMO": "1"})
    assert "Demo" in demo.controller_name and demo.controller_address


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOOKING_PORT", "eighty", "number"),
        ("BOOKING_PORT", "70000", "between"),
        ("BOOKING_TIMEZONE", "Mars/Olympus", "time zone"),
        ("BOOKING_DATABASE_URL", "mysql://x", "sqlite:// or postgres://"),
        ("BOOKING_RETENTION_DAYS", "thirty", "BOOKING_RETENTION_DAYS must be a whole number"),
        ("BOOKING_RETENTION_DAYS", "0", "BOOKING_RETENTION_DAYS must lie between 1 and 3650"),
        ("BOOKING_RETENTION_DAYS", "3651", "BOOKING_RETENTION_DAYS must lie between 1 and 3650"),
        ("BOOKING_BALANCE_BASE_PERCENT", "101", "BOOKING_BALANCE_BASE_PERCENT must lie between"),
        ("BOOKING_BALANCE_BASE_PERCENT", "0.3", "BOOKING_BALANCE_BASE_PERCENT must be a whole"),
        # Every message is composed from it: an address e-mail's parser refuses would fail all.
        ("BOOKING_MAIL_FROM", "Beratung <bera..tung@stadt.example>", "BOOKING_MAIL_FROM must be"),
        ("BOOKING_MAIL_FROM", "beratung(at)stadt.example", "BOOKING_MAIL_FROM must be"),
    ],
)
def test_bad_values_are_explained(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**GOOD, name: value})


def test_retention_days() -> None:
    assert Settings.from_env(GOOD).retention_days == 30
    assert Settings.from_env({**GOOD, "BOOKING_RETENTION_DAYS": " 90 "}).retention_days == 90
    assert Settings.from_env({**GOOD, "BOOKING_RETENTION_DAYS": "3650"}).retention_days == 3650


def test_balance_settings() -> None:
    defaults = Settings.from_env(GOOD)
    assert (defaults.balance_base_percent, defaults.no_shows_count) == (30, True)
    chosen = Settings.from_env(
        {**GOOD, "BOOKING_BALANCE_BASE_PERCENT": "50", "BOOKING_NO_SHOWS_COUNT": "0"}
    )
    assert (chosen.balance_base_percent, chosen.no_shows_count) == (50, False)


def test_secrets_do_not_show_in_reprs() -> None:
    assert "k" * 32 not in repr(Settings.from_env(GOOD))


def test_the_service_refuses_to_start_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "booking", "serve"],
        env={"PATH": "/usr/bin:/bin", "BOOKING_DEMO": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "BOOKING_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_debug_logging_never_shows_query_parameters() -> None:
    import logging

    from booking.app import create_app

    create_app(Settings.from_env({"BOOKING_DEMO": "1", "BOOKING_LOG_LEVEL": "debug"}))
    assert logging.getLogger("booking").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("tortoise.db_client").isEnabledFor(logging.DEBUG)


def test_ticket_printer_address_and_font() -> None:
    off = Settings.from_env(GOOD)
    assert (off.ticket_printer_host, off.ticket_font) == ("", None)
    for text, address in (
        ("bon-drucker.local", ("bon-drucker.local", 9100)),
        (" 192.168.10.50:9101 ", ("192.168.10.50", 9101)),
        ("[fe80::1]:9100", ("fe80::1", 9100)),
    ):
        found = Settings.from_env({**GOOD, "BOOKING_TICKET_PRINTER": text})
        assert (found.ticket_printer_host, found.ticket_printer_port) == address
    for text in ("fe80::1", "bon:0", "bon:70000", "bon:", "tcp://bon", "bon drucker"):
        with pytest.raises(SettingsError, match="BOOKING_TICKET_PRINTER must be"):
            Settings.from_env({**GOOD, "BOOKING_TICKET_PRINTER": text})
    with pytest.raises(SettingsError, match="BOOKING_TICKET_FONT"):
        Settings.from_env({**GOOD, "BOOKING_TICKET_FONT": "/nowhere/font.ttf"})


# -- the demo's settings file (booking/demo_settings.py) ----------------------------------------


def test_the_demo_file_fills_in_only_what_a_fresh_shell_leaves_out(tmp_path: Path) -> None:
    path = tmp_path / "data" / "demo.env"
    sqlite = f"sqlite://{tmp_path / 'booking.sqlite3'}"
    recorded = {"BOOKING_DEMO": "1", "BOOKING_DATABASE_URL": sqlite, "BOOKING_PORT": "8123"}
    assert write_demo_file(recorded, path)
    assert "SECRET" not in path.read_text()
    fresh = Settings.from_env(with_demo_file({"PATH": "/usr/bin"}, path))
    assert fresh.demo and fresh.port == 8123 and fresh.base_url == "http://127.0.0.1:8123"
    assert fresh.database_url == sqlite
    assert with_demo_file({"BOOKING_PORT": "9000"}, path)["BOOKING_PORT"] == "9000"
    assert with_demo_file({"BOOKING_DEMO": "0"}, path) == {"BOOKING_DEMO": "0"}
    other = {"BOOKING_DATABASE_URL": "postgres://booking@db:5432/booking"}
    assert with_demo_file(other, path) == other  # production is never made a demo
    with pytest.raises(SettingsError, match="BOOKING_SECRET_KEY"):
        Settings.from_env(with_demo_file(other, path))


def test_the_demo_file_is_not_written_for_a_database_server(tmp_path: Path) -> None:
    path = tmp_path / "demo.env"
    url = "postgres://booking:secret@db:5432/booking"
    assert not write_demo_file({"BOOKING_DEMO": "1", "BOOKING_DATABASE_URL": url}, path)
    assert not path.exists() and with_demo_file({}, path) == {}
