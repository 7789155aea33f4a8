"""Word-level differences between two texts, for the conflict view and the history page.

The result is a list of ``(kind, text)`` segments, ``kind`` being ``"same"``, ``"del"`` (only in the old
text) or ``"ins"`` (only in the new text). Templates render them with ``<del>``/``<ins>``, which are struck
through and underlined (app.css) and announced by their text, so colour is never the only signal.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# A word (with its hyphens and apostrophes) or one punctuation mark, each with the space before it.
_TOKENS = re.compile(r"\s*\w+(?:[-'’]\w+)*|\s*[^\w\s]|\s+")

Segment = tuple[str, str]


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text or "")


def word_diff(old: str, new: str) -> list[Segment]:
    """The changes that turn ``old`` into ``new``, word by word (whitespace kept)."""
    a, b = _tokens(old), _tokens(new)
    segments: list[Segment] = []
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            _append(segments, "same", "".join(a[a1:a2]))
        else:
            if a2 > a1:
                _append(segments, "del", "".join(a[a1:a2]))
            if b2 > b1:
                _append(segments, "ins", "".join(b[b1:b2]))
    return segments


def _append(segments: list[Segment], kind: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == kind:
        segments[-1] = (kind, segments[-1][1] + text)
    else:
        segments.append((kind, text))


def side(segments: list[Segment], which: str) -> list[Segment]:
    """One side of a diff: ``"old"`` keeps same+del segments, ``"new"`` keeps same+ins segments."""
    dropped = "ins" if which == "old" else "del"
    return [(kind, text) for kind, text in segments if kind != dropped]
