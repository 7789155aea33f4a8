"""``path_for``: a path on this site, in a request or outside one (the command line's reminders and mail, demo data)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, _anchor: str | None = None, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as a path. Outside a request url_for has no host to build on; the route
    itself builds the same path (tests check it against url_for in a request)."""
    if has_request_context():
        return url_for(endpoint, _anchor=_anchor, **values)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{path}#{_anchor}" if _anchor else path
