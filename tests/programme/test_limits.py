"""What members add to a programme page without end (published versions, rounds of review) does not make its
overview grow without bound: it lists the latest ones, in the same number of queries."""

from __future__ import annotations

from protect.extensions import db
from protect.programme import services
from protect.programme.models import ProgrammePage, ProgrammeTransition
from tests.conftest import count_queries
from tests.programme.factories import (
    NEXT_MARCH_16,
    approve,
    edit,
    make_event,
    make_page,
    publish,
    published_page,
    submit,
)


def republish(page: ProgrammePage, expert, moderator, times: int) -> ProgrammePage:
    for n in range(times):
        page = edit(page, expert, summary=f"Version {n + 2} of the summary.")
        page = publish(approve(submit(page, expert), moderator), moderator)
    return page


def overview(client, page: ProgrammePage) -> tuple[str, int]:
    with count_queries() as statements:
        response = client.get(f"/publishing/{page.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True), len(statements)


def test_the_overview_lists_the_latest_versions_and_steps_in_the_same_queries(expert_client, expert, moderator):
    page = published_page(expert, moderator)
    page = republish(page, expert, moderator, 2)
    _small, few_queries = overview(expert_client, page)

    page = republish(page, expert, moderator, services.VERSIONS_LISTED + 1)
    total = services.VERSIONS_LISTED + 4
    assert page.live_version == total
    steps = db.session.query(ProgrammeTransition).filter_by(page_id=page.id).count()
    assert steps > services.TRANSITIONS_LISTED

    body, queries = overview(expert_client, page)
    assert queries == few_queries
    assert body.count(f'href="/publishing/{page.id}/versions/') == services.VERSIONS_LISTED + 1  # + "version 1"
    assert f'>Version {total}</a> <span class="badge badge--ok">public now</span>' in body
    assert ">Version 4</a>" not in body
    assert "4 earlier versions are not listed; the first was" in body
    assert body.count('<li class="transition">') == services.TRANSITIONS_LISTED
    assert f"Only the latest {services.TRANSITIONS_LISTED} steps are shown" in body
    # An older version is still there at its own address.
    assert expert_client.get(f"/publishing/{page.id}/versions/2").status_code == 200


def test_a_short_history_is_listed_whole(expert_client, expert, moderator):
    page = republish(published_page(expert, moderator), expert, moderator, 1)
    body, _queries = overview(expert_client, page)
    assert ">Version 1</a>" in body and ">Version 2</a>" in body
    assert "not listed" not in body and "Only the latest" not in body


def test_the_publishing_list_is_paged_and_keeps_its_state_filter(expert_client, expert, moderator, monkeypatch):
    monkeypatch.setattr(services, "PAGES_PAGE_SIZE", 3)
    drafts = [make_page(expert, title=f"Draft page {n}") for n in range(4)]
    published_page(expert, moderator, title="The published one")
    first = expert_client.get("/publishing/").get_data(as_text=True)
    assert "5 programme pages, latest change first; 1–3 shown." in first
    assert first.count('<th scope="row">') == 3 and "Page 1 of 2" in first
    assert 'href="/publishing/?page=2"' in first
    second = expert_client.get("/publishing/?page=2").get_data(as_text=True)
    assert second.count('<th scope="row">') == 2 and 'rel="prev"' in second and "4–5 shown" in second
    assert f">{drafts[0].title}</a>" in second  # the oldest change comes last

    only_drafts = expert_client.get("/publishing/?state=draft").get_data(as_text=True)
    assert "4 programme pages in state “Draft”" in only_drafts
    assert 'href="/publishing/?state=draft&amp;page=2"' in only_drafts
    assert "The published one" not in expert_client.get("/publishing/?state=draft&page=2").get_data(as_text=True)


def test_the_trainings_without_a_page_are_listed_up_to_a_bound(expert_client, monkeypatch):
    monkeypatch.setattr(services, "EVENTS_WITHOUT_PAGE_LISTED", 3)
    events = [make_event(title=f"Training number {n}", first_day=NEXT_MARCH_16.replace(day=n + 1)) for n in range(5)]
    body = expert_client.get("/publishing/").get_data(as_text=True)
    assert body.count("Start a programme page<span") == 3
    assert "Training number 4" in body and "Training number 0" not in body
    assert "Only the latest 3 are listed." in body
    # From the training's own page, the one wanted is listed first even when it is not among the latest.
    link = expert_client.get(f"/publishing/for-event/{events[0].id}")
    assert link.status_code == 303
    assert link.headers["Location"] == f"/publishing/?start={events[0].id}#start"
    wanted = expert_client.get(f"/publishing/?start={events[0].id}").get_data(as_text=True)
    assert "Training number 0" in wanted and wanted.count("Start a programme page<span") == 3
    assert wanted.index("Training number 0") < wanted.index("Training number 4")
