"""The word diff of a revision against its base is computed once per pair of texts and kept in the process:
it is keyed on the texts themselves, so it cannot show another pair's changes, not even when a database reuses
revision ids (a restore, or these tests, which empty the database between tests)."""

from __future__ import annotations

from sqlalchemy import text

from protect.core import diff as core_diff
from protect.core.pagecache import page_cache
from protect.extensions import db
from protect.guidelines import diff
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose

PAIRS = [
    ("The child is heard.", "The child is listened to."),
    ("The quick brown fox", "A slow brown fox"),
    ("One.\n\nTwo.", "One.\nTwo."),
    ("same", "same"),
    ("a  b", "a b"),
    ("", "New text."),
]


def pairs(result):
    return [(s.kind, s.text) for s in result.segments]


def test_the_cached_diff_is_the_diff():
    diff.clear_diff_cache()
    for old, new in PAIRS * 2:  # the second round comes from the cache
        expected = core_diff.word_diff(old, new)
        got = diff.word_diff(old, new)
        assert pairs(got) == pairs(expected) and got.whitespace_only == expected.whitespace_only, (old, new)


def test_a_caller_changing_its_copy_changes_nothing_for_the_next():
    diff.clear_diff_cache()
    first = diff.word_diff("The child is heard.", "The child is listened to.")
    first.segments[0].text = "Tampered"
    first.segments.append(diff.Segment(diff.INS, "more"))
    again = diff.word_diff("The child is heard.", "The child is listened to.")
    assert pairs(again) == [("same", "The child is "), ("del", "heard"), ("ins", "listened to"), ("same", ".")]


def test_the_revision_page_shows_the_changes_of_the_texts_it_has_now(expert_client, moderator, expert):
    """The same revision ids with other texts (as after a restore) get their own diff, not the cached one."""
    section = first_section(make_guideline(moderator))
    base = current(section)
    revision = propose(expert, section, edited(section, "first protective act", "first act of protection"))
    url = f"/guidelines/revisions/{revision.id}"
    page = expert_client.get(url).get_data(as_text=True)
    assert "act of protection" in page and "protective act" in page  # inserted and deleted words
    db.session.execute(
        text("UPDATE section_revision SET body = :body WHERE id = :id"),
        {"body": base.body.replace("Identification", "Recognition"), "id": base.id},
    )
    db.session.commit()
    # Raw SQL bypasses the change tokens, so the whole page would still come from the page cache; a real
    # restore brings back the tokens its data had (core.changes).
    page_cache().clear()
    page = expert_client.get(url).get_data(as_text=True)
    changes = page.split('id="changes-title"', 1)[1].split("</section>", 1)[0]
    assert '<del><span class="sr-only">[removed: </span>Recognition<span class="sr-only">]</span></del>' in changes


def test_the_cache_stays_within_its_bounds(monkeypatch):
    diff.clear_diff_cache()
    monkeypatch.setattr(diff._diffs(), "size", 3)
    monkeypatch.setattr(diff._diffs(), "max_weight", 700)  # each small diff weighs 2 segments × 100 + its letters
    for n in range(6):
        assert pairs(diff.word_diff(f"old{n}", f"new{n}")) == [("del", f"old{n}"), ("ins", f"new{n}")]
    assert len(diff._diffs()) == 3
    diff.word_diff("x" * 400, "y" * 400)  # 1,000: more than the budget on its own, so kept by nobody
    assert diff._diffs().weight <= 700 and len(diff._diffs()) <= 3
    diff.clear_diff_cache()
