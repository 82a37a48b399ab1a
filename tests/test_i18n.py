"""Language choice and catalogs (booking/i18n.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from booking.i18n import (
    LOCALES_DIR,
    STAFF_LANGUAGES,
    VISITOR_LANGUAGES,
    choose_language,
    isolate_ltr,
    languages_for_path,
    parse_accept_language,
    text_direction,
    untranslated,
    visitor_language,
)


def test_query_beats_cookie_beats_header() -> None:
    assert choose_language("en", "de", "de").language == "en"
    assert choose_language("en", "de", "de").remember is True
    assert choose_language(None, "en", "de").language == "en"
    assert choose_language(None, None, "vi;q=0.9, fr;q=0.8").language == "fr"
    assert choose_language(None, None, None).language == "de"
    assert choose_language("xx", "yy", "zz").language == "de"


def test_staff_screens_stay_in_german_or_english() -> None:
    """A counsellor who looked at the applicant pages in Arabic gets the staff screens in the
    language of their browser among German and English, else German."""
    staff = languages_for_path("/staff/desk")
    assert staff == STAFF_LANGUAGES
    assert choose_language(None, "ar", "ar, en;q=0.5", staff).language == "en"
    assert choose_language("fa", None, None, staff).language == "de"
    assert languages_for_path("/login") == STAFF_LANGUAGES
    assert languages_for_path("/staffing") == VISITOR_LANGUAGES
    assert choose_language(None, "ar", None, languages_for_path("/t/abc")).language == "ar"


def test_accept_language_honours_quality() -> None:
    assert parse_accept_language("de;q=0.5, en-GB, ar;q=0") == ["en", "de"]
    assert parse_accept_language("garbage;q=abc, *") == []


def test_visitor_language_maps_regional_tags() -> None:
    assert visitor_language("fa-AF") == "fa"
    assert visitor_language("KU") == "ku"
    assert visitor_language("vi") is None


def test_directions() -> None:
    assert [code for code in VISITOR_LANGUAGES if text_direction(code) == "rtl"] == [
        "ar",
        "fa",
        "ps",
    ]
    assert text_direction("de") == "ltr" and text_direction("??") == "ltr"


def test_plain_text_isolates_left_to_right_only_in_rtl_languages() -> None:
    assert isolate_ltr("K7P-3XQ", "ar") == "\u2066K7P-3XQ\u2069"
    assert isolate_ltr("K7P-3XQ", "de") == "K7P-3XQ"


def _msgids(path: str) -> set[str]:
    with (LOCALES_DIR / path).open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_language_has_a_catalog_that_matches_its_template() -> None:
    """German and English carry everything, the other visitor languages what visitors read;
    a catalog out of step with the sources means `make locales` was not run."""
    everything, visitor = _msgids("messages.pot"), _msgids("visitor.pot")
    assert visitor < everything
    for language in VISITOR_LANGUAGES:
        expected = everything if language in STAFF_LANGUAGES else visitor
        assert _msgids(f"{language}/LC_MESSAGES/messages.po") == expected, language


@pytest.mark.parametrize("language", VISITOR_LANGUAGES)
def test_shipped_catalogs_are_complete(language: str) -> None:
    assert untranslated(LOCALES_DIR, language) == []


SOURCE_DIRS = {"booking", "integrations", "templates"}


@pytest.mark.parametrize(
    ("config", "template"), [("babel.cfg", "messages.pot"), ("babel-visitor.cfg", "visitor.pot")]
)
def test_templates_are_in_step_with_the_sources(config: str, template: str) -> None:
    """A string added to the code or a template without `make locales` would show in English
    to every reader; this names it."""
    root = LOCALES_DIR.parent
    with (root / config).open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]  # babel is untyped

    def inside_sources(path: str) -> bool:
        relative = Path(path).resolve().relative_to(root)
        return relative.parts[0] in SOURCE_DIRS and not relative.name.startswith((".", "__"))

    found = extract_from_dir(
        root,
        method_map,
        options_map,
        keywords={**DEFAULT_KEYWORDS, "N_": None},
        directory_filter=inside_sources,
    )
    extracted = {
        message if isinstance(message, str) else message[0] for _f, _l, message, *_ in found
    }
    assert sorted(extracted ^ _msgids(template)) == []
