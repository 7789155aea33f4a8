"""htmx helpers: one template per page, its fragments rendered as blocks of that template."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """True for a request made by htmx (only ``HX-Request`` says so; htmx 4 renamed the other headers)."""
    return request.headers.get("HX-Request") == "true"


def render_page_or_fragment(template: str, block: str, status: int = 200, **context: Any) -> Response:
    """The full page for a normal request, only ``block`` of the same template for an htmx request."""
    if is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def render_fragment(template: str, block: str, status: int = 200, **context: Any) -> Response:
    """Only ``block`` of ``template``, whatever the request (for endpoints that exist only for htmx)."""
    response = make_response(render_block(template, block, **context), status)
    response.vary.add("HX-Request")
    return response


def trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Add a client-side event to the ``HX-Trigger`` header, keeping events already there."""
    existing = response.headers.get("HX-Trigger")
    events: dict[str, Any] = {}
    if existing:
        events = json.loads(existing) if existing.startswith("{") else {name: None for name in existing.split(",")}
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def hx_redirect(url: str) -> Response:
    """Send htmx to ``url`` with a full page load (a plain 303 would be followed inside the fragment)."""
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url
    return response


def redirect_or_hx(url: str) -> Response:
    """After a successful plain form post: 303 to ``url``; after an htmx post: ``HX-Redirect``."""
    from flask import redirect

    return hx_redirect(url) if is_htmx() else redirect(url, 303)
