"""The guidelines in the interface's languages: pages and form errors answer in the language asked for, every
message the feature shows (flashes, rule violations, export headings, audit summaries, the diffs' words for
screen readers) is in the catalogue template, and the group's own texts (titles, headings, section texts) are
marked as English when the interface is in another language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import get_locale, refresh
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.extensions import db
from protect.guidelines import diff, services
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose
from tests.i18n import tr

ROOT = Path(__file__).resolve().parents[2]


def text(response) -> str:
    return response.get_data(as_text=True)


def html_lang(page: str) -> str | None:
    found = re.search(r'<html[^>]*\blang="([^"]+)"', page)
    return found.group(1) if found else None


# The language of the page -------------------------------------------------------------------------------------


def test_a_page_and_a_form_error_answer_in_the_language_asked_for(moderator_client, moderator):
    guideline = make_guideline(moderator, sections=1)
    page = text(moderator_client.get(f"/guidelines/{guideline.slug}?lang=de"))
    assert html_lang(page) == "de"
    response = moderator_client.post(
        f"/guidelines/{guideline.slug}/sections/new?lang=de", data={"heading": "", "body": ""}
    )
    assert response.status_code == 422
    assert html_lang(text(response)) == "de"
    assert 'aria-invalid="true"' in text(response)


def test_accept_language_chooses_the_language_and_english_stays_the_default(expert_client, moderator):
    guideline = make_guideline(moderator, sections=1)
    asked = text(expert_client.get(f"/guidelines/{guideline.slug}", headers={"Accept-Language": "pl"}))
    assert html_lang(asked) == "pl"
    assert html_lang(text(expert_client.get(f"/guidelines/{guideline.slug}"))) == "en"


def test_a_rule_violation_on_a_revision_page_answers_in_the_language_asked_for(moderator_client, expert, moderator):
    section = first_section(make_guideline(moderator, sections=1))
    revision = propose(expert, section, edited(section, "first protective act", "first act"))
    response = moderator_client.post(f"/guidelines/revisions/{revision.id}/accept?lang=fi", data={"reason": " "})
    assert response.status_code == 422
    assert html_lang(text(response)) == "fi"


def test_the_exports_answer_in_the_language_asked_for(expert_client, expert, moderator):
    guideline = make_guideline(moderator, sections=1)
    section = first_section(guideline)
    services.accept_revision(moderator, propose(expert, section, "New text.").id, "Clearer.")
    document = expert_client.get(f"/guidelines/{guideline.slug}/export.md?lang=sv")
    history = expert_client.get(f"/guidelines/sections/{section.id}/history.md?lang=sv")
    assert (document.status_code, history.status_code) == (200, 200)
    assert "## " + tr("sv", "Contents") in text(document) and "## Contents" not in text(document)
    assert "- " + tr("sv", "Proposed by: %(name)s", name="Eva Expert") in text(history)
    # The time follows the name: the words before it, in Swedish.
    accepted = tr("sv", "Accepted by %(name)s on %(time)s", name="Mads Moderator", time="\0").split("\0")[0]
    assert "- " + accepted in text(history)
    assert "Proposed by:" not in text(history) and "Accepted by" not in text(history)


# Audit summaries ----------------------------------------------------------------------------------------------


def test_audit_summaries_are_kept_in_english_with_their_values_apart(expert, moderator):
    section = first_section(make_guideline(moderator, sections=1))
    revision = propose(expert, section, "New text.")
    services.add_comment(expert, revision.id, "On the first paragraph.", paragraph=1)
    services.accept_revision(moderator, revision.id, "Clearer.")
    events = {
        e.action: e
        for e in db.session.execute(select(AuditEvent).where(AuditEvent.action.like("guidelines.%"))).scalars()
    }
    accepted = events["guidelines.revision_accepted"]
    assert accepted.summary == "accepted revision %(number)s of §%(position)s “%(heading)s”"
    assert accepted.summary_params == {"number": 2, "position": 1, "heading": "Section 1"}
    assert accepted.text == "accepted revision 2 of §1 “Section 1”"
    commented = events["guidelines.comment_added"]
    assert commented.text == "commented on paragraph 1 of revision 2 of §1 “Section 1”"
    for event in events.values():
        assert "%(" in event.summary or not event.summary_params
        assert "%(" not in event.text


# Every message is in the catalogue template ------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        # A flash, a rule violation, a form's label and a validator's message.
        "The heading is changed.",
        "Your proposal is saved as revision %(number)s. The moderators will review it.",
        "Someone changed this heading in the meantime; it is now “%(current)s”. Your heading “%(heading)s” was "
        "not saved: check the current one and change it again if needed.",
        "Revision %(number)s is %(status)s; only a proposed revision can be accepted.",
        "A section's text can be at most %(limit)s characters; this one has %(count)s.",
        "Why this change",
        "At most %(limit)s characters.",
        # The export's headings.
        "Contents",
        "%(title)s: revision history of section %(position)s, “%(heading)s”",
        "Proposed by: %(name)s",
        "Accepted by %(name)s on %(time)s",
        # Audit summaries (N_) and the labels kept in English until shown.
        "accepted revision %(number)s of §%(position)s “%(heading)s”",
        "replied to a comment on paragraph %(paragraph)s of revision %(number)s of §%(position)s “%(heading)s”",
        "Proposed",
        "outdated",
        "Mine",
        # Screen readers' words in the diffs, and the comment threads.
        "paragraph or block changed",
        "space added",
        'Reply<span class="sr-only"> to the thread started by %(name)s</span>',
        "%(num)d new comment by %(names)s.",
        # The compare and rebase pages, moderation.
        'From <a href="%(old_url)s">revision %(old)s</a> to <a href="%(new_url)s">revision %(new)s</a>',
        "Carry revision %(number)s over to the current text",
        "Accept revision %(number)s",
        "Reject revision %(number)s",
    ],
)
def test_the_message_is_in_the_catalogue_template(extracted, message):
    assert message in extracted


def test_the_pages_have_no_text_left_outside_a_message():
    """Between tags, the guidelines' templates show only what members wrote or a message (``_()``)."""
    templates = ROOT / "protect" / "templates" / "guidelines"
    left = []
    for path in sorted(templates.glob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "{#" in line or "_(" in line or "ngettext(" in line:
                continue
            if re.search(r">[^<{]*[A-Za-z]{3,}[^<{]*<", line):
                left.append(f"{path.name}:{number}: {line.strip()}")
    assert left == []


# The group's texts in an interface in another language ------------------------------------------------------


def test_the_groups_texts_are_marked_english_in_a_russian_interface(expert_client, expert, moderator):
    guideline = make_guideline(moderator, sections=1, title="PROTECT Guidelines")
    section = first_section(guideline)
    page = text(expert_client.get(f"/guidelines/{guideline.slug}?lang=ru"))
    assert html_lang(page) == "ru"
    assert '<h1 lang="en">PROTECT Guidelines</h1>' in page
    assert f'<a href="#section-{section.id}" lang="en">Section 1</a>' in page  # the contents
    assert '<span lang="en">Section 1</span>' in page  # the section's heading
    assert '<div class="prose" lang="en"><p>Identification is the first protective act.</p>' in page
    section_page = text(expert_client.get(f"/guidelines/sections/{section.id}?lang=ru"))
    assert '<div class="prose" lang="en">' in section_page
    revision = propose(expert, section, edited(section, "first protective act", "first act"))
    revision_page = text(expert_client.get(f"/guidelines/revisions/{revision.id}?lang=ru"))
    assert '<div class="para__text" lang="en">' in revision_page
    assert '<span lang="en">Section 1</span>' in revision_page
    services.add_comment(expert, revision.id, "Ein Kommentar.")
    revision_page = text(expert_client.get(f"/guidelines/revisions/{revision.id}?lang=ru"))
    assert '<div class="comment__body prose"><p>Ein Kommentar.</p>' in revision_page  # a member's text: no lang


def test_the_dashboard_panel_marks_the_headings_english_in_a_russian_interface(moderator_client, expert, moderator):
    section = first_section(make_guideline(moderator, sections=1))
    revision = propose(expert, section, edited(section, "first protective act", "first act"))
    page = text(moderator_client.get("/dashboard?lang=ru"))
    heading = '<span lang="en">Section 1</span>'
    message = "Revision %(number)s of §%(position)s “%(heading)s”"
    assert tr("ru", message, number=revision.number, position=1, heading=heading) in page
    assert f"“{heading}”" not in page  # the Russian message quotes it its own way


def test_in_an_english_interface_the_texts_carry_no_lang_of_their_own(expert_client, moderator):
    guideline = make_guideline(moderator, sections=1)
    page = text(expert_client.get(f"/guidelines/{guideline.slug}"))
    assert html_lang(page) == "en"
    assert page.count('lang="en"') == 1  # <html lang="en"> only


def test_the_rendered_diff_is_cached_per_language(app):
    """The rendered diff's marks carry words for screen readers: a diff cached in one language is not shown in
    another."""
    diff.clear_diff_cache()
    for code in ("en", "de", "en"):
        with app.test_request_context(f"/?lang={code}"):
            refresh()  # the tests' application context outlives a request: forget the last one's language
            diff.rendered("One two.", "One three.")
    assert len(diff._rendered()) == 2
    diff.clear_diff_cache()
    refresh()


def test_the_status_words_follow_the_interface(app, moderator, expert):
    section = first_section(make_guideline(moderator, sections=1))
    revision = current(section)
    with app.test_request_context("/?lang=de"):
        refresh()
        assert str(get_locale()) == "de"
        assert (revision.status_label, revision.status_word) == (tr("de", "Accepted"), tr("de", "accepted"))
    refresh()
    assert revision.status == "accepted"  # the stored code stays English
