from __future__ import annotations

from flask_babel import LazyString, format_number, gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from protect.agendas.models import (
    AUDIENCES,
    DAYS_MAX,
    EVENT_STATUSES,
    ITEM_KINDS,
    NOTES_MAX,
    SPEAKERS_MAX,
    TITLE_MAX,
)
from protect.core.forms import VersionField, WrittenSelect, choices, int_or_none, member_options, version_required
from protect.core.regions import COUNTRY_CHOICES, TIME_ZONE_CHOICES


def _at_most(limit: int) -> LazyString:
    """ "At most 20,000 characters.", the number as the reader's language writes it."""
    return LazyString(lambda: gettext("At most %(max)s characters.", max=format_number(limit)))


def _labels(labels: dict[str, str]):
    """A table's (value, English label) pairs with the labels translated when shown."""
    return [(value, LazyString(gettext, text)) for value, text in labels.items()]


class ItemForm(FlaskForm):
    day = SelectField(lazy_gettext("Day"), coerce=int, validators=[InputRequired(lazy_gettext("Choose a day."))])
    start = TimeField(
        lazy_gettext("Start"), validators=[InputRequired(lazy_gettext("Enter the start time (for example 09:30)."))]
    )
    end = TimeField(
        lazy_gettext("End"), validators=[InputRequired(lazy_gettext("Enter the end time (for example 10:15)."))]
    )
    title = StringField(
        lazy_gettext("Title"),
        validators=[DataRequired(lazy_gettext("Enter a title.")), Length(max=TITLE_MAX, message=_at_most(TITLE_MAX))],
    )
    kind = SelectField(lazy_gettext("Kind"), choices=choices(_labels(ITEM_KINDS)), default="plenary")
    speakers = StringField(
        lazy_gettext("Speakers or facilitators"),
        validators=[Optional(), Length(max=SPEAKERS_MAX, message=_at_most(SPEAKERS_MAX))],
    )
    responsible_id = SelectField(
        lazy_gettext("Responsible expert"), coerce=int_or_none, validate_choice=False, widget=WrittenSelect()
    )
    notes = TextAreaField(
        lazy_gettext("Notes"),
        validators=[Optional(), Length(max=NOTES_MAX, message=_at_most(NOTES_MAX))],
        description=lazy_gettext("Markdown: *emphasis*, **bold**, lists with -, links as [text](https://…)."),
    )

    def setup(self, days: int, people=None) -> ItemForm:
        """Choices for this event's days and, when the form is to be shown, the people to choose from."""
        self.day.choices = choices((number, gettext("Day %(num)d", num=number)) for number in range(1, days + 1))
        if people is not None:
            self.responsible_id.options = member_options(people, gettext("Nobody yet"))
        return self

    def values(self) -> dict:
        return {
            "day": self.day.data,
            "start": self.start.data,
            "end": self.end.data,
            "title": self.title.data or "",
            "kind": self.kind.data,
            "speakers": self.speakers.data or "",
            "responsible_id": self.responsible_id.data,
            "notes": self.notes.data or "",
        }


class EditItemForm(ItemForm):
    version = VersionField(validators=[version_required])


class EventForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"),
        validators=[DataRequired(lazy_gettext("Enter a title.")), Length(max=TITLE_MAX, message=_at_most(TITLE_MAX))],
    )
    city = StringField(
        lazy_gettext("City"), validators=[DataRequired(lazy_gettext("Enter the city.")), Length(max=120)]
    )
    country = SelectField(lazy_gettext("Country"), choices=choices(COUNTRY_CHOICES))
    time_zone = SelectField(
        lazy_gettext("Time zone"),
        choices=choices([("", lazy_gettext("From the city and country"))] + TIME_ZONE_CHOICES),
        validate_choice=True,
        description=lazy_gettext(
            "Agenda times are in this zone. Left as it is, it follows the city and country (St Petersburg: Moscow "
            "time)."
        ),
    )
    venue = StringField(lazy_gettext("Venue"), validators=[Optional(), Length(max=300)])
    first_day = DateField(
        lazy_gettext("First day"), validators=[InputRequired(lazy_gettext("Enter the date of the first day."))]
    )
    days = IntegerField(
        lazy_gettext("Number of days"),
        default=2,
        validators=[
            InputRequired(lazy_gettext("Enter the number of days.")),
            NumberRange(1, DAYS_MAX, lazy_gettext("An event has 1 to %(max)d days.", max=DAYS_MAX)),
        ],
    )
    day_start = TimeField(
        lazy_gettext("Each day starts at"), validators=[InputRequired(lazy_gettext("Enter when the days start."))]
    )
    day_end = TimeField(
        lazy_gettext("Each day ends at"), validators=[InputRequired(lazy_gettext("Enter when the days end."))]
    )
    audiences = SelectMultipleField(lazy_gettext("Target audiences"), choices=choices(_labels(AUDIENCES)))
    # The working language is the event's own text (a language's name, as the members write it).
    language = StringField(
        lazy_gettext("Working language"), default="English", validators=[DataRequired(), Length(max=60)]
    )
    capacity = IntegerField(
        lazy_gettext("Capacity"),
        validators=[
            Optional(),
            NumberRange(
                1,
                2000,
                LazyString(
                    lambda: gettext(
                        "Between %(min)s and %(max)s participants.", min=format_number(1), max=format_number(2000)
                    )
                ),
            ),
        ],
    )
    description = TextAreaField(
        lazy_gettext("Description"),
        validators=[Optional(), Length(max=NOTES_MAX, message=_at_most(NOTES_MAX))],
        description=lazy_gettext("Markdown. Who the training is for and what it covers."),
    )
    status = SelectField(lazy_gettext("Status"), choices=choices(_labels(EVENT_STATUSES)), default="proposed")
    version = VersionField()

    def validate_day_end(self, field):
        if self.day_start.data and field.data and field.data <= self.day_start.data:
            raise ValidationError(gettext("The day must end after it starts."))

    def values(self) -> dict:
        return {
            "title": (self.title.data or "").strip(),
            "city": (self.city.data or "").strip(),
            "country": self.country.data,
            "time_zone": self.time_zone.data or "",
            "venue": (self.venue.data or "").strip(),
            "first_day": self.first_day.data,
            "days": self.days.data,
            "day_start": self.day_start.data,
            "day_end": self.day_end.data,
            "audiences": list(self.audiences.data or []),
            "language": (self.language.data or "").strip(),
            "capacity": self.capacity.data,
            "description": (self.description.data or "").replace("\r\n", "\n").strip(),
            "status": self.status.data,
        }


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    country = SelectField(
        lazy_gettext("Country"), choices=choices([("", lazy_gettext("All countries"))] + COUNTRY_CHOICES)
    )
    status = SelectField(
        lazy_gettext("Status"), choices=choices([("", lazy_gettext("Any status")), *_labels(EVENT_STATUSES)])
    )
