"""The interface's messages as the catalogues translate them, for tests that check a page or a file is really in
the language asked for: the expected text is read from ``protect/translations`` (as ``make translations``
compiles it), never written out in the test."""

from __future__ import annotations

from functools import cache

from babel.support import Translations

from protect.core.i18n import TRANSLATIONS


@cache
def _catalogue(code: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [code])


def tr(code: str, message: str, **values) -> str:
    """``message`` in the language ``code``, its ``%(name)s`` placeholders filled with ``values``; the message
    must be translated (a test of a translated page proves nothing with the English standing in for it)."""
    translated = _catalogue(code).gettext(message)
    assert translated != message, f"{message!r} has no translation in {code!r}"
    return translated % values if values else translated


def ntr(code: str, singular: str, plural: str, n: int, **values) -> str:
    """The singular or plural form of a message for ``n`` in the language ``code`` (its plural rule), filled with
    ``num=n`` and ``values`` as Flask-Babel's ``ngettext`` does."""
    translated = _catalogue(code).ngettext(singular, plural, n)
    assert translated not in (singular, plural), f"{singular!r} has no translation in {code!r}"
    return translated % {"num": n, **values}
