"""Word-level differences between two Markdown sources, paragraph blocks, and a three-way merge of blocks.

Text is split into tokens that keep everything: words (any script: Latin with Nordic and Baltic letters,
Cyrillic, ..., with their combining marks), single punctuation marks, and whitespace runs. Tokens are compared
by a key in which whitespace counts only as "space" or "paragraph break", so re-wrapped lines, doubled spaces
or trailing blanks do not light up as changes, while a paragraph split or join does. The segments that come
out are plain strings; templates escape them and wrap changes in ``<ins>``/``<del>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# A word: letters, digits and the combining marks that belong to them (so "ā", "ё" or a decomposed
# "e + ◌́" stay one word). Everything else that is not whitespace is a token of its own.
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_TOKEN = re.compile(rf"(?:\w|[{_COMBINING}])+|\s+|.", re.UNICODE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")

SAME, INS, DEL = "same", "ins", "del"


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def _key(token: str) -> str:
    if token.isspace():
        return "\n\n" if _BLANK_LINES.search(token.replace("\r", "")) else " "
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

    @property
    def is_break(self) -> bool:
        """An added or removed paragraph break (shown with a ¶ mark, since whitespace cannot be seen)."""
        return self.kind != SAME and self.text.isspace() and "\n\n" in _key(self.text)


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


def word_diff(old: str, new: str) -> Diff:
    """What turns ``old`` into ``new``, word by word. Unchanged stretches are shown as they are in ``new``."""
    a, b = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, [_key(t) for t in a], [_key(t) for t in b], autojunk=False)
    raw: list[Segment] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            raw.append(Segment(SAME, "".join(b[b1:b2])))
            continue
        removed, added = "".join(a[a1:a2]), "".join(b[b1:b2])
        if _is_space(removed) and _is_space(added):
            # Spaces added, dropped or re-wrapped with no word beside them: nothing a reader would see.
            raw.append(Segment(SAME, added))
            continue
        if removed:
            raw.append(Segment(DEL, removed))
        if added:
            raw.append(Segment(INS, added))
    segments = _merge(_absorb_gaps(raw))
    whitespace_only = (old or "") != (new or "") and not any(s.kind != SAME for s in segments)
    return Diff(segments, whitespace_only)


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


# Paragraph blocks -------------------------------------------------------------------------------------------


def blocks(text: str) -> list[str]:
    """A Markdown source split at blank lines into its paragraph blocks (lists, quotes, tables stay whole
    as long as they have no blank line inside; a fenced code block is never split)."""
    result: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in normalise(text).split("\n"):
        stripped = line.strip()
        if fence is None and stripped[:3] in ("```", "~~~"):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        if not stripped and fence is None:
            if current:
                result.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        result.append("\n".join(current))
    return result


@dataclass
class Row:
    """One row of the side-by-side view: a block of the old text beside the block of the new text."""

    old: list[Segment] = field(default_factory=list)
    new: list[Segment] = field(default_factory=list)
    changed: bool = False


def side_by_side(old: str, new: str) -> list[Row]:
    """Rows of paragraph blocks aligned old beside new; changed pairs carry their word diff."""
    a, b = blocks(old), blocks(new)
    matcher = SequenceMatcher(None, [_block_key(x) for x in a], [_block_key(x) for x in b], autojunk=False)
    rows: list[Row] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(Row([Segment(SAME, a[a1 + k])], [Segment(SAME, b[b1 + k])]) for k in range(a2 - a1))
        elif op == "delete":
            rows.extend(Row([Segment(DEL, x)], [], True) for x in a[a1:a2])
        elif op == "insert":
            rows.extend(Row([], [Segment(INS, x)], True) for x in b[b1:b2])
        elif a2 - a1 == b2 - b1:
            for k in range(a2 - a1):
                diff = word_diff(a[a1 + k], b[b1 + k])
                rows.append(Row(diff.side("old"), diff.side("new"), True))
        else:
            diff = word_diff("\n\n".join(a[a1:a2]), "\n\n".join(b[b1:b2]))
            rows.append(Row(diff.side("old"), diff.side("new"), True))
    return rows


def _block_key(block: str) -> str:
    return " ".join(block.split())


# Three-way merge --------------------------------------------------------------------------------------------


@dataclass
class Merge:
    text: str
    conflicts: int  # blocks changed differently on both sides; the merged text keeps the proposal's version


def merge3(base: str, current: str, proposal: str) -> Merge:
    """Carry a proposal written against ``base`` over to ``current``, block by block.

    A block changed on one side only takes that side's version; changed alike on both, that version; changed
    differently on both, a conflict: the proposal's version is kept and counted, for its author to resolve.
    """
    b, c, p = blocks(base), blocks(current), blocks(proposal)
    key = _block_key
    to_c = _matches([key(x) for x in b], [key(x) for x in c])
    to_p = _matches([key(x) for x in b], [key(x) for x in p])
    # Base blocks unchanged on both sides anchor the merge.
    anchors = [(i, to_c[i], to_p[i]) for i in range(len(b)) if i in to_c and i in to_p]
    out: list[str] = []
    conflicts = 0
    bi = ci = pi = 0
    for ai, ac, ap in [*anchors, (len(b), len(c), len(p))]:
        chunk_b, chunk_c, chunk_p = b[bi:ai], c[ci:ac], p[pi:ap]
        if len(chunk_b) == len(chunk_c) == len(chunk_p):
            # Block for block: neighbouring paragraphs changed on different sides merge cleanly.
            for parts in zip(chunk_b, chunk_c, chunk_p, strict=True):
                conflicts += _merge_chunk([parts[0]], [parts[1]], [parts[2]], out)
        else:
            conflicts += _merge_chunk(chunk_b, chunk_c, chunk_p, out)
        if ai < len(b):
            out.append(p[ap])
        bi, ci, pi = ai + 1, ac + 1, ap + 1
    return Merge("\n\n".join(out), conflicts)


def _merge_chunk(base: list[str], current: list[str], proposal: list[str], out: list[str]) -> int:
    kb, kc, kp = ([_block_key(x) for x in chunk] for chunk in (base, current, proposal))
    if kc == kb:
        out.extend(proposal)
    elif kp in (kb, kc):
        out.extend(current)
    else:
        out.extend(proposal)
        return 1
    return 0


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.a + k] = block.b + k
    return pairs
