from __future__ import annotations

from flask_babel import LazyString, format_number, get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from protect.agendas.models import AUDIENCES
from protect.core.forms import CLOSE_TAG, MARKDOWN_HELP, OPTION, SELECTED_OPTION, VersionField, choices, written_options
from protect.core.i18n import N_
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
    message = LazyString(lambda: gettext("At most %(num)s characters.", num=format_number(limit)))
    return Length(max=limit, message=message)


def _with_markdown_help(text: str) -> LazyString:
    """A field's help followed by the Markdown hint, both in the reader's language."""
    return LazyString(lambda: gettext(text) + " " + gettext(str(MARKDOWN_HELP)))


class PageForm(FlaskForm):
    title = StringField(
        lazy_gettext("Public title"),
        validators=[DataRequired(lazy_gettext("Enter the title the public sees.")), _at_most(TITLE_MAX)],
    )
    summary = TextAreaField(
        lazy_gettext("Summary"),
        validators=[Optional(), _at_most(SUMMARY_MAX)],
        description=lazy_gettext(
            "One or two sentences. Shown in the list of trainings and when a link is shared in mail or chat."
        ),
    )
    description = TextAreaField(
        lazy_gettext("Description"),
        validators=[Optional(), _at_most(DESCRIPTION_MAX)],
        description=_with_markdown_help(N_("What the training covers and what participants learn.")),
    )
    how_to_take_part = TextAreaField(
        lazy_gettext("How to take part"),
        validators=[Optional(), _at_most(TAKE_PART_MAX)],
        description=_with_markdown_help(N_("Who can come, costs, travel support, and whom to contact.")),
    )
    audiences = SelectMultipleField(
        lazy_gettext("Target audiences"), choices=choices(AUDIENCES.items()), validate_choice=True
    )
    language = StringField(lazy_gettext("Working language"), validators=[Optional(), _at_most(LANGUAGE_MAX)])
    venue = StringField(lazy_gettext("Venue"), validators=[Optional(), _at_most(VENUE_MAX)])
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
    comment = TextAreaField(lazy_gettext("Comment"), validators=[Optional(), _at_most(COMMENT_MAX)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        lazy_gettext("Reason for withdrawing"),
        validators=[DataRequired(lazy_gettext("Give a reason: visitors of the page read it.")), _at_most(COMMENT_MAX)],
        description=lazy_gettext("Visitors who open the page's address read this reason."),
    )
    keep_releases = BooleanField(
        lazy_gettext("Keep the earlier releases readable at their permanent addresses"),
        description=lazy_gettext("Otherwise they answer, like the page, that it was withdrawn, with your reason."),
    )


# The public list's filters are a plain GET form (no WTForms: nothing is validated, the view reads the arguments
# itself). Their options change only with the language, so they are written once per language, as WTForms would.
SEARCH_MAX = 100


def country_options() -> Markup:
    return written_options(
        ("programme-countries", str(get_locale())),
        lambda: [("", gettext("All countries"))] + [(code, str(name)) for code, name in COUNTRY_CHOICES],
    )


def audience_options() -> Markup:
    return written_options(
        ("programme-audiences", str(get_locale())),
        lambda: [("", gettext("All audiences"))] + [(key, gettext(str(name))) for key, name in AUDIENCES.items()],
    )


def chosen(options: Markup, value: str | None) -> Markup:
    """``options`` with the one whose value is ``value`` selected (none when no option has that value)."""
    if value is None:
        return options
    value = escape(value)
    return options.replace(OPTION + value + CLOSE_TAG, SELECTED_OPTION + value + CLOSE_TAG, 1)


class RegistrationForm(FlaskForm):
    name = StringField(
        lazy_gettext("Your name"), validators=[DataRequired(lazy_gettext("Enter your name.")), _at_most(120)]
    )
    email = EmailField(
        lazy_gettext("Email address"),
        validators=[
            DataRequired(lazy_gettext("Enter your email address.")),
            Email(lazy_gettext("Enter a valid email address.")),
            _at_most(254),
        ],
        description=lazy_gettext("We write to this address about the training only."),
    )
    organisation = StringField(lazy_gettext("Organisation"), validators=[Optional(), _at_most(200)])
    country = SelectField(
        lazy_gettext("Country where you work"),
        choices=choices([("", lazy_gettext("Choose a country"))] + COUNTRY_CHOICES),
        validators=[DataRequired(lazy_gettext("Choose the country where you work."))],
        validate_choice=False,
    )
    sector = SelectField(
        lazy_gettext("Sector"),
        choices=choices([("", lazy_gettext("Choose a sector"))] + SECTOR_CHOICES),
        validators=[DataRequired(lazy_gettext("Choose your sector."))],
        validate_choice=False,
    )
    message = TextAreaField(
        lazy_gettext("Message (optional)"),
        validators=[Optional(), _at_most(MESSAGE_MAX)],
        description=lazy_gettext("For example what you hope to learn, or whether you need interpretation."),
    )
    consent = BooleanField(
        lazy_gettext("I agree that my details are stored for this purpose"),
        validators=[DataRequired(lazy_gettext("Tick the box to agree that we store your details for this purpose."))],
    )
    # A field people never see or fill in; bots that fill every field give themselves away.
    website = StringField(lazy_gettext("Leave this field empty"), validators=[Optional()])

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
