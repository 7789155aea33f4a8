"""Published versions of a guideline document: numbered, each at a permanent address with its Markdown and its
SHA-256, a changelog of the revisions accepted between consecutive versions; only moderators publish."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import GuidelineVersion
from tests.guidelines.factories import edited, first_section, make_guideline, propose


def _versions(guideline) -> list[GuidelineVersion]:
    db.session.rollback()
    query = select(GuidelineVersion).where(GuidelineVersion.guideline_id == guideline.id)
    return list(db.session.execute(query.order_by(GuidelineVersion.number)).scalars())


def test_only_moderators_publish_a_version(client_for, expert, moderator):
    guideline = make_guideline(moderator)
    url = f"/guidelines/{guideline.slug}/versions"
    listing = client_for(expert).get(url)
    assert listing.status_code == 200 and "No version has been published yet." in listing.get_data(as_text=True)
    assert client_for(expert).post(url).status_code == 403
    assert _versions(guideline) == []
    response = client_for(moderator).post(url)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/guidelines/{guideline.slug}/v1")
    (version,) = _versions(guideline)
    assert version.content_hash == hashlib.sha256(version.markdown.encode()).hexdigest()
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "guidelines.version_published")).first()
    again = client_for(moderator).post(url)
    assert again.status_code == 409 and "Nothing changed since version 1" in again.get_data(as_text=True)


def test_each_version_keeps_its_address_markdown_and_hash(client_for, expert, moderator):
    guideline = make_guideline(moderator)
    section = first_section(guideline)
    mod = client_for(moderator)
    mod.post(f"/guidelines/{guideline.slug}/versions")
    first_text = _versions(guideline)[0].markdown
    revision = propose(expert, section, edited(section, "child", "young person"), summary="Wider wording.")
    services.accept_revision(moderator, revision.id, "Agreed.")
    db.session.commit()
    mod.post(f"/guidelines/{guideline.slug}/versions")
    one, two = _versions(guideline)
    assert "young person" not in one.markdown and "young person" in two.markdown and one.markdown == first_text
    reader = client_for(expert)
    page = reader.get(f"/guidelines/{guideline.slug}/v1").get_data(as_text=True)
    assert one.content_hash in page and "See the latest version (2)" in page and "young person" not in page
    markdown = reader.get(f"/guidelines/{guideline.slug}/v2.md")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert hashlib.sha256(markdown.get_data()).hexdigest() == two.content_hash  # a copy checks against its hash
    assert reader.get(f"/guidelines/{guideline.slug}/v3").status_code == 404
    changelog = reader.get(f"/guidelines/{guideline.slug}/versions").get_data(as_text=True)
    assert f"revision {revision.number} (Wider wording.)" in changelog
    assert f"/guidelines/sections/{section.id}/compare?from=" in changelog
    assert "The first published version." in changelog


def test_visitors_cannot_read_member_versions(client, moderator):
    guideline = make_guideline(moderator)
    services_url = f"/guidelines/{guideline.slug}/v1"
    response = client.get(services_url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
