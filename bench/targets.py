"""The requests the benchmark measures, and an in-process probe of each (status, bytes, SQL queries).

``build(app, scale)`` picks real rows of the generated data (an upcoming training's agenda, a section's open
proposal with its threads, a closed ranked poll, ...) and makes each request as a browser sends it: the
signed-in member's session cookie, the CSRF token header on the htmx save, ``HX-Request`` on htmx requests.
The query-budget test (tests/test_query_budget.py) probes the same list at two data sizes.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Flask, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select

from bench import datagen
from bench.datagen import BENCH_EMAIL, Scale
from protect.extensions import db, login_manager

USER_AGENT = "protect-bench"

# The targets (issue 17), on SQLite and on PostgreSQL, each request's throughput as a ratio to the bare-Flask
# ceiling measured in the same run: no absolute time is a target (the machine shares its cores with the load
# generator and the database, and its speed drifts).
MEMBERS_PAGE_RATIO = 0.40  # every members' page
PUBLIC_PAGE_RATIO = 0.60  # every public page, without any cache in front of the app
SAVE_RATIO = 0.12  # the htmx agenda-item save, a durable write each time
SEARCH_RATIO = 0.30  # the search results page (two statements on the full-text index, excerpts included)
SUGGEST_RATIO = 0.50  # the header box's suggestions (one statement, no excerpts)
GROUP_DAY_RATIO = 0.30  # the group day (bench/groupday.py), with 0 errors and 0 acknowledged writes missing
MAX_QUERIES = 12  # per request, and constant as the data grows (tests/test_query_budget.py)
# The save also moves the audit chain's head and writes its search entry, one statement each (the same test).
SAVE_MAX_QUERIES = MAX_QUERIES + 2
MAX_FRAGMENT_SHARE = 0.15  # an htmx fragment's bytes against its page's
MAX_WORKER_MIB = 200  # each worker's peak memory at the large data set
# How many items the load of the htmx save rotates over: no two saves in flight ever touch the same item.
SAVE_ROTATION = 400
WRK_THREADS = 2  # bench.load.run_wrk's threads: each takes every second item of the rotation


@dataclass
class Target:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    lua: str = ""  # extra Lua for wrk (the save's rotation over items)
    public: bool = False
    # For an htmx fragment: the full page it updates (its bytes are compared with the fragment's).
    page_path: str | None = None
    # The in-process probe's own request, where it must differ from the load's (a save of an item kept
    # out of the load's rotation).
    probe_path: str | None = None
    probe_body: str | None = None
    # Pages to show before the load (GET, in turn, with the same session): an editor saves an item of an agenda
    # they have open, so a server that has been up a while has made those pages (the items' notes among them).
    warm_paths: list[str] = field(default_factory=list)

    @property
    def htmx(self) -> bool:
        return self.headers.get("HX-Request") == "true"


def member_headers(app: Flask, email: str = BENCH_EMAIL) -> dict[str, str]:
    """Cookie and CSRF token of a signed-in session of ``email``, as the browser would send them."""
    from protect.auth.models import User
    from protect.auth.services import start_session
    from protect.core.database import writing

    def make() -> dict[str, str]:
        with app.test_request_context(
            "/", headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
        ):
            with writing():  # a server-side session of its own (auth.models.UserSession)
                user = db.session.execute(select(User).where(User.email == email)).scalar_one()
                session_token = start_session(user, "127.0.0.1", USER_AGENT)
                db.session.commit()
            session["_user_id"] = session_token
            session["_fresh"] = True
            # Flask-Login's session protection compares this with the request's address and agent.
            session["_id"] = login_manager._session_identifier_generator()
            token = generate_csrf()
            cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))  # type: ignore[attr-defined]
            db.session.remove()
        return {
            "Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}",
            "X-CSRFToken": token,
            "User-Agent": USER_AGENT,
        }

    return contextvars.Context().run(make)


def build(app: Flask, scale: Scale) -> list[Target]:
    from protect.agendas.models import AgendaItem, TrainingEvent
    from protect.core.database import utcnow
    from protect.decisions.models import Decision
    from protect.guidelines.models import SectionRevision
    from protect.polls.models import Poll
    from protect.programme.models import ProgrammePage

    member = member_headers(app)
    public = {"User-Agent": USER_AGENT}
    with app.app_context():
        today = date.today()
        upcoming = list(
            db.session.execute(
                select(TrainingEvent.id)
                .where(TrainingEvent.first_day >= today, TrainingEvent.status != "cancelled")
                .order_by(TrainingEvent.first_day)
            ).scalars()
        )
        shown = upcoming[len(upcoming) // 2]
        items = db.session.execute(
            select(AgendaItem).where(AgendaItem.event_id.in_(upcoming), AgendaItem.deleted_at.is_(None))
        ).scalars()
        by_event: dict[int, list[AgendaItem]] = {}
        for item in items:
            by_event.setdefault(item.event_id, []).append(item)
        probe_item = by_event[shown][1]
        rotation = _interleave([by_event[e] for e in upcoming], exclude=probe_item.id)[:SAVE_ROTATION]
        proposal = db.session.execute(
            select(SectionRevision.id)
            .where(SectionRevision.status == "proposed", SectionRevision.base_revision_id.is_not(None))
            .order_by(SectionRevision.id)
        ).scalars().first()  # fmt: skip
        polls = list(
            db.session.execute(
                select(Poll).where(Poll.closes_at < utcnow(), Poll.method == "schulze").order_by(Poll.id)
            ).scalars()
        )
        poll = polls[len(polls) // 2] if polls else None
        page = db.session.execute(
            select(ProgrammePage.slug).where(ProgrammePage.live_version.is_not(None)).order_by(ProgrammePage.id)
        ).scalars().all()  # fmt: skip
        decisions = db.session.execute(select(db.func.count(Decision.id))).scalar_one()
        save_items = [(item.event_id, _form(item)) for item in rotation]
        probe_form = _form(probe_item)
        db.session.remove()

    htmx = {**member, "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
    plan = [
        Target("dashboard", "GET", "/dashboard", member),
        Target("agenda page", "GET", f"/events/{shown}", member),
        Target(
            "agenda item save (htmx)",
            "POST",
            f"/events/{save_items[0][0]}/items/{save_items[0][1]['id']}",
            {**htmx, "HX-Current-URL": f"http://127.0.0.1/events/{save_items[0][0]}"},
            body=_encode(save_items[0][1], 1, 0),
            lua=_save_lua(save_items),
            page_path=f"/events/{probe_item.event_id}",
            probe_path=f"/events/{probe_item.event_id}/items/{probe_item.id}",
            probe_body=_encode(probe_form, probe_form["version"], 1),
            warm_paths=list(dict.fromkeys(f"/events/{event_id}" for event_id, _form in save_items)),
        ),
    ]
    if proposal is not None:
        plan.append(Target("guideline revision + threads", "GET", f"/guidelines/revisions/{proposal}", member))
    if poll is not None:
        plan.append(Target("poll results", "GET", f"/polls/{poll.id}/results", member))
    if decisions:
        query = urlencode({"status": "agreed", "q": "guardian"})
        plan.append(Target("decision log filter+search", "GET", f"/decisions/?{query}", member))
    common, rare = urlencode({"q": datagen.COMMON_WORD}), urlencode({"q": f'"{datagen.RARE_PHRASE}"'})
    plan.append(Target("search: a common word", "GET", f"/search?{common}", member))
    plan.append(Target("search: a rare phrase", "GET", f"/search?{rare}", member))
    plan.append(Target("search suggestions", "GET", f"/search/suggest?{urlencode({'q': 'interpr'})}", member))
    plan.append(Target("public programme list", "GET", "/programme/", public, public=True))
    if page:
        plan.append(Target("public training page", "GET", f"/programme/{page[len(page) // 2]}", public, public=True))
    return plan


def _interleave(groups: list[list[Any]], exclude: int) -> list[Any]:
    """One item of each event, then a second of each, ...: saves spread over many agendas."""
    out = []
    for index in range(max((len(g) for g in groups), default=0)):
        out += [g[index] for g in groups if index < len(g) and g[index].id != exclude]
    return out


def _form(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "version": item.version,
        "fields": {
            "day": item.day,
            "start": item.start.strftime("%H:%M"),
            "end": item.end.strftime("%H:%M"),
            "kind": item.kind,
            "speakers": item.speakers,
            "responsible_id": item.responsible_id if item.responsible_id is not None else "None",
            "notes": item.notes,
        },
        "title": item.title,
    }


def _encode(form: dict[str, Any], version: int, n: int) -> str:
    return urlencode({**form["fields"], "title": f"{form['title']} ({n})", "version": version})


def _save_lua(save_items: list[tuple[int, dict[str, Any]]], threads: int = WRK_THREADS) -> str:
    """wrk's request()/response() for the save: each thread rotates over its own share of the items, sends the
    version the item is at now (read from the previous save's fragment) and never has two saves of one item
    in flight. Every save changes the title, so each one is a real write (version + 1, history, audit)."""
    rows = []
    for event_id, form in save_items:
        prefix = urlencode(form["fields"]) + "&title=" + urlencode({"t": form["title"]})[2:]
        path = json.dumps(f"/events/{event_id}/items/{form['id']}")
        rows.append(f"{{path={path}, id={form['id']:d}, v={form['version']:d}, prefix={json.dumps(prefix)}}}")
    return LUA_SAVE.replace("ITEMS", ",\n  ".join(rows)).replace("THREADS", str(threads))


def warm_lua(paths: list[str]) -> str:
    """wrk's request() for a warm-up: GET each of ``paths`` in turn."""
    rows = ",\n  ".join(json.dumps(path) for path in paths)
    return LUA_WARM.replace("PATHS", rows)


LUA_WARM = r"""
local paths = {
  PATHS
}
local turn = 0
request = function()
  turn = turn % #paths + 1
  return wrk.format("GET", paths[turn])
end
"""


LUA_SAVE = r"""
local all = {
  ITEMS
}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local mine, by_id, busy, cursor, n = {}, {}, {}, 0, 0
function init(args)
  for i, it in ipairs(all) do
    if (i - 1) % THREADS == tid then
      table.insert(mine, it)
      by_id[it.id] = it
    end
  end
end
request = function()
  for _ = 1, #mine do
    cursor = cursor % #mine + 1
    local it = mine[cursor]
    if not busy[it.id] then
      busy[it.id] = true
      n = n + 1
      return wrk.format("POST", it.path, nil, it.prefix .. "+%28" .. n .. "%29&version=" .. it.v)
    end
  end
  return wrk.format("POST", mine[1].path, nil, mine[1].prefix .. "&version=" .. mine[1].v)
end
response = function(status, headers, body)
  local id = tonumber(string.match(body, 'id="item%-(%d+)') or "")
  local it = id and by_id[id]
  if it then
    local v = string.match(body, 'data%-version="(%d+)"') or string.match(body, 'name="version" value="(%d+)"')
    if v then it.v = tonumber(v) end
    busy[id] = nil
  end
end
"""


def probe(app: Flask, target: Target) -> dict[str, Any]:
    """One request in process: its status, bytes and SQL queries (and the bytes of the page it updates)."""
    result = request(app, target.method, target.probe_path or target.path, target.headers,
                      target.probe_body if target.probe_path else target.body)  # fmt: skip
    if target.page_path:
        headers = {k: v for k, v in target.headers.items() if k not in ("HX-Request", "Content-Type")}
        result["full_page_bytes"] = request(app, "GET", target.page_path, headers, None)["bytes"]
    return result


def request(app: Flask, method: str, path: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    client = app.test_client(use_cookies=False)  # the Cookie header is the one the load sends
    # The test suite's client adds a CSRF token of its own unless told not to; the plain one has no such option.
    options = {"csrf": False} if hasattr(client, "csrf_token") else {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = contextvars.Context().run(
            client.open,
            path,
            method=method,
            headers=headers,
            data=body,
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
            **options,
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {"status": response.status_code, "bytes": len(response.get_data()), "queries": len(statements),
            "statements": statements, "body": response.get_data(as_text=True)}  # fmt: skip


def ceiling_html(app: Flask, plan: list[Target]) -> str:
    """The agenda page as the member sees it: the ceiling renders a static template of this size."""
    agenda = next(t for t in plan if t.name == "agenda page")
    return request(app, "GET", agenda.path, agenda.headers, None)["body"]


def target_ratio(target: Target) -> float:
    """The share of the ceiling ``target`` must reach."""
    if target.method != "GET":
        return SAVE_RATIO
    if target.path.startswith("/search/suggest"):
        return SUGGEST_RATIO
    if target.path.startswith("/search"):
        return SEARCH_RATIO
    return PUBLIC_PAGE_RATIO if target.public else MEMBERS_PAGE_RATIO


def missed(row: dict[str, Any]) -> list[str]:
    """The targets a request's figures (a row of latest.json) miss (none: it meets them all)."""
    found = []
    if row.get("status") not in (200, 204):  # a redirect or an error page measures nothing the target is about
        found.append(f"answered {row.get('status')}")
    if row["target_ratio"] is not None and (row["ratio_to_ceiling"] or 0) < row["target_ratio"]:
        found.append(f"ceiling < {row['target_ratio']:.2f}")
    limit = SAVE_MAX_QUERIES if row["request"].startswith("POST") else MAX_QUERIES
    if row["queries"] > limit:
        found.append(f"queries > {limit}")
    if row["full_page_bytes"] and row["bytes"] > MAX_FRAGMENT_SHARE * row["full_page_bytes"]:
        found.append(f"fragment > {MAX_FRAGMENT_SHARE:.0%} of its page")
    if row["errors"]:
        found.append(f"{row['errors']} errors")
    return found
