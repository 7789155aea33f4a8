"""@mentions: a reference to a member inside a member's text.

A mention is stored in the Markdown itself as a link to the member's page, ``[@Anna Berg](/members/12)``: the
text stays readable where it is written, exported or rendered without the workspace, and the member's id, not
the name, is what counts (the name shown is the member's current one, so a renamed member stays mentioned
right). Picking a member after typing ``@`` in a field writes this form.
"""

from __future__ import annotations

import re

# The label is at most 120 characters of one line without brackets; the id is a plain number.
MENTION = re.compile(r"\[@([^\[\]\n]{1,120})\]\(/members/([0-9]{1,18})\)")


def mention(member_id: int, name: str) -> str:
    """The stored form of a mention of ``name`` (brackets in a name would end the link: they are left out)."""
    clean = re.sub(r"[\[\]\n]", "", name)[:120] or str(member_id)
    return f"[@{clean}](/members/{member_id})"


def mentioned(text: str | None) -> set[int]:
    """The ids of the members mentioned in ``text``."""
    return {int(match.group(2)) for match in MENTION.finditer(text or "")}


def added(before: str | None, after: str | None) -> set[int]:
    """The members mentioned in ``after`` but not in ``before``: whom an edit newly mentions."""
    return mentioned(after) - mentioned(before)
