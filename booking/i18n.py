"""Translations: catalogs read from locales/*.po at start, and the choice of the reader's language.

The .po files are compiled in memory when the service starts, so a fresh clone needs no build
step and a translation can never be stale against its catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "de"
# What visitors read (applicant pages, their mails, tickets, the status page, the display) is in
# the languages in which local advice is offered; staff screens are in German and English.
VISITOR_LANGUAGES = ("de", "en", "ar", "fa", "uk", "ru", "tr", "ku", "ps", "ti", "so", "fr", "sq")
STAFF_LANGUAGES = ("de", "en")
STAFF_PATHS = ("/staff", "/login")  # the sign-in page is the staff's first screen


def visitor_language(code: str) -> str | None:
    """The visitor language a language code maps to ("fa-AF" -> "fa"), or None."""
    primary = _primary(code)
    return primary if primary in VISITOR_LANGUAGES else None


def languages_for_path(path: str) -> tuple[str, ...]:
    """Staff screens offer only the staff languages, even to a reader whose cookie says Arabic."""
    if any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_PATHS):
        return STAFF_LANGUAGES
    return VISITOR_LANGUAGES


def load_translations(locales_dir: Path = LOCALES_DIR) -> dict[str, NullTranslations]:
    catalogs: dict[str, NullTranslations] = {}
    for language in VISITOR_LANGUAGES:
        po_file = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_file.exists():
            catalogs[language] = NullTranslations()
            continue
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[language] = Translations(fp=buffer, domain=DOMAIN)
    return catalogs


def text_direction(language: str) -> str:
    try:
        return "rtl" if Locale.parse(language.replace("-", "_")).text_direction == "rtl" else "ltr"
    except (ValueError, TypeError):
        return "ltr"


def isolate_ltr(text: object, language: str) -> str:
    """Plain text has no <bdi>: in a right-to-left language, times, rooms, references and
    addresses are wrapped in LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE so that their
    characters keep their order and do not reorder the sentence around them."""
    return f"\u2066{text}\u2069" if text_direction(language) == "rtl" else str(text)


def time_format(language: str) -> str:
    """How a clock time is written: 24-hour HH:mm in every language, as the immigration office's
    letter writes it. Locale formats with a day period ("8:00 GH" in Somali, "2:00 ድ.ቀ." in
    Tigrinya, "2:00 م" in Arabic, which also runs backwards inside a left-to-right isolate) would
    not match the letter and make time buttons wrap."""
    return "HH:mm"


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-")[0].lower()


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags by preference (q-values honoured, order kept on ties)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, _primary(tag)))
    return [tag for _q, _i, tag in sorted(ranked)]


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    remember: bool  # the reader asked for it explicitly: keep it in a cookie
    chosen: bool = False  # asked for now or earlier (?lang=, the cookie), not just the browser's


def booked_language(choice: LanguageChoice, booking_language: str) -> str:
    """The language of a page about one booking: the one it was booked in, whatever the phone's
    Accept-Language says (a family's shared phone, a mail opened on another device), unless
    the reader chose one on the pages."""
    if choice.chosen:
        return choice.language
    return visitor_language(booking_language) or choice.language


def choose_language(
    query: str | None,
    cookie: str | None,
    accept_language: str | None,
    supported: Iterable[str] = VISITOR_LANGUAGES,
) -> LanguageChoice:
    """?lang= first, then the cookie, then Accept-Language, then German."""
    available = tuple(supported)
    if query and _primary(query) in available:
        return LanguageChoice(_primary(query), remember=True, chosen=True)
    if cookie and _primary(cookie) in available:
        return LanguageChoice(_primary(cookie), remember=False, chosen=True)
    for tag in parse_accept_language(accept_language or ""):
        if tag in available:
            return LanguageChoice(tag, remember=False)
    return LanguageChoice(DEFAULT_LANGUAGE, remember=False)


def untranslated(catalogs_dir: Path, language: str) -> list[str]:
    """msgids of a shipped catalog that have no translation (the completeness test uses it)."""
    with (catalogs_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(str(message.id))
    return missing
