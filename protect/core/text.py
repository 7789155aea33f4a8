"""The one place where user-written Markdown becomes HTML."""

from __future__ import annotations

import hashlib

import markdown
import nh3
from markupsafe import Markup

from protect.core.lru import LRU, app_cache

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
MARKDOWN_EXTENSIONS = ("tables", "fenced_code", "sane_lists", "def_list", "abbr")


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML through an allow-list: no script, style, iframe, form, event handler, or
    ``javascript:``/``data:`` URL survives, and links get ``rel="noopener noreferrer nofollow"``."""
    if not source:
        return Markup("")
    return _rendered().get_or_compute(_digest(source), lambda: _render(source))


# Rendered Markdown and excerpts, keyed on a digest of the source (an edited text is a new key) and bounded by
# what they hold: a guideline body may have 100,000 characters, so a count alone could reach gigabytes.
def _rendered() -> LRU[Markup]:
    return app_cache("markdown", 4096, max_weight=32 * 1024 * 1024, weigh=len)


def _excerpts() -> LRU[str]:
    return app_cache("markdown.excerpts", 8192, max_weight=4 * 1024 * 1024, weigh=len)


def _digest(source: str) -> bytes:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=20).digest()


def _render(source: str) -> Markup:
    html = markdown.markdown(source, extensions=list(MARKDOWN_EXTENSIONS), output_format="html")
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def plain_excerpt(source: str | None, length: int = 200) -> str:
    """A short plain-text summary of Markdown (for lists, meta descriptions and feeds)."""
    if not source:
        return ""
    return _excerpts().get_or_compute((_digest(source), length), lambda: _plain_excerpt(source, length))


def _plain_excerpt(source: str, length: int) -> str:
    text = nh3.clean(markdown.markdown(source), tags=set())
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"
