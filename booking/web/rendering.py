"""HTML rendering: one Jinja environment per language, so translations never leak between
concurrent requests, and the helpers that format dates and times for the reader."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from booking.i18n import isolate_ltr, languages_for_path, text_direction, time_format
from booking.staff_vocabulary import CHANNEL_LABELS, REFERRALS, ROLE_LABELS, TICKET_STATUS_LABELS
from booking.vocabulary import (
    STATUS_LABELS,
    TOPICS,
    language_name,
    language_word,
    native_language_name,
)
from booking.web.messages import FIELD_EXAMPLES, FIELD_MESSAGES

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


class Renderer:
    def __init__(self, translations: Mapping[str, NullTranslations], templates_dir: Path) -> None:
        self.translations = dict(translations)
        self.environments: dict[str, Environment] = {}
        for language, catalog in self.translations.items():
            env = Environment(
                loader=FileSystemLoader(templates_dir),
                autoescape=select_autoescape(["html", "xml"]),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(_helpers(language))
            self.environments[language] = env

    def gettext(self, language: str, message: str) -> str:
        return str(self.translations[language].gettext(message))

    def render_mail(self, language: str, template: str, context: Mapping[str, Any]) -> str:
        """A mail part (``.txt`` plain, ``.html`` escaped) in ``language``, without a request."""
        env = self.environments[language]
        return env.get_template(template).render(
            lang=language, dir=text_direction(language), **context
        )

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        language = request.state.language
        env = self.environments[language]

        def switch_language(code: str) -> str:
            url = request.url.include_query_params(lang=code)
            return f"{url.path}?{url.query}"

        body = env.get_template(template).render(
            request=request,
            lang=language,
            dir=text_direction(language),
            demo=request.app.state.settings.demo,
            switch_language=switch_language,
            page_languages=languages_for_path(request.url.path),
            **(context or {}),
        )
        return HTMLResponse(body, status_code=status_code)


def _helpers(language: str) -> dict[str, Any]:
    def time_(moment: datetime, zone: Any) -> str:
        return format_time(moment, format=time_format(language), tzinfo=zone, locale=language)

    def date_(moment: datetime, zone: Any) -> str:
        return format_date(moment.astimezone(zone), format="full", locale=language)

    def day_(day: date) -> str:
        return format_date(day, format="full", locale=language)

    def number(value: float, places: int = 1, sign: bool = False) -> str:
        value = round(value, places) + 0.0  # no "-0.00"
        text = format_decimal(value, format=f"#,##0.{'0' * places}", locale=language)
        return f"+{text}" if sign and value > 0 else text

    def query(params: Mapping[str, Any], **extra: Any) -> str:
        merged = {**params, **extra}
        return urlencode({k: v for k, v in merged.items() if v not in (None, "")})

    return {
        "format_time": time_,
        "format_date": date_,
        "format_day": day_,
        "format_number": number,
        "query": query,
        # Arabic, Persian and Pashto write the Arabic comma between a date and a time.
        "comma": "، " if text_direction(language) == "rtl" else ", ",
        "topics": TOPICS,
        "status_labels": STATUS_LABELS,
        "ticket_status_labels": TICKET_STATUS_LABELS,
        "role_labels": ROLE_LABELS,
        "referrals": REFERRALS,
        "channel_labels": CHANNEL_LABELS,
        "language_name": lambda code: language_name(code, language),
        "language_word": lambda code: language_word(code, language),
        "native_language_name": native_language_name,
    }


def render(
    request: Request, template: str, context: Mapping[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render with the application's renderer, in the request's language."""
    renderer: Renderer = request.app.state.renderer
    return renderer.render(request, template, context, status_code)


def field_message(request: Request, code: str) -> str:
    """A form field's message (booking/web/messages.py) in the request's language, with its
    examples isolated left to right."""
    language = getattr(request.state, "language", "de")
    text = translate(request, FIELD_MESSAGES[code])
    if "%(" not in FIELD_MESSAGES[code]:
        return text
    return text % {name: isolate_ltr(value, language) for name, value in FIELD_EXAMPLES.items()}


def translate(request: Request, message: str) -> str:
    """One message in the request's language (German if the language is not yet known)."""
    renderer: Renderer = request.app.state.renderer
    return renderer.gettext(getattr(request.state, "language", "de"), message)
