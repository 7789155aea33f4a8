"""The form of a candidate location (polls.locations)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import FloatField, Form, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from protect.core.forms import choices
from protect.core.regions import COUNTRY_CHOICES, COUNTRY_NAMES
from protect.polls.locations import (
    CITY_MAX,
    COST_MAX,
    DESCRIPTION_MAX,
    GROUP_COUNTRIES,
    LINE_MAX,
    NOTES_MAX,
    VISA_MAX,
)


class VisaForm(Form):
    """One field per country of the group: what its participants need to enter the location's country."""


for _code in GROUP_COUNTRIES:
    setattr(
        VisaForm,
        _code,
        StringField(COUNTRY_NAMES[_code], validators=[Optional(), Length(max=VISA_MAX)]),
    )


class LocationForm(FlaskForm):
    city = StringField(
        lazy_gettext("City"), validators=[DataRequired(lazy_gettext("Enter the city.")), Length(max=CITY_MAX)]
    )
    country = SelectField(lazy_gettext("Country"), choices=choices(COUNTRY_CHOICES), default="LV")
    venue = StringField(
        lazy_gettext("Venue"),
        validators=[Optional(), Length(max=LINE_MAX)],
        description=lazy_gettext("Optional: the building or organisation hosting the training."),
    )
    nearest_hub = StringField(lazy_gettext("Nearest airport or station"), validators=[Optional(), Length(max=LINE_MAX)])
    latitude = FloatField(
        lazy_gettext("Latitude"),
        validators=[Optional(), NumberRange(min=-90, max=90)],
        description=lazy_gettext(
            "Optional, in degrees (e.g. 56.95). Without coordinates the travel estimate uses the country's capital."
        ),
    )
    longitude = FloatField(
        lazy_gettext("Longitude"),
        validators=[Optional(), NumberRange(min=-180, max=180)],
        description=lazy_gettext("Optional, in degrees east (e.g. 24.11)."),
    )
    accessibility = TextAreaField(
        lazy_gettext("Accessibility"),
        validators=[Optional(), Length(max=NOTES_MAX)],
        description=lazy_gettext("Step-free access, lifts, accessible rooms and toilets, hearing loops…"),
    )
    cost_per_participant = IntegerField(
        lazy_gettext("Estimated cost per participant (euros)"),
        validators=[Optional(), NumberRange(min=0, max=COST_MAX)],
        description=lazy_gettext("Travel, two nights and the venue, in whole euros."),
    )
    partner = StringField(lazy_gettext("Local partner organisation"), validators=[Optional(), Length(max=LINE_MAX)])
    description = TextAreaField(
        lazy_gettext("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=lazy_gettext("Optional. Markdown: **bold**, *italic*, lists, links."),
    )
    visa = FormField(VisaForm, label=lazy_gettext("Visa notes for participants from each country"))
    version = HiddenField()
