"""Small helpers for WTForms forms shared by the features."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from protect.core.inputs import parse_int

MARKDOWN_HELP = "Markdown: *emphasis*, **bold**, lists with -, links as [text](https://…)."


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
        raise ValidationError("The form does not say which version it began from. Reload the page and edit again.")
