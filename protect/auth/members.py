"""Members as others see them: their names for @mentions (suggested while typing, shown where a text mentions
them) and the Markdown filter that shows every mention with the member's current name.

A mention is stored in the text as ``[@Name](/members/12)`` (``notifications.mentions``): the label is the name
when it was written. ``markdown()`` renders the text with ``core.text.render_markdown`` (which it does not
change) and then puts each mentioned member's name of now in place of the label, so a renamed member reads right
everywhere the filter is used. The names come from one map per state of the members (their area's change token,
read at the start of the request, as ``services.active_members()`` does), so neither a page nor a keystroke
reads them more than once per change.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from markupsafe import Markup
from sqlalchemy import select

from protect.auth.models import User
from protect.auth.services import Member, active_members
from protect.core import changes
from protect.core.lru import app_cache
from protect.core.text import render_markdown
from protect.extensions import db

SUGGESTIONS_MAX = 8
QUERY_MAX = 60  # characters of a name typed after "@" (a longer text is no longer looking for a name)
NAME_MAX = 120  # as the column; shown names are cut there whatever the database holds


class Known(NamedTuple):
    name: str
    active: bool


def _users_token() -> str | None:
    return changes.current().get(changes.area_of(User.__table__))


def names_version() -> str | None:
    """What the names ``markdown()`` shows depend on (the members' change token): a cache of rendered member
    text keys on it, so a renamed member is shown by the new name at the next request."""
    return _users_token()


def member_names() -> dict[int, Known]:
    """Every member's current name, deactivated members too (their old texts still mention them), by id."""
    token = _users_token()
    if token is None:  # outside a request (mail, the command line): read now
        return _read_names()
    return app_cache("auth.member_names", 2).get_or_compute(token, _read_names)


def _read_names() -> dict[int, Known]:
    rows = db.session.execute(select(User.id, User.display_name, User.active))
    return {member_id: Known(name[:NAME_MAX], bool(active)) for member_id, name, active in rows}


# Suggestions ------------------------------------------------------------------------------------------------


# Letters of the region's languages that are no letter with an accent to Unicode (they do not decompose).
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def fold(text: str) -> str:
    """``text`` compared without case or accents: "Åsa" and "asa", "Jürgen" and "JURGEN", "Søren" and "soren"
    are the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_PLAIN_LETTERS)


def _folded() -> tuple[tuple[str, Member], ...]:
    token = _users_token()
    members = active_members()
    if token is None:
        return tuple((fold(m.display_name), m) for m in members)
    return app_cache("auth.members.folded", 2).get_or_compute(
        token, lambda: tuple((fold(m.display_name), m) for m in members)
    )


def suggest(text: str, *, exclude: int | None = None, limit: int = SUGGESTIONS_MAX) -> list[Member]:
    """Up to ``limit`` active members whose name contains ``text`` (without case or accents): those whose name,
    or a word of it, begins with it first, then the others, each in name order. Nothing for an empty text or
    one longer than any name."""
    wanted = fold(" ".join(text.split()))
    if not wanted or len(wanted) > NAME_MAX:
        return []
    starting: list[Member] = []
    containing: list[Member] = []
    for folded, member in _folded():
        at = folded.find(wanted)
        if at < 0 or member.id == exclude:
            continue
        if at == 0 or not folded[at - 1].isalnum():
            starting.append(member)
            if len(starting) == limit:
                break
        elif len(containing) < limit:
            containing.append(member)
    return (starting + containing)[:limit]


# Rendering --------------------------------------------------------------------------------------------------

# A mention as render_markdown writes it (nh3's attributes in their order): a link to /members/<id> whose text
# begins with "@". The text runs to the link's end (render_markdown nests no link in another); the possessive
# repeat never backtracks, and matches do not overlap, so the whole text is read once.
_RENDERED = re.compile(
    r'<a href="/members/([0-9]{1,18})"(?: title="[^"<>]*")? rel="noopener noreferrer nofollow">'
    r"(@(?:[^<]|<(?!/a>))*+)</a>"
)


def markdown(source: str | None) -> Markup:
    """``render_markdown(source)`` with each mention showing the member's current name (the Jinja filter
    ``markdown``). A mention of an id that is no member keeps its text, without a link."""
    html = render_markdown(source)
    if "/members/" not in html:
        return html
    names = member_names()

    def current(match: re.Match[str]) -> str:
        member_id, label = match.group(1), match.group(2)
        known = names.get(int(member_id))
        if known is None:
            return label
        return Markup('<a href="{}" class="mention">@{}</a>').format(f"/members/{int(member_id)}", known.name)

    return Markup(_RENDERED.sub(current, html))  # noqa: S704 - render_markdown's output; names are escaped


def markdown_as_written(source: str | None) -> Markup:
    """``render_markdown(source)`` with each mention as its plain text, as written, without a link: for pages
    anyone can read (the public programme), where the members' pages do not open and what was published is
    what shows."""
    html = render_markdown(source)
    if "/members/" not in html:
        return html
    return Markup(_RENDERED.sub(lambda match: match.group(2), html))  # noqa: S704 - render_markdown's output
