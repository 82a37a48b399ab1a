"""A running service for the browser tests: ``python -m booking serve`` on a free port over a
temporary SQLite database with the demo loaded, and Debian's Chromium to look at it.

Playwright never downloads a browser here (there is no network for it): it drives
``/usr/bin/chromium``, which `.ci/run` installs from Debian's packages when it is missing.
Without it, the browser tests are skipped with a message that says how to get it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Headless Chromium on a machine without a network: the background services would otherwise
# try to reach Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_BROWSER = (
    f"no Chromium at {CHROMIUM}: browser tests skipped "
    "(install Debian's package: apt-get install chromium; .ci/run does this)"
)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if shutil.which(CHROMIUM) is None:
        return NO_BROWSER
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: browser tests skipped (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its own process group: workers go too
    except ProcessLookupError:
        return
    process.wait()


@dataclass(frozen=True)
class LiveService:
    base_url: str
    database_url: str
    env: dict[str, str]
    mail_dir: Path

    def command(self, *args: str) -> str:
        """``python -m booking <args>`` against this service's database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "booking", *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    def api(self, username: str, method: str, path: str, **body: str) -> httpx.Response:
        """A call to the JSON API as a demo account, as the office's IT would make it."""
        signed_in = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": username, "password": self.env.get("BOOKING_DEMO_PASSWORD", "demo")},
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        return httpx.request(method, f"{self.base_url}{path}", json=body, headers=headers)

    def register_walk_in(self, language: str = "de", topic: str = "forms", name: str = "") -> str:
        """A walk-in at the demo location through the API; the visitor's status token."""
        made = self.api(
            "reception",
            "POST",
            "/api/v1/locations/hsc/walk-ins",
            topic=topic,
            language=language,
            priority="",
            name=name,
        )
        assert made.status_code == 201, made.text
        token: str = made.json()["token"]
        return token

    def demo_link(self, start: str | None = None) -> str:
        """A signed office link, as the immigration office's system would send it."""
        args = ["demo-link"] + (["--start", start] if start else [])
        return self.command(*args).strip().splitlines()[-1]


@contextmanager
def live_service(
    tmp: Path, database_url: str | None = None, **settings: str
) -> Iterator[LiveService]:
    """The demo service on a free port, until the block ends (on a new SQLite file in ``tmp``
    unless ``database_url`` names an empty database)."""
    database_url = database_url or f"sqlite://{tmp / 'live.sqlite3'}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKING_")}
    env.update(
        BOOKING_DEMO="1",
        BOOKING_DATABASE_URL=database_url,
        BOOKING_HOST="127.0.0.1",
        BOOKING_PORT=str(port),
        BOOKING_BASE_URL=base_url,
        BOOKING_LOG_LEVEL="warning",
        BOOKING_MAIL_SENDER="0",
        BOOKING_MAIL_DIR=str(tmp / "mail"),
    )
    env.update(settings)
    service = LiveService(base_url, database_url, env, tmp / "mail")
    service.command("demo")
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "booking", "serve"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
            yield service
        finally:
            stop(process)
