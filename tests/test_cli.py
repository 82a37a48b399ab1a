"""The command line (booking/cli.py), run as the README runs it."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

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


# -- the README's commands, in a fresh shell after `make run` -------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def make_run_commands() -> list[list[str]]:
    """What `make run` runs before it serves: the Makefile's run recipe, without `serve`."""
    recipe = ROOT.joinpath("Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"\$\(BIN\)/python -m booking ([a-z-]+)", recipe)
    assert commands == ["migrate", "demo", "serve"], recipe
    return [[sys.executable, "-m", "booking", command] for command in commands[:-1]]


def readme_commands() -> list[list[str]]:
    """Every command the README shows outside its production recipe (which sets the
    production environment first), with its placeholders filled in as a reader would."""
    text = ROOT.joinpath("README.md").read_text()
    before, production = text.split("\n## Production\n", 1)
    after = production.split("```", 2)[2]  # the text after the production recipe
    spans = re.findall(r"`((?:\.venv/bin/)?python -m booking\s[^`]+)`", before + after)
    commands = []
    for span in spans:
        span = " ".join(span.split())  # a span may wrap over two lines
        span = re.sub(r"\s*\[[^]]*\]", "", span)  # optional parts left out
        span = span.replace("NAME", "desk9").replace("admin|reception|counsellor", "reception")
        words = span.split()
        assert words[0] in (".venv/bin/python", "python") and words[1:3] == ["-m", "booking"]
        commands.append([sys.executable, *words[1:]])
    shown = {words[3] for words in commands}
    assert {"demo-link", "create-user", "purge", "send-mail", "close-queue"} <= shown, shown
    return commands


def worker_starts(command: list[str], env: dict[str, str], cwd: Path, says: str) -> bool:
    """Whether a command that runs until stopped prints ``says`` first; then it is stopped."""
    worker = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(120, worker.kill)  # a worker that says nothing fails the test
    timer.start()
    try:
        assert worker.stdout is not None
        return worker.stdout.readline().startswith(says)
    finally:
        timer.cancel()
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.parametrize("port", [None, "8123"])
def test_the_readme_commands_work_in_a_fresh_shell_after_make_run(
    tmp_path: Path, port: str | None
) -> None:
    """`make run` (BOOKING_DEMO=1 from the Makefile, with or without BOOKING_PORT), then each
    command of the README in a new shell: no BOOKING_ variable set, the same directory."""
    shell = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    make_env = {**shell, "BOOKING_DEMO": "1", **({"BOOKING_PORT": port} if port else {})}
    for command in make_run_commands():
        done = subprocess.run(
            command, env=make_env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    for command in readme_commands():
        if command[3:] == ["send-mail"]:  # the worker runs until stopped: it must start
            assert worker_starts(command, shell, tmp_path, "Sending mail to data/mail/")
            continue
        stdin = "a-long-password\na-long-password\n" if "create-user" in command else None
        done = subprocess.run(
            command,
            env=shell,
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        if command[3] == "demo-link":
            link = done.stdout.strip()
            assert link.startswith(f"http://127.0.0.1:{port or 8000}/add-on?"), link
            params = dict(parse_qsl(urlsplit(link).query))
            assert verify(params, DEMO_LINK_SECRET, datetime(2026, 11, 1, tzinfo=UTC))
    with sqlite3.connect(tmp_path / "data" / "booking.sqlite3") as db:
        assert db.execute("SELECT role FROM staff_user WHERE username = 'desk9'").fetchone() == (
            "reception",
        )
