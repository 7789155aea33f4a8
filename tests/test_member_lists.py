"""The lists of members to choose from (an agenda item's responsible person, a decision's or an action's
owner): written once per list of members, always current, the chosen one marked."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask_wtf import FlaskForm
from wtforms import SelectField

from protect.auth import services as auth_services
from protect.auth.models import User
from protect.core.forms import WrittenSelect, int_or_none, member_options
from protect.extensions import db
from tests.agendas.factories import make_event, make_item
from tests.decisions.factories import make_decision
from tests.factories import make_user


class _Options(HTMLParser):
    """A select's options as {label: (value, selected)}."""

    def __init__(self) -> None:
        super().__init__()
        self.options: dict[str, tuple[str | None, bool]] = {}
        self._open: tuple[str | None, bool] | None = None
        self._label = ""

    def handle_starttag(self, tag, attrs):
        if tag == "option":
            found = dict(attrs)
            self._open, self._label = (found.get("value"), "selected" in found), ""

    def handle_data(self, data):
        if self._open is not None:
            self._label += data

    def handle_endtag(self, tag):
        if tag == "option" and self._open is not None:
            self.options[self._label] = self._open
            self._open = None


def options_of(html: str, name: str) -> dict[str, tuple[str | None, bool]]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert select is not None, f"no select named {name}"
    parser = _Options()
    parser.feed(select.group(0))
    return parser.options


def test_the_options_are_written_once_per_list_and_mark_the_chosen_member(app):
    people = (auth_services.Member(7, 'Ø <b>"Bold"</b> & co'), auth_services.Member(12, "Kadri Tamm"))

    class Form(FlaskForm):
        class Meta:
            csrf = False

        owner = SelectField("Owner", coerce=int_or_none, validate_choice=False, widget=WrittenSelect())

    written = member_options(people, "Nobody yet")
    assert member_options(tuple(people), "Nobody yet") is written  # the same list: written once
    assert member_options((*people, auth_services.Member(3, "New")), "Nobody yet") is not written
    with app.test_request_context():
        for chosen, expected in ((None, "Nobody yet"), (7, 'Ø <b>"Bold"</b> & co'), (12, "Kadri Tamm"), (-1, None)):
            form = Form(formdata=None, data={"owner": chosen})
            form.owner.options = written
            html = str(form.owner())
            options = options_of(html, "owner")
            assert list(options) == ["Nobody yet", 'Ø <b>"Bold"</b> & co', "Kadri Tamm"]
            assert options["Nobody yet"][0] == "" and options["Kadri Tamm"][0] == "12"
            assert [label for label, (_value, selected) in options.items() if selected] == (
                [expected] if expected else []
            )
            assert "<b>" not in html  # names are escaped


def test_the_agenda_editor_lists_the_members_as_they_are_now(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    item.responsible_id = expert.id
    db.session.commit()

    def editor() -> dict[str, tuple[str | None, bool]]:
        response = expert_client.htmx("get", f"/events/{event.id}/items/{item.id}/edit")
        return options_of(response.get_data(as_text=True), "responsible_id")

    people = editor()
    assert people[expert.display_name] == (str(expert.id), True)
    assert people["Nobody yet"] == ("", False)
    # A member who joins, one who leaves and one who changes their name show in the next editor opened.
    joined = make_user("expert", display_name="Liis Joined")
    leaving = make_user("expert", display_name="Mart Leaving")
    assert "Mart Leaving" in editor()
    db.session.get(User, leaving.id).active = False
    db.session.get(User, joined.id).display_name = "Liis Renamed"
    db.session.commit()
    people = editor()
    assert people["Liis Renamed"] == (str(joined.id), False)
    assert "Mart Leaving" not in people and "Liis Joined" not in people
    assert people[expert.display_name] == (str(expert.id), True)


def test_the_decision_forms_list_the_members_as_they_are_now(expert_client, expert):
    decision = make_decision(expert, owner_id=expert.id)
    page = expert_client.get(f"/decisions/{decision.id}/edit").get_data(as_text=True)
    assert options_of(page, "owner_id")[expert.display_name] == (str(expert.id), True)
    joined = make_user("expert", display_name="Aino Joined")
    for path in (f"/decisions/{decision.id}", "/decisions/new", f"/decisions/{decision.id}/edit"):
        owners = options_of(expert_client.get(path).get_data(as_text=True), "owner_id")
        assert owners["Aino Joined"] == (str(joined.id), False), path
        assert owners["Nobody yet"][0] == ""
