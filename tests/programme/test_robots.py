"""robots.txt: search engines may read the public programme, never the members' workspace."""

from __future__ import annotations

import re
from urllib.robotparser import RobotFileParser

import pytest

WORKSPACE = [
    "/login",
    "/login?next=/dashboard",
    "/dashboard",
    "/profile",
    "/admin/users",
    "/invite/some-token",
    "/events/",
    "/events/1",
    "/guidelines/",
    "/polls/",
    "/decisions/",
    "/publishing/",
    "/publishing/1/registrations",
    "/programme",  # not the list (that is /programme/)
]
PUBLIC = ["/", "/programme/", "/programme/?country=EE", "/programme/riga-2027", "/programme/calendar.ics"]
PUBLIC += ["/sitemap.xml", "/static/css/app.css"]


def rules(text: str) -> list[tuple[str, str]]:
    found = []
    for line in text.splitlines():
        match = re.match(r"^(Allow|Disallow):\s*(\S*)", line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def allowed(text: str, path: str) -> bool:
    """RFC 9309: the longest matching rule wins, an allow over a disallow of the same length; "$" ends a
    pattern, "*" is any run of characters."""
    best: tuple[int, bool] | None = None
    for kind, pattern in rules(text):
        regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\$", "$")
        if pattern and re.match(regex, path):
            candidate = (len(pattern), kind == "Allow")
            best = candidate if best is None or candidate > best else best
    return True if best is None else best[1]


def test_robots_txt_opens_the_programme_and_closes_the_workspace(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers
    assert "max-age" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    assert "User-agent: *" in text
    assert "Sitemap: http://localhost/sitemap.xml" in text.splitlines()
    for path in PUBLIC:
        assert allowed(text, path), path
    for path in WORKSPACE:
        assert not allowed(text, path), path

    # Crawlers that take the first matching rule (Python's own parser, for one) read the same for the programme.
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    for path in ("/programme/", "/programme/riga-2027", "/sitemap.xml"):
        assert parser.can_fetch("AnyBot", "http://localhost" + path), path
    for path in WORKSPACE:
        assert not parser.can_fetch("AnyBot", "http://localhost" + path), path


@pytest.mark.parametrize("signed_in", [False, True])
def test_robots_txt_is_the_same_for_members_and_uses_the_public_base_url(app, client, expert_client, signed_in):
    app.config["BASE_URL"] = "https://protect.example.org"
    try:
        text = (expert_client if signed_in else client).get("/robots.txt").get_data(as_text=True)
    finally:
        app.config["BASE_URL"] = ""
    assert "Sitemap: https://protect.example.org/sitemap.xml" in text
    assert "Disallow: /" in text.splitlines()
