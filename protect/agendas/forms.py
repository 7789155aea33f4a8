from __future__ import annotations

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


class ItemForm(FlaskForm):
    day = SelectField("Day", coerce=int, validators=[InputRequired("Choose a day.")])
    start = TimeField("Start", validators=[InputRequired("Enter the start time (for example 09:30).")])
    end = TimeField("End", validators=[InputRequired("Enter the end time (for example 10:15).")])
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title."),
            Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters."),
        ],
    )
    kind = SelectField("Kind", choices=choices(ITEM_KINDS.items()), default="plenary")
    speakers = StringField(
        "Speakers or facilitators",
        validators=[Optional(), Length(max=SPEAKERS_MAX, message=f"At most {SPEAKERS_MAX} characters.")],
    )
    responsible_id = SelectField(
        "Responsible expert", coerce=int_or_none, validate_choice=False, widget=WrittenSelect()
    )
    notes = TextAreaField(
        "Notes",
        validators=[Optional(), Length(max=NOTES_MAX, message=f"At most {NOTES_MAX:,} characters.")],
        description="Markdown: *emphasis*, **bold**, lists with -, links as [text](https://…).",
    )

    def setup(self, days: int, people=None) -> ItemForm:
        """Choices for this event's days and, when the form is to be shown, the people to choose from."""
        self.day.choices = choices((number, f"Day {number}") for number in range(1, days + 1))
        if people is not None:
            self.responsible_id.options = member_options(people, "Nobody yet")
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
        "Title",
        validators=[DataRequired("Enter a title."), Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters.")],
    )
    city = StringField("City", validators=[DataRequired("Enter the city."), Length(max=120)])
    country = SelectField("Country", choices=choices(COUNTRY_CHOICES))
    time_zone = SelectField(
        "Time zone",
        choices=choices([("", "From the city and country")] + TIME_ZONE_CHOICES),
        validate_choice=True,
        description="Agenda times are in this zone. Left as it is, it follows the city and country "
        "(St Petersburg: Moscow time).",
    )
    venue = StringField("Venue", validators=[Optional(), Length(max=300)])
    first_day = DateField("First day", validators=[InputRequired("Enter the date of the first day.")])
    days = IntegerField(
        "Number of days",
        default=2,
        validators=[
            InputRequired("Enter the number of days."),
            NumberRange(1, DAYS_MAX, f"An event has 1 to {DAYS_MAX} days."),
        ],
    )
    day_start = TimeField("Each day starts at", validators=[InputRequired("Enter when the days start.")])
    day_end = TimeField("Each day ends at", validators=[InputRequired("Enter when the days end.")])
    audiences = SelectMultipleField("Target audiences", choices=choices(AUDIENCES.items()))
    language = StringField("Working language", default="English", validators=[DataRequired(), Length(max=60)])
    capacity = IntegerField(
        "Capacity", validators=[Optional(), NumberRange(1, 2000, "Between 1 and 2,000 participants.")]
    )
    description = TextAreaField(
        "Description",
        validators=[Optional(), Length(max=NOTES_MAX, message=f"At most {NOTES_MAX:,} characters.")],
        description="Markdown. Who the training is for and what it covers.",
    )
    status = SelectField("Status", choices=choices(EVENT_STATUSES.items()), default="proposed")
    version = VersionField()

    def validate_day_end(self, field):
        if self.day_start.data and field.data and field.data <= self.day_start.data:
            raise ValidationError("The day must end after it starts.")

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

    country = SelectField("Country", choices=choices([("", "All countries")] + COUNTRY_CHOICES))
    status = SelectField("Status", choices=choices([("", "Any status")] + list(EVENT_STATUSES.items())))
