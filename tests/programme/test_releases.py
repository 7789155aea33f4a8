"""Programme releases: each publication at a permanent address that shows exactly it (number, date, approver,
content hash), the public changelog with the word diff between consecutive releases, the Atom feed, and a
withdrawn page's releases (410 with the reason, unless the moderator kept them readable)."""

from __future__ import annotations

from xml.etree import ElementTree

from protect.extensions import db
from protect.programme import services
from protect.programme.models import ProgrammeSnapshot
from tests.programme.factories import approve, edit, publish, published_page, submit


def _second_release(expert, moderator):
    page = published_page(expert, moderator, summary="Two days on protecting children on the move.")
    page = edit(page, expert, summary="Three days on protecting children on the move from trafficking.")
    return publish(approve(submit(page, expert), moderator), moderator)


def test_each_release_keeps_its_permanent_address(client, expert, moderator):
    page = _second_release(expert, moderator)
    first = client.get(f"/programme/{page.slug}/v1")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Two days on protecting children on the move." in html and "Three days" not in html
    snapshot = db.session.execute(
        db.select(ProgrammeSnapshot).where(ProgrammeSnapshot.page_id == page.id, ProgrammeSnapshot.version == 1)
    ).scalar_one()
    assert snapshot.digest in html and "Mads Moderator" in html  # the hash, and who approved it
    assert "See the current version (release 2)" in html
    second = client.get(f"/programme/{page.slug}/v2").get_data(as_text=True)
    assert "Three days on protecting children on the move from trafficking." in second
    assert "This is the current release." in second
    assert client.get(f"/programme/{page.slug}/v3").status_code == 404
    assert client.get("/programme/no-such-page/v1").status_code == 404


def test_the_changelog_shows_the_word_diff_between_releases(client, expert, moderator):
    page = _second_release(expert, moderator)
    current = client.get(f"/programme/{page.slug}").get_data(as_text=True)
    assert f'href="/programme/{page.slug}/changelog"' in current
    response = client.get(f"/programme/{page.slug}/changelog")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Release 2") < html.index("Release 1")  # newest first
    assert "<ins>" in html and "trafficking" in html and "<del>" in html
    assert "The first release." in html


def test_the_atom_feed_lists_the_releases(client, expert, moderator):
    page = _second_release(expert, moderator)
    response = client.get(f"/programme/{page.slug}/releases.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.get_data())  # noqa: S314 - our own response, in a test
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = [entry.find("a:link", ns).get("href") for entry in feed.findall("a:entry", ns)]
    assert [link.rsplit("/", 1)[1] for link in links] == ["v2", "v1"]


def test_a_withdrawn_pages_releases_answer_410_unless_kept(client, expert, moderator):
    page = _second_release(expert, moderator)
    services.withdraw(moderator, page.id, "The venue fell through.")
    db.session.commit()
    for url in (
        f"/programme/{page.slug}/v1",
        f"/programme/{page.slug}/changelog",
        f"/programme/{page.slug}/releases.atom",
    ):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "The venue fell through." in response.get_data(as_text=True)
        assert "Two days" not in response.get_data(as_text=True)
    page = publish(
        approve(submit(edit(db.session.get(type(page), page.id), expert, summary="Back."), expert), moderator),
        moderator,
    )
    services.withdraw(moderator, page.id, "Cancelled for good.", keep_releases=True)
    db.session.commit()
    kept = client.get(f"/programme/{page.slug}/v1")
    assert kept.status_code == 200 and "Two days on protecting children on the move." in kept.get_data(as_text=True)
    assert "The page was withdrawn: Cancelled for good." in kept.get_data(as_text=True)
    assert client.get(f"/programme/{page.slug}").status_code == 410  # the page itself stays withdrawn


def test_only_moderators_withdraw_and_choose_to_keep_releases(client_for, expert, moderator):
    page = published_page(expert, moderator)
    data = {"reason": "Not happening.", "keep_releases": "y"}
    assert client_for(expert).post(f"/publishing/{page.id}/withdraw", data=data).status_code == 403
    response = client_for(moderator).post(f"/publishing/{page.id}/withdraw", data=data)
    assert response.status_code in (200, 303)
    db.session.rollback()
    assert db.session.get(type(page), page.id).releases_public is True
