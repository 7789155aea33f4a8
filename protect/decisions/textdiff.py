"""Word-by-word differences between two versions of a text (shown in a decision's history and on conflicts)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    kind: str  # "same" | "ins" | "del"
    text: str


def word_diff(old: str | None, new: str | None) -> list[Segment]:
    """``old`` -> ``new`` as segments: unchanged, inserted and deleted runs of words (whitespace kept)."""
    a = _TOKENS.findall(old or "")
    b = _TOKENS.findall(new or "")
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _add(segments, "same", "".join(a[i1:i2]))
        else:
            if i2 > i1:
                _add(segments, "del", "".join(a[i1:i2]))
            if j2 > j1:
                _add(segments, "ins", "".join(b[j1:j2]))
    return segments


def _add(segments: list[Segment], kind: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].kind == kind:
        segments[-1] = Segment(kind, segments[-1].text + text)
    else:
        segments.append(Segment(kind, text))
