"""User Markdown becomes HTML in one place, through an allow-list."""

from __future__ import annotations

import pytest

from protect.core import text
from protect.core.text import DEPTH_MAX, plain_excerpt, render_markdown


@pytest.fixture(autouse=True)
def _render_afresh():
    """Each test renders for itself: a render or excerpt cached by an earlier test (or by mutation testing's
    first run of the original code) would hide what the code under test does now."""
    text._rendered().clear()
    text._excerpts().clear()
    yield
    text._rendered().clear()
    text._excerpts().clear()


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


# What a reader sees of raw HTML, comments and scripts written into a text ----------------------------------


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("x <!-- a --> y <!-- b --> z", "<p>x  y  z</p>\n"),  # each comment ends at its own -->
        ("x <!--a-->y", "<p>x y</p>\n"),  # nothing of the comment's end is left
        ("x <!----> y <!-- z --> w", "<p>x  y  w</p>\n"),  # an empty comment ends at once
        ("a <!--> b --> c", "<p>a &lt;!--&gt; b --&gt; c</p>\n"),  # '<!-->' opens no comment here: shown
        ("x <!-- <b>a</b> --> y <i>z</i>", "<p>x  y <i>z</i></p>\n"),  # tags in a comment go with it
        ("<script>a</script>b<script>c</script>d", "bd"),
        ("<script>\na</script>b\n\nafter <script>c</script> d", "b\n<p>after  d</p>\n"),
        ("before\n\n<script>\nx\n</script", "<p>before</p>\n"),  # a script never closed takes the rest
        ("a <script>b and more", "<p>a b and more</p>\n"),  # inline, with no end tag: only the tag goes
        ("x </span> y", "<p>x  y</p>\n"),  # a stray end tag of an unknown element
        ("x <span>y</span> z <span>w</span>", "<p>x y z w</p>\n"),
        ("a <b>b</b> c </b> d", "<p>a <b>b</b> c  d</p>\n"),  # closed once; the second end tag closes nothing
        ("<b><i>x</b> y</i>", "<p><b><i>x</i></b> y</p>\n"),  # misnested: the bold closes the italic too
        ("<b>one <b>two</b> three</b> four </b>", "<p><b>one <b>two</b> three</b> four </p>\n"),
        ("H<SUB>2</SUB>O", "<p>H2O</p>\n"),  # not written as the renderer writes tags: dropped
        ("1 <2 and 3<", "<p>1 &lt;2 and 3&lt;</p>\n"),
        ("a  \nb\n\n---", "<p>a<br>\nb</p>\n<hr>\n"),  # a hard line break and a rule
        ("a<br/>b<br>c</br>d", "<p>a<br>b<br>cd</p>\n"),
        ('a <img src=\'x\'> b <img alt="the map" src="y"> ![](https://e.org/x.png)', "<p>a  b the map </p>\n"),
        ('a <img src="x"> b', "<p>a  b</p>\n"),  # an image with no text shows nothing
        ('<abbr title="Baltic Sea" class="x">BSR</abbr>', '<p><abbr title="Baltic Sea">BSR</abbr></p>\n'),
    ],
)
def test_raw_html_shows_as_the_reader_would_expect(source, shown):
    assert str(render_markdown(source)) == shown


def test_both_header_and_body_cells_keep_their_alignment():
    html = str(render_markdown("| L | C | R |\n|:--|:-:|--:|\n| 1 | 2 | 3 |"))
    assert '<th align="left">L</th>' in html and '<th align="center">C</th>' in html
    assert '<th align="right">R</th>' in html
    assert '<td align="left">1</td>' in html and '<td align="center">2</td>' in html
    assert '<td align="right">3</td>' in html
    assert "style" not in html


def test_only_web_and_mail_links_keep_their_address():
    html = str(render_markdown("[a](ftp://example.org/f) [b](tel:+37100000000) [c](mailto:x@example.org)"))
    assert html == (
        '<p><a rel="noopener noreferrer nofollow">a</a> <a rel="noopener noreferrer nofollow">b</a> '
        '<a href="mailto:x@example.org" rel="noopener noreferrer nofollow">c</a></p>\n'
    )


def test_attributes_outside_the_allow_list_are_dropped():
    html = str(render_markdown('<a href="https://e.org" hreflang="lv" title="Riga">x</a>'))
    assert html == '<p><a href="https://e.org" title="Riga" rel="noopener noreferrer nofollow">x</a></p>\n'


def test_a_table_footer_written_in_html_is_kept():
    html = str(render_markdown("<table><tfoot><tr><td>Total</td></tr></tfoot></table>"))
    assert html == "<table><tfoot><tr><td>Total</td></tr></tfoot></table>"


def test_quotes_after_other_blocks_still_nest_to_the_depth_limit():
    """The depth counts the elements open now: the paragraphs and lists closed before a deep quote do not count."""
    html = str(render_markdown("intro\n\n- a\n- b\n\n" + "> " * 500 + "the words\n\nafter"))
    assert html.count("<blockquote>") == DEPTH_MAX == html.count("</blockquote>")
    assert "the words" in html and html.endswith("<p>after</p>\n")


# Long texts with ampersands: cut for the sanitiser, unchanged for the reader -----------------------------------


def test_a_long_text_full_of_ampersands_reads_the_same_without_any_trace_of_the_cuts():
    source = "Police & social services & schools. " * 300  # ~11,000 characters, 600 ampersands
    html = str(render_markdown(source))
    assert html == "<p>" + source.strip().replace("&", "&amp;") + "</p>\n"
    assert plain_excerpt(source, 100_000) == source.strip()


@pytest.mark.parametrize(
    ("source", "handed_over"),
    [
        # The first '&' at least _TEXT_RUN (here 10) characters after the last tag or cut gets a cut before it.
        ("aaaa&bbbb&cccccccccccc&dd&ee", "<p>aaaa&amp;bbbb<!---->&amp;cccccccccccc<!---->&amp;dd&amp;ee</p>\n"),
        ("aaaaaaaaaaaaaaa & b", "<p>aaaaaaaaaaaaaaa <!---->&amp; b</p>\n"),
        ("**b** aaaaaaaa&b&c", "<p><strong>b</strong> aaaaaaaa&amp;b<!---->&amp;c</p>\n"),  # counted from the tag
        ("a & b", "<p>a &amp; b</p>\n"),  # short: no cut
        ("aaaaa&bb cc&d", "<p>aaaaa&amp;bb cc<!---->&amp;d</p>\n"),
        ("aaaaaaaa\nbb & c & d", "<p>aaaaaaaa\nbb <!---->&amp; c &amp; d</p>\n"),
        ("abc & d `x` aaaaaaaa & e & f", "<p>abc &amp; d <code>x</code> aaaaaaaa <!---->&amp; e &amp; f</p>\n"),
        ("x <!-- c --> aaaaaaa & b & c", "<p>x  aaaaaaa <!---->&amp; b &amp; c</p>\n"),  # a comment is no tag
        ("<div>\naaaaaaa & bb & c\n</div>", "\naaaaaaa & bb <!---->& c\n"),  # nor is a dropped raw tag
        # Text on either side of a comment is one run: the count goes on, and after a cut starts from the cut.
        ("aaaaa<!-- c -->bbbbb<!-- d --> & c & d", "<p>aaaaabbbbb <!---->&amp; c &amp; d</p>\n"),
        ("aaaaaaaaaa<!-- c -->&b&c", "<p>aaaaaaaaaa<!---->&amp;b&amp;c</p>\n"),
        ("aaaaaaaaaa&<!-- c -->bbbb&", "<p>aaaaaaaaaa<!---->&amp;bbbb&amp;</p>\n"),
        ("aaaa<!-- x -->b&<!-- y -->&c", "<p>aaaab&amp;<!---->&amp;c</p>\n"),
        ("x&yyyyyyy<!-- c -->zz & w & v", "<p>x&amp;yyyyyyyzz <!---->&amp; w &amp; v</p>\n"),
    ],
)
def test_the_html_handed_to_the_sanitiser_is_cut_before_an_ampersand_every_so_many_characters(
    monkeypatch, source, handed_over
):
    """The sanitiser's parser takes time in proportion to the text before each '&': a long text is cut."""
    monkeypatch.setattr(text, "_TEXT_RUN", 10)
    assert text._html(source) == handed_over
    assert str(render_markdown(source)) == handed_over.replace("<!---->", "").replace("& ", "&amp; ")


# Text that cannot go through as it is ----------------------------------------------------------------------


def test_a_lone_surrogate_shown_as_escaped_text_is_a_question_mark(monkeypatch):
    def fail(source):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(text, "_html", fail)
    assert str(render_markdown("a \ud800 <b>")) == "<pre>a ? &lt;b&gt;</pre>"  # a page can be sent as UTF-8


def test_a_lone_surrogate_among_letters_of_the_region_keeps_the_letters():
    assert str(render_markdown("Pärnu \udc80 Ørestad")) == "<p>Pärnu ? Ørestad</p>\n"
    assert plain_excerpt("Pärnu \udc80 Ørestad") == "Pärnu ? Ørestad"


def test_the_log_says_how_long_the_text_was_that_could_not_be_rendered(monkeypatch, caplog):
    def fail(source):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(text, "_html", fail)
    render_markdown("x" * 47)
    assert "Markdown could not be rendered (47 characters); shown as text" in caplog.messages


def test_the_log_says_how_long_the_text_was_whose_excerpt_could_not_be_made(monkeypatch, caplog):
    def fail(source):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(text, "_html", fail)
    assert plain_excerpt("y" * 12) == "y" * 12
    assert "Markdown text could not be made (12 characters); the source is used" in caplog.messages


# Excerpts --------------------------------------------------------------------------------------------------


def test_an_excerpt_ends_at_a_whole_word_within_its_length():
    assert plain_excerpt("one two three four", 10) == "one two…"
    assert plain_excerpt("abcde", 5) == "abcde"  # exactly the length: whole
    assert plain_excerpt("abcdef", 5) == "abcd…"  # one word longer than the length: cut inside it
    assert plain_excerpt("  spaced \n\n out  ") == "spaced out"


def test_one_text_excerpted_at_two_lengths_gives_two_excerpts():
    source = "The Barnahus model brings police, prosecutors, child protection and health care under one roof."
    assert plain_excerpt(source, 30) == "The Barnahus model brings…"
    assert plain_excerpt(source, 60) == "The Barnahus model brings police, prosecutors, child…"
    assert plain_excerpt(source) == source  # 200 by default


def test_the_default_excerpt_is_200_characters():
    assert plain_excerpt("x" * 200) == "x" * 200
    assert plain_excerpt("x" * 201) == "x" * 199 + "…"


def test_an_excerpt_of_nothing_is_empty():
    assert plain_excerpt("") == "" and plain_excerpt(None) == ""


def test_an_excerpt_holds_no_tags():
    assert plain_excerpt("## The *model*\n\n- one\n- two\n\n> quoted `text`") == "The model one two quoted text"
