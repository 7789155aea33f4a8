"""The differences of two Markdown texts as they read (rendered, changes marked), and the word diff's
"only spacing differs": plain functions, no database."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest

from protect.core import rendered_diff as rd
from protect.core.diff import DEL, SAME, word_diff
from protect.core.rendered_diff import diff_html, rendered_diff
from protect.core.text import render_markdown

# "Only spacing differs" -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [("a, b", "a,b"), ("x - y", "x-y"), ("see (annex)", "see(annex)"), ("a,b", "a, b"), ("a  \nb", "a\nb")],
)
def test_a_space_that_joins_or_splits_words_is_a_change(old, new):
    diff = word_diff(old, new)
    assert diff.changed and not diff.whitespace_only
    assert any(s.kind != SAME and s.text.isspace() for s in diff.segments)


def test_the_removed_space_is_a_segment_of_its_own_with_a_mark():
    diff = word_diff("x - y", "x-y")
    assert [(s.kind, s.text) for s in diff.segments] == [
        (SAME, "x"), (DEL, " "), (SAME, "-"), (DEL, " "), (SAME, "y"),
    ]  # fmt: skip
    assert all(s.is_space for s in diff.segments if s.kind == DEL)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("One.\r\n\r\nTwo.", "One.\n\nTwo."),  # CRLF against LF blank lines
        ("One.\r\n\r\n\r\nTwo.", "One.\n\nTwo."),
        ("one\r\ntwo", "one\ntwo"),
        ("one two\nthree", "one  two three  "),
    ],
)
def test_line_endings_and_rewrapping_are_only_spacing(old, new):
    diff = word_diff(old, new)
    assert diff.whitespace_only and not diff.changed


def test_a_changed_indentation_is_not_claimed_as_spacing():
    """Four spaces at a line's start make a code block, two nest a list item: that may change the text."""
    assert not word_diff("- a\n- b", "- a\n    - b").whitespace_only


# The rendered diff ------------------------------------------------------------------------------------------


class _Checker(HTMLParser):
    """Balanced tags, no text or marks where HTML allows none, and the text read with or without the marks."""

    VOID = {"br", "hr", "img"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.problems: list[str] = []
        self.text: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        parent = self.stack[-1][0] if self.stack else ""
        if parent in rd.TEXTLESS and tag not in {"li", "thead", "tbody", "tfoot", "tr", "td", "th", "dt", "dd"}:
            self.problems.append(f"<{tag}> inside <{parent}>")
        # A block inside a phrasing element (<ins>/<del> may hold blocks where their parent may).
        inline_parent = parent in ("span", "p", "a", "em", "strong") or (parent in ("ins", "del") and tag == "form")
        if tag in ("form", "div", "p", "ul", "ol") and inline_parent:
            self.problems.append(f"<{tag}> inside <{parent}>")
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.problems.append(f"unbalanced </{tag}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        parent = self.stack[-1][0] if self.stack else ""
        if parent in rd.TEXTLESS and data.strip():
            self.problems.append(f"text {data!r} inside <{parent}>")
        marks = set()
        for tag, attrs in self.stack:
            if tag in ("ins", "del"):
                marks.add(tag)
            if "sr-only" in (attrs.get("class") or "") or attrs.get("aria-hidden") == "true":
                marks.add("mark")
            if "diff-format" in (attrs.get("class") or "") or "diff-space" in (attrs.get("class") or ""):
                marks.add("mark")
        self.text.append((data, marks))


def check(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(str(html))
    checker.close()
    assert not checker.problems, (checker.problems, html)
    assert not checker.stack, (checker.stack, html)
    return checker


def words(checker: _Checker, without: str) -> str:
    return " ".join("".join(d for d, marks in checker.text if without not in marks and "mark" not in marks).split())


def squeezed(text: str) -> str:
    return "".join(text.split())


def plain(html: str) -> str:
    checker = check(html)
    return " ".join("".join(d for d, _ in checker.text).split())


def test_changes_are_marked_in_the_rendered_text_with_words_for_screen_readers():
    diff = rendered_diff("The child is *heard*.", "The child is **listened to**.")
    html = str(diff.inline)
    assert '<strong><ins><span class="sr-only">[added: </span>listened to' in html
    assert '<del><span class="sr-only">[removed: </span>heard' in html
    assert "*" not in html and diff.text_changes == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [("a, b", "a,b"), ("x - y", "x-y"), ("see (annex)", "see(annex)")],
)
def test_a_removed_space_is_shown_with_a_mark_in_the_rendered_text(old, new):
    diff = rendered_diff(old, new)
    assert diff.changed
    assert '<del class="diff-space"><span aria-hidden="true">␣</span><span class="sr-only">[space removed]</span>' in (
        diff.inline
    )


def test_crlf_blank_lines_render_the_same_and_nothing_is_marked():
    diff = rendered_diff("One.\r\n\r\nTwo.", "One.\n\nTwo.")
    assert not diff.changed and "<ins" not in diff.inline and "<del" not in diff.inline


def test_a_removed_list_item_stays_inside_a_list_item():
    diff = rendered_diff("- a\n- b\n- c", "- a\n- c")
    html = str(diff.inline)
    assert '<li><del><span class="sr-only">[removed: </span>b<span class="sr-only">]</span></del></li>' in html
    check(html)


def test_a_changed_link_address_or_formatting_is_marked_though_the_words_are_the_same():
    diff = rendered_diff("See [the annex](https://a.example).", "See [the annex](https://b.example).")
    assert diff.format_changes == 1 and diff.text_changes == 0
    assert "[link changed]" in diff.inline and 'href="https://b.example"' in diff.inline
    assert "[paragraph or block changed]" in rendered_diff("one two three", "one two\n\nthree").inline


def test_whole_new_paragraphs_are_marked_as_blocks_and_the_sides_keep_their_own_text():
    diff = rendered_diff("p1\n\np2 old\n\np3", "p1\n\np2 new\n\np3\n\np4", side_by_side=True)
    assert [row.changed for row in diff.rows] == [False, True, False, True]
    assert '<ins class="diff-block"><span class="sr-only">[added: </span><p>p4</p>' in diff.inline
    assert "new" not in diff.rows[1].old and "old" not in diff.rows[1].new


def test_the_rendered_diff_is_as_safe_as_the_renderer():
    nasty = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
        '<a href="https://e.example" onclick="steal()">site</a> <div hx-get="/admin">htmx</div> <style>*{}</style>'
    )
    for old, new in ((nasty, "plain"), ("plain", nasty), (nasty, nasty + " more"), (nasty + "\n\n- x", "- y")):
        for side in (False, True):
            diff = rendered_diff(old, new, side_by_side=side)
            for html in [diff.inline, *(r.old for r in diff.rows), *(r.new for r in diff.rows)]:
                lowered = str(html).lower()
                # A javascript: link stays inert text (CommonMark reads it as text after raw HTML on the line).
                for bad in ("<script", "onerror", 'href="javascript:', "onclick", "hx-get", "<img", "<style", "<div"):
                    assert bad not in lowered, (bad, html)


DOC = """# Protecting children

Identification is the **first** protective act. See [the annex](https://annex.example).

- the child does not hold their own documents
- an adult speaks for the child
- the child seems afraid

1. call the unit
2. hear the child

| who | when |
|-----|------|
| police | at once |

> A quote, with *emphasis*.

```
code  kept
```

Closing words: a, b and x - y."""

EDITS = [
    lambda t: t.replace("first", "first and most"),
    lambda t: t.replace("- an adult speaks for the child\n", ""),
    lambda t: t.replace("**first**", "*first*"),
    lambda t: t.replace("a, b", "a,b"),
    lambda t: t.replace("police", "border guard"),
    lambda t: t.replace("> A quote", "A quote"),
    lambda t: t.replace("code  kept", "code kept"),
    lambda t: t + "\n\nA new paragraph.",
    lambda t: t.replace("2. hear the child", "2. hear the child\n3. write it down"),
    lambda t: t.replace("annex.example", "annex.example/v2"),
    lambda t: t.replace("\n\n1. call", "\n\n- call"),
    lambda t: t.replace("the child seems afraid", "the child seems afraid\n    - or silent"),
]


def test_random_edits_keep_valid_html_and_each_side_reads_as_its_text():
    """Whatever changed, the inline view read without its deletions is the newer text, read without its
    insertions it is the older one, and every view is balanced HTML with no text where a list or table
    allows none."""
    rng = random.Random(16)
    for _ in range(60):
        old = DOC
        for edit in rng.sample(EDITS, rng.randint(0, 3)):
            old = edit(old)
        new = old
        for edit in rng.sample(EDITS, rng.randint(1, 4)):
            new = edit(new)
        diff = rendered_diff(old, new, side_by_side=True)
        inline = check(diff.inline)
        assert words(inline, "del") == plain(render_markdown(new)), (old, new)
        # A removed space is shown by a mark (␣) rather than as a space: the older side is compared unspaced.
        assert squeezed(words(inline, "ins")) == squeezed(plain(render_markdown(old))), (old, new)
        olds = " ".join(words(check(r.old), "ins") for r in diff.rows)
        news = " ".join(words(check(r.new), "del") for r in diff.rows)
        assert squeezed(olds) == squeezed(plain(render_markdown(old)))
        assert " ".join(news.split()) == plain(render_markdown(new))


def test_a_huge_change_comes_back_whole_instead_of_word_by_word():
    """Comparing tokens costs the product of their lengths: a changed stretch beyond the budget is shown as
    removed and added whole (the bound that keeps a 100,000-character body's diff quick)."""
    old = " ".join(f"w{i}" for i in range(9000))
    new = " ".join(f"w{i}" if i % 2 else f"x{i}" for i in range(9000))
    diff = rendered_diff(f"Kept.\n\n{old}\n\nAlso kept.", f"Kept.\n\n{new}\n\nAlso kept.")
    html = str(diff.inline)
    assert html.count('<del class="diff-block">') == 1 and html.count('<ins class="diff-block">') == 1
    assert html.startswith("<p>Kept.</p>") and html.endswith("<p>Also kept.</p>")
    check(html)


def test_many_blocks_are_aligned_without_comparing_each_with_each(monkeypatch):
    """3,000 paragraphs with every other one changed: the unchanged ones are matched by their keys, the changed
    ones compared pairwise, so no token comparison is larger than two paragraphs."""
    sizes = []
    real = rd._compare

    def counting(a, b, *rest):
        sizes.append(len(a) * len(b))
        return real(a, b, *rest)

    monkeypatch.setattr(rd, "_compare", counting)
    old = "\n\n".join(f"Paragraph {i} says something." for i in range(3000))
    new = "\n\n".join(f"Paragraph {i} says {'more' if i % 2 else 'something'}." for i in range(3000))
    diff = diff_html(str(render_markdown(old)), str(render_markdown(new)))
    assert diff.text_changes == 1500
    assert max(sizes) < 20 * 20
    assert re.search(r"Paragraph 1 says <del>.*?something.*?</del><ins>.*?more", str(diff.inline))
