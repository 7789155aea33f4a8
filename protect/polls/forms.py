from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from protect.core.forms import RowList, choices
from protect.core.regions import COUNTRY_CHOICES, TIME_ZONE_CHOICES
from protect.polls.models import CITY_MAX, DESCRIPTION_MAX, NOTES_MAX, OPTIONS_MAX, QUESTION_MAX, REASON_MAX
from protect.polls.services import too_many_options
from protect.polls.tally import METHOD_LABELS

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class OptionForm(Form):
    """One candidate location (a row of the poll form; a row without a city is left out)."""

    city = StringField(lazy_gettext("City"), validators=[Optional(), Length(max=CITY_MAX)])
    country = SelectField(lazy_gettext("Country"), choices=choices(COUNTRY_CHOICES), default="LV")
    venue_notes = TextAreaField(
        lazy_gettext("Venue notes"),
        validators=[Optional(), Length(max=NOTES_MAX)],
        description=lazy_gettext("Venue, travel, costs: what voters should weigh."),
    )
    proposed_from = DateField(lazy_gettext("Proposed first day"), validators=[Optional()])
    proposed_to = DateField(lazy_gettext("Proposed last day"), validators=[Optional()])
    # One of the candidate location records (polls.locations): its city and country replace the typed ones.
    # Choices are set by the view; the service refuses an id that is not a record.
    location = SelectField(
        lazy_gettext("Or choose a candidate location"),
        choices=choices([("", "")]),
        validate_choice=False,
        default="",
        description=lazy_gettext(
            "Its city, country and venue come from the candidate's record; the results link to it."
        ),
    )


def _at_most_options(_form, field: RowList) -> None:
    """At most OPTIONS_MAX rows with a city: refused beside the locations with every row kept, never cut to the
    first ones (the service says it too)."""
    filled = sum(1 for entry in field.entries if (entry.city.data or "").strip())
    if filled > OPTIONS_MAX:
        raise ValidationError(too_many_options(filled))


class PollForm(FlaskForm):
    question = StringField(
        lazy_gettext("Question"),
        validators=[DataRequired(lazy_gettext("Enter the question voters answer.")), Length(max=QUESTION_MAX)],
        description=lazy_gettext("For example: Where should the spring training take place?"),
    )
    description = TextAreaField(
        lazy_gettext("Background"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=lazy_gettext("Optional. What voters should know. Markdown: **bold**, *italic*, lists, links."),
    )
    method = SelectField(lazy_gettext("Counting method"), choices=choices(METHOD_LABELS.items()), default="irv")
    opens_local = DateTimeLocalField(
        lazy_gettext("Opens"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(lazy_gettext("Enter when voting opens."))],
    )
    closes_local = DateTimeLocalField(
        lazy_gettext("Closes"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(lazy_gettext("Enter when voting closes."))],
    )
    time_zone = SelectField(
        lazy_gettext("Time zone of these times"),
        choices=choices(TIME_ZONE_CHOICES),
        description=lazy_gettext("Everyone sees the times in their own time zone, with the zone named."),
    )
    secret = BooleanField(
        lazy_gettext("Secret ballot"),
        default=True,
        description=lazy_gettext(
            "Nobody, moderators and administrators included, sees who chose what. Untick for an open "
            "ballot, where everyone sees each voter's choice."
        ),
    )
    live_results = BooleanField(
        lazy_gettext("Show running results before the close"),
        default=False,
        description=lazy_gettext(
            "Only for open ballots: with a secret ballot, watching the count change would reveal votes."
        ),
    )
    seats = IntegerField(
        lazy_gettext("Locations to choose"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=OPTIONS_MAX - 1)],
        description=lazy_gettext("Single transferable vote only: how many locations the vote elects, e.g. 3 of 8."),
    )
    quorum_percent = IntegerField(
        lazy_gettext("Quorum: share of members who must vote (%)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
        description=lazy_gettext("Optional. For example 50: at least half of the eligible members."),
    )
    quorum_countries = IntegerField(
        lazy_gettext("Quorum: countries that must be represented among the voters"),
        validators=[Optional(), NumberRange(min=0, max=50)],
        description=lazy_gettext(
            "Optional. For example 8: voters from at least eight of the group's countries. Both parts of a "
            "quorum must be met; an unmet quorum is stated at the close, and the poll is extended or its result "
            "recorded as advisory."
        ),
    )
    options = RowList(
        FormField(OptionForm), label=lazy_gettext("Candidate locations"), min_entries=4, validators=[_at_most_options]
    )
    version = HiddenField()


class ExtendForm(FlaskForm):
    closes_local = DateTimeLocalField(
        lazy_gettext("New closing time"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(lazy_gettext("Enter the new closing time."))],
    )
    time_zone = SelectField(lazy_gettext("Time zone"), choices=choices(TIME_ZONE_CHOICES))
    reason = StringField(
        lazy_gettext("Reason for extending"),
        validators=[
            DataRequired(lazy_gettext("Give the reason; it is shown on the poll page.")),
            Length(min=3, max=REASON_MAX),
        ],
    )


class CloseForm(FlaskForm):
    reason = StringField(
        lazy_gettext("Reason for closing early"),
        validators=[
            DataRequired(lazy_gettext("Give the reason; it is shown on the poll page.")),
            Length(min=3, max=REASON_MAX),
        ],
    )
