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
        ("<SCRIPT>alert(1)</SCRIPT>", "alert"),
        ("<script>alert(1)", "<script"),
        ("<scr<x>ipt>alert(1)</script>", "<script"),
        ("<<script>script>alert(1)<</script>/script>", "<script"),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "onerror"),
        ("<svg><style><img src=x onerror=alert(1)></style></svg>", "onerror"),
        ("<!--><img src=x onerror=alert(1)>-->", "onerror"),
        ('<b onclick="x()">bold</b>', "onclick"),
        ('<a href="https://e.org" style="x" onmouseover="y()">z</a>', "onmouseover"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("<math><mi xlink:href='javascript:alert(1)'>x</mi></math>", "javascript"),
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


def test_tables_fenced_code_and_definition_lists_are_kept():
    html = str(
        render_markdown(
            "| Left | Right |\n|:--|--:|\n| a | 1 |\n\n```python\nx = 1 < 2\n```\n\n"
            "Barnahus\n: A child-friendly house.\n\n1. one\n   1. nested\n\n~~gone~~"
        )
    )
    assert '<th align="left">Left</th>' in html and '<td align="right">1</td>' in html
    assert "<pre><code>x = 1 &lt; 2\n</code></pre>" in html
    assert "<dl>\n<dt>Barnahus</dt>\n<dd>A child-friendly house.</dd>\n</dl>" in html
    assert "<ol>\n<li>one\n<ol>\n<li>nested</li>" in html and "<del>gone</del>" in html


def test_raw_html_keeps_the_allowed_tags_and_only_the_text_of_the_others():
    html = str(render_markdown('H<sub>2</sub>O, <abbr title="Child Advocacy Centre">CAC</abbr>, <span>plain</span>'))
    assert html == '<p>H<sub>2</sub>O, <abbr title="Child Advocacy Centre">CAC</abbr>, plain</p>\n'
    unclosed = str(render_markdown("a <b>bold, never closed\n\nnext"))
    assert unclosed == "<p>a <b>bold, never closed</b></p>\n<p>next</p>\n"
    assert str(render_markdown("a </b> b </i>")) == "<p>a  b </p>\n"  # nothing open to close
    assert str(render_markdown("x <!-- hidden --> y")) == "<p>x  y</p>\n"
    assert str(render_markdown("x <!-- never closed")) == "<p>x &lt;!-- never closed</p>\n"
    assert str(render_markdown("<style>p{}</style>after")) == "after"


def test_an_image_shows_its_text():
    assert str(render_markdown("![the Riga venue](https://example.org/venue.png)")) == "<p>the Riga venue</p>\n"


def test_a_lone_surrogate_does_not_raise():
    assert str(render_markdown("a \ud800 *b*")) == "<p>a ? <em>b</em></p>\n"
    assert plain_excerpt("a \udfff b") == "a ? b"


def test_what_cannot_be_rendered_is_shown_as_escaped_text(monkeypatch, caplog):
    from protect.core import text

    def fail(source):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(text, "_html", fail)
    source = "<script>alert(1)</script> **never** rendered"
    html = str(render_markdown(source))
    assert html == "<pre>&lt;script&gt;alert(1)&lt;/script&gt; **never** rendered</pre>"
    assert "could not be rendered" in caplog.text
    assert plain_excerpt(source) == source  # as text, which the templates escape


def test_the_excerpt_is_plain_text_not_html():
    assert plain_excerpt("Police & *social* services <div>met</div> 1 < 2") == "Police & social services met 1 < 2"
