"""The fixed words of the domain: topic codes and how language codes are written."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


TOPICS: dict[str, str] = {
    "forms": N_("Applications and forms"),
    "education": N_("School, training and studies"),
    "family": N_("Family life"),
    "housing": N_("Housing"),
    "leisure": N_("Family and leisure offers"),
    "work": N_("Work and finding a job"),
    "health": N_("Health"),
    "other": N_("Something else"),
}

# Offered when nobody on duty speaks the language asked for.
FALLBACK_LANGUAGES = ("de", "en")

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$")


def normalise_language(code: str) -> str | None:
    """A BCP 47 tag in its usual spelling (``de``, ``fa-AF``), or None if it is not one."""
    code = code.strip()
    if not _BCP47.match(code):
        return None
    primary, *rest = code.split("-")
    parts = [primary.lower()]
    for part in rest:
        parts.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part)
    return "-".join(parts)


def language_word(code: str, in_language: str) -> str:
    """The language's name as it stands inside a sentence of the reader's language ("en
    allemand", "in German"), falling back to the code itself."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
        name = locale.get_display_name(Locale.parse(in_language.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return code
    return name or code


def language_name(code: str, in_language: str) -> str:
    """The language's name as a label or menu entry: capitalised ("Allemand", "Deutsch")."""
    name = language_word(code, in_language)
    return name[:1].upper() + name[1:]


def native_language_name(code: str) -> str:
    return language_name(code, code)


# Languages offered in the choice even when nobody at the location speaks them, so that an
# applicant can say what they need and be told honestly (the Salzgitter list: 13 and more).
COMMON_LANGUAGES = (
    "de",
    "en",
    "ar",
    "fa",
    "uk",
    "ru",
    "tr",
    "ku",
    "ps",
    "ti",
    "so",
    "fr",
    "sq",
)

STATUS_LABELS: dict[str, str] = {
    "booked": N_("Booked"),
    "cancelled": N_("Cancelled"),
    "attended": N_("Attended"),
    "no_show": N_("Did not come"),
}

ONLINE = "online"
WALK_IN = "walk_in"
FOLLOW_UP = "follow_up"


# The walk-in priority reasons (booking/queue.py's PRIORITY_REASONS) as reception, the desk and the
# ticket name them: one list for all (also in the visitor catalogs).
PRIORITY_LABELS: dict[str, str] = {
    "children": N_("Small children"),
    "disability": N_("Disability"),
    "pregnancy": N_("Pregnancy"),
    "deadline": N_("Urgent deadline"),
}
