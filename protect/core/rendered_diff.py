"""The differences between two Markdown texts as a reader sees them: both texts rendered (by
``core.text.render_markdown``, the one sanitiser), then compared word by word in their rendered form, the
changes marked with ``<ins>``/``<del>`` (underlined / struck through, with words for screen readers) and a
"✎" where only formatting or a link's address changed.

Why rendered HTML is compared rather than the source marked up and rendered: a deleted ``**`` or ``[`` in a
marked-up source would change how the rest renders. Here each output is built only from the tokens of the
sanitised renderings (tags and escaped text, copied as they are) and a fixed set of our own tags, so it is as
safe as what ``render_markdown`` returns. The structure is the newer text's; deleted text is put where text is
allowed (never straight into a ``<ul>`` or a ``<table>``), so the result stays valid HTML.

Time is bounded for the longest bodies (100,000 characters): the top-level blocks (paragraphs, lists, tables)
are aligned first, unchanged ones at both ends are skipped at once, and token comparisons, whose cost is the
product of their lengths, share a budget; a changed stretch beyond it is shown as removed and added whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from flask_babel import gettext
from markupsafe import Markup

from protect.core.text import render_markdown

_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A tag as the sanitiser writes it (attribute values in double quotes, a quote inside written &quot;), an
# entity, a word, a whitespace run, or any other single character.
_TOKEN = re.compile(rf'<(?:[^>"]|"[^"]*")*>|&#?\w+;|(?:\w|[{_COMBINING}])+|\s+|.', re.UNICODE | re.DOTALL)
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")

VOID = frozenset({"br", "hr", "img", "wbr"})
# Elements whose content may not be text (whitespace aside): deleted text waits until it can be placed.
TEXTLESS = frozenset({"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr"})
PHRASING = frozenset({"a", "abbr", "b", "br", "code", "del", "em", "i", "ins", "s", "strong", "sub", "sup"})
BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "pre", "blockquote", "table", "hr"})
FLOW = frozenset({"", "blockquote", "li", "dd", "td", "th"})  # "" is the diff's own container

# Budgets of token comparisons (product of the two lengths): per pair of blocks, and for the whole diff.
PAIR_MAX = 1_000_000
TOTAL_MAX = 4_000_000
BLOCK_PAIRS_MAX = 4_000_000  # aligning blocks: their counts multiplied (after the unchanged ends are skipped)


@dataclass
class Row:
    """One row of the side-by-side view: a block of the older text beside its counterpart in the newer."""

    old: Markup
    new: Markup
    changed: bool


@dataclass
class RenderedDiff:
    inline: Markup  # the newer text with insertions and deletions marked
    rows: list[Row] = field(default_factory=list)
    text_changes: int = 0  # changed stretches of text
    format_changes: int = 0  # stretches where only formatting or a link's address changed

    @property
    def changed(self) -> bool:
        return bool(self.text_changes or self.format_changes)


# Tokens ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tok:
    text: str
    key: str
    tag: str = ""  # element name for a tag
    closing: bool = False

    @property
    def is_tag(self) -> bool:
        return bool(self.tag)

    @property
    def is_space(self) -> bool:
        return not self.tag and self.text.isspace()

    @property
    def opening(self) -> bool:
        return bool(self.tag) and not self.closing


def tokenize(html: str) -> list[Tok]:
    out: list[Tok] = []
    pre = 0
    for text in _TOKEN.findall(html):
        if text[0] == "<" and len(text) > 1:
            match = _TAG_NAME.match(text)
            if match:
                name = match.group(1).lower()
                closing = text[1] == "/"
                if name == "pre":
                    pre += -1 if closing else 1
                out.append(Tok(text, text, name, closing))
                continue
        if text.isspace() and not pre:
            out.append(Tok(text, " "))
        else:
            out.append(Tok(text, text))
    return out


_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"]|"[^"]*")*>')
_SPACES = re.compile(r"\s+")


def top_blocks(html: str) -> list[str]:
    """The HTML split into its top-level elements (whitespace between them dropped), found by the tags
    alone: the text is not tokenised until a block is known to differ."""
    blocks: list[str] = []
    depth = 0
    start = 0
    for match in _TAG.finditer(html):
        name = match.group(2).lower()
        if depth == 0 and match.start() > start and html[start : match.start()].strip():
            blocks.append(html[start : match.start()].strip())  # loose text between elements
            start = match.start()
        if depth == 0:
            start = match.start() if not html[start : match.start()].strip() else start
        if name in VOID:
            if depth == 0:
                blocks.append(match.group(0))
                start = match.end()
            continue
        depth += -1 if match.group(1) else 1
        if depth <= 0:
            depth = 0
            blocks.append(html[start : match.end()])
            start = match.end()
    if html[start:].strip():
        blocks.append(html[start:].strip())
    return blocks


def _block_key(block: str) -> str:
    return block if "<pre" in block else _SPACES.sub(" ", block)


def _html(tokens: list[Tok]) -> str:
    return "".join(t.text for t in tokens)


# Marks ----------------------------------------------------------------------------------------------------------


# The marks, as Markup: ``kind`` is "ins" or "del"; what they wrap is already HTML (tokens of sanitised HTML).
_SPACE_MARK = Markup(
    '<{0} class="diff-space"><span aria-hidden="true">␣</span><span class="sr-only">[{1}]</span></{0}>'
)
_MARK = Markup('<{0}><span class="sr-only">[{1}: </span>{2}<span class="sr-only">]</span></{0}>')
_FORMAT_MARK = Markup(
    '<ins class="diff-format"><span aria-hidden="true">✎</span><span class="sr-only">[{0}]</span></ins>'
)
_BLOCK_MARK = Markup(
    '<{0} class="diff-block"><span class="sr-only">[{1}: </span>{2}<span class="sr-only">]</span></{0}>'
)


def _said(kind: str) -> str:
    """What a screen reader says before added or removed text (in the reader's language: a cache of these
    diffs has the language in its key)."""
    # Translators: said by screen readers before added text in a comparison, as in "[added: some words]".
    return gettext("added") if kind == "ins" else gettext("removed")


def _mark(kind: str, text: str) -> str:
    if text.isspace():
        mark = str(_SPACE_MARK.format(kind, gettext("space added") if kind == "ins" else gettext("space removed")))
        return mark + text if kind == "ins" else mark
    return str(_MARK.format(kind, _said(kind), Markup(text)))  # noqa: S704 - a run of sanitised HTML


def _format_mark(old: list[Tok], new: list[Tok]) -> str:
    tags = {t.tag for t in (*old, *new) if t.is_tag}
    if "a" in tags:
        said = gettext("link changed")
    elif tags & (BLOCKS | {"li"}):
        said = gettext("paragraph or block changed")
    else:
        said = gettext("formatting changed")
    return str(_FORMAT_MARK.format(said))


class _Writer:
    """Writes one token stream (the newer text's, or for a side the older's), keeping track of the open
    elements so that marks go only where text may stand."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.pending: list[str] = []
        self.run: list[str] = []
        self.run_kind = ""

    @property
    def context(self) -> str:
        return self.stack[-1] if self.stack else ""

    def text_allowed(self) -> bool:
        return self.context not in TEXTLESS

    def _flush_pending(self) -> None:
        if self.pending and self.text_allowed():
            self.parts.extend(self.pending)
            self.pending = []

    def end_run(self) -> None:
        if not self.run:
            return
        text = "".join(self.run)
        self.run = []
        if not self.run_kind.endswith("-words"):
            self.parts.append(_mark(self.run_kind, text))
            return
        # A change of words: the spaces around them are not part of the mark.
        core = text.strip()
        if not core:
            self.parts.append(text)
            return
        head = text[: len(text) - len(text.lstrip())]
        tail = text[len(text.rstrip()) :]
        self.parts.append(head + _mark(self.run_kind[:3], core) + tail)

    def put(self, tok: Tok, kind: str = "") -> None:
        if kind != self.run_kind or tok.is_tag:
            self.end_run()
        self._flush_pending()
        if tok.is_tag:
            self.parts.append(tok.text)
            if tok.tag not in VOID:
                if tok.closing:
                    if tok.tag in self.stack:
                        while self.stack and self.stack.pop() != tok.tag:
                            pass
                else:
                    self.stack.append(tok.tag)
            return
        if not kind or (tok.is_space and not self.text_allowed()):
            self.parts.append(tok.text)
            return
        self.run_kind = kind
        self.run.append(tok.text)

    def later(self, snippet: str) -> None:
        """Put ``snippet`` (phrasing content) here if text may stand here, else as soon as it may."""
        self.end_run()
        self.pending.append(snippet)
        self._flush_pending()

    def raw(self, snippet: str) -> None:
        self.end_run()
        self._flush_pending()
        self.parts.append(snippet)

    def fits(self, chunk: list[Tok]) -> bool:
        """Whether a balanced run of the other text's tokens may stand here as it is."""
        depth = 0
        tops: set[str] = set()
        for tok in chunk:
            if tok.is_tag and tok.tag not in VOID:
                if tok.closing:
                    depth -= 1
                    if depth < 0:
                        return False
                else:
                    if depth == 0:
                        tops.add(tok.tag)
                    depth += 1
            elif depth == 0 and tok.is_tag:
                tops.add(tok.tag)
            elif depth == 0 and not tok.is_space:
                tops.add("#text")
        if depth != 0 or not tops:
            return False
        context = self.context
        if context in ("ul", "ol"):
            return tops == {"li"}
        if context in TEXTLESS:
            return False
        if tops <= PHRASING | {"#text"}:
            return True
        return context in FLOW and tops <= BLOCKS | {"#text"}

    def html(self) -> str:
        self.end_run()
        self.parts.extend(self.pending)
        self.pending = []
        return "".join(self.parts)


# Comparing ------------------------------------------------------------------------------------------------------


def _joins(stream: list[Tok], start: int, end: int) -> bool:
    """Whether whitespace at ``stream[start:end]`` stands between two pieces of text (or inline elements):
    taking it away or adding it joins or splits words."""
    before = stream[start - 1] if start > 0 else None
    after = stream[end] if end < len(stream) else None

    def inline(tok: Tok | None) -> bool:
        return tok is not None and (not tok.is_tag or tok.tag in PHRASING)

    return inline(before) and inline(after)


@dataclass
class _Counts:
    text: int = 0
    format: int = 0


def _compare(a: list[Tok], b: list[Tok], inline: _Writer, old: _Writer, new: _Writer, counts: _Counts) -> None:
    matcher = SequenceMatcher(None, [t.key for t in a], [t.key for t in b], autojunk=False)
    for op, a1, a2, b1, b2 in _slide(_absorb(matcher.get_opcodes(), b), a):
        removed, added = a[a1:a2], b[b1:b2]
        if op == "equal":
            for tok in added:
                inline.put(tok)
                new.put(tok)
            for tok in removed:
                old.put(tok)
            continue
        text_removed = [t for t in removed if not t.is_tag]
        text_added = [t for t in added if not t.is_tag]
        if all(t.is_space for t in text_removed) and all(t.is_space for t in text_added):
            spaces_only = not any(t.is_tag for t in (*removed, *added))
            if spaces_only and not (
                (removed and _joins(a, a1, a2) and not added) or (added and _joins(b, b1, b2) and not removed)
            ):
                # More or less whitespace where there is some on both sides, or beside a block: unseen.
                for tok in added:
                    inline.put(tok)
                    new.put(tok)
                for tok in removed:
                    old.put(tok)
                continue
            if not spaces_only:
                # Only tags changed: formatting, a link's address, a paragraph split or joined.
                mark = _format_mark(removed, added)
                for tok in added:
                    inline.put(tok)
                    new.put(tok)
                for tok in removed:
                    old.put(tok)
                if any(t.opening or t.tag in VOID for t in (*removed, *added)):
                    counts.format += 1
                    inline.later(mark)
                    new.later(mark)
                continue
        counts.text += 1
        # Within a change of words, the spaces between them are not marked on their own (only a change that
        # is nothing but a space shows as ␣).
        removed_kind = "del" if all(t.is_space for t in text_removed) else "del-words"
        added_kind = "ins" if all(t.is_space for t in text_added) else "ins-words"
        # Elements the newer text closes here close before the removed words are shown, so that words taken
        # out after "**first**" are not shown inside its <strong>.
        closing = 0
        while closing < len(added) and added[closing].closing:
            inline.put(added[closing])
            closing += 1
        if removed:
            for tok in removed:
                old.put(tok, removed_kind)
            if inline.fits(removed):
                for tok in removed:
                    inline.put(tok, removed_kind)
            else:
                text = "".join(t.text for t in removed if not t.is_tag)
                if text.strip() or _joins(a, a1, a2):
                    inline.later(_mark("del", text if text.strip() else " "))
        for tok in added[closing:]:
            inline.put(tok, added_kind)
        for tok in added:
            new.put(tok, added_kind)


def _absorb(opcodes: list[tuple[str, int, int, int, int]], b: list[Tok]) -> list[tuple[str, int, int, int, int]]:
    """A lone space between two changes joins them: "the quick" -> "a slow" reads as one replacement, not
    as four fragments (as in the word diff of the source)."""
    out: list[tuple[str, int, int, int, int]] = []
    i = 0
    while i < len(opcodes):
        op = opcodes[i]
        if (
            out
            and out[-1][0] != "equal"
            and op[0] == "equal"
            and op[4] - op[3] == 1
            and b[op[3]].is_space
            and i + 1 < len(opcodes)
            and opcodes[i + 1][0] != "equal"
        ):
            following = opcodes[i + 1]
            previous = out.pop()
            out.append(("replace", previous[1], following[2], previous[3], following[4]))
            i += 2
            continue
        out.append(op)
        i += 1
    return out


def _balanced(tokens: list[Tok]) -> bool:
    depth = 0
    for tok in tokens:
        if tok.is_tag and tok.tag not in VOID:
            depth += -1 if tok.closing else 1
            if depth < 0:
                return False
    return depth == 0


def _slide(opcodes: list[tuple[str, int, int, int, int]], a: list[Tok], reach: int = 8):
    """A removed stretch that cuts across elements (``b</li><li>`` of a list item) is moved, where the text
    allows, to one that holds whole elements (``<li>b</li>``), so that it can be shown in its place."""
    ops = [list(op) for op in opcodes]
    for i, op in enumerate(ops):
        if op[0] != "delete" or _balanced(a[op[1] : op[2]]) or not 0 < i < len(ops) - 1:
            continue
        before, after = ops[i - 1], ops[i + 1]
        if before[0] != "equal" or after[0] != "equal":
            continue
        for shift in range(1, reach + 1):
            a1, a2 = op[1] - shift, op[2] - shift
            if a1 < before[1] + 1 or a[a1].key != a[a2].key:
                break
            if _balanced(a[a1:a2]):
                op[1], op[2] = a1, a2
                op[3] = op[4] = op[3] - shift
                before[2], before[4] = a1, op[3]
                after[1], after[3] = a2, op[3]
                break
    return [tuple(op) for op in ops]


def _pairs(a: list[str], b: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """Top-level blocks aligned: ("equal" | "replace", old blocks, new blocks) in order."""
    ka, kb = [_block_key(x) for x in a], [_block_key(y) for y in b]
    start = 0
    while start < len(a) and start < len(b) and ka[start] == kb[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and ka[end_a - 1] == kb[end_b - 1]:
        end_a -= 1
        end_b -= 1
    out: list[tuple[str, list[str], list[str]]] = []
    out.extend(("equal", [x], [y]) for x, y in zip(a[:start], b[:start], strict=True))
    middle_a, middle_b = a[start:end_a], b[start:end_b]
    if middle_a or middle_b:
        if len(middle_a) * len(middle_b) <= BLOCK_PAIRS_MAX:
            # autojunk: a block repeated many times (the same short line) is not used to align, which keeps
            # this from growing with the square of the number of blocks.
            matcher = SequenceMatcher(None, ka[start:end_a], kb[start:end_b])
            for op, a1, a2, b1, b2 in matcher.get_opcodes():
                if op == "equal":
                    out.extend(("equal", [x], [y]) for x, y in zip(middle_a[a1:a2], middle_b[b1:b2], strict=True))
                elif a2 - a1 == b2 - b1:
                    out.extend(("replace", [x], [y]) for x, y in zip(middle_a[a1:a2], middle_b[b1:b2], strict=True))
                else:
                    out.append(("replace", middle_a[a1:a2], middle_b[b1:b2]))
        elif len(middle_a) == len(middle_b):
            # Too many to align (the matcher's cost grows with the square): as many blocks on both sides
            # is most often paragraphs edited in place, so each is compared with its counterpart.
            for x, y, kx, ky in zip(middle_a, middle_b, ka[start:end_a], kb[start:end_b], strict=True):
                out.append(("equal" if kx == ky else "replace", [x], [y]))
        else:
            out.append(("replace", middle_a, middle_b))
    out.extend(("equal", [x], [y]) for x, y in zip(a[end_a:], b[end_b:], strict=True))
    return out


def _join(blocks: list[str]) -> list[Tok]:
    return tokenize("\n".join(blocks))


def _whole(kind: str, blocks: list[str]) -> str:
    """Whole blocks added or removed."""
    return str(_BLOCK_MARK.format(kind, _said(kind), Markup("".join(blocks))))  # noqa: S704 - blocks of sanitised HTML


def diff_html(old_html: str, new_html: str, *, side_by_side: bool = False) -> RenderedDiff:
    """The difference of two sanitised HTML renderings (see the module's notes)."""
    a, b = top_blocks(old_html), top_blocks(new_html)
    parts: list[str] = []
    rows: list[Row] = []
    counts = _Counts()
    budget = TOTAL_MAX
    for op, olds, news in _pairs(a, b):
        if op == "equal":
            parts.append(news[0])
            if side_by_side:
                rows.append(Row(Markup(olds[0]), Markup(news[0]), False))  # noqa: S704 - sanitised
            continue
        # Tokens are about 4 characters each: the cost is estimated before anything is tokenised.
        cost = sum(map(len, olds)) * sum(map(len, news)) // 16
        if olds and news and cost <= PAIR_MAX and cost <= budget:
            x, y = _join(olds), _join(news)
            cost = len(x) * len(y)
        if olds and news and cost <= PAIR_MAX and cost <= budget:
            budget -= cost
            inline, old, new = _Writer(), _Writer(), _Writer()
            _compare(x, y, inline, old, new, counts)
            parts.append(inline.html())
            old_side, new_side = old.html(), new.html()
        else:
            counts.text += 1
            removed = _whole("del", olds) if olds else ""
            added = _whole("ins", news) if news else ""
            parts.append("\n".join(p for p in (removed, added) if p))
            old_side, new_side = removed, added
        if side_by_side:
            rows.append(Row(Markup(old_side), Markup(new_side), True))  # noqa: S704 - built from sanitised tokens
    return RenderedDiff(Markup("\n".join(parts)), rows, counts.text, counts.format)  # noqa: S704 - as above


def rendered_diff(old_source: str, new_source: str, *, side_by_side: bool = False) -> RenderedDiff:
    """The two Markdown texts rendered by ``render_markdown`` and compared as they read."""
    return diff_html(str(render_markdown(old_source)), str(render_markdown(new_source)), side_by_side=side_by_side)


__all__ = ["RenderedDiff", "Row", "diff_html", "rendered_diff", "tokenize", "top_blocks"]
