"""Any text a Markdown field accepts, up to its length limit, renders: no exception, sane output.

The hostile families are the bench's (bench/markdown.py: runs of brackets, image brackets, emphasis markers,
backticks, angle brackets, quotes, list markers, nested or not, link reference definitions, raw HTML and
mixtures). Time is not asserted here (the bench measures it); what is asserted is that the renderer itself,
without its fallback, returns HTML with only allowed tags, properly nested and bounded in depth, and no bigger
than a small multiple of the text.
"""

from __future__ import annotations

import html
import re

import pytest

from bench.markdown import FAMILIES, FIELDS, ordinary
from protect.core import text
from protect.core.text import ALLOWED_TAGS, DEPTH_MAX, plain_excerpt, render_markdown

LIMITS = sorted(FIELDS)
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
VOID = {"br", "hr"}


@pytest.fixture(autouse=True)
def _render_afresh():
    """Render for this test, not from a cache an earlier render (or mutation testing's first run) filled."""
    text._rendered().clear()
    text._excerpts().clear()


def check_sane(source: str, out: str) -> None:
    """Only allowed tags, each closed in order, at most DEPTH_MAX deep; nothing that could start a tag."""
    stack: list[str] = []
    deepest = 0
    for closing, name in TAG.findall(out):
        assert name in ALLOWED_TAGS, name
        if name in VOID:
            continue
        if closing:
            assert stack and stack[-1] == name, (name, stack[-5:])
            stack.pop()
        else:
            stack.append(name)
            deepest = max(deepest, len(stack))
    assert not stack and deepest <= DEPTH_MAX
    assert "<!--" not in out and "<script" not in out.lower()
    assert "<" not in TAG.sub("", out)  # any other '<' is escaped
    assert len(out) <= 20 * len(source) + 100  # a link per 4 characters is the most (17 times)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_hostile_family_renders_at_every_field_limit(family):
    for limit in LIMITS:
        source = FAMILIES[family](limit)
        assert len(source) == limit
        out = str(text._render(source))  # the renderer itself: its fallback would hide an exception
        check_sane(source, out)
    assert len(plain_excerpt(source, 300)) <= 300  # the same steps: once, at the largest limit, is enough


@pytest.mark.parametrize("limit", LIMITS)
def test_an_ordinary_text_at_each_limit_keeps_its_structure(limit):
    out = str(text._render(ordinary(limit)))
    check_sane(ordinary(limit), out)
    for tag in ("<h2>", "<strong>", "<em>", "<code>", "<ul>", "<ol>", "<blockquote>", "<table>", "<dl>", "<a href="):
        assert tag in out, tag


def test_a_note_of_10000_brackets_is_shown_as_brackets():
    for source in ("[" * 10_000, "![" * 5_000, "[a](" * 2_500):
        out = str(render_markdown(source))
        assert html.unescape(re.sub(r"<[^>]+>", "", out)).strip() == source


def test_2500_nested_list_markers_in_a_comment_render_flattened_past_the_depth_limit():
    for source in ("1. " * 2_500 + "a", "- " * 2_500 + "a", "> " * 2_500 + "deep", "> - " * 2_500 + "deep"):
        out = str(render_markdown(source))
        check_sane(source, out)
        assert out.count("<ol>") + out.count("<ul>") + out.count("<blockquote>") >= DEPTH_MAX // 3


def test_a_deep_quote_keeps_its_text_and_at_most_the_depth_limit_of_quotes():
    out = str(render_markdown("> " * 500 + "the words"))
    assert "the words" in out
    assert out.count("<blockquote>") == DEPTH_MAX


def test_angle_brackets_backticks_and_emphasis_runs_survive_as_text():
    assert "&lt;" * 1000 in str(render_markdown("<" * 20_000))
    assert "`" * 1000 in str(render_markdown("a " + "`" * 20_000))  # (at the start of a line, a fence)
    assert "_a" * 1000 in str(render_markdown("_a" * 10_000))
    assert "*" * 1000 in str(render_markdown("a " + "*" * 20_000))  # (alone on a line, a rule)
