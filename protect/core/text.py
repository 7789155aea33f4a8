"""The one place where user-written Markdown becomes HTML.

Every member-written field goes through ``render_markdown`` (or ``plain_excerpt``), so this module must render any
text a field accepts, up to its length limit (100,000 characters for a guideline section), in time that grows
linearly with its length, and never raise. Three steps, each linear:

1. pulldown-cmark (through ``pyromark``, Rust) parses CommonMark with tables, strikethrough and definition lists.
   It is built to run in linear time on any input; Python-Markdown, used before, was quadratic on runs of ``[``,
   ``![``, ``[a](``, ``<a ``, setext headings, definition lists and abbreviations, and raised RecursionError on
   nested ordered lists (see ``bench/markdown.py`` for the figures).
2. ``_balance`` walks the produced HTML once and keeps only tags it can read exactly: the shapes the renderer
   writes, or a raw tag written the same way with a name from the allow-list. Other raw HTML tags and comments
   are dropped (their text stays), ``<script>``/``<style>`` go with their content, and a ``<`` that starts nothing
   readable becomes ``&lt;``. What it keeps it nests properly and at most ``DEPTH_MAX`` deep: the HTML parser
   behind nh3 checks the open elements on every tag, so 100,000 nested quotes took minutes there.
3. nh3 (ammonia) applies the allow-list: tags, attributes, URL schemes, ``rel`` on links.

If anything still fails, the text is shown escaped in a ``<pre>``, never as an error.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import logging
import re

import nh3
import pyromark
from markupsafe import Markup

from protect.core.lru import LRU, app_cache

log = logging.getLogger(__name__)

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MARKDOWN_OPTIONS = (
    pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH | pyromark.Options.ENABLE_DEFINITION_LIST
)
# How deep elements may nest. Ordinary text stays far below (a list in a list in a quote is 6); deeper ones are
# flattened: their text stays, their tags go.
DEPTH_MAX = 40

# Tags kept (besides the allow-list's names): an image becomes its text.
_VOID = frozenset({"br", "hr", "img"})
_KEPT = ALLOWED_TAGS | _VOID
# Elements whose content goes too: nh3 would drop it, and a parser reads it as raw text.
_WITH_CONTENT = ("script", "style")
# Each ``<`` of the renderer's HTML, and with it the tag it starts if that is a tag as the renderer writes it:
# lowercase name, at most 4 attributes in double quotes, none longer than 2,048 characters nor holding a quote or
# an angle bracket (the renderer escapes them). The HTML parser reads such a tag exactly as this does. The bounds
# matter: the parser behind nh3 checks each attribute against the others, and is slow on long values.
_TOKEN = re.compile(r'<(?:(/?)([a-z][a-z0-9]{0,9})((?:\s+[a-z][a-z-]{0,19}="[^"<>]{0,2048}"){0,4}+)\s*+/?>)?')
# Any other raw tag, to drop whole. A ``<`` that starts neither is escaped.
_RAW_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_NAME = re.compile(r"[A-Za-z]+")
_ALT = re.compile(r'\salt="([^"]*)"')
_ALIGN = re.compile(r'\s+style="text-align: (left|center|right)"')
# The parser behind nh3 takes time in proportion to a text's length for each ``&`` in it (100,000 of them in one
# text took seconds), so a long text is cut, before an ``&``, by an empty comment that nh3 removes.
_TEXT_RUN = 1024
_CUT = "<!---->"


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML through an allow-list: no script, style, iframe, form, event handler, or
    ``javascript:``/``data:`` URL survives, and links get ``rel="noopener noreferrer nofollow"``."""
    if not source:
        return Markup("")
    return _rendered().get_or_compute(_digest(source), lambda: _render_or_escape(source))


# Rendered Markdown and excerpts, keyed on a digest of the source (an edited text is a new key) and bounded by
# what they hold: a guideline body may have 100,000 characters, so a count alone could reach gigabytes.
def _rendered() -> LRU[Markup]:
    return app_cache("markdown", 4096, max_weight=32 * 1024 * 1024, weigh=len)


def _excerpts() -> LRU[str]:
    return app_cache("markdown.excerpts", 8192, max_weight=4 * 1024 * 1024, weigh=len)


def _digest(source: str) -> bytes:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=20).digest()


def _render_or_escape(source: str) -> Markup:
    try:
        return _render(source)
    except Exception:  # any failure (RecursionError too) shows the text, never a 500
        log.exception("Markdown could not be rendered (%d characters); shown as text", len(source))
        return Markup("<pre>%s</pre>") % _encodable(source)


def _render(source: str) -> Markup:
    clean = nh3.clean(
        _html(source),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def _html(source: str) -> str:
    """The renderer's HTML, balanced and bounded in depth (not yet through the allow-list)."""
    return _balance(pyromark.html(_encodable(source), options=MARKDOWN_OPTIONS))


def _encodable(source: str) -> str:
    """The text with any lone surrogate (which cannot be UTF-8, nor cross into Rust) as a question mark."""
    return source if source.isascii() else source.encode("utf-8", "replace").decode("utf-8")


def _balance(html: str) -> str:
    """Keep the tags this reads exactly, properly nested and at most DEPTH_MAX deep (see the module's note).

    One pass: each ``<`` is looked at once, each kept tag is pushed and popped at most once, and the searches for
    a closing ``-->`` or ``</script`` resume where the last one ended.
    """
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (name, written): tags past DEPTH_MAX are not written, nor their end
    open_count: dict[str, int] = {}  # how many of each name are on the stack
    depth = 0  # written tags on the stack
    run = 0  # characters of text since the last tag or cut
    found: dict[str, int] = {}  # where each closer searched for was found (-1: nowhere after)
    lower = ""
    pos = 0

    def text(piece: str) -> None:
        nonlocal run
        if "&" not in piece:
            out.append(piece)
            run += len(piece)
            return
        start = 0
        if run + len(piece) > _TEXT_RUN:
            cut = piece.find("&", max(0, _TEXT_RUN - run))
            while cut != -1:
                out.append(piece[start:cut])
                out.append(_CUT)
                start, run = cut, 0
                cut = piece.find("&", cut + _TEXT_RUN)
        out.append(piece[start:])
        run += len(piece) - start

    def next_at(needle: str, start: int) -> int:
        nonlocal lower
        lower = lower or html.lower()
        at = found.get(needle, -2)
        if at == -2 or (at != -1 and at < start):
            at = found[needle] = lower.find(needle, start)
        return at

    for token in _TOKEN.finditer(html):
        lt = token.start()
        if lt < pos:  # inside a comment or a script dropped just before
            continue
        if lt > pos:
            text(html[pos:lt])
        name = token.group(2)
        if name in _KEPT:
            pos, run = token.end(), 0
            closing, attrs = token.group(1), token.group(3)
            if name in _VOID:
                if closing:
                    pass
                elif name == "img":  # shown as its text (nh3 would drop it whole, text and all)
                    alt = _ALT.search(attrs)
                    text(alt.group(1) if alt else "")
                else:
                    out.append(f"<{name}>")
            elif not closing:
                written = depth < DEPTH_MAX
                stack.append((name, written))
                open_count[name] = open_count.get(name, 0) + 1
                if written:
                    depth += 1
                    if attrs and name in ("td", "th"):
                        attrs = _ALIGN.sub(r' align="\1"', attrs)
                    out.append(f"<{name}{attrs}>")
            elif open_count.get(name):
                # Close what is open down to this name (a raw tag left open closes here), in order.
                while True:
                    top, written = stack.pop()
                    open_count[top] -= 1
                    if written:
                        depth -= 1
                        out.append(f"</{top}>")
                    if top == name:
                        break
            # else: an end tag with nothing open to close is dropped
            continue
        if html.startswith("<!--", lt):
            end = next_at("-->", lt + 4)
            if end != -1:
                pos = end + 3
                continue
        elif raw := _RAW_TAG.match(html, lt):
            pos = raw.end()
            element = _NAME.match(html, lt + 1)  # None for an end tag
            if element and element.group().lower() in _WITH_CONTENT:
                end = next_at(f"</{element.group().lower()}", pos)
                if end != -1:
                    close = html.find(">", end)
                    pos = close + 1 if close != -1 else len(html)
            continue
        text("&lt;")
        pos = lt + 1
    if pos < len(html):
        text(html[pos:])
    out.extend(f"</{name}>" for name, written in reversed(stack) if written)
    return "".join(out)


def plain_text(source: str | None) -> str:
    """Markdown as the plain text a reader sees (for the search index): the words, without the markup."""
    if not source:
        return ""
    try:
        text = html_lib.unescape(nh3.clean(_html(source), tags=set()))
    except Exception:  # as render_markdown: the text itself rather than an error
        log.exception("Markdown text could not be made (%d characters); the source is used", len(source))
        text = source
    return " ".join(text.split())


def plain_excerpt(source: str | None, length: int = 200) -> str:
    """A short plain-text summary of Markdown (for lists, meta descriptions and feeds)."""
    if not source:
        return ""
    return _excerpts().get_or_compute((_digest(source), length), lambda: _plain_excerpt(source, length))


def _plain_excerpt(source: str, length: int) -> str:
    text = plain_text(source)
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"
