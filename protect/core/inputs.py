"""What the app accepts from a request before any feature sees it.

- Ids and other whole numbers: ASCII digits only (``"²"`` is a digit to ``str.isdigit`` but not to ``int``)
  and within the databases' 64-bit integer, so an absurd number is "not found" or "not valid", never a 500.
- Text: control characters other than tab and line breaks are removed from every form and query value (a NUL
  byte cannot be stored in PostgreSQL text, and none of them is something a person types).
"""

from __future__ import annotations

import re

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, UnicodeConverter

MAX_INT = 2**63 - 1  # BIGINT, and the largest integer SQLite stores
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_int(value: object, *, minimum: int = 0) -> int | None:
    """``value`` as a whole number in ``minimum``..MAX_INT, or None if it is anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        number = int(value.strip())
    else:
        return None
    return number if minimum <= number <= MAX_INT else None


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value)


class Values(ImmutableMultiDict):
    """Form and query values without control characters (tab and line breaks stay); ``.get(key, type=int)``
    gives the default for a number the database can't hold."""

    def __init__(self, mapping=None) -> None:
        pairs = MultiDict(mapping).items(multi=True) if mapping is not None else ()
        super().__init__([(k, clean_text(v) if isinstance(v, str) else v) for k, v in pairs])

    def get(self, key, default=None, type=None):
        if type is int:
            value = super().get(key)
            if value is None:
                return default
            sign = -1 if value.strip().startswith("-") else 1
            number = parse_int(value.strip().removeprefix("-"))
            return default if number is None else sign * number
        return super().get(key, default, type)


class CleanRequest(Request):
    """A request whose form and query values carry no control characters (tab and line breaks stay) and
    whose ``get(..., type=int)`` stays within the database's integers: Werkzeug builds both with
    ``parameter_storage_class``."""

    parameter_storage_class = Values


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route, bounded: a number too large for the database matches no route (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """``<name>`` and ``<string:name>`` in every route: no control characters, so ``/programme/a%00b`` matches no
    route (404) instead of reaching the database (PostgreSQL cannot even compare text holding a NUL)."""

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes bind their converters when they are added."""
    app.request_class = CleanRequest
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
