"""The command line (booking/cli.py), run as the README runs it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from booking.settings import DEMO_LINK_SECRET
from integrations.office_link import verify


def run(
    *args: str, tmp_path: Path, stdin: str | None = None, **env_extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "BOOKING_DEMO": "1",
        "BOOKING_DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}",
        **env_extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "booking", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_link_prints_a_link_that_verifies(tmp_path: Path) -> None:
    result = run("demo-link", "--start", "2030-01-07T14:00", "--duration", "45", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    params = dict(parse_qsl(urlsplit(result.stdout.strip()).query))
    link = verify(params, DEMO_LINK_SECRET, datetime(2029, 12, 1, tzinfo=UTC))
    assert link.start.isoformat() == "2030-01-07T14:00:00+01:00"
    assert link.duration.total_seconds() == 45 * 60 and link.location == "hsc"
    assert "%2B01%3A00" in result.stdout


def test_demo_link_explains_a_bad_start(tmp_path: Path) -> None:
    result = run("demo-link", "--start", "next tuesday", tmp_path=tmp_path)
    assert result.returncode == 2 and "ISO 8601" in result.stderr


def test_demo_loads_once(tmp_path: Path) -> None:
    first = run("demo", tmp_path=tmp_path)
    assert first.returncode == 0 and "Demo data loaded." in first.stdout, first.stderr
    second = run("demo", tmp_path=tmp_path)
    assert second.returncode == 0 and "already holds data" in second.stdout


def test_create_user(tmp_path: Path) -> None:
    assert run("migrate", tmp_path=tmp_path).returncode == 0
    args = ("create-user", "--role", "reception", "--password-stdin")
    created = run(*args, "--username", "Desk1", tmp_path=tmp_path, stdin="a-long-password\n")
    assert created.returncode == 0, created.stderr
    assert "desk1" not in created.stderr
    counsellor = ("create-user", "--role", "counsellor", "--password-stdin", "--username", "desk2")
    refused = run(*counsellor, tmp_path=tmp_path, stdin="a-long-password\n")
    assert refused.returncode == 2 and "counsellor required" in refused.stderr


def test_send_mail_once_writes_the_due_messages(tmp_path: Path) -> None:
    assert run("migrate", tmp_path=tmp_path).returncode == 0
    now = datetime.now(UTC)
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        db.execute(
            "INSERT INTO outbox_message (message_id, thread, kind, recipient, to_address,"
            " to_name, language, subject, text, html, status, next_attempt_at, expires_at,"
            " attempts, last_error, created_at) VALUES (?, 't', 'confirmed', 'applicant',"
            " 'amina@example.org', 'Amina', 'de', 'Erinnerung', 'Text', '<p>Text</p>',"
            " 'pending', ?, ?, 0, '', ?)",
            (
                "<cli-1@welcome.example>",
                # As Tortoise writes datetimes to SQLite (str, not isoformat: a space, no T).
                str(now - timedelta(minutes=1)),
                str(now + timedelta(days=1)),
                str(now),
            ),
        )
    mail_dir = tmp_path / "mail"
    sent = run("send-mail", "--once", tmp_path=tmp_path, BOOKING_MAIL_DIR=str(mail_dir))
    assert sent.returncode == 0, sent.stderr
    # A confirmation: a reminder of no booking would be withdrawn (booking/services/reminders.py).
    assert "1 sent, 0 to try again, 0 failed for good" in sent.stdout
    (file,) = mail_dir.glob("*.eml")
    assert file.name == "cli-1@welcome.example.eml" and b"Subject: Erinnerung" in file.read_bytes()
    again = run("send-mail", "--once", tmp_path=tmp_path, BOOKING_MAIL_DIR=str(mail_dir))
    assert "0 sent" in again.stdout  # never twice


def test_close_queue_closes_tickets_left_from_an_earlier_day(tmp_path: Path) -> None:
    """For a cron: yesterday's waiting ticket is closed with the closing-time reason."""
    assert run("migrate", tmp_path=tmp_path).returncode == 0
    assert run("demo", tmp_path=tmp_path).returncode == 0
    database = sqlite3.connect(tmp_path / "cli.sqlite3")
    with database:
        location_id = database.execute("SELECT id FROM location LIMIT 1").fetchone()[0]
        yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        moment = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        database.execute(
            "INSERT INTO ticket (location_id, day, number, token_hash, topic, language, "
            "priority, name, status, arrived_at, queued_at, calls, closed_reason) "
            "VALUES (?, ?, 1, 'x', 'forms', 'de', '', '', 'waiting', ?, ?, 0, '')",
            (location_id, yesterday, moment, moment),
        )
    result = run("close-queue", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Closed 1 walk-in ticket." in result.stdout
    with database:
        row = database.execute("SELECT status, closed_reason FROM ticket").fetchone()
    database.close()
    assert row == ("closed", "closing_time")
