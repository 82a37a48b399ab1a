"""One running demo service and one headless Chromium for all browser tests.

The service is a real process (``python -m booking serve``) over its own SQLite database;
the tests use it as people would, through Debian's Chromium driven by Playwright."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveService, browser_missing, live_service

if TYPE_CHECKING:
    from playwright.async_api import Browser

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = browser_missing()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> str:
    reason = browser_missing()
    return f"browser tests: {reason}" if reason else f"browser tests: Chromium at {CHROMIUM}"


@pytest.fixture(scope="session")
def live() -> Iterator[LiveService]:
    with (
        tempfile.TemporaryDirectory(prefix="booking-browser-") as tmp,
        # The closing sweep every second, so that the morning sees the queue close by itself;
        # every browser test books from one address, 127.0.0.1, which the client limit would
        # soon refuse (tests/test_booking_limits.py tests the limits).
        live_service(
            Path(tmp), BOOKING_QUEUE_CLOSE_SECONDS="1", BOOKING_LIMIT_PER_CLIENT="100000"
        ) as service,
    ):
        yield service


@pytest.fixture(scope="session")
async def browser(live: LiveService) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
