"""Paragraph blocks of a Markdown source, the side-by-side view, and a three-way merge of blocks (the word
diff itself is protect.core.diff; here it is cached, see ``word_diff``).

"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from flask_babel import get_locale

from protect.core import diff as core_diff
from protect.core.diff import DEL, INS, SAME, Diff, Segment, normalise, tokens
from protect.core.lru import LRU, app_cache
from protect.core.rendered_diff import RenderedDiff, rendered_diff

__all__ = [
    "DEL",
    "INS",
    "SAME",
    "Diff",
    "Segment",
    "blocks",
    "merge3",
    "normalise",
    "rendered",
    "side_by_side",
    "tokens",
    "word_diff",
]


# The word diff, cached -------------------------------------------------------------------------------------

# A revision's body never changes once saved, and a page compares the same two bodies on every view, so the
# diff of a pair of texts is kept in each process. The key is a digest of both texts themselves (not revision
# ids, which a database may reuse after a delete): a different text is a different key, so an entry cannot go
# stale. Bounded by entries and by the characters they hold (a body may have up to BODY_MAX characters).
DIFF_CACHE_SIZE = 256
DIFF_CACHE_CHARS = 4_000_000


def _diffs() -> LRU[Diff]:
    # Weighed in characters, plus what each segment object costs beside its text (about 100 bytes).
    return app_cache("guidelines.diffs", DIFF_CACHE_SIZE, max_weight=DIFF_CACHE_CHARS, weigh=_diff_weight)


def _diff_weight(diff: Diff) -> int:
    return sum(len(s.text) + 100 for s in diff.segments)


def _digest(text: str | None) -> bytes:
    return hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=20).digest()


def word_diff(old: str, new: str) -> Diff:
    """``protect.core.diff.word_diff`` of the two texts, computed once per pair of texts in this process.

    Every caller gets its own copy (its own list of its own segments), so nothing a caller does to the result
    can change what the next one gets."""
    found = _diffs().get_or_compute((_digest(old), _digest(new)), lambda: core_diff.word_diff(old, new))
    return Diff([Segment(s.kind, s.text) for s in found.segments], found.whitespace_only)


def clear_diff_cache() -> None:
    _diffs().clear()
    _rendered().clear()


# The differences as the texts read (rendered Markdown), cached as the word diff is: keyed on both texts'
# digests, the view and the language (the marks carry words for screen readers); weighed by the HTML held.
def _rendered() -> LRU[RenderedDiff]:
    return app_cache("guidelines.rendered_diffs", 64, max_weight=DIFF_CACHE_CHARS, weigh=_rendered_weight)


def _rendered_weight(found: RenderedDiff) -> int:
    return len(found.inline) + sum(len(r.old) + len(r.new) for r in found.rows)


def rendered(old: str, new: str, *, side_by_side: bool = False) -> RenderedDiff:
    """``protect.core.rendered_diff.rendered_diff`` of the two texts, computed once per pair and view in this
    process (the result is read only: its HTML and rows are not changed by the pages)."""
    key = (_digest(old), _digest(new), side_by_side, str(get_locale()))
    return _rendered().get_or_compute(key, lambda: rendered_diff(old, new, side_by_side=side_by_side))


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
