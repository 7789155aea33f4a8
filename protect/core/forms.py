"""Small helpers for WTForms forms shared by the features."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import has_request_context
from flask_babel import format_number, get_locale, gettext, lazy_gettext, ngettext
from markupsafe import Markup, escape
from wtforms import FieldList, HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
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


class RowList(FieldList):
    """WTForms' FieldList without its silent cut. FieldList drops the rows past ``max_entries`` and the form then
    saves the others as if nothing more had been sent; this one keeps every row sent, up to ``rows_max``, and
    counts them all in ``rows_sent``. How many rows may count is the form's validators' and the service's rule
    (a ValidationError on the list is shown beside it, with every row shown back as typed).

    ``rows_max`` is a ceiling far above what any page offers (the pages add rows up to the rule's limit), so
    hostile input cannot make thousands of subforms (a 2 MB form could name 100,000 rows); more rows than that
    are refused, not cut. Row numbers are ASCII digits, at most nine (FieldList's ``int(k)`` on ``k.isdigit()``
    was a 500 on "options-²-city")."""

    def __init__(self, unbound_field, *, rows_max: int = 100, **kwargs) -> None:
        super().__init__(unbound_field, max_entries=rows_max, **kwargs)
        self.rows_sent = 0

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        self.rows_sent = len(set(self._extract_indices(self.name, formdata))) if formdata else 0
        super().process(formdata, data, extra_filters)

    def validate(self, form, extra_validators=()) -> bool:
        valid = super().validate(form, extra_validators)
        if self.rows_sent > len(self.entries):
            self.errors.append(
                ngettext(
                    "This list takes at most %(num)d row; the form sent %(count)s.",
                    "This list takes at most %(num)d rows; the form sent %(count)s.",
                    self.max_entries,
                    count=format_number(self.rows_sent),
                )
            )
            return False
        return valid

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 9:
                    yield int(index)

    @property
    def messages(self) -> list[str]:
        """The list's own messages (``errors`` also holds each row's, as dicts or lists)."""
        return [str(error) for error in self.errors if not isinstance(error, dict | list)]


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
