"""The word diff every feature shows (protect.core.diff), called directly: no cache between the test and the
code, so a changed rule shows up here at once. What a reader sees: which words are marked as removed or
added, what is said to be "only spacing", and that nothing of either text goes missing."""

from __future__ import annotations

import pytest

from protect.core import diff
from protect.core.diff import DEL, INS, SAME, normalise, tokens, word_diff


def pairs(result):
    return [(s.kind, s.text) for s in result.segments]


def read(result, which):
    return "".join(s.text for s in result.side(which))


def long_text(words: int) -> str:
    """A plain text of ``words`` different words, in sentences, on one paragraph."""
    return " ".join(f"word{i}." if i % 12 == 11 else f"word{i}" for i in range(words))


# What is marked ---------------------------------------------------------------------------------------------


def test_a_two_word_edit_of_a_long_text_marks_only_those_two_words():
    # Real prose repeats its common words ("the", "child", full stops) hundreds of times: they must still be
    # matched, or a two-word edit of a long guideline reads as a long stretch removed and added.
    sentences = [
        "The child is heard before the decision is taken.",
        "The family is told of the decision by the authority in the country of origin.",
        "Every step is written down, and the child is told what happens next.",
    ]
    old = " ".join(f"{n}. {sentences[n % 3]}" for n in range(1, 31))
    new = old.replace("13. The family is told", "13. The family is informed").replace(
        "24. The child is heard", "24. The child is listened to"
    )
    result = word_diff(old, new)
    assert [s for s in pairs(result) if s[0] != SAME] == [
        (DEL, "told"),
        (INS, "informed"),
        (DEL, "heard"),
        (INS, "listened to"),
    ]
    assert (result.added_words, result.removed_words) == (3, 2)
    assert (read(result, "old"), read(result, "new")) == (old, new)


def test_neighbouring_changed_words_read_as_one_replacement_but_a_paragraph_break_keeps_them_apart():
    assert pairs(word_diff("The quick brown fox", "A slow brown fox")) == [
        (DEL, "The quick"),
        (INS, "A slow"),
        (SAME, " brown fox"),
    ]
    assert pairs(word_diff("one\n\ntwo", "uno\n\ndos")) == [
        (DEL, "one"),
        (INS, "uno"),
        (SAME, "\n\n"),
        (DEL, "two"),
        (INS, "dos"),
    ]


def test_a_lone_space_between_two_changes_joins_them_wherever_they_are():
    assert pairs(word_diff(" Riga", "Tallinn ")) == [(DEL, " Riga"), (INS, "Tallinn ")]
    assert pairs(word_diff("Meet, Riga", "Meet,Tallinn ")) == [(SAME, "Meet,"), (DEL, " Riga"), (INS, "Tallinn ")]


def test_a_space_at_either_end_of_a_change_is_not_swallowed_into_it():
    assert pairs(word_diff(" Hello", " Bye")) == [(SAME, " "), (DEL, "Hello"), (INS, "Bye")]
    assert pairs(word_diff("Hello ", "Bye ")) == [(DEL, "Hello"), (INS, "Bye"), (SAME, " ")]
    assert pairs(word_diff("a b", "c b d")) == [(DEL, "a"), (INS, "c"), (SAME, " b"), (INS, " d")]


def test_removing_or_adding_the_last_or_the_first_word_is_a_change():
    assert pairs(word_diff("Meet in Riga", "Meet in")) == [(SAME, "Meet in"), (DEL, " Riga")]
    assert pairs(word_diff("Meet in", "Meet in Riga")) == [(SAME, "Meet in"), (INS, " Riga")]
    assert pairs(word_diff("Please meet", "meet")) == [(DEL, "Please "), (SAME, "meet")]
    assert pairs(word_diff("meet", "Please meet")) == [(INS, "Please "), (SAME, "meet")]


def test_empty_and_missing_texts_are_empty_not_words():
    assert tokens("") == [] and tokens(None) == []  # type: ignore[arg-type]
    assert pairs(word_diff("", "New text")) == [(INS, "New text")]
    assert pairs(word_diff("Old text", "")) == [(DEL, "Old text")]
    assert pairs(word_diff(None, "New")) == [(INS, "New")]  # type: ignore[arg-type]
    nothing = word_diff("", "")
    assert nothing.segments == [] and not nothing.changed and not nothing.whitespace_only
    assert not word_diff(None, None).whitespace_only  # type: ignore[arg-type]


def test_a_segment_unpacks_as_kind_and_text():
    kind, text = word_diff("a", "b").segments[0]
    assert (kind, text) == (DEL, "a")


# Spacing ----------------------------------------------------------------------------------------------------


def test_identical_texts_are_neither_changed_nor_only_spacing():
    same = word_diff("The child is heard.", "The child is heard.")
    assert pairs(same) == [(SAME, "The child is heard.")]
    assert not same.changed and not same.whitespace_only


def test_blanks_added_or_dropped_at_either_end_are_only_spacing_and_the_text_stays_whole():
    for old, new in [("Hello world", "  Hello world"), ("  Hello world", "Hello world"), ("Hello", "Hello \n")]:
        result = word_diff(old, new)
        assert not result.changed and result.whitespace_only, (old, new)
        assert read(result, "new") == new


def test_a_blank_dropped_at_the_start_does_not_hide_a_change_after_it():
    result = word_diff(" Hello world, see you in Tallinn", "Hello world, see you in Riga")
    assert pairs(result) == [(SAME, "Hello world, see you in "), (DEL, "Tallinn"), (INS, "Riga")]
    result = word_diff("Hello world, see you in Tallinn", "\nHello world, see you in Riga")
    assert pairs(result) == [(SAME, "\nHello world, see you in "), (DEL, "Tallinn"), (INS, "Riga")]
    assert not result.whitespace_only


def test_a_blank_added_at_the_end_does_not_hide_a_change_before_it():
    result = word_diff("Meet in Tallinn", "Meet in Riga  ")
    assert pairs(result) == [(SAME, "Meet in "), (DEL, "Tallinn"), (INS, "Riga  ")]


def test_crlf_line_endings_are_the_same_text_and_a_crlf_blank_line_is_still_a_paragraph_break():
    assert word_diff("One.\r\n\r\nTwo.", "One.\n\nTwo.").whitespace_only
    joined = word_diff("One.\r\n\r\nTwo.", "One.\r\nTwo.")
    assert joined.changed and not joined.whitespace_only
    assert [s.kind for s in joined.segments if s.is_break] == [DEL]
    split = word_diff("One.\r\nTwo.", "One.\r\n \r\nTwo.")  # a blank line with a space on it
    assert [(s.kind, s.text) for s in split.segments if s.is_break] == [(INS, "\r\n \r\n")]


def test_a_hard_line_break_is_a_change_from_a_plain_one():
    # Two spaces before a line end make a <br> in Markdown.
    result = word_diff("First line\nsecond line", "First line  \nsecond line")
    assert result.changed and not result.whitespace_only


def test_nesting_a_list_item_by_two_spaces_is_a_change_and_one_space_is_only_spacing():
    nested = word_diff("- a\n- b", "- a\n  - b")
    assert pairs(nested) == [(SAME, "- a"), (DEL, "\n"), (INS, "\n  "), (SAME, "- b")]
    assert not nested.whitespace_only
    assert word_diff("one\ntwo", "one\n two").whitespace_only
    deeper = word_diff("- a\n  - b", "- a\n    - b")
    assert deeper.changed and not deeper.whitespace_only


def test_a_paragraph_indented_into_a_code_block_is_a_change():
    # Four spaces at the start of a paragraph make it a code block: the text reads differently.
    result = word_diff("Intro\n\nHello", "Intro\n\n    Hello")
    assert result.changed and not result.whitespace_only
    assert word_diff("- a\n\nmore", "- a\n\n  more").changed  # a paragraph moved into the list item
    assert word_diff("Intro\n\n    code", "Intro\n\n\n    code").whitespace_only  # one more blank line only
    start = word_diff("Intro", "\n    Intro")  # at the very start too, after a line break
    assert pairs(start) == [(INS, "\n    "), (SAME, "Intro")] and not start.whitespace_only


def test_the_source_compared_for_nothing_changed_ignores_line_endings_and_trailing_blanks():
    assert normalise("One\r\nTwo\rThree\n") == "One\nTwo\nThree"
    assert normalise("One  \nTwo\t\n\n") == "One\nTwo"
    assert normalise("\n\n    code\n") == "    code"  # the indentation of the first line is kept
    assert normalise("\nX-ray results\n") == "X-ray results"
    assert normalise(None) == ""  # type: ignore[arg-type]


# Words counted ----------------------------------------------------------------------------------------------


def test_counted_words_are_words_not_marks_or_blank_lines():
    added = word_diff("Rules.", "Rules.\n\nA new rule, for everyone.")
    assert added.added_words == 5  # A, new, rule, for, everyone: not the comma, the full stop or the break
    assert word_diff("", "_A new rule_").added_words == 3  # Markdown emphasis is part of its words
    assert word_diff("I agree.", "").removed_words == 2


# Long texts -------------------------------------------------------------------------------------------------


def test_a_text_at_the_size_limit_is_still_compared_word_by_word(monkeypatch):
    old, new = "one two three", "one 2 three"  # 5 tokens each: 25 pairs
    monkeypatch.setattr(diff, "WORD_PAIRS_MAX", 25)
    assert pairs(word_diff(old, new)) == [(SAME, "one "), (DEL, "two"), (INS, "2"), (SAME, " three")]


@pytest.fixture
def small_limit(monkeypatch):
    """A limit that a whole three-paragraph text exceeds but each paragraph stays within."""
    monkeypatch.setattr(diff, "WORD_PAIRS_MAX", 100)


def test_a_long_text_with_words_changed_in_two_paragraphs_marks_only_those_words(small_limit):
    old = "Kept first paragraph.\n\nThe child is heard.\n\nThe family is told."
    new = "Kept first paragraph.\n\nThe child is listened to.\n\nThe family is informed."
    result = word_diff(old, new)
    assert [s for s in pairs(result) if s[0] != SAME] == [
        (DEL, "heard"),
        (INS, "listened to"),
        (DEL, "told"),
        (INS, "informed"),
    ]
    assert (read(result, "old"), read(result, "new")) == (old, new)


def test_a_long_text_with_a_paragraph_split_in_two_marks_the_split(monkeypatch):
    monkeypatch.setattr(diff, "WORD_PAIRS_MAX", 400)  # the whole texts exceed it, the changed paragraphs do not
    old = "Kept first paragraph.\n\nThe child is heard and the family is told.\n\nKept last paragraph."
    new = "Kept first paragraph.\n\nThe child is heard.\n\nThe family is told.\n\nKept last paragraph."
    result = word_diff(old, new)
    assert [s for s in pairs(result) if s[0] != SAME] == [(DEL, " and the"), (INS, ".\n\nThe")]
    assert (read(result, "old"), read(result, "new")) == (old, new)
    joined = word_diff(new, old)  # and the two joined again into one
    assert [s for s in pairs(joined) if s[0] != SAME] == [(DEL, ".\n\nThe"), (INS, " and the")]
    assert (read(joined, "old"), read(joined, "new")) == (new, old)


def test_a_change_too_large_to_compare_word_by_word_is_shown_removed_and_added_whole(small_limit):
    old = "Kept first paragraph.\n\n" + long_text(30)
    new = "Kept first paragraph.\n\n" + long_text(20) + "\n\n" + long_text(25)
    result = word_diff(old, new)
    assert pairs(result) == [
        (SAME, "Kept first paragraph.\n\n"),
        (DEL, long_text(30)),
        (INS, long_text(20) + "\n\n" + long_text(25)),
    ]
