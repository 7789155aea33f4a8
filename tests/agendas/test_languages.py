"""The agendas in the reader's language: the pages answer in the language asked for, every interface text is
a message of the catalogue (flashes, rule messages, the calendar file's headings, audit summaries, the labels of
kinds and audiences), the days are dated in that language, and the group's own text (agenda item titles and
notes, the event's title and description) is marked as English inside an interface in another language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.extensions import db
from tests.agendas.factories import item_form, make_event, make_item

ROOT = Path(__file__).resolve().parents[2]


def test_the_pages_answer_in_the_language_asked_for(expert_client, expert):
    event = make_event(expert)
    make_item(event, expert, 1, "09:00", "10:00", title="Opening")
    for url in ("/events/", f"/events/{event.id}", f"/events/{event.id}/history", f"/events/{event.id}/print"):
        page = expert_client.get(url + "?lang=de").get_data(as_text=True)
        assert '<html lang="de">' in page, url
    # The days are dated in German, and the cached days are kept apart by language (English first, then German).
    english = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    german = expert_client.get(f"/events/{event.id}?lang=de").get_data(as_text=True)
    assert "16 March 2027" in english and "März" not in english
    assert "16. März 2027" in german and "16 March 2027" not in german


def test_a_form_with_errors_answers_in_the_language_asked_for(expert_client, expert):
    response = expert_client.post("/events/new?lang=de", data={"title": "", "city": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page and 'class="field__error"' in page

    event = make_event(expert)
    response = expert_client.post(
        f"/events/{event.id}/items?lang=de", data={**item_form(title=""), "key": "new-1"}, headers={"Accept": "*/*"}
    )
    assert response.status_code == 422
    assert '<html lang="de">' in response.get_data(as_text=True)


def test_the_group_s_own_text_is_marked_english_in_another_interface(expert_client, expert):
    event = make_event(expert, description="Who the training is **for**.")
    item = make_item(event, expert, 1, "09:00", "10:00", title="Hearing the child", notes="Bring *cases*.")
    title = f'<h4 class="item__title" lang="en">{item.title}</h4>'
    notes = '<div class="prose" lang="en">'

    russian = expert_client.get(f"/events/{event.id}?lang=ru").get_data(as_text=True)
    assert '<html lang="ru">' in russian
    assert title in russian and notes in russian
    assert f'<h1 lang="en">{event.title}</h1>' in russian
    assert '<div class="event-description prose" lang="en">' in russian
    printed = expert_client.get(f"/events/{event.id}/print?lang=ru").get_data(as_text=True)
    assert f'<span class="print-table__title" lang="en">{item.title}</span>' in printed

    # In English nothing needs saying: the page is English already.
    english = expert_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'<h4 class="item__title">{item.title}</h4>' in english
    assert f"<h1>{event.title}</h1>" in english and 'prose" lang=' not in english


def test_audit_summaries_are_kept_in_english_with_their_values_apart(expert_client, expert):
    event = make_event(expert, title="Riga training")
    expert_client.post(f"/events/{event.id}/items?lang=de", data={**item_form(title="Welcome"), "key": "new-1"})
    added = db.session.execute(select(AuditEvent).where(AuditEvent.action == "agendas.item_added")).scalar_one()
    assert added.summary == "added “%(title)s” to the agenda of “%(event)s”"
    assert added.summary_params == {"title": "Welcome", "event": "Riga training"}
    assert added.text == "added “Welcome” to the agenda of “Riga training”"
    proposed = db.session.execute(select(AuditEvent).where(AuditEvent.action == "agendas.event_proposed")).scalar_one()
    assert proposed.summary == "proposed the training “%(title)s”" and proposed.summary_params == {
        "title": "Riga training"
    }


@pytest.mark.parametrize(
    "message",
    [
        # flashes
        "The training “%(title)s” is proposed. Now draft its agenda.",
        "The event is saved.",
        "The restore is in the history too.",
        # rule violations and the notices of changes
        "“%(title)s” is the first item of day %(day)d already.",
        "%(num)d agenda item is on a day after day %(day)d. Move or delete it first.",
        "%(num)d agenda items are on days after day %(day)d. Move or delete them first.",
        "Someone else saved this item while you were editing it. Nothing was saved yet: your text is kept below "
        "beside the saved text.",
        "Moved “%(title)s” earlier: now %(slot)s.",
        "Enter the start time (for example 09:30).",
        "At most %(max)s characters.",
        "%(hours)d h %(minutes)d min",
        # the calendar file's own headings
        "Speakers or facilitators: %(speakers)s",
        "Responsible expert: %(name)s",
        # audit summaries
        "added “%(title)s” to the agenda of “%(event)s”",
        "marked the training “%(title)s” confirmed",
        "proposed the training “%(title)s”",
        # the labels of the tables other features share (marked with N_)
        "Case study",
        "Child rights advocates",
        "Cancelled",
        # the history, the conflict view, the print view, sr-only text
        "Event proposed",
        "%(num)s changes, newest first: page %(page)d of %(pages)d.",
        "Where your text and the saved text differ. Words only in your text are <ins>underlined</ins>; words only "
        "in the saved text are <del>struck through</del>.",
        "Speakers and responsible expert",
        'Edit<span class="sr-only"> “%(title)s”</span>',
        "%(num)d slot to check",
        "Trainings",
    ],
)
def test_the_interface_texts_are_messages_of_the_catalogue(extracted, message):
    assert message in extracted


def test_no_day_is_dated_by_strftime_in_the_agenda_templates():
    templates = ROOT / "protect" / "templates" / "agendas"
    for path in templates.glob("*.html"):
        assert not re.search(r"strftime\([^)]*%[AaBb]", path.read_text()), path.name
