"""The results page (/search) and the header box's suggestions (/search/suggest), for members and visitors."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, request
from flask_babel import gettext
from flask_login import current_user

from protect.core.htmx import render_fragment, render_page_or_fragment
from protect.core.inputs import parse_int
from protect.core.pagecache import cached_page
from protect.core.permissions import public
from protect.search import services
from protect.search.kinds import GROUP_OF, KINDS, RESULT_LABELS

bp = Blueprint("search", __name__, url_prefix="/search")


def _date(name: str, problems: dict[str, str]) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems[name] = gettext("Enter a date as year-month-day, for example 2016-03-15.")
        return None


# A member's results are the same until the data changes (any area: what the index holds follows every feature's
# writes): kept whole per member, query and state of the data, like the dashboard (core/pagecache.py).
# Visitors' results are not kept here: a reverse proxy or their browser may keep them (Cache-Control).


@bp.get("")
@public
@cached_page("*")
def results():
    problems: dict[str, str] = {}
    text = request.args.get("q", "")
    kind = request.args.get("kind", "")
    if kind and kind not in KINDS:
        problems["kind"] = gettext("Choose a kind from the list.")
        kind = ""
    signed_in = current_user.is_authenticated
    filters = services.Filters(
        kinds=KINDS[kind][1] if kind else (),
        event_id=parse_int(request.args.get("training"), minimum=1),
        author_id=parse_int(request.args.get("author"), minimum=1) if signed_in else None,
        since=_date("from", problems),
        until=_date("to", problems),
    )
    found = services.search(current_user, text, filters, parse_int(request.args.get("page"), minimum=1) or 1)
    params = {
        "q": found.query.text,
        "kind": kind,
        "training": filters.event_id or "",
        "author": filters.author_id or "",
        "from": request.args.get("from", ""),
        "to": request.args.get("to", ""),
    }
    kind_counts = {key: sum(found.kinds[k] for k in kinds) for key, (_label, kinds) in KINDS.items()}
    return render_page_or_fragment(
        "search/results.html",
        "results",
        status=422 if problems else 200,
        found=found,
        kind=kind,
        kinds=KINDS,
        kind_counts=kind_counts,
        group_of=GROUP_OF,
        labels=RESULT_LABELS,
        params=params,
        problems=problems,
        signed_in=signed_in,
        link=_linker(params),
    )


def _linker(params: dict[str, Any]):
    def link(**changes: Any) -> dict[str, Any]:
        """The page's query parameters with ``changes``, the empty ones left out (shorter, shareable URLs)."""
        merged = {**params, **changes}
        return {name: value for name, value in merged.items() if value not in ("", None, 1) or name == "q"}

    return link


@bp.get("/suggest")
@public
@cached_page("*")
def suggest():
    text = request.args.get("q", "")
    hits = services.suggest(current_user, text)
    return render_fragment(
        "search/results.html", "suggestions", hits=hits, query=services.parse(text), labels=RESULT_LABELS
    )
