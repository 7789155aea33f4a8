from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from protect.core.inputs import parse_int
from protect.guidelines.models import (
    BODY_MAX,
    COMMENT_MAX,
    HEADING_MAX,
    REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
)

MARKDOWN_HELP = (
    "Markdown: *emphasis*, **bold**, lists with -, links as [text](https://…). A blank line starts a new paragraph."
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


def _too_long(limit: int, what: str):
    def check(_form, field):
        if field.data and len(field.data) > limit:
            raise ValidationError(f"{what} can be at most {limit:,} characters; this one has {len(field.data):,}.")

    return check


class GuidelineForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired("Enter a title."), Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters.")],
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=2000, message="At most 2,000 characters.")])


class SectionForm(FlaskForm):
    heading = StringField(
        "Heading",
        validators=[
            DataRequired("Enter a heading."),
            Length(max=HEADING_MAX, message=f"At most {HEADING_MAX} characters."),
        ],
    )
    body = TextAreaField(
        "Text of the section",
        validators=[DataRequired("Write the text of the section."), _too_long(BODY_MAX, "A section's text")],
        description=MARKDOWN_HELP,
    )


class ProposalForm(FlaskForm):
    base_revision_id = IntegerHidden()
    body = TextAreaField(
        "Proposed text",
        validators=[
            DataRequired("Write the text of the section: an empty text cannot be proposed."),
            _too_long(BODY_MAX, "A section's text"),
        ],
        description=MARKDOWN_HELP,
    )
    summary = StringField(
        "Why this change",
        validators=[
            DataRequired("Say in a sentence why you propose this change."),
            Length(max=SUMMARY_MAX, message=f"At most {SUMMARY_MAX} characters."),
        ],
        description="A sentence or two for the moderators and the group.",
    )


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired("Give a reason: the author and the group will read it."),
            Length(max=REASON_MAX, message=f"At most {REASON_MAX:,} characters."),
        ],
    )


class RenameForm(FlaskForm):
    version = IntegerHidden()
    heading = StringField(
        "Heading",
        validators=[
            DataRequired("Enter a heading."),
            Length(max=HEADING_MAX, message=f"At most {HEADING_MAX} characters."),
        ],
    )


class CommentForm(FlaskForm):
    paragraph = SelectField("About", validate_choice=False)
    parent_id = IntegerHidden()
    body = TextAreaField(
        "Comment",
        validators=[DataRequired("Write a comment first."), _too_long(COMMENT_MAX, "A comment")],
        description="Markdown works here too.",
    )

    def validate_paragraph(self, field) -> None:
        if self.paragraph_number() == -1:
            raise ValidationError("Choose the revision as a whole or one of its paragraphs.")

    def paragraph_number(self) -> int | None:
        value = (self.paragraph.data or "").strip()
        if value in ("", "0", "None"):
            return None
        number = parse_int(value)
        return -1 if number is None else number


class EditCommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment", validators=[DataRequired("Write a comment first."), _too_long(COMMENT_MAX, "A comment")]
    )


class HideForm(FlaskForm):
    reason = StringField(
        "Why hide it",
        validators=[
            DataRequired("Give a reason: the author and the group will read it."),
            Length(max=REASON_MAX, message=f"At most {REASON_MAX:,} characters."),
        ],
    )
