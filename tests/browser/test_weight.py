"""Every applicant and visitor page transfers at most 60 KB on first load (issue 7), in German
and in Arabic (the longer UTF-8); tests/benchmarks/bench_weight.py prints the figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.benchmarks.bench_weight import BUDGET, applicant_pages, table, visitor_pages
from tests.live import LiveService

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.mark.parametrize("language", ["de", "ar"])
async def test_pages_stay_within_the_budget(
    live: LiveService, browser: Browser, language: str
) -> None:
    weights = await applicant_pages(browser, live, language)
    weights += await visitor_pages(browser, live, language)
    assert {w.page for w in weights} >= {"home", "add-on: times", "manage", "display"}
    assert all(w.html > 1000 for w in weights), table(weights)  # real pages were measured
    assert all(w.total <= BUDGET for w in weights), table(weights)
