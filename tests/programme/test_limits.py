"""What members add to a programme page without end (published versions, rounds of review) does not make its
overview grow without bound: it lists the latest ones, in the same number of queries."""

from __future__ import annotations

from protect.extensions import db
from protect.programme import services
from protect.programme.models import ProgrammePage, ProgrammeTransition
from tests.conftest import count_queries
from tests.programme.factories import approve, edit, publish, published_page, submit


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
