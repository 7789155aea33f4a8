"""Small helpers for WTForms forms shared by the features."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import has_request_context
from flask_babel import get_locale, gettext, lazy_gettext
from markupsafe import Markup, escape
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import Select, html_params

from protect.core.inputs import parse_int
from protect.core.lru import app_cache

MARKDOWN_HELP = lazy_gettext("Markdown: *emphasis*, **bold**, lists with -, links as [text](https://…).")


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``[(value, label), ...]`` as the SelectChoice objects WTForms 3.3 wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def int_or_none(value):
    """Coerce a select's value to an id: empty is None, anything not a whole number an id that exists nowhere
    (-1), which the service then refuses beside the field instead of a 500."""
    if value in (None, "", "None"):
        return None
    number = parse_int(value, minimum=1)
    return -1 if number is None else number


class VersionField(HiddenField):
    """The version an edit began from (compare-and-set). Anything but a whole number becomes None."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = parse_int(self.data, minimum=1)


def version_required(_form, field) -> None:
    if field.data is None or field.data < 1:
        raise ValidationError(
            gettext("The form does not say which version it began from. Reload the page and edit again.")
        )


# The markup of an <option>, as WTForms writes it.
OPTION, SELECTED_OPTION = Markup('<option value="'), Markup('<option selected value="')
CLOSE_TAG, END_OPTION = Markup('">'), Markup("</option>")

OPTIONS_CACHE_MAX = 32


def written_options(key: tuple, pairs: Callable[[], Iterable[tuple[str, str]]]) -> Markup:
    """The ``<option>``s of ``pairs()`` (value, label), written once for each distinct ``key``: the rows they are
    written from, so a new or renamed meeting or member is another key and no outdated list is ever served; the
    least recently used lists are forgotten. The labels may be in the reader's language: the key holds it."""
    return app_cache("options", OPTIONS_CACHE_MAX).get_or_compute(
        (str(get_locale()) if has_request_context() else "", *key),
        lambda: Markup("").join(
            OPTION + escape(value) + CLOSE_TAG + escape(label or value) + END_OPTION for value, label in pairs()
        ),
    )


def member_options(people: Iterable, nobody: str) -> Markup:
    """The options to choose a member from (``people``: rows of id and display_name), first ``nobody`` (the
    empty value). Lists of members are long (thousands): written once per list (WTForms took 50 ms)."""
    people = tuple(people)
    return written_options(
        ("members", nobody, people),
        lambda: [("", nobody)] + [(str(person.id), person.display_name) for person in people],
    )


class WrittenSelect(Select):
    """A single select whose options come written (``field.options``, from ``written_options``): only the
    chosen one is marked for this request. The markup is WTForms' own, option for option."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        value = escape("" if field.data is None else field.data)
        options = field.options.replace(OPTION + value + CLOSE_TAG, SELECTED_OPTION + value + CLOSE_TAG, 1)
        params = Markup(html_params(name=field.name, **kwargs))  # noqa: S704 - html_params escapes every value
        return Markup("<select ") + params + Markup(">") + options + Markup("</select>")
