from __future__ import annotations

from flask_babel import LazyString, format_number, gettext, lazy_gettext, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from protect.core.i18n import N_
from protect.core.inputs import parse_int
from protect.guidelines.models import (
    BODY_MAX,
    COMMENT_MAX,
    HEADING_MAX,
    REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
)

MARKDOWN_HELP = lazy_gettext(
    "Markdown: *emphasis*, **bold**, lists with -, links as [text](https://…). A blank line starts a new paragraph."
)
# The messages of the length checks: English marked with N_, translated when a check fails.
SECTION_TOO_LONG = N_("A section's text can be at most %(limit)s characters; this one has %(count)s.")
COMMENT_TOO_LONG = N_(
    "A comment can be at most %(limit)s characters; this one has %(count)s. Shorten it or split it into two comments."
)


class IntegerHidden(HiddenField):
    """A hidden id: a whole number, or None for anything else (the service then refuses it)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data in (None, ""):
            self.data = None
        else:
            number = parse_int(self.data, minimum=1)
            self.data = -1 if number is None else number


def _too_long(limit: int, message: str):
    """A check that the text has at most ``limit`` characters; ``message`` (marked with N_) has the
    placeholders ``%(limit)s`` and ``%(count)s``."""

    def check(_form, field):
        if field.data and len(field.data) > limit:
            raise ValidationError(gettext(message, limit=format_number(limit), count=format_number(len(field.data))))

    return check


def _at_most(limit: int) -> LazyString:
    """The message of a ``Length`` check, translated (and its number formatted) when it is shown."""
    return LazyString(lambda: gettext("At most %(limit)s characters.", limit=format_number(limit)))


class GuidelineForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"),
        validators=[DataRequired(lazy_gettext("Enter a title.")), Length(max=TITLE_MAX, message=_at_most(TITLE_MAX))],
    )
    summary = TextAreaField(lazy_gettext("Summary"), validators=[Optional(), Length(max=2000, message=_at_most(2000))])


class SectionForm(FlaskForm):
    heading = StringField(
        lazy_gettext("Heading"),
        validators=[
            DataRequired(lazy_gettext("Enter a heading.")),
            Length(max=HEADING_MAX, message=_at_most(HEADING_MAX)),
        ],
    )
    body = TextAreaField(
        lazy_gettext("Text of the section"),
        validators=[
            DataRequired(lazy_gettext("Write the text of the section.")),
            _too_long(BODY_MAX, SECTION_TOO_LONG),
        ],
        description=MARKDOWN_HELP,
    )


class ProposalForm(FlaskForm):
    base_revision_id = IntegerHidden()
    body = TextAreaField(
        lazy_gettext("Proposed text"),
        validators=[
            DataRequired(lazy_gettext("Write the text of the section: an empty text cannot be proposed.")),
            _too_long(BODY_MAX, SECTION_TOO_LONG),
        ],
        description=MARKDOWN_HELP,
    )
    summary = StringField(
        lazy_gettext("Why this change"),
        validators=[
            DataRequired(lazy_gettext("Say in a sentence why you propose this change.")),
            Length(max=SUMMARY_MAX, message=_at_most(SUMMARY_MAX)),
        ],
        description=lazy_gettext("A sentence or two for the moderators and the group."),
    )


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        lazy_gettext("Reason"),
        validators=[
            DataRequired(lazy_gettext("Give a reason: the author and the group will read it.")),
            Length(max=REASON_MAX, message=_at_most(REASON_MAX)),
        ],
    )


class RenameForm(FlaskForm):
    version = IntegerHidden()
    heading = StringField(
        lazy_gettext("Heading"),
        validators=[
            DataRequired(lazy_gettext("Enter a heading.")),
            Length(max=HEADING_MAX, message=_at_most(HEADING_MAX)),
        ],
    )


class CommentForm(FlaskForm):
    # Translators: what a comment is about (the revision as a whole, or one of its paragraphs).
    paragraph = SelectField(lazy_pgettext("what a comment is about", "About"), validate_choice=False)
    parent_id = IntegerHidden()
    body = TextAreaField(
        lazy_gettext("Comment"),
        validators=[DataRequired(lazy_gettext("Write a comment first.")), _too_long(COMMENT_MAX, COMMENT_TOO_LONG)],
        description=lazy_gettext("Markdown works here too."),
    )

    def validate_paragraph(self, field) -> None:
        if self.paragraph_number() == -1:
            raise ValidationError(gettext("Choose the revision as a whole or one of its paragraphs."))

    def paragraph_number(self) -> int | None:
        value = (self.paragraph.data or "").strip()
        if value in ("", "0", "None"):
            return None
        number = parse_int(value)
        return -1 if number is None else number


class EditCommentForm(FlaskForm):
    body = TextAreaField(
        lazy_gettext("Your comment"),
        validators=[DataRequired(lazy_gettext("Write a comment first.")), _too_long(COMMENT_MAX, COMMENT_TOO_LONG)],
    )


class HideForm(FlaskForm):
    reason = StringField(
        lazy_gettext("Why hide it"),
        validators=[
            DataRequired(lazy_gettext("Give a reason: the author and the group will read it.")),
            Length(max=REASON_MAX, message=_at_most(REASON_MAX)),
        ],
    )
