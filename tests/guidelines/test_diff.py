"""The word diff, paragraph blocks and the three-way merge: plain functions, no database."""

from __future__ import annotations

import pytest

from protect.guidelines.diff import (
    DEL,
    INS,
    SAME,
    blocks,
    clear_diff_cache,
    merge3,
    side_by_side,
    tokens,
    word_diff,
)


@pytest.fixture(autouse=True)
def _diffs_computed_afresh():
    """word_diff here is the cached one: each test computes its diffs, never reads one an earlier test (or a
    mutation-testing parent process) left behind."""
    clear_diff_cache()
    yield
    clear_diff_cache()


def pairs(diff):
    return [(s.kind, s.text) for s in diff.segments]


def test_a_changed_word_is_marked_and_the_rest_kept():
    diff = word_diff("The child is heard.", "The child is listened to.")
    assert pairs(diff) == [(SAME, "The child is "), (DEL, "heard"), (INS, "listened to"), (SAME, ".")]
    assert (diff.added_words, diff.removed_words) == (2, 1)


def test_neighbouring_changed_words_read_as_one_replacement():
    diff = word_diff("The quick brown fox", "A slow brown fox")
    assert pairs(diff) == [(DEL, "The quick"), (INS, "A slow"), (SAME, " brown fox")]


def test_cyrillic_words_are_whole_words():
    diff = word_diff("Интересы ребёнка и семья", "Интересы ребёнка и семьи")
    assert pairs(diff) == [(SAME, "Интересы ребёнка и "), (DEL, "семья"), (INS, "семьи")]
    assert tokens("права «ребёнка»") == ["права", " ", "«", "ребёнка", "»"]


def test_nordic_and_baltic_letters_stay_inside_their_words():
    assert pairs(word_diff("barnets bästa", "barnets beste")) == [(SAME, "barnets "), (DEL, "bästa"), (INS, "beste")]
    assert pairs(word_diff("Guðrún og Þór", "Guðrún og Ægir")) == [(SAME, "Guðrún og "), (DEL, "Þór"), (INS, "Ægir")]
    diff = word_diff("bērna intereses", "bērna labākās intereses")
    assert pairs(diff) == [(SAME, "bērna "), (INS, "labākās "), (SAME, "intereses")]
    diff = word_diff("vaiko teisės", "vaiko teisių")  # Lithuanian: ė and ų are letters, not separators
    assert pairs(diff) == [(SAME, "vaiko "), (DEL, "teisės"), (INS, "teisių")]
    assert tokens("Šiaulių apskritis") == ["Šiaulių", " ", "apskritis"]


def test_a_letter_with_a_combining_accent_is_one_word():
    decomposed = "ребе\u0308нок"  # e + combining diaeresis
    assert tokens(decomposed) == [decomposed]


def test_punctuation_is_its_own_token():
    assert tokens("„Vaiko“ — teisės; cross-border") == [
        "„", "Vaiko", "“", " ", "—", " ", "teisės", ";", " ", "cross", "-", "border",
    ]  # fmt: skip
    diff = word_diff("cross-border cooperation", "cross-national cooperation")
    assert pairs(diff) == [(SAME, "cross-"), (DEL, "border"), (INS, "national"), (SAME, " cooperation")]


def test_whitespace_only_changes_are_not_marked_but_said():
    diff = word_diff("one two\nthree", "one  two three  ")
    assert not diff.changed
    assert diff.whitespace_only
    assert pairs(diff) == [(SAME, "one  two three  ")]  # shown as the newer text has it
    assert not word_diff("same", "same").whitespace_only


def test_a_paragraph_break_is_a_change_and_marked_as_one():
    diff = word_diff("one two three", "one two\n\nthree")
    assert diff.changed and not diff.whitespace_only
    breaks = [s for s in diff.segments if s.is_break]
    assert [(s.kind, s.text) for s in breaks] == [(INS, "\n\n")]


def test_empty_texts():
    assert pairs(word_diff("", "New text")) == [(INS, "New text")]
    assert pairs(word_diff("Old text", "")) == [(DEL, "Old text")]
    assert word_diff("", "").segments == []


def test_sides_keep_what_each_text_has():
    diff = word_diff("a b c", "a x c")
    assert "".join(s.text for s in diff.side("old")) == "a b c"
    assert "".join(s.text for s in diff.side("new")) == "a x c"


def test_blocks_split_at_blank_lines_but_never_inside_a_fenced_block():
    text = "First\nstill first\n\n\n  Second\r\n\r\n```\ncode\n\nmore code\n```\n\n- a list\n- item\n"
    assert blocks(text) == ["First\nstill first", "  Second", "```\ncode\n\nmore code\n```", "- a list\n- item"]
    assert blocks("") == []
    assert blocks("\n\n  \n") == []


def test_side_by_side_aligns_paragraphs():
    rows = side_by_side("p1\n\np2 old\n\np3", "p1\n\np2 new\n\np3\n\np4")
    assert [row.changed for row in rows] == [False, True, False, True]
    assert [(s.kind, s.text) for s in rows[1].old] == [(SAME, "p2 "), (DEL, "old")]
    assert [(s.kind, s.text) for s in rows[1].new] == [(SAME, "p2 "), (INS, "new")]
    assert rows[3].old == [] and [(s.kind, s.text) for s in rows[3].new] == [(INS, "p4")]


def test_merge_takes_each_side_where_only_it_changed():
    merge = merge3("a\n\nb\n\nc", "a\n\nB\n\nc", "a\n\nb\n\nC")
    assert (merge.text, merge.conflicts) == ("a\n\nB\n\nC", 0)
    merge = merge3("a\n\nb\n\nc", "x\n\na\n\nb\n\nc", "a\n\nb\n\nc\n\nd")
    assert (merge.text, merge.conflicts) == ("x\n\na\n\nb\n\nc\n\nd", 0)


def test_merge_keeps_the_proposal_where_both_changed_the_same_paragraph():
    merge = merge3("a\n\nb\n\nc", "a\n\nB1\n\nc", "a\n\nB2\n\nc")
    assert (merge.text, merge.conflicts) == ("a\n\nB2\n\nc", 1)
    same = merge3("a\n\nb", "a\n\nB", "a\n\nB")
    assert (same.text, same.conflicts) == ("a\n\nB", 0)


def test_a_huge_change_comes_back_quickly_and_whole():
    """Comparing every word against every word is quadratic: 1,500 words with every other one changed took
    34 s. Above a bound the texts are compared by paragraph, and a stretch still too large is shown whole."""
    from protect.core.diff import word_diff as core_word_diff

    old = " ".join(f"w{i}" for i in range(1500))
    new = " ".join(f"w{i}" if i % 2 else f"x{i}" for i in range(1500))
    texts_old, texts_new = "\n\n".join([old, "Kept paragraph.", old]), "\n\n".join([new, "Kept paragraph.", old])
    result = core_word_diff(texts_old, texts_new)
    assert [s.kind for s in result.segments] == ["del", "ins", "same"]  # the huge paragraph whole, the rest kept
    assert "".join(s.text for s in result.side("old")) == texts_old
    assert "".join(s.text for s in result.side("new")) == texts_new
    assert any(s.kind == "same" and "Kept paragraph." in s.text for s in result.segments)
