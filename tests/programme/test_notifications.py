"""What programme pages tell whom: a page or translation submitted for approval tells the moderators (never an
expert), one sent back tells whoever submitted it (not the page's other authors); never the member who acted,
a deactivated member, or one who muted the page."""

from __future__ import annotations

import re

import pytest

from protect.extensions import db
from protect.notifications import services as notices
from protect.programme import caching, translations
from tests.factories import make_user
from tests.notice_helpers import follow, notices_of
from tests.programme.factories import make_page, published_page, submit

LATVIAN = {
    "title": "Bērnu aizsardzība",
    "summary": "Divas dienas par bērnu aizsardzību.",
    "description": "Balstīts uz vadlīnijām.",
    "how_to_take_part": "Reģistrējieties zemāk.",
}


@pytest.fixture(autouse=True)
def _cold_caches(app):
    caching.render_cache(app).clear()


def _version(client, url: str) -> int:
    body = client.get(url).get_data(as_text=True)
    return int(re.search(r'name="version" value="(\d+)"', body).group(1))


def post_step(client, url: str, step: str, **data) -> None:
    response = client.post(f"{url}/{step}", data={"version": _version(client, url), **data})
    assert response.status_code == 303, response.get_data(as_text=True)


def test_a_submitted_page_waits_for_the_moderators_only(client_for, moderator, admin):
    creator = make_user("expert", display_name="Carla Creator")
    sue = make_user("expert", display_name="Sue Submitter")
    retired = make_user("moderator", active=False)
    page = make_page(creator, title="Protecting children in Riga")
    url = f"/publishing/{page.id}"
    post_step(client_for(sue), url, "submit")
    for reviewer in (moderator, admin):
        [notice] = notices_of(reviewer)
        assert notice.kind == "programme"
        assert notice.text == "Sue Submitter submitted the programme page “Protecting children in Riga” for approval"
        assert (notice.thread, notice.thread_title) == (f"programme:{page.id}", "Protecting children in Riga")
        assert notice.url == f"/publishing/{page.id}#workflow-title"
    for member in (creator, sue, retired):
        assert notices_of(member) == []
    follow(client_for(moderator), notices_of(moderator)[0])


def test_a_page_sent_back_tells_whoever_submitted_it(client_for, moderator, admin):
    creator = make_user("expert", display_name="Carla Creator")
    sue = make_user("expert", display_name="Sue Submitter")
    page = make_page(creator, title="Protecting children in Riga")
    url = f"/publishing/{page.id}"
    post_step(client_for(sue), url, "submit")
    post_step(client_for(moderator), url, "send-back", comment="Say who hosts it.")
    [notice] = notices_of(sue)
    assert notice.text == (
        f"{moderator.display_name} sent the programme page “Protecting children in Riga” back to you with comments"
    )
    assert notice.url == f"/publishing/{page.id}#history-title"
    page_html = follow(client_for(sue), notice).get_data(as_text=True)
    assert "Say who hosts it." in page_html
    assert notices_of(creator) == []  # an author who did not submit it
    assert len(notices_of(admin)) == 1  # the submission only: no moderator hears of the sending back
    assert len(notices_of(moderator)) == 1

    # Approved, then sent back: still the member who submitted it, the last time.
    post_step(client_for(creator), url, "submit")
    post_step(client_for(admin), url, "approve")
    post_step(client_for(admin), url, "send-back", comment="The date moved.")
    assert [n.summary_params["name"] for n in notices_of(creator)] == [admin.display_name]
    assert len(notices_of(sue)) == 1


def test_a_moderator_who_submits_is_not_told_and_muted_pages_stay_quiet(client_for, moderator, admin):
    page = make_page(moderator, title="Quiet page")
    notices.set_subscription(admin.id, f"programme:{page.id}", "mute")
    submit(page, moderator)
    assert notices_of(moderator) == [] and notices_of(admin) == []
    other = make_user("moderator")
    assert notices_of(other) == []  # made after the submission


def test_a_deactivated_submitter_is_not_told_it_was_sent_back(client_for, moderator):
    sue = make_user("expert", display_name="Sue Submitter")
    page = submit(make_page(sue), sue)
    sue.active = False
    db.session.commit()
    post_step(client_for(moderator), f"/publishing/{page.id}", "send-back", comment="Not yet.")
    assert notices_of(sue) == []


def test_translations_go_the_same_way(client_for, moderator, admin, expert):
    page = published_page(expert, moderator, title="Protecting children in Riga")
    tom = make_user("expert", display_name="Tom Translator")
    translation = translations.create(tom, page.id, "lv")
    db.session.commit()
    translations.save(tom, page.id, "lv", translation.version, LATVIAN)
    db.session.commit()
    before = {member.id: len(notices_of(member)) for member in (moderator, admin, expert)}
    url = f"/publishing/{page.id}/translations/lv"
    post_step(client_for(tom), url, "submit")
    for reviewer in (moderator, admin):
        notice = notices_of(reviewer)[-1]
        assert len(notices_of(reviewer)) == before[reviewer.id] + 1
        assert notice.text == (
            "Tom Translator submitted the Latviešu translation of “Protecting children in Riga” for approval"
        )
        assert notice.url == f"/publishing/{page.id}/translations/lv#translation-state"
        assert notice.thread == f"programme:{page.id}"
    assert len(notices_of(expert)) == before[expert.id] and notices_of(tom) == []
    follow(client_for(admin), notices_of(admin)[-1])

    post_step(client_for(moderator), url, "send-back", comment="Check the title.")
    [notice] = notices_of(tom)
    assert notice.text == (
        f"{moderator.display_name} sent the Latviešu translation of “Protecting children in Riga” back to you "
        "with comments"
    )
    assert notice.url == f"/publishing/{page.id}/translations/lv#translation-history-title"
    assert "Check the title." in follow(client_for(tom), notice).get_data(as_text=True)
    # The page's own submitter is not the translation's.
    assert len(notices_of(expert)) == before[expert.id]
    assert len(notices_of(moderator)) == before[moderator.id] + 1  # nothing new for the moderator who acted


def test_the_paths_are_right_outside_a_request(moderator, expert):
    """Seeding and the command line submit pages too: the notices' paths are those of the routes."""
    page = make_page(expert)
    submit(page, expert)
    assert notices_of(moderator)[0].url == f"/publishing/{page.id}#workflow-title"
    assert translations.translation_url(page.id, "lv", "translation-state") == (
        f"/publishing/{page.id}/translations/lv#translation-state"
    )


def test_the_translation_path_is_the_routes(app):
    from flask import url_for

    with app.test_request_context():
        assert translations.translation_url(3, "lv", "x") == url_for(
            "programme.translation", page_id=3, language="lv", _anchor="x"
        )
