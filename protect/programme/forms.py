from __future__ import annotations

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from protect.agendas.models import AUDIENCES
from protect.core.forms import CLOSE_TAG, END_OPTION, MARKDOWN_HELP, OPTION, SELECTED_OPTION, VersionField, choices
from protect.core.regions import COUNTRY_CHOICES, SECTOR_CHOICES
from protect.programme.models import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    LANGUAGE_MAX,
    MESSAGE_MAX,
    SUMMARY_MAX,
    TAKE_PART_MAX,
    TITLE_MAX,
    VENUE_MAX,
)


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"At most {limit:,} characters.")


class PageForm(FlaskForm):
    title = StringField(
        "Public title", validators=[DataRequired("Enter the title the public sees."), _at_most(TITLE_MAX)]
    )
    summary = TextAreaField(
        "Summary",
        validators=[Optional(), _at_most(SUMMARY_MAX)],
        description="One or two sentences. Shown in the list of trainings and when a link is shared in mail or chat.",
    )
    description = TextAreaField(
        "Description",
        validators=[Optional(), _at_most(DESCRIPTION_MAX)],
        description="What the training covers and what participants learn. " + MARKDOWN_HELP,
    )
    how_to_take_part = TextAreaField(
        "How to take part",
        validators=[Optional(), _at_most(TAKE_PART_MAX)],
        description="Who can come, costs, travel support, and whom to contact. " + MARKDOWN_HELP,
    )
    audiences = SelectMultipleField("Target audiences", choices=choices(AUDIENCES.items()), validate_choice=True)
    language = StringField("Working language", validators=[Optional(), _at_most(LANGUAGE_MAX)])
    venue = StringField("Venue", validators=[Optional(), _at_most(VENUE_MAX)])
    version = VersionField()

    def values(self) -> dict:
        return {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "how_to_take_part": self.how_to_take_part.data or "",
            "audiences": list(self.audiences.data or []),
            "language": self.language.data or "",
            "venue": self.venue.data or "",
        }


class CommentForm(FlaskForm):
    """Submit, approve, send back: a version and a comment (required only to send back)."""

    version = VersionField()
    comment = TextAreaField("Comment", validators=[Optional(), _at_most(COMMENT_MAX)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reason for withdrawing",
        validators=[DataRequired("Give a reason: visitors of the page read it."), _at_most(COMMENT_MAX)],
        description="Visitors who open the page's address read this reason.",
    )


# The public list's filters are a plain GET form (no WTForms: nothing is validated, the view reads the arguments
# itself). Their options never change, so they are written once, here, as WTForms would write them.
SEARCH_MAX = 100


def _options(pairs: list[tuple[str, str]]) -> Markup:
    return Markup("").join(OPTION + escape(value) + CLOSE_TAG + escape(label) + END_OPTION for value, label in pairs)


COUNTRY_OPTIONS = _options([("", "All countries"), *COUNTRY_CHOICES])
AUDIENCE_OPTIONS = _options([("", "All audiences"), *AUDIENCES.items()])


def chosen(options: Markup, value: str | None) -> Markup:
    """``options`` with the one whose value is ``value`` selected (none when no option has that value)."""
    if value is None:
        return options
    value = escape(value)
    return options.replace(OPTION + value + CLOSE_TAG, SELECTED_OPTION + value + CLOSE_TAG, 1)


class RegistrationForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired("Enter your name."), _at_most(120)])
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."), _at_most(254)],
        description="We write to this address about the training only.",
    )
    organisation = StringField("Organisation", validators=[Optional(), _at_most(200)])
    country = SelectField(
        "Country where you work",
        choices=choices([("", "Choose a country")] + COUNTRY_CHOICES),
        validators=[DataRequired("Choose the country where you work.")],
        validate_choice=False,
    )
    sector = SelectField(
        "Sector",
        choices=choices([("", "Choose a sector")] + SECTOR_CHOICES),
        validators=[DataRequired("Choose your sector.")],
        validate_choice=False,
    )
    message = TextAreaField(
        "Message (optional)",
        validators=[Optional(), _at_most(MESSAGE_MAX)],
        description="For example what you hope to learn, or whether you need interpretation.",
    )
    consent = BooleanField(
        "I agree that my details are stored for this purpose",
        validators=[DataRequired("Tick the box to agree that we store your details for this purpose.")],
    )
    # A field people never see or fill in; bots that fill every field give themselves away.
    website = StringField("Leave this field empty", validators=[Optional()])

    def values(self) -> dict:
        return {
            "name": self.name.data or "",
            "email": self.email.data or "",
            "organisation": self.organisation.data or "",
            "country": self.country.data or "",
            "sector": self.sector.data or "",
            "message": self.message.data or "",
            "consent": bool(self.consent.data),
        }
