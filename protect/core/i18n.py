"""The interface's languages (Flask-Babel) and which one a request is answered in.

The language of a request, first that applies: ``?lang=`` in the address (the public pages' ``hreflang``
alternates use it), the signed-in member's choice in their profile, the ``lang`` cookie that the language
switch sets for visitors, the browser's ``Accept-Language``, English. The time zone is the member's (their
profile), else the project's default; an agenda is shown in its training's own zone by passing that zone.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from protect.core.timefmt import DEFAULT_TIME_ZONE

# The interface's languages: code → the language's own name (a language is offered in its own name, so the
# switch needs no translation). English is the source language of every message.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "da": "Dansk",
    "de": "Deutsch",
    "et": "Eesti",
    "is": "Íslenska",
    "lv": "Latviešu",
    "lt": "Lietuvių",
    "nb": "Norsk bokmål",
    "pl": "Polski",
    "ru": "Русский",
    "fi": "Suomi",
    "sv": "Svenska",
}
SOURCE_LANGUAGE = "en"
# The language the group writes its documents in (guideline sections, agenda items): text shown in it inside
# an interface in another language is marked with lang="en" for screen readers.
WORKING_LANGUAGE = "en"
# Babel formats English dates the US way ("Dec 7, 2026"); the group is European.
_FORMAT_LOCALE = {"en": "en_GB"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def N_(message: str) -> str:
    """Marks ``message`` for extraction only (gettext's ``gettext_noop``): it is kept in English where it is
    stored and translated with ``gettext`` where it is shown (a flash that is kept in the session, say)."""
    return message


def language_code(value: str | None) -> str | None:
    """``value`` if it names one of the interface's languages (``en-GB`` and ``EN`` count as ``en``)."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def requested_language() -> str:
    """The code of the language this request is answered in (see the module's docstring); outside a request
    (the command line, a service called by a test) the source language."""
    if not has_request_context():
        return SOURCE_LANGUAGE
    chosen = language_code(request.args.get("lang"))
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated:
        chosen = language_code(getattr(current_user, "language", None))
        if chosen:
            return chosen
    chosen = language_code(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default=SOURCE_LANGUAGE) or SOURCE_LANGUAGE


def _select_locale() -> str:
    if not has_request_context():  # the command line, a test's or a job's application context: English
        return _FORMAT_LOCALE[SOURCE_LANGUAGE]
    code = requested_language()
    return _FORMAT_LOCALE.get(code, code)


def _select_timezone() -> str:
    if not has_request_context():
        return DEFAULT_TIME_ZONE
    return getattr(current_user, "time_zone", None) or DEFAULT_TIME_ZONE


def current_language() -> str:
    """The code of the interface's language for this request (``ru``), as ``<html lang>`` and the switch use."""
    return get_locale().language if get_locale() else SOURCE_LANGUAGE


def babel_locale(code: str) -> Locale:
    return Locale.parse(_FORMAT_LOCALE.get(code, code))


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=_select_locale,
        timezone_selector=_select_timezone,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, WORKING_LANGUAGE=WORKING_LANGUAGE, current_language=current_language
    )
