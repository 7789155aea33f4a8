"""User Markdown becomes HTML in one place, through an allow-list."""

from __future__ import annotations

import pytest

from protect.core.text import plain_excerpt, render_markdown


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ("<iframe src='https://evil.example'></iframe>", "<iframe"),
        ("<style>body{display:none}</style>", "<style"),
        ("<form action='/x'><input name='a'></form>", "<form"),
        ('<div hx-post="/admin/users/1/role" hx-trigger="load">x</div>', "hx-"),
        ('<p style="position:fixed" data-x="1" onclick="x()">y</p>', "style="),
        ("<svg><script>alert(1)</script></svg>", "<svg"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
    ],
)
def test_dangerous_markup_is_made_harmless(source, forbidden):
    html = str(render_markdown(source))
    assert forbidden.lower() not in html.lower()


def test_links_get_rel_noopener_noreferrer_nofollow():
    html = str(
        render_markdown("[UNCRC](https://www.ohchr.org/en/instruments-mechanisms/instruments/convention-rights-child)")
    )
    assert 'href="https://www.ohchr.org/' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_ordinary_markdown_survives():
    html = str(
        render_markdown("## Heading\n\n**Bold** and *em*, `code`,\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    for tag in ("<h2>", "<strong>", "<em>", "<code>", "<ul>", "<li>", "<table>", "<td>"):
        assert tag in html


def test_letters_of_the_region_are_kept():
    text = "Ąžuolas, Jūrmala, Ørestad, Þingvellir, Pärnu, Санкт-Петербург"
    assert text in str(render_markdown(text))


def test_empty_source_renders_nothing():
    assert str(render_markdown("")) == "" and str(render_markdown(None)) == ""


def test_plain_excerpt_strips_markup_and_shortens():
    assert plain_excerpt("# Title\n\nSome **bold** <script>x</script> text", 200) == "Title Some bold text"
    long = plain_excerpt("word " * 100, 30)
    assert len(long) <= 30 and long.endswith("…")


def test_the_rendering_cache_is_bounded_by_what_it_holds_not_only_by_count(monkeypatch):
    from protect.core import text

    monkeypatch.setattr(text._rendered(), "max_weight", 300_000)  # 32 MB in production
    for n in range(8):
        render_markdown(f"{n} " + "A long guideline paragraph. " * 3500)  # ~100,000 characters each
    assert text._rendered().weight <= text._rendered().max_weight
    assert len(text._rendered()) < 8
    again = render_markdown("7 " + "A long guideline paragraph. " * 3500)
    assert again.startswith("<p>7 A long")
