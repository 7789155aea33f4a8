"""Tests against the production topology (deploy/topology.py): nginx over TLS in front of two gunicorn app
servers, PostgreSQL and Redis, all on 127.0.0.1, started once for the session.

Without nginx, Redis or a PostgreSQL server these tests skip, unless ``PROTECT_REQUIRE_TOPOLOGY=1`` (CI sets it:
.ci/run installs nginx and redis-server): then they fail. The topology's database is always PostgreSQL (the
server of ``PROTECT_TOPOLOGY_DATABASE_URL`` or ``PROTECT_TEST_DATABASE_URL``), whatever the suite's backend.

``Browser`` is one visitor: its cookies and the CSRF token of the last page it read. Its requests go through
nginx (``server="nginx"``, https) or straight to app server "a" or "b" with the headers nginx adds (so a test
chooses which server answers); its cookies go with them either way (they are ``Secure``: over plain http a real
browser would not send them, which is why nginx is always in front in production).
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, create_engine

from deploy.topology import Topology, TopologyError, missing_programs

DEMO_PASSWORD = "protect-demo-2015"  # the published demo password (protect/auth/demo.py)
UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.topology)


def _unavailable(message: str) -> None:
    if os.environ.get("PROTECT_REQUIRE_TOPOLOGY") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    missing = missing_programs()
    if missing:
        _unavailable("the topology needs " + ", ".join(missing))
    topo = Topology(workers=int(os.environ.get("PROTECT_TOPOLOGY_WORKERS", "1")))
    try:
        topo.start()
    except TopologyError as error:
        topo.stop()
        _unavailable(str(error))
    except BaseException:
        topo.stop()
        raise
    yield topo
    topo.stop()


@pytest.fixture(scope="session")
def database(topology: Topology) -> Iterator[Engine]:
    """The topology's database, to find the demo data's ids and to check what requests wrote."""
    engine = create_engine(topology.database_url)
    yield engine
    engine.dispose()


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


@dataclass
class Browser:
    topo: Topology
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        server: str = "nginx",
        form: dict | list | None = None,
        headers: dict[str, str] | None = None,
        send_cookies: bool = True,
    ) -> Answer:
        sent = {"Accept-Language": "en-GB"}
        if server == "nginx":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "localhost", self.topo.https_port, context=UNVERIFIED, timeout=15
            )
        else:  # what nginx adds (deploy/nginx/protect.conf)
            conn = http.client.HTTPConnection("127.0.0.1", self.topo.servers[server].port, timeout=15)
            host = f"localhost:{self.topo.https_port}"
            sent.update({"Host": host, "X-Forwarded-Host": host, "X-Forwarded-Proto": "https"})
            sent["X-Forwarded-For"] = "127.0.0.1"
        body = None
        if method != "GET":
            sent["Referer"] = f"{self.topo.url}/"  # as a browser sends it from a page of the site
            sent["Origin"] = self.topo.url
            if self.csrf:
                sent["X-CSRFToken"] = self.csrf
        if form is not None:
            body = urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if send_cookies and self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if response.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        answer = Answer(response.status, response.headers, raw)
        token = re.search(
            r'name="csrf-token" content="([^"]+)"|name="csrf_token" (?:type="hidden" )?value="([^"]+)"', answer.text
        )
        if token:
            self.csrf = token.group(1) or token.group(2)
        return answer

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict | list | None = None, **kwargs) -> Answer:
        return self.request("POST", path, form=form or {}, **kwargs)

    def sign_in(self, email: str, server: str = "nginx", password: str = DEMO_PASSWORD) -> Answer:
        self.get("/login", server=server)
        answer = self.post("/login", {"email": email, "password": password, "next": ""}, server=server)
        assert answer.status == 303, (answer.status, answer.text[:500])
        self.get("/dashboard", server=server)  # a token of the signed-in session
        return answer


@pytest.fixture
def browser(topology: Topology):
    """``browser()``: a new visitor (no cookies)."""
    return lambda: Browser(topology)


class _Forms(HTMLParser):
    """Every form of a page: its action and the values a browser would send (inputs, selects, textareas)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": [], "options": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                self.forms[-1]["options"].setdefault(a["name"], []).append(a.get("value", "on"))
                if "checked" in a:
                    fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            fields.append((a["name"], None))
        elif tag == "option" and self._select:
            if "selected" in a or fields[-1] == (self._select, None):
                fields[-1] = (self._select, a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields.append((a["name"], ""))

    def handle_data(self, data):
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(html: str, action: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form whose action ends with ``action``: its values (one per name) and its checkbox/radio choices."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if form["action"].split("?")[0].endswith(action):
            values = {name: (value or "").lstrip("\n") for name, value in form["fields"] if value is not None}
            return values, form["options"]
    raise AssertionError(f"no form for {action} on the page")


def wait_for(check, seconds: float, step: float = 0.05):
    """Call ``check`` until it returns something true; that value, or None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(step)
