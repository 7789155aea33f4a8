"""The responsible person's list in an item's editor: rendered once per list of members, always current."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from wtforms import Form, SelectField
from wtforms.widgets import Select

from protect.auth.models import User
from protect.core.forms import SharedChoicesSelect, choices, int_or_none
from protect.extensions import db
from tests.agendas.factories import make_event, make_item
from tests.factories import make_user


class _Options(HTMLParser):
    """The select's attributes and its options as (value, label, selected)."""

    def __init__(self) -> None:
        super().__init__()
        self.select: dict[str, str | None] = {}
        self.options: list[tuple[str | None, str, bool]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self.select = dict(attrs)
        elif tag == "option":
            self._open = dict(attrs)
            self.options.append((self._open.get("value"), "", "selected" in self._open))

    def handle_data(self, data):
        if self._open is not None:
            value, label, selected = self.options[-1]
            self.options[-1] = (value, label + data, selected)

    def handle_endtag(self, tag):
        if tag == "option":
            self._open = None


def parsed(html: str) -> _Options:
    parser = _Options()
    parser.feed(str(html))
    return parser


PEOPLE = choices([(None, "Nobody yet"), (1, "Aino <Virtanen>"), (12, 'Jonas "J" & Co'), (2, "Kadri Tamm")])


@pytest.mark.parametrize("data", [None, 1, 12, 2, -1])
def test_the_shared_select_renders_what_wtforms_own_select_renders(data):
    class Shared(Form):
        person = SelectField("Person", coerce=int_or_none, validate_choice=False, widget=SharedChoicesSelect())

    class Plain(Form):
        person = SelectField("Person", coerce=int_or_none, validate_choice=False, widget=Select())

    rendered = []
    for form_class in (Shared, Plain):
        form = form_class(data={"person": data})
        form.person.choices = PEOPLE
        rendered.append(parsed(form.person(class_="wide", **{"aria-invalid": "true"})))
    shared, plain = rendered
    assert shared.options == plain.options
    assert shared.select == plain.select
    assert [selected for _value, _label, selected in shared.options].count(True) == (0 if data == -1 else 1)
    assert ("1", "Aino <Virtanen>", data == 1) in shared.options  # escaped in the HTML, the name as typed


def test_the_options_are_rendered_once_per_list_and_again_for_a_new_list():
    class Shared(Form):
        person = SelectField("Person", coerce=int_or_none, validate_choice=False, widget=SharedChoicesSelect())

    form = Shared(data={"person": 2})
    form.person.choices = PEOPLE
    first = form.person()
    kept = form.person.widget._rendered
    Shared(data={"person": 1}).person.choices = PEOPLE
    assert form.person() == first and form.person.widget._rendered is kept
    form.person.choices = choices([(None, "Nobody yet"), (3, "Someone new")])
    assert ("3", "Someone new", False) in parsed(form.person()).options


def editor_people(client, event, item) -> dict[str, tuple[str, bool]]:
    body = client.htmx("get", f"/events/{event.id}/items/{item.id}/edit").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="responsible_id".*?</select>', body, re.S).group(0)
    return {label: (value, selected) for value, label, selected in parsed(select).options}


def test_the_editor_lists_the_members_as_they_are_now(expert_client, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    item.responsible_id = expert.id
    db.session.commit()
    people = editor_people(expert_client, event, item)
    assert people[expert.display_name] == (str(expert.id), True)
    assert people["Nobody yet"] == ("None", False)
    # A member who joins, one who leaves and one who changes their name show in the next editor opened.
    joined = make_user("expert", display_name="Liis Joined")
    leaving = make_user("expert", display_name="Mart Leaving")
    assert "Mart Leaving" in editor_people(expert_client, event, item)
    db.session.get(User, leaving.id).active = False
    db.session.get(User, joined.id).display_name = "Liis Renamed"
    db.session.commit()
    people = editor_people(expert_client, event, item)
    assert people["Liis Renamed"] == (str(joined.id), False)
    assert "Mart Leaving" not in people and "Liis Joined" not in people
    assert people[expert.display_name] == (str(expert.id), True)
