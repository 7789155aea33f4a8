"""Small helpers for WTForms forms shared by the features."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import Select, html_params

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


class SharedChoicesSelect(Select):
    """A single select for a long list of choices that requests share (the group's members, the same list
    object until the members change): its options are rendered once per list, and the chosen one is marked by
    its value as text. WTForms renders every option anew: an agenda item's editor with 2,000 members to choose
    from took 50 ms to render."""

    def __init__(self) -> None:
        super().__init__(multiple=False)
        self._rendered: tuple[object, str] | None = None  # (the choices, their options' HTML)

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        if field.flags.required and "required" not in kwargs:
            kwargs["required"] = True
        choices = field.choices
        rendered = self._rendered
        if rendered is None or rendered[0] is not choices:
            options = "".join(
                f'<option value="{escape(choice.value)}">{escape(choice.label)}</option>' for choice in choices
            )
            self._rendered = rendered = (choices, options)
        chosen = f'<option value="{escape(field.data)}">'
        options = rendered[1].replace(chosen, chosen[:-1] + " selected>", 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704 - escaped above
