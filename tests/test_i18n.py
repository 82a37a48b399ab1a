"""Language choice and catalogs (booking/i18n.py)."""

from __future__ import annotations

from booking.i18n import (
    LOCALES_DIR,
    UI_LANGUAGES,
    choose_language,
    parse_accept_language,
    text_direction,
    untranslated,
)


def test_query_beats_cookie_beats_header() -> None:
    assert choose_language("en", "de", "de").language == "en"
    assert choose_language("en", "de", "de").remember is True
    assert choose_language(None, "en", "de").language == "en"
    assert choose_language(None, None, "fr;q=0.9, en;q=0.8").language == "en"
    assert choose_language(None, None, None).language == "de"
    assert choose_language("xx", "yy", "zz").language == "de"


def test_accept_language_honours_quality() -> None:
    assert parse_accept_language("de;q=0.5, en-GB, ar;q=0") == ["en", "de"]
    assert parse_accept_language("garbage;q=abc, *") == []


def test_directions() -> None:
    assert text_direction("ar") == "rtl" and text_direction("fa") == "rtl"
    assert text_direction("de") == "ltr" and text_direction("??") == "ltr"


def test_shipped_catalogs_are_complete() -> None:
    for language in UI_LANGUAGES:
        assert untranslated(LOCALES_DIR, language) == [], language
