"""Word-level differences between two texts: the one word diff every feature shows (agenda conflicts and
history, guideline revisions, decision edits, programme versions).

Text is split into tokens that keep everything: words (any script: Latin with Nordic and Baltic letters,
Cyrillic, ..., with their combining marks), single punctuation marks, and whitespace runs. Tokens are compared
by a key in which whitespace counts only as "space" or "paragraph break", so re-wrapped lines, doubled spaces
or trailing blanks do not light up as changes, while a paragraph split or join does. Segments are plain strings;
templates render them with ``ui.diff(segments)``: ``<ins>``/``<del>``, marked by more than colour and named
for screen readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher

# A word: letters, digits and the combining marks that belong to them (so "ā", "ё" or a decomposed
# "e + ◌́" stay one word). Everything else that is not whitespace is a token of its own.
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_TOKEN = re.compile(rf"(?:\w|[{_COMBINING}])+|\s+|.", re.UNICODE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_HARD_BREAK = re.compile(r"[ \t]*(?: {2}|\t)[ \t]*\n")

SAME, INS, DEL = "same", "ins", "del"


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def _key(token: str) -> str:
    if token.isspace():
        flat = token.replace("\r", "")
        # A line's indentation nests a list or starts a code block, after a blank line too: it may change the text.
        indent = len(flat.rsplit("\n", 1)[1].expandtabs(4)) if "\n" in flat else 0
        nested = " " * indent if indent >= 2 else ""
        if _BLANK_LINES.search(flat):
            return "\n\n" + nested
        if _HARD_BREAK.match(flat):
            return "  \n"  # two spaces before a line end: Markdown's hard line break (<br>), not a plain space
        if nested:
            return "\n" + nested
        return " "
    return token


def normalise(text: str) -> str:
    """The source as it is compared for "nothing changed": line endings, trailing blanks and outer blank lines
    do not count."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


@dataclass
class Segment:
    kind: str  # same | ins | del
    text: str

    def __iter__(self) -> Iterator[str]:
        """``kind, text = segment`` works too."""
        return iter((self.kind, self.text))

    @property
    def is_break(self) -> bool:
        """An added or removed paragraph break (shown with a ¶ mark, since whitespace cannot be seen)."""
        return self.kind != SAME and self.text.isspace() and "\n\n" in _key(self.text)

    @property
    def is_space(self) -> bool:
        """An added or removed space or line break that joins or splits words (``a, b`` -> ``a,b``): a change
        a reader cannot see unless it is shown with a mark."""
        return self.kind != SAME and self.text.isspace() and not self.is_break


@dataclass
class Diff:
    segments: list[Segment]
    whitespace_only: bool = False  # the texts differ, but only in whitespace that Markdown ignores

    @property
    def changed(self) -> bool:
        return any(s.kind != SAME for s in self.segments)

    @property
    def added_words(self) -> int:
        return sum(_word_count(s.text) for s in self.segments if s.kind == INS)

    @property
    def removed_words(self) -> int:
        return sum(_word_count(s.text) for s in self.segments if s.kind == DEL)

    def side(self, which: str) -> list[Segment]:
        """The old side (same + deleted) or the new side (same + inserted)."""
        dropped = INS if which == "old" else DEL
        return [s for s in self.segments if s.kind != dropped]


def _word_count(text: str) -> int:
    return sum(1 for t in tokens(text) if not t.isspace() and (t[0].isalnum() or len(t) > 1))


# Comparing token lists costs up to the product of their lengths: 1,500 words against 1,500 changed ones took
# 34 s. Above this product the texts are compared paragraph by paragraph first, and a changed stretch still too
# large is shown as removed and added whole: a diff takes at most about a second (measured: 1.3 s).
WORD_PAIRS_MAX = 1_000_000
_PARAGRAPHS = re.compile(r".*?(?:\n[ \t]*\n\s*|\Z)", re.DOTALL)


def word_diff(old: str, new: str) -> Diff:
    """What turns ``old`` into ``new``, word by word. Unchanged stretches are shown as they are in ``new``."""
    raw = _raw_segments(old or "", new or "")
    segments = _merge(_absorb_gaps(raw))
    # Only spacing differs when no word, mark or Markdown break differs and no space was added or removed
    # between two tokens (that joins or splits them: "a, b" -> "a,b" is a change): what is left is the amount
    # or kind of whitespace where both texts have some, and blanks at either end.
    whitespace_only = (old or "") != (new or "") and not any(s.kind != SAME for s in segments)
    return Diff(segments, whitespace_only)


def _raw_segments(old: str, new: str, *, by_paragraph: bool = True) -> list[Segment]:
    a, b = tokens(old), tokens(new)
    if len(a) * len(b) <= WORD_PAIRS_MAX:
        return _token_segments(a, b)
    if not by_paragraph:
        return [Segment(DEL, old), Segment(INS, new)]
    paragraphs_a = [p for p in _PARAGRAPHS.findall(old) if p]
    paragraphs_b = [p for p in _PARAGRAPHS.findall(new) if p]
    matcher = SequenceMatcher(None, [normalise(p) for p in paragraphs_a], [normalise(p) for p in paragraphs_b])
    raw: list[Segment] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        removed, added = "".join(paragraphs_a[a1:a2]), "".join(paragraphs_b[b1:b2])
        if op == "equal":
            raw.append(Segment(SAME, added))
        elif a2 - a1 == b2 - b1:  # as many paragraphs changed as there were: each against its counterpart
            for before, after in zip(paragraphs_a[a1:a2], paragraphs_b[b1:b2], strict=True):
                raw.extend(_raw_segments(before, after, by_paragraph=False))
        else:
            raw.extend(_raw_segments(removed, added, by_paragraph=False))
    return raw


def _token_segments(a: list[str], b: list[str]) -> list[Segment]:
    matcher = SequenceMatcher(None, [_key(t) for t in a], [_key(t) for t in b], autojunk=False)
    raw: list[Segment] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            raw.append(Segment(SAME, "".join(b[b1:b2])))
            continue
        removed, added = "".join(a[a1:a2]), "".join(b[b1:b2])
        at_edge = (a1 == 0 and b1 == 0) or (a2 == len(a) and b2 == len(b))
        if at_edge and _is_space(removed) and _is_space(added):
            # Blanks added or dropped before the first word or after the last: nothing a reader would see.
            # (Between two tokens, a space that appears or goes joins or splits them: that is a change.)
            raw.append(Segment(SAME, added))
            continue
        if removed:
            raw.append(Segment(DEL, removed))
        if added:
            raw.append(Segment(INS, added))
    return raw


def _is_space(text: str) -> bool:
    """Empty, or whitespace that is not a paragraph break."""
    return not text or (text.isspace() and _key(text) == " ")


def _absorb_gaps(segments: list[Segment]) -> list[Segment]:
    """A lone space (or one short punctuation mark) between two changes joins them: "the quick" -> "a slow"
    reads as one replacement, not as four fragments."""
    out: list[Segment] = []
    for i, seg in enumerate(segments):
        between = 0 < i < len(segments) - 1 and segments[i - 1].kind != SAME and segments[i + 1].kind != SAME
        if seg.kind == SAME and between and (seg.text.isspace() and "\n\n" not in _key(seg.text)):
            out.append(Segment(DEL, seg.text))
            out.append(Segment(INS, seg.text))
        else:
            out.append(seg)
    # Within a run of changes, put all deletions before all insertions.
    result: list[Segment] = []
    run: list[Segment] = []
    for seg in [*out, Segment(SAME, "")]:
        if seg.kind == SAME:
            result.extend(s for s in run if s.kind == DEL)
            result.extend(s for s in run if s.kind == INS)
            run = []
            result.append(seg)
        else:
            run.append(seg)
    return result


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for seg in segments:
        if not seg.text:
            continue
        if merged and merged[-1].kind == seg.kind:
            merged[-1] = Segment(seg.kind, merged[-1].text + seg.text)
        else:
            merged.append(seg)
    return merged
