from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString, format_number, get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import Select

from protect.core.forms import (
    CLOSE_TAG,
    END_OPTION,
    MARKDOWN_HELP,
    OPTION,
    SELECTED_OPTION,
    VersionField,
    WrittenSelect,
    choices,
    int_or_none,
    member_options,
    version_required,
    written_options,
)
from protect.core.regions import TIME_ZONE_CHOICES
from protect.core.timefmt import format_date
from protect.decisions.models import (
    GUEST_NAME_MAX,
    GUEST_ORG_MAX,
    MINUTES_MAX,
    NOTE_MAX,
    PLACE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    WHAT_MAX,
)
from protect.decisions.rules import STATUSES, status_word

NOT_A_DATE = lazy_gettext("Enter the date as a date, for example 2016-03-15.")


def at_most(limit: int) -> LazyString:
    """A length validator's message, "At most 20,000 characters.", written when it is shown (in the reader's
    language and way of writing numbers)."""
    return lazy_gettext("At most %(max)s characters.", max=LazyString(format_number, limit))


def meeting_label(title: str, starts) -> str:
    """A meeting in a list to choose from: its title and its date in the reader's language."""
    day = starts.date() if isinstance(starts, datetime) else starts  # the day as stored, not moved by a zone
    return gettext("%(title)s (%(date)s)", title=title, date=format_date(day))


class QuickSelect(Select):
    """WTForms' select with plain options written in one step: the same markup, without building each one's
    attributes through ``html_params`` (tens of microseconds an option: lists of meetings and members are long)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        start = SELECTED_OPTION if choice.selected else OPTION
        return start + escape(choice.value) + CLOSE_TAG + escape(choice.label or choice.value) + END_OPTION


def quick_select(label: str, **kwargs) -> SelectField:
    return SelectField(label, widget=QuickSelect(), **kwargs)


class LenientDateField(DateField):
    """A date field whose refusal of "31.02.2016" or "soon" says what to enter."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(NOT_A_DATE)) from error


class LinkField(HiddenField):
    """The id of a linked poll or Guidelines revision (a checkbox on the form; unticked: no link)."""

    def process_formdata(self, valuelist):
        self.data = int_or_none(valuelist[0]) if valuelist else None


class DecisionForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"),
        validators=[DataRequired(lazy_gettext("Enter a title.")), Length(max=TITLE_MAX, message=at_most(TITLE_MAX))],
    )
    text = TextAreaField(
        lazy_gettext("What was decided"),
        validators=[
            DataRequired(lazy_gettext("Write down what was decided.")),
            Length(max=TEXT_MAX, message=at_most(TEXT_MAX)),
        ],
        description=MARKDOWN_HELP,
    )
    rationale = TextAreaField(
        lazy_gettext("Rationale"),
        validators=[Optional(), Length(max=TEXT_MAX, message=at_most(TEXT_MAX))],
        description=lazy_gettext("Why: the reasons and what was weighed. %(markdown)s", markdown=MARKDOWN_HELP),
    )
    tags = StringField(
        lazy_gettext("Tags"),
        validators=[Optional(), Length(max=600, message=at_most(600))],
        description=lazy_gettext("Separated by commas, for example: trainings, target groups, Riga."),
    )
    meeting_id = quick_select(lazy_gettext("Taken at the meeting"), coerce=int_or_none, validate_choice=False)
    owner_id = SelectField(
        lazy_gettext("Owner"),
        coerce=int_or_none,
        validate_choice=False,
        description=lazy_gettext("Who sees it through."),
        widget=WrittenSelect(),
    )
    due_on = LenientDateField(
        lazy_gettext("Due date"), validators=[Optional()], description=lazy_gettext("When it should be implemented.")
    )
    event_id = quick_select(lazy_gettext("About the training event"), coerce=int_or_none, validate_choice=False)
    poll_id = LinkField()
    revision_id = LinkField()

    def setup(self, people, meetings, events) -> DecisionForm:
        self.owner_id.options = member_options(people, gettext("Nobody yet"))
        self.meeting_id.choices = choices(
            [(None, gettext("No meeting"))] + [(m_id, meeting_label(title, starts)) for m_id, title, starts in meetings]
        )
        self.event_id.choices = choices([(None, gettext("No training event"))] + [(e.id, e.title) for e in events])
        return self

    def values(self) -> dict:
        return {
            "title": self.title.data or "",
            "text": self.text.data or "",
            "rationale": self.rationale.data or "",
            "tags": self.tags.data or "",
            "meeting_id": self.meeting_id.data,
            "owner_id": self.owner_id.data,
            "due_on": self.due_on.data,
            "event_id": self.event_id.data,
            "revision_id": self.revision_id.data,
            "poll_id": self.poll_id.data,
        }


class EditDecisionForm(DecisionForm):
    version = VersionField(validators=[version_required])


class StatusForm(FlaskForm):
    status = quick_select(lazy_gettext("New status"), choices=choices(STATUSES.items()))
    superseded_by_id = quick_select(
        lazy_gettext("Superseded by"),
        coerce=int_or_none,
        validate_choice=False,
        description=lazy_gettext("Only when marking it superseded: the decision that replaces it."),
    )
    note = StringField(
        lazy_gettext("Note"),
        validators=[Optional(), Length(max=NOTE_MAX, message=at_most(NOTE_MAX))],
        description=lazy_gettext("Optional: why, or where it was agreed."),
    )

    def setup(self, allowed: tuple[str, ...], replacements) -> StatusForm:
        self.status.choices = choices((status, STATUSES[status]) for status in allowed)
        self.superseded_by_id.choices = choices(
            [(None, "—")]
            + [
                (d_id, gettext("#%(id)s %(title)s (%(status)s)", id=d_id, title=title, status=status_word(status)))
                for d_id, title, status in replacements
            ]
        )
        return self


class ActionForm(FlaskForm):
    what = StringField(
        lazy_gettext("What is to be done"),
        validators=[
            DataRequired(lazy_gettext("Say what is to be done.")),
            Length(max=WHAT_MAX, message=at_most(WHAT_MAX)),
        ],
    )
    owner_id = SelectField(lazy_gettext("Who"), coerce=int_or_none, validate_choice=False, widget=WrittenSelect())
    due_on = LenientDateField(lazy_gettext("Due"), validators=[Optional()])

    def setup(self, people) -> ActionForm:
        self.owner_id.options = member_options(people, gettext("Nobody yet"))
        return self


class MeetingForm(FlaskForm):
    title = StringField(
        lazy_gettext("Title"),
        validators=[DataRequired(lazy_gettext("Enter a title.")), Length(max=TITLE_MAX, message=at_most(TITLE_MAX))],
    )
    starts_on = LenientDateField(
        lazy_gettext("Date"), validators=[InputRequired(lazy_gettext("Enter the date of the meeting."))]
    )
    starts_time = TimeField(
        lazy_gettext("Starts at"),
        validators=[InputRequired(lazy_gettext("Enter the time the meeting starts (for example 10:00)."))],
    )
    time_zone = SelectField(
        lazy_gettext("Time zone"),
        choices=choices(TIME_ZONE_CHOICES),
        description=lazy_gettext("The zone of the place, or of the chair online."),
    )
    place = StringField(
        lazy_gettext("Place"),
        validators=[Optional(), Length(max=PLACE_MAX, message=at_most(PLACE_MAX))],
        description=lazy_gettext("Venue and city; for an online meeting, the platform (never a password)."),
    )
    online = BooleanField(lazy_gettext("Online meeting"))
    attendee_ids = SelectMultipleField(lazy_gettext("Members who attended"), coerce=int, validate_choice=False)
    guests = TextAreaField(
        lazy_gettext("Guests"),
        validators=[
            Optional(),
            Length(max=40 * (GUEST_NAME_MAX + GUEST_ORG_MAX), message=at_most(40 * (GUEST_NAME_MAX + GUEST_ORG_MAX))),
        ],
        description=lazy_gettext("One a line: name, organisation."),
    )
    minutes = TextAreaField(
        lazy_gettext("Minutes"),
        validators=[Optional(), Length(max=MINUTES_MAX, message=at_most(MINUTES_MAX))],
        description=MARKDOWN_HELP,
    )

    def setup(self, people) -> MeetingForm:
        self.attendee_ids.choices = choices((p.id, p.display_name) for p in people)
        return self


class EditMeetingForm(MeetingForm):
    version = VersionField(validators=[version_required])


class FilterForm(FlaskForm):
    """The log's filters: a GET form (no CSRF), read by ``services.parse_filter``; this only renders it."""

    class Meta:
        csrf = False

    q = SearchField(lazy_gettext("Search"), description=lazy_gettext("Words in titles, texts, rationales and tags."))
    status = quick_select(lazy_gettext("Status"))
    # A name, not a list of every member (hundreds, thousands): typed, it filters as the search does.
    owner = SearchField(lazy_gettext("Owner"), description=lazy_gettext("A name, or part of one."))
    # Every meeting: the list is written once for each state of the meetings (see ``written_options``).
    meeting = SelectField(lazy_gettext("Meeting"), widget=WrittenSelect())
    tag = quick_select(lazy_gettext("Tag"))
    due_before = StringField(lazy_gettext("Due before"))

    def setup(self, meetings, tags) -> FilterForm:
        self.status.choices = choices([("", gettext("Any status"))] + list(STATUSES.items()))
        meetings = tuple(meetings)
        # The list is written in the reader's language: the language is part of its key.
        self.meeting.options = written_options(
            ("meetings", str(get_locale()), meetings),
            lambda: (
                [("", gettext("Any meeting"))]
                + [(str(m_id), meeting_label(title, starts)) for m_id, title, starts in meetings]
            ),
        )
        self.tag.choices = choices([("", gettext("Any tag"))] + [(tag, tag) for tag in tags])
        return self


class ActionFilterForm(FlaskForm):
    """The actions list's filters: a GET form (no CSRF), read by ``services.parse_action_filter``."""

    class Meta:
        csrf = False

    owner = SelectField(lazy_gettext("Who"), widget=WrittenSelect())
    state = quick_select(lazy_gettext("State"))
    overdue = BooleanField(lazy_gettext("Only overdue"))
    meeting = SelectField(
        lazy_gettext("Meeting"),
        widget=WrittenSelect(),
        description=lazy_gettext("Its own actions and those of the decisions taken there."),
    )

    def setup(self, people, meetings) -> ActionFilterForm:
        self.owner.options = member_options(people, gettext("Anyone"))
        self.state.choices = choices(
            [("", gettext("Open or done")), ("open", gettext("Open")), ("done", gettext("Done"))]
        )
        meetings = tuple(meetings)
        self.meeting.options = written_options(
            ("meetings", str(get_locale()), meetings),
            lambda: (
                [("", gettext("Any meeting"))]
                + [(str(m_id), meeting_label(title, starts)) for m_id, title, starts in meetings]
            ),
        )
        return self
