"""Search finds the right place for what members wrote, on SQLite's FTS5 and PostgreSQL's text search alike,
and never anything the searcher may not open."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from protect.decisions.models import Decision
from protect.extensions import db
from protect.guidelines import services as guidelines
from protect.polls.models import Poll
from protect.search import services as search
from protect.search.models import SearchEntry
from tests.agendas.factories import make_event, make_item
from tests.conftest import count_queries
from tests.decisions.factories import make_action, make_decision, make_meeting
from tests.factories import make_user
from tests.guidelines.factories import current, make_guideline, make_section
from tests.programme.factories import make_page, published_page


def hits(client, query: str, **params) -> list[str]:
    """The result titles' links on the results page, in order."""
    response = client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200, response.status_code
    return re.findall(r'<h2 class="search-hit__title"><a href="([^"]+)">', response.get_data(as_text=True))


@pytest.fixture
def section(moderator):
    guideline = make_guideline(moderator, sections=0, title="PROTECT Guidelines")
    return make_section(
        moderator,
        guideline,
        "Interviews with children",
        "Interpreters for child interviews are trained in child-friendly methods.\n\n"
        "A child who arrives alone in Gdańsk is met by the social services.",
    )


def test_a_word_in_a_comment_finds_the_comment(expert_client, expert, moderator, section):
    revision = current(section)
    comment = guidelines.add_comment(expert, revision.id, "Could the municipality pay for **interpreters**?")
    found = hits(expert_client, "municipality")
    assert found == [f"/guidelines/revisions/{revision.id}#comment-{comment.id}"]
    page = expert_client.get("/search?q=municipality").get_data(as_text=True)
    assert "<mark>municipality</mark>" in page
    assert "PROTECT Guidelines › §1 Interviews with children" in page


def test_a_phrase_finds_the_guideline_section(expert_client, section):
    assert f"/guidelines/sections/{section.id}" in hits(expert_client, '"child interviews"')
    assert hits(expert_client, '"interviews child"') == []  # a phrase keeps its order


def test_an_agenda_note_finds_its_item_and_a_deleted_item_is_gone(expert_client, expert):
    from protect.agendas import services as agendas

    training = make_event(expert, title="Vilnius 2016")
    item = make_item(training, expert, title="Case clinic", notes="Bring the *Stockholm* case files.")
    assert hits(expert_client, "stockholm") == [f"/events/{training.id}#item-{item.id}"]
    assert hits(expert_client, "stockholm", training=training.id) == [f"/events/{training.id}#item-{item.id}"]
    agendas.delete_item(expert, training.id, item.id)
    assert hits(expert_client, "stockholm") == []
    agendas.undo_delete(expert, training.id, item.id)
    assert len(hits(expert_client, "stockholm")) == 1


def test_a_decision_an_action_and_a_meeting_are_found(expert_client, expert, moderator):
    meeting = make_meeting(moderator, title="Launch meeting", minutes="We discussed the Øresund region.")
    decision = make_decision(expert, title="Hosts", text="The training takes place in Rīga.", tags="venue")
    make_action(expert, decision=decision, what="Book the Riga venue")
    assert f"/decisions/meetings/{meeting.id}" in hits(expert_client, "oresund")
    found = hits(expert_client, "riga")  # "Riga" finds "Rīga" (and the action's "Riga")
    assert f"/decisions/{decision.id}" in found
    assert any(url.startswith(f"/decisions/{decision.id}#action-") for url in found)
    assert hits(expert_client, "venue", kind="decisions") == [f"/decisions/{decision.id}"]  # the tag


def test_accents_stems_and_the_query_syntax(expert_client, expert, section):
    assert hits(expert_client, "Gdansk") == hits(expert_client, "GDAŃSK") != []
    assert hits(expert_client, "interpreter") != []  # the English stem of "interpreters"
    assert hits(expert_client, "interpreters child") != []  # every word must match ...
    assert hits(expert_client, "interpreters nowhere") == []  # ... or nothing is found
    assert hits(expert_client, "interpreters -gdansk") == []  # the only match has the excluded word
    make_decision(expert, title="Interpreters", text="Budget for interpreters.")
    assert len(hits(expert_client, "interpreters -gdansk")) == 1


def test_suggestions_match_the_last_word_as_a_prefix(expert_client, section):
    response = expert_client.get("/search/suggest?q=interpr")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="option"' in page
    assert "Interviews with children" in page and "All results for “interpr”" in page and "data-href=" in page
    assert "Interviews with children" not in expert_client.get("/search/suggest?q=interpr%20").get_data(as_text=True)
    assert expert_client.get("/search/suggest?q=").get_data(as_text=True).strip() == ""


def test_hostile_queries_are_words_not_syntax(expert_client, section):
    for query in [
        '"',
        '"interpreters',
        "interpreters*",
        "NEAR(a b)",
        "a OR b",
        "title:x",
        "(",
        ")",
        "^x",
        "-",
        "--",
        '-"',
        "&",
        "!",
        "a:*",
        "'",
    ]:
        for url in ("/search", "/search/suggest"):
            response = expert_client.get(url, query_string={"q": query})
            assert response.status_code == 200, (url, query, response.status_code)
    long = expert_client.get("/search", query_string={"q": "interpreters " * 500})
    assert long.status_code == 200


def test_excerpts_are_escaped(expert_client, expert, section):
    guidelines.add_comment(expert, current(section).id, "Write `<script>alert(1)</script>` about the budget.")
    page = expert_client.get("/search?q=budget").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_visitors_find_only_published_programme_pages(client, expert, moderator, section):
    training = make_event(expert, title="Tallinn training", city="Tallinn", country="EE")
    draft = make_page(expert, make_event(expert, title="Draft training"), summary="A lighthouse seminar.")
    live = published_page(expert, moderator, training, summary="A lighthouse seminar for police.")
    guidelines.add_comment(expert, current(section).id, "The lighthouse idea is good.")
    assert hits(client, "lighthouse") == [f"/programme/{live.slug}"]
    assert hits(client, "interpreters") == []  # the guidelines are for members
    assert "lighthouse" not in client.get("/search/suggest?q=lightho").get_data(as_text=True).replace(
        f"/programme/{live.slug}", ""
    ).split("All results")[0].lower().replace("lighthouse seminar for police", "")
    assert draft.slug not in client.get("/search?q=lighthouse").get_data(as_text=True)
    assert client.get("/search", query_string={"q": "lighthouse", "author": expert.id}).status_code == 200


def test_a_withdrawn_page_leaves_the_public_index(client, expert, moderator):
    from protect.programme import services as programme

    live = published_page(expert, moderator, make_event(expert), summary="A harbour seminar.")
    assert hits(client, "harbour") == [f"/programme/{live.slug}"]
    programme.withdraw(moderator, live.id, "Cancelled.")
    assert hits(client, "harbour") == []


def test_a_hidden_comment_is_not_found_nor_counted(expert_client, expert, moderator, section):
    comment = guidelines.add_comment(expert, current(section).id, "An insult about the ferry.")
    assert len(hits(expert_client, "ferry")) == 1
    guidelines.hide_comment(moderator, comment.id, "Not respectful.")
    page = expert_client.get("/search?q=ferry").get_data(as_text=True)
    assert "0 results" in page and "insult" not in page
    assert "ferry" not in expert_client.get("/search/suggest?q=ferr").get_data(as_text=True).split("All results")[0]


def test_nothing_in_the_index_tells_how_anyone_voted(expert_client, expert, moderator):
    from protect.polls import services as polls
    from tests.polls.factories import make_poll

    voter = make_user("expert", email="voter@test.example", display_name="Zygmunt Voter")
    poll = make_poll(moderator, question="Where in 2017?", cities=("Gdańsk", "Turku"), secret=True)
    options = db.session.scalars(select(Poll).where(Poll.id == poll.id)).one().options
    polls.cast_ballot(poll.id, voter, [options[0].id])
    assert hits(expert_client, "zygmunt") == []
    bodies = " ".join(db.session.scalars(select(SearchEntry.body)))
    assert "Zygmunt" not in bodies
    assert f"/polls/{poll.id}" in hits(expert_client, "turku")


def test_filters_by_kind_author_and_date_and_a_bad_date_is_refused(expert_client, expert, moderator, section):
    other = make_user("expert", email="other@test.example", display_name="Olga Other")
    mine = guidelines.add_comment(expert, current(section).id, "The ferry from Helsinki.")
    theirs = guidelines.add_comment(other, current(section).id, "The ferry to Tallinn.")
    make_decision(moderator, title="Ferry tickets", text="Paid by the project.")
    assert len(hits(expert_client, "ferry")) == 3
    assert len(hits(expert_client, "ferry", kind="comments")) == 2
    assert hits(expert_client, "ferry", kind="comments", author=other.id)[0].endswith(f"#comment-{theirs.id}")
    assert hits(expert_client, "ferry", author=expert.id)[0].endswith(f"#comment-{mine.id}")
    assert hits(expert_client, "ferry", **{"from": "2100-01-01"}) == []
    today = datetime.now().date().isoformat()
    assert len(hits(expert_client, "ferry", **{"to": "2100-01-01", "from": "2000-01-01"})) == 3
    page = expert_client.get("/search", query_string={"q": "ferry", "kind": "comments"}).get_data(as_text=True)
    assert "Comments <span" in page and ">2</span>" in page  # the kind's count
    bad = expert_client.get("/search", query_string={"q": "ferry", "from": "soon"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter a date as year-month-day" in text and 'value="ferry"' in text
    assert expert_client.get("/search", query_string={"q": "ferry", "kind": "nonsense"}).status_code == 422
    assert today  # (the dates above are far from today on purpose: the test does not depend on the clock)


def test_results_page_through(expert_client, expert):
    for n in range(25):
        make_decision(expert, title=f"Lantern decision {n}", text="About lanterns.")
    first = hits(expert_client, "lantern")
    second = hits(expert_client, "lantern", page=2)
    assert len(first) == 20 and len(second) == 5 and not set(first) & set(second)
    page = expert_client.get("/search?q=lantern").get_data(as_text=True)
    assert "25 results" in page and 'rel="next"' in page and "Page 1 of 2" in page
    assert len(hits(expert_client, "lantern", page=99)) == 5  # past the end: the last page


def test_a_search_costs_few_statements_whatever_the_data(expert_client, expert, section):
    def cost(query: str) -> int:
        expert_client.get("/search", query_string={"q": query})  # warm: the session check's first write
        with count_queries() as statements:
            assert expert_client.get("/search", query_string={"q": query}).status_code == 200
        return len(statements)

    small = cost("interpreters")
    for n in range(30):
        make_decision(expert, title=f"Interpreters {n}", text="Interpreters again.")
    assert cost("interpreters") == small <= 4
    with count_queries() as statements:
        expert_client.get("/search/suggest?q=interp")
    assert len(statements) <= 3


def test_the_decision_log_filter_runs_on_the_index(expert_client, expert):
    decision = make_decision(expert, title="Hosts", text="Settled: Klaipėda.")
    other = make_decision(expert, title="Budget", text="Settled later.")
    for query in ("klaipeda", "hosting settle"):  # accents, and stems: "hosting" finds "Hosts"
        page = expert_client.get("/decisions/", query_string={"q": query}).get_data(as_text=True)
        assert f'href="/decisions/{decision.id}"' in page and f'href="/decisions/{other.id}"' not in page


def test_reindex_rebuilds_the_same_index(app, expert, moderator, section):
    make_decision(expert, title="Hosts", text="Rīga.")
    before = sorted(db.session.execute(select(SearchEntry.kind, SearchEntry.object_id, SearchEntry.body)).all())
    db.session.execute(SearchEntry.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0 and "Search index rebuilt" in result.output
    db.session.expire_all()
    after = sorted(db.session.execute(select(SearchEntry.kind, SearchEntry.object_id, SearchEntry.body)).all())
    assert after == before and len(after) >= 3
    assert search.suggest(expert, "riga")  # the engine's own index was rebuilt too
    assert db.session.scalar(select(func.count()).select_from(Decision)) == 1


def test_a_removed_action_leaves_the_index(expert_client, expert):
    from protect.decisions import actions

    decision = make_decision(expert, title="Venue", text="Book it.")
    action = make_action(expert, decision=decision, what="Phone the lighthouse keeper")
    assert len(hits(expert_client, "lighthouse")) == 1
    actions.delete_action(expert, action.id)
    assert hits(expert_client, "lighthouse") == []


def test_a_renamed_section_is_named_anew_where_its_comments_are_found(expert_client, expert, moderator, section):
    guidelines.add_comment(expert, current(section).id, "The ferry question.")
    guidelines.rename_section(moderator, section.id, "Hearing the child", section.version)
    page = expert_client.get("/search?q=ferry").get_data(as_text=True)
    assert "PROTECT Guidelines › §1 Hearing the child" in page and "Interviews with children" not in page


def test_a_published_translation_is_found_in_its_language_and_leaves_with_its_withdrawal(client, expert, moderator):
    from protect.programme import translations
    from tests.programme.test_translations import LATVIAN, training, translated

    page = training(expert, moderator)
    translated(page, expert, moderator, "lv", {**LATVIAN, "summary": "Divas dienas Jūrmalā."})
    assert hits(client, "jurmala") == [f"/programme/{page.slug}?lang=lv"]  # accents ignored, as in English
    assert hits(client, "jūrmalā") == [f"/programme/{page.slug}?lang=lv"]
    translations.withdraw(moderator, page.id, "lv", "Outdated.")
    db.session.commit()
    assert hits(client, "jurmala") == []
    assert hits(client, "riga") == [f"/programme/{page.slug}"]  # the English page stays
