from __future__ import annotations

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
from protect.decisions.rules import STATUSES

NOT_A_DATE = "Enter the date as a date, for example 2016-03-15."


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
            raise ValueError(NOT_A_DATE) from error


class LinkField(HiddenField):
    """The id of a linked poll or Guidelines revision (a checkbox on the form; unticked: no link)."""

    def process_formdata(self, valuelist):
        self.data = int_or_none(valuelist[0]) if valuelist else None


class DecisionForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired("Enter a title."), Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters.")],
    )
    text = TextAreaField(
        "What was decided",
        validators=[
            DataRequired("Write down what was decided."),
            Length(max=TEXT_MAX, message=f"At most {TEXT_MAX:,} characters."),
        ],
        description=MARKDOWN_HELP,
    )
    rationale = TextAreaField(
        "Rationale",
        validators=[Optional(), Length(max=TEXT_MAX, message=f"At most {TEXT_MAX:,} characters.")],
        description="Why: the reasons and what was weighed. " + MARKDOWN_HELP,
    )
    tags = StringField(
        "Tags",
        validators=[Optional(), Length(max=600, message="At most 600 characters.")],
        description="Separated by commas, for example: trainings, target groups, Riga.",
    )
    meeting_id = quick_select("Taken at the meeting", coerce=int_or_none, validate_choice=False)
    owner_id = SelectField(
        "Owner", coerce=int_or_none, validate_choice=False, description="Who sees it through.", widget=WrittenSelect()
    )
    due_on = LenientDateField("Due date", validators=[Optional()], description="When it should be implemented.")
    event_id = quick_select("About the training event", coerce=int_or_none, validate_choice=False)
    poll_id = LinkField()
    revision_id = LinkField()

    def setup(self, people, meetings, events) -> DecisionForm:
        self.owner_id.options = member_options(people, "Nobody yet")
        self.meeting_id.choices = choices(
            [(None, "No meeting")] + [(m_id, f"{title} ({starts:%-d %b %Y})") for m_id, title, starts in meetings]
        )
        self.event_id.choices = choices([(None, "No training event")] + [(e.id, e.title) for e in events])
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
    status = quick_select("New status", choices=choices(STATUSES.items()))
    superseded_by_id = quick_select(
        "Superseded by",
        coerce=int_or_none,
        validate_choice=False,
        description="Only when marking it superseded: the decision that replaces it.",
    )
    note = StringField(
        "Note",
        validators=[Optional(), Length(max=NOTE_MAX, message=f"At most {NOTE_MAX} characters.")],
        description="Optional: why, or where it was agreed.",
    )

    def setup(self, allowed: tuple[str, ...], replacements) -> StatusForm:
        self.status.choices = choices((status, STATUSES[status]) for status in allowed)
        self.superseded_by_id.choices = choices(
            [(None, "—")]
            + [(d_id, f"#{d_id} {title} ({STATUSES[status].lower()})") for d_id, title, status in replacements]
        )
        return self


class ActionForm(FlaskForm):
    what = StringField(
        "What is to be done",
        validators=[
            DataRequired("Say what is to be done."),
            Length(max=WHAT_MAX, message=f"At most {WHAT_MAX} characters."),
        ],
    )
    owner_id = SelectField("Who", coerce=int_or_none, validate_choice=False, widget=WrittenSelect())
    due_on = LenientDateField("Due", validators=[Optional()])

    def setup(self, people) -> ActionForm:
        self.owner_id.options = member_options(people, "Nobody yet")
        return self


class MeetingForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired("Enter a title."), Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters.")],
    )
    starts_on = LenientDateField("Date", validators=[InputRequired("Enter the date of the meeting.")])
    starts_time = TimeField(
        "Starts at", validators=[InputRequired("Enter the time the meeting starts (for example 10:00).")]
    )
    time_zone = SelectField(
        "Time zone", choices=choices(TIME_ZONE_CHOICES), description="The zone of the place, or of the chair online."
    )
    place = StringField(
        "Place",
        validators=[Optional(), Length(max=PLACE_MAX, message=f"At most {PLACE_MAX} characters.")],
        description="Venue and city; for an online meeting, the platform (never a password).",
    )
    online = BooleanField("Online meeting")
    attendee_ids = SelectMultipleField("Members who attended", coerce=int, validate_choice=False)
    guests = TextAreaField(
        "Guests",
        validators=[Optional(), Length(max=40 * (GUEST_NAME_MAX + GUEST_ORG_MAX))],
        description="One a line: name, organisation.",
    )
    minutes = TextAreaField(
        "Minutes",
        validators=[Optional(), Length(max=MINUTES_MAX, message=f"At most {MINUTES_MAX:,} characters.")],
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

    q = SearchField("Search", description="Words in titles, texts, rationales and tags.")
    status = quick_select("Status")
    # A name, not a list of every member (hundreds, thousands): typed, it filters as the search does.
    owner = SearchField("Owner", description="A name, or part of one.")
    # Every meeting: the list is written once for each state of the meetings (see ``written_options``).
    meeting = SelectField("Meeting", widget=WrittenSelect())
    tag = quick_select("Tag")
    due_before = StringField("Due before")

    def setup(self, meetings, tags) -> FilterForm:
        self.status.choices = choices([("", "Any status")] + list(STATUSES.items()))
        meetings = tuple(meetings)
        self.meeting.options = written_options(
            ("meetings", meetings),
            lambda: (
                [("", "Any meeting")]
                + [(str(m_id), f"{title} ({starts:%-d %b %Y})") for m_id, title, starts in meetings]
            ),
        )
        self.tag.choices = choices([("", "Any tag")] + [(tag, tag) for tag in tags])
        return self


class ActionFilterForm(FlaskForm):
    """The actions list's filters: a GET form (no CSRF), read by ``services.parse_action_filter``."""

    class Meta:
        csrf = False

    owner = SelectField("Who", widget=WrittenSelect())
    state = quick_select("State")
    overdue = BooleanField("Only overdue")
    meeting = SelectField(
        "Meeting", widget=WrittenSelect(), description="Its own actions and those of the decisions taken there."
    )

    def setup(self, people, meetings) -> ActionFilterForm:
        self.owner.options = member_options(people, "Anyone")
        self.state.choices = choices([("", "Open or done"), ("open", "Open"), ("done", "Done")])
        meetings = tuple(meetings)
        self.meeting.options = written_options(
            ("meetings", meetings),
            lambda: (
                [("", "Any meeting")]
                + [(str(m_id), f"{title} ({starts:%-d %b %Y})") for m_id, title, starts in meetings]
            ),
        )
        return self
