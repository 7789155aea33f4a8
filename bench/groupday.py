"""The group day: many signed-in members at once, each on their own pages, reading, polling and writing.

``plan(app, count)`` signs ``count`` active experts in (each gets a server-side session of their own, made by
the service the sign-in form uses) and gives each their own corner of the data: a training whose agenda they
have open (and two or three of its items that only they edit), an open Guidelines proposal, a closed poll's
results, an open poll to vote in, a decision they wrote, and a decision-log query of their own.

``run(...)`` drives them with wrk for a while, with the weighted mix of ``MIX``: page views, the pages' 5-second
live polls (answered 204 while nothing changed), and writes (agenda-item saves with the version the member's
page holds, comments, ballots, decision edits), so that the writes keep changing what the cached pages show.

wrk runs one connection per wrk thread, so each thread's ``response()`` always answers the ``request()`` it made
just before: the Lua script knows which member and which write each answer belongs to (wrk has no per-request
context otherwise), keeps each member's state as a browser would (the versions its page holds, the polls'
``since``) and writes one line per answer, and one per acknowledged write, to a log of its thread.
Members are spread over the threads, so a member's requests never overlap, as with one browser tab each.

``check(...)`` then reads the database and counts the acknowledged writes it cannot find (``missing_writes``):
each save's and decision edit's title is in the item's or decision's history, each comment is stored, each
ballot counted, and the versions moved at least once for every acknowledged write.
"""

from __future__ import annotations

import contextvars
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bench.load import LoadResult, run_wrk, write_script
from bench.targets import GROUP_DAY_RATIO, _form, member_headers
from protect.extensions import db

MEMBERS = 200
THREADS = 16  # wrk threads, one connection each (the per-page runs use 16 connections too)

# The working day's mix, in requests per hundred. Page views of the member's own pages; the 5-second polls
# of the agenda and of the revision's comments that an open page sends; writes that change those pages.
MIX: tuple[tuple[str, int], ...] = (
    ("dashboard", 10),
    ("agenda page", 8),
    ("revision page", 7),
    ("poll results", 6),
    ("decision log", 7),
    ("agenda poll", 27),
    ("comments poll", 20),
    ("agenda item save", 6),
    ("comment", 3),
    ("ballot", 3),
    ("decision edit", 3),
)
WRITES = ("agenda item save", "comment", "ballot", "decision edit")
PAGES = ("dashboard", "agenda page", "revision page", "poll results", "decision log")
LOG_STATUSES = ("agreed", "proposed", "implemented", "")
LOG_WORDS = ("guardian", "trafficking", "age", "asylum", "travelling", "hearing", "border", "police")
ITEMS_PER_MEMBER = 3
TITLE_ROOM = 40  # characters kept free at the end of a title for the write's marker


@dataclass
class Member:
    user_id: int
    headers: dict[str, str]
    event_id: int
    agenda_since: int
    items: list[dict[str, Any]] = field(default_factory=list)  # {id, path, v, prefix, title}
    revision_id: int | None = None
    comment_seq: int = 0
    results_poll: int | None = None
    log_query: str = ""
    ballot: dict[str, Any] | None = None  # {poll, path, bodies, keys, revision}
    decision: dict[str, Any] | None = None  # {id, path, v, prefix, title}


# Planning --------------------------------------------------------------------------------------------------------


def plan(app: Flask, count: int = MEMBERS) -> list[Member]:
    """Sign ``count`` members in and give each their own pages and objects, as the data stands now."""
    return contextvars.Context().run(_plan, app, count)


def _plan(app: Flask, count: int) -> list[Member]:
    from datetime import date

    from protect.agendas.models import AgendaItem, TrainingEvent
    from protect.auth.models import User
    from protect.core.database import utcnow
    from protect.decisions.models import Decision
    from protect.guidelines.models import SectionRevision
    from protect.polls.models import Poll, PollOption, PollParticipation

    with app.app_context():
        authors = Counter(db.session.execute(select(Decision.author_id)).scalars())
        experts = db.session.execute(
            select(User.id, User.email).where(User.role == "expert", User.active.is_(True)).order_by(User.id)
        ).all()
        # Members who wrote a decision first: each edits one of their own (experts edit only their own).
        experts.sort(key=lambda row: (authors[row.id] == 0, row.id))
        chosen = experts[:count]
        if len(chosen) < count:
            raise SystemExit(f"The data has {len(chosen)} active experts; the group day needs {count}.")
        events = db.session.execute(
            select(TrainingEvent.id, TrainingEvent.agenda_version)
            .where(TrainingEvent.first_day >= date.today(), TrainingEvent.status.in_(("proposed", "confirmed")))
            .order_by(TrainingEvent.first_day)
        ).all()
        items_by_event: dict[int, list[AgendaItem]] = defaultdict(list)
        for item in db.session.execute(
            select(AgendaItem)
            .where(AgendaItem.event_id.in_([e.id for e in events]), AgendaItem.deleted_at.is_(None))
            .order_by(AgendaItem.id)
        ).scalars():
            items_by_event[item.event_id].append(item)
        proposals = db.session.execute(
            select(SectionRevision.id, SectionRevision.comment_seq)
            .where(SectionRevision.status == "proposed")
            .order_by(SectionRevision.id)
        ).all()
        now = utcnow()
        closed = db.session.execute(select(Poll.id).where(Poll.closes_at < now).order_by(Poll.id)).scalars().all()
        open_polls = db.session.execute(
            select(Poll).where(Poll.opens_at <= now, Poll.closes_at > now).order_by(Poll.id)
        ).scalars().all()  # fmt: skip
        options = defaultdict(list)
        for poll_id, option_id in db.session.execute(
            select(PollOption.poll_id, PollOption.id).order_by(PollOption.poll_id, PollOption.position)
        ):
            options[poll_id].append(option_id)
        ballots = {
            (poll_id, voter): revision
            for poll_id, voter, revision in db.session.execute(
                select(PollParticipation.poll_id, PollParticipation.voter_id, PollParticipation.revision).where(
                    PollParticipation.poll_id.in_([p.id for p in open_polls])
                )
            )
        }
        decisions: dict[int, Decision] = {}
        for decision in db.session.execute(
            select(Decision)
            .options(selectinload(Decision.tags))
            .where(Decision.author_id.in_([row.id for row in chosen]))
            .order_by(Decision.id)
        ).scalars():
            decisions.setdefault(decision.author_id, decision)

        members = []
        watchers: dict[int, list[int]] = defaultdict(list)
        for index, row in enumerate(chosen):
            event = events[index % len(events)]
            watchers[event.id].append(index)
            member = Member(row.id, {}, event.id, event.agenda_version)
            if proposals:
                proposal = proposals[index % len(proposals)]
                member.revision_id, member.comment_seq = proposal.id, proposal.comment_seq
            if closed:
                member.results_poll = closed[(index * 7) % len(closed)]
            status, word = LOG_STATUSES[index % len(LOG_STATUSES)], LOG_WORDS[index % len(LOG_WORDS)]
            member.log_query = urlencode({"status": status, "q": word} if status else {"q": word})
            if open_polls:
                poll = open_polls[index % len(open_polls)]
                member.ballot = _ballot(poll, options[poll.id], index, ballots.get((poll.id, row.id), 0))
            if row.id in decisions:
                member.decision = _decision(decisions[row.id])
            members.append(member)
        # Each member edits their own items of the agenda they have open: nobody else saves them.
        for event_id, indexes in watchers.items():
            pool = items_by_event[event_id]
            share = min(ITEMS_PER_MEMBER, max(1, len(pool) // len(indexes)))
            for turn, index in enumerate(indexes):
                mine = pool[turn * share : (turn + 1) * share]
                members[index].items = [_item(event_id, _form(item)) for item in mine]
        db.session.remove()

    for member, row in zip(members, chosen, strict=True):
        member.headers = member_headers(app, row.email)
    return members


def _item(event_id: int, form: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": form["id"],
        "path": f"/events/{event_id}/items/{form['id']}",
        "v": form["version"],
        "v0": form["version"],
        "prefix": urlencode(form["fields"]),
        "title": form["title"][: 200 - TITLE_ROOM],
    }


def _decision(decision: Any) -> dict[str, Any]:
    fields = {
        "text": decision.text,
        "rationale": decision.rationale,
        "tags": ", ".join(decision.tag_names),
        "meeting_id": decision.meeting_id or "",
        "owner_id": decision.owner_id or "",
        "due_on": decision.due_on.isoformat() if decision.due_on else "",
        "event_id": decision.event_id or "",
    }
    if decision.poll_id:
        fields["poll_id"] = decision.poll_id
    if decision.revision_id:
        fields["revision_id"] = decision.revision_id
    return {
        "id": decision.id,
        "path": f"/decisions/{decision.id}/edit",
        "v": decision.version,
        "v0": decision.version,
        "prefix": urlencode(fields),
        "title": decision.title[: 200 - TITLE_ROOM],
    }


def _ballot(poll: Any, options: list[int], index: int, revision: int) -> dict[str, Any]:
    """A few different ballots the member changes between, each with its key as stored (``ballot_key``)."""
    r = random.Random(index)
    name = "ranking" if poll.method in ("schulze", "irv") else "choice"
    choices = []
    for _ in range(4):
        if poll.method in ("schulze", "irv"):
            choice = r.sample(options, r.randint(2, len(options)))
        elif poll.method == "approval":
            choice = sorted(r.sample(options, r.randint(1, len(options))))
        else:
            choice = [r.choice(options)]
        choices.append(choice)
    return {
        "poll": poll.id,
        "path": f"/polls/{poll.id}/ballot",
        "bodies": [urlencode([(name, option) for option in choice]) for choice in choices],
        "keys": [ballot_key(choice) for choice in choices],
        "revision": revision,
    }


def ballot_key(choice: Iterable[int]) -> str:
    return ",".join(str(option) for option in choice)


# The load --------------------------------------------------------------------------------------------------------


def lua(members: list[Member], log_dir: Path | None, threads: int = THREADS, seed: int = 2015) -> str:
    """wrk's script: each thread drives its share of the members. Without ``log_dir``, a warm-up: every member
    shows each of their pages in turn, and nothing is written."""
    rows = [_lua_member(m) for m in members]
    mix = ", ".join(f"{{{json.dumps(kind)}, {weight}}}" for kind, weight in MIX)
    return (
        LUA.replace("MEMBERS", ",\n  ".join(rows))
        .replace("MIX_TABLE", mix)
        .replace("THREADS", str(threads))
        .replace("SEED", str(seed))
        .replace("LOG_DIR", json.dumps(str(log_dir)) if log_dir else "nil")
    )


def _lua_member(m: Member) -> str:
    def value(v: Any) -> str:
        if v is None:
            return "nil"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "{" + ", ".join(value(x) for x in v) + "}"
        if isinstance(v, dict):
            return "{" + ", ".join(f"[{json.dumps(k)}]={value(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    item_rows = [
        {"id": it["id"], "path": it["path"], "v": it["v"], "prefix": it["prefix"], "title": quote_plus(it["title"])}
        for it in m.items
    ]
    data: dict[str, Any] = {
        "uid": m.user_id,
        "hdr": m.headers,
        "agenda": f"/events/{m.event_id}",
        "since": m.agenda_since,
        "p": "0",
        "items": item_rows,
        "turn": 0,
        "revision": f"/guidelines/revisions/{m.revision_id}" if m.revision_id else None,
        "cseq": m.comment_seq,
        "results": f"/polls/{m.results_poll}/results" if m.results_poll else None,
        "log": "/decisions/?" + m.log_query,
        "warm": 0,
    }
    if m.ballot:
        data["ballot"] = {"poll": m.ballot["poll"], "path": m.ballot["path"], "bodies": m.ballot["bodies"],
                          "keys": m.ballot["keys"], "turn": 0}  # fmt: skip
    if m.decision:
        d = m.decision
        data["dec"] = {"id": d["id"], "path": d["path"], "v": d["v"], "prefix": d["prefix"],
                       "title": quote_plus(d["title"])}  # fmt: skip
    return value(data)


LUA = r"""
local members = {
  MEMBERS
}
local MIX = { MIX_TABLE }
local LOG = LOG_DIR
local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end
local mine, cursor, n, pending, out, lines = {}, 0, 0, nil, nil, 0
local total = 0
for _, kw in ipairs(MIX) do total = total + kw[2] end
function init(args)
  for i, m in ipairs(members) do
    if (i - 1) % THREADS == tid then table.insert(mine, m) end
  end
  math.randomseed(SEED + tid)
  if LOG then out = io.open(LOG .. "/groupday-" .. tid .. ".log", "w") end
end
local function able(m, kind)
  if kind == "agenda item save" then return #m.items > 0 end
  if kind == "revision page" or kind == "comments poll" or kind == "comment" then return m.revision ~= nil end
  if kind == "poll results" then return m.results ~= nil end
  if kind == "ballot" then return m.ballot ~= nil end
  if kind == "decision edit" then return m.dec ~= nil end
  return true
end
local WARM = {"dashboard", "agenda page", "revision page", "poll results", "decision log"}
local function pick(m)
  if not LOG then
    for _ = 1, #WARM do
      m.warm = m.warm % #WARM + 1
      if able(m, WARM[m.warm]) then return WARM[m.warm] end
    end
    return "dashboard"
  end
  for _ = 1, 20 do
    local r = math.random() * total
    for _, kw in ipairs(MIX) do
      r = r - kw[2]
      if r < 0 then
        if able(m, kw[1]) then return kw[1] end
        break
      end
    end
  end
  return "dashboard"
end
local function headers(m, htmx, form)
  local h = {}
  for k, v in pairs(m.hdr) do h[k] = v end
  if htmx then h["HX-Request"] = "true"; h["HX-Current-URL"] = "http://127.0.0.1" .. m.agenda end
  if form then h["Content-Type"] = "application/x-www-form-urlencoded" end
  return h
end
local function get(m, path, htmx) return wrk.format("GET", path, headers(m, htmx, false), nil) end
local function post(m, path, body, htmx) return wrk.format("POST", path, headers(m, htmx, true), body) end
request = function()
  cursor = cursor % #mine + 1
  local m = mine[cursor]
  local kind = pick(m)
  n = n + 1
  local marker = "gd " .. tid .. "." .. n
  local enc = "%5Bgd+" .. tid .. "." .. n .. "%5D"
  pending = {kind = kind, m = m, marker = marker}
  if kind == "dashboard" then return get(m, "/dashboard")
  elseif kind == "agenda page" then return get(m, m.agenda)
  elseif kind == "revision page" then return get(m, m.revision)
  elseif kind == "poll results" then return get(m, m.results)
  elseif kind == "decision log" then return get(m, m.log)
  elseif kind == "agenda poll" then
    return get(m, m.agenda .. "/agenda/changes?since=" .. m.since .. "&p=" .. m.p, true)
  elseif kind == "comments poll" then
    return get(m, m.revision .. "/comments/changes?since=" .. m.cseq, true)
  elseif kind == "agenda item save" then
    m.turn = m.turn % #m.items + 1
    local it = m.items[m.turn]
    pending.item = it
    return post(m, it.path, it.prefix .. "&title=" .. it.title .. "+" .. enc .. "&version=" .. it.v
                .. "&since=" .. m.since, true)
  elseif kind == "comment" then
    return post(m, m.revision .. "/comments", "paragraph=&body=Group+day+comment+" .. enc
                .. "%3A+the+timing+of+the+second+session+needs+another+look.&since=" .. m.cseq, true)
  elseif kind == "ballot" then
    local b = m.ballot
    b.turn = b.turn % #b.bodies + 1
    pending.turn = b.turn
    return post(m, b.path, b.bodies[b.turn], true)
  else -- decision edit
    local d = m.dec
    return post(m, d.path, d.prefix .. "&title=" .. d.title .. "+" .. enc .. "&version=" .. d.v, false)
  end
end
local function write(...)
  out:write(...)
  lines = lines + 1
  if lines % 500 == 0 then out:flush() end
end
response = function(status, headers, body)
  local p = pending
  if not p then return end
  pending = nil
  local m = p.m
  body = body or ""
  -- What the member's page holds now, as the browser keeps it from each answer.
  local s = string.match(body, 'id="agenda%-since" name="since" value="(%d+)"')
  if s then m.since = s end
  s = string.match(body, 'id="agenda%-presence" name="p" value="(%w+)"')
  if s then m.p = s end
  s = string.match(body, 'id="comments%-since" name="since" value="(%d+)"')
  if s then m.cseq = s end
  if p.kind == "agenda item save" then
    local it = p.item
    local v = string.match(body, 'id="item%-' .. it.id .. '"[^>]-data%-version="(%d+)"')
      or string.match(body, 'name="version" value="(%d+)"')
    if status == 200 then it.v = tonumber(v) or it.v + 1
    elseif v then it.v = tonumber(v) end
  elseif p.kind == "decision edit" then
    if status == 303 then m.dec.v = m.dec.v + 1
    else
      local v = string.match(body, 'name="version"[^>]-value="(%d+)"')
      if v then m.dec.v = tonumber(v) end
    end
  end
  if not out then return end
  write("r\t", p.kind, "\t", status, "\n")
  if status == 409 and p.item then write("c\t", p.kind, "\t", p.item.id, "\n") end
  if status == 409 and p.kind == "decision edit" then write("c\t", p.kind, "\t", m.dec.id, "\n") end
  local ok = (p.kind == "decision edit" and status == 303) or (p.kind ~= "decision edit" and status == 200)
  if ok then
    if p.kind == "agenda item save" then write("a\t", p.kind, "\t", p.item.id, "\t", p.marker, "\n")
    elseif p.kind == "comment" then write("a\t", p.kind, "\t", m.revision, "\t", p.marker, "\n")
    elseif p.kind == "ballot" then
      write("a\t", p.kind, "\t", m.ballot.poll, ":", m.uid, "\t", m.ballot.keys[p.turn], "\n")
    elseif p.kind == "decision edit" then write("a\t", p.kind, "\t", m.dec.id, "\t", p.marker, "\n")
    end
  end
end
"""


@dataclass
class Ack:
    """A write the server answered with a success: which object (``key``) and what it wrote (``marker``)."""

    kind: str
    key: str
    marker: str


@dataclass
class Day:
    load: LoadResult
    statuses: dict[str, Counter]
    acks: list[Ack]
    answers: int
    members: int = 0
    missing: list[Ack] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # the objects of the 409s
    notices: int = 0  # the notifications the day's writes wrote (issue 19: each write tells whom it concerns)


def measure(app: Flask, url: str, workdir: Path, seconds: int, count: int = MEMBERS) -> Day:
    """The whole group day against the served app: plan, warm-up, load, then the check of the writes."""
    print(f"  group day: signing {count} members in ...", flush=True)
    members = plan(app, count)
    warm(url, members, workdir, seconds)
    # Versions as they are now, after the warm-up: a save of the per-page run still in flight when its wrk
    # stopped has landed by then (read earlier, it would make this member's first save a conflict).
    refresh(app, members)
    notices_before = notices(app)
    day = run(url, members, workdir, seconds=max(2 * seconds, 8))
    day.notices = notices(app) - notices_before
    day.members = len(members)
    day.missing = missing_writes(day.acks, stored(app, members))
    print(f"  group day: {day.load.rps:,.0f} req/s, {len(day.acks):,} writes acknowledged, "
          f"{len(day.missing)} missing", flush=True)  # fmt: skip
    return day


def warm(url: str, members: list[Member], workdir: Path, seconds: int) -> None:
    """Each member shows each of their pages in turn (reads only), as on a server that has been up a while."""
    script = write_script(workdir / "groupday-warm.lua", "GET", {}, None, lua(members, None))
    run_wrk(url + "/dashboard", script, seconds, connections=THREADS, threads=THREADS)


def notices(app: Flask) -> int:
    """How many notifications the database holds (the day's writes add theirs in the write's transaction)."""
    return contextvars.Context().run(_notices, app)


def _notices(app: Flask) -> int:
    from protect.notifications.models import Notification

    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(Notification)).scalar_one()
        db.session.remove()
        return count


def refresh(app: Flask, members: list[Member]) -> None:
    """Read again what the members' pages hold (versions, the polls' ``since``): the run starts from it, and the
    check afterwards counts the writes from it."""
    contextvars.Context().run(_refresh, app, members)


def _refresh(app: Flask, members: list[Member]) -> None:
    from protect.agendas.models import AgendaItem, TrainingEvent
    from protect.decisions.models import Decision
    from protect.guidelines.models import SectionRevision
    from protect.polls.models import PollParticipation

    with app.app_context():
        events = dict(db.session.execute(select(TrainingEvent.id, TrainingEvent.agenda_version)).all())
        seqs = dict(db.session.execute(select(SectionRevision.id, SectionRevision.comment_seq)).all())
        items = {it["id"]: it for m in members for it in m.items}
        for item_id, version in db.session.execute(
            select(AgendaItem.id, AgendaItem.version).where(AgendaItem.id.in_(items))
        ):
            items[item_id]["v"] = items[item_id]["v0"] = version
        decisions = {m.decision["id"]: m.decision for m in members if m.decision}
        for decision_id, version in db.session.execute(
            select(Decision.id, Decision.version).where(Decision.id.in_(decisions))
        ):
            decisions[decision_id]["v"] = decisions[decision_id]["v0"] = version
        voters = {(m.ballot["poll"], m.user_id): m.ballot for m in members if m.ballot}
        for poll_id, voter, revision in db.session.execute(
            select(PollParticipation.poll_id, PollParticipation.voter_id, PollParticipation.revision).where(
                PollParticipation.poll_id.in_({poll for poll, _ in voters}),
                PollParticipation.voter_id.in_({v for _, v in voters}),
            )
        ):
            if (poll_id, voter) in voters:
                voters[(poll_id, voter)]["revision"] = revision
        for m in members:
            m.agenda_since = events[m.event_id]
            m.comment_seq = seqs.get(m.revision_id, 0)
        db.session.remove()


def run(url: str, members: list[Member], workdir: Path, seconds: int) -> Day:
    """The group day itself; then each thread's log of answers and acknowledged writes, read back."""
    log_dir = workdir / "groupday-logs"
    log_dir.mkdir(exist_ok=True)
    script = write_script(workdir / "groupday.lua", "GET", {}, None, lua(members, log_dir))
    load = run_wrk(url + "/dashboard", script, seconds, connections=THREADS, threads=THREADS)
    statuses: dict[str, Counter] = defaultdict(Counter)
    acks, answers, conflicts = [], 0, []
    for path in sorted(log_dir.glob("groupday-*.log"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if parts[0] == "r":
                statuses[parts[1]][int(parts[2])] += 1
                answers += 1
            elif parts[0] == "a":
                acks.append(Ack(parts[1], parts[2], parts[3]))
            elif parts[0] == "c":
                conflicts.append(f"{parts[1]} {parts[2]}")
    return Day(load, dict(statuses), acks, answers, conflicts=conflicts)


# The check afterwards ------------------------------------------------------------------------------------------


@dataclass
class Stored:
    """What the database holds of the group day's writes.

    ``history``: (kind, key, marker) of every version kept (a save's or edit's title in the item's or decision's
    history, a comment's marker); ``current``: (kind, key) -> the marker it shows now; ``applied``: (kind, key) ->
    how many writes the database counted since the plan was made (versions, a ballot's revision)."""

    history: set[tuple[str, str, str]] = field(default_factory=set)
    current: dict[tuple[str, str], str] = field(default_factory=dict)
    applied: dict[tuple[str, str], int] = field(default_factory=dict)


def missing_writes(acks: list[Ack], stored: Stored, kept: Iterable[str] = ("agenda item save", "comment",
                                                                           "decision edit")) -> list[Ack]:  # fmt: skip
    """The acknowledged writes the database does not show. ``acks`` in the order they were answered.

    A write of a kind in ``kept`` must be in the history. For every object, the database must have counted at
    least as many writes as were acknowledged (one more is a write sent as the run ended, never answered);
    when it counted exactly as many, the object shows the last acknowledged write."""
    kept = set(kept)
    missing: list[Ack] = []
    by_object: dict[tuple[str, str], list[Ack]] = defaultdict(list)
    for ack in acks:
        by_object[(ack.kind, ack.key)].append(ack)
        if ack.kind in kept and (ack.kind, ack.key, ack.marker) not in stored.history:
            missing.append(ack)
    for key, group in by_object.items():
        if key in stored.applied:
            short = len(group) - stored.applied[key]
            if short > 0:
                missing += [ack for ack in group[-short:] if ack not in missing]
            elif short == 0 and stored.current.get(key, group[-1].marker) != group[-1].marker:
                missing += [group[-1]] if group[-1] not in missing else []
    return missing


MARKER = re.compile(r"\[(gd \d+\.\d+)\]")


def stored(app: Flask, members: list[Member]) -> Stored:
    """Read back what the group day's objects hold now."""
    return contextvars.Context().run(_stored, app, members)


def _stored(app: Flask, members: list[Member]) -> Stored:
    from protect.agendas.models import AgendaChange, AgendaItem
    from protect.decisions.models import Decision, DecisionVersion
    from protect.guidelines.models import Comment
    from protect.polls.models import Ballot, BallotMark, Poll, PollParticipation

    found = Stored()

    def marker(text: str | None) -> str | None:
        match = MARKER.search(text or "")
        return match.group(1) if match else None

    with app.app_context():
        items = {it["id"]: it for m in members for it in m.items}
        for item_id, title, version in db.session.execute(
            select(AgendaItem.id, AgendaItem.title, AgendaItem.version).where(AgendaItem.id.in_(items))
        ):
            key = ("agenda item save", str(item_id))
            found.applied[key] = version - items[item_id]["v0"]
            if mark := marker(title):
                found.current[key] = mark
        for item_id, after in db.session.execute(
            select(AgendaChange.item_id, AgendaChange.after).where(AgendaChange.item_id.in_(items))
        ):
            if mark := marker((after or {}).get("title")):
                found.history.add(("agenda item save", str(item_id), mark))

        decisions = {m.decision["id"]: m.decision for m in members if m.decision}
        for decision_id, title, version in db.session.execute(
            select(Decision.id, Decision.title, Decision.version).where(Decision.id.in_(decisions))
        ):
            key = ("decision edit", str(decision_id))
            found.applied[key] = version - decisions[decision_id]["v0"]
            if mark := marker(title):
                found.current[key] = mark
        for decision_id, title in db.session.execute(
            select(DecisionVersion.decision_id, DecisionVersion.title).where(DecisionVersion.decision_id.in_(decisions))
        ):
            if mark := marker(title):
                found.history.add(("decision edit", str(decision_id), mark))

        revisions = {m.revision_id for m in members if m.revision_id}
        for revision_id, body in db.session.execute(
            select(Comment.revision_id, Comment.body).where(
                Comment.revision_id.in_(revisions), Comment.body.like("Group day comment%")
            )
        ):
            if mark := marker(body):
                found.history.add(("comment", f"/guidelines/revisions/{revision_id}", mark))

        voters = {(m.ballot["poll"], m.user_id): m.ballot for m in members if m.ballot}
        polls, users = {poll for poll, _ in voters}, {v for _, v in voters}
        # How many times each member voted: the participation row (a secret poll's ballot names nobody).
        for poll_id, voter, revision in db.session.execute(
            select(PollParticipation.poll_id, PollParticipation.voter_id, PollParticipation.revision).where(
                PollParticipation.poll_id.in_(polls), PollParticipation.voter_id.in_(users)
            )
        ):
            if (poll_id, voter) in voters:
                found.applied[("ballot", f"{poll_id}:{voter}")] = revision - voters[(poll_id, voter)]["revision"]
        # What they chose now: open polls' ballots only (a secret one cannot be told apart from the others).
        rows = db.session.execute(
            select(Ballot.id, Ballot.poll_id, Ballot.voter_id, Poll.method)
            .join(Poll, Poll.id == Ballot.poll_id)
            .where(Ballot.poll_id.in_(polls), Ballot.voter_id.in_(users))
        ).all()
        marks: dict[int, list[tuple[int | None, int]]] = defaultdict(list)
        for ballot_id, option_id, rank in db.session.execute(
            select(BallotMark.ballot_id, BallotMark.option_id, BallotMark.rank).where(
                BallotMark.ballot_id.in_([row.id for row in rows])
            )
        ):
            marks[ballot_id].append((rank, option_id))
        for row in rows:
            if (row.poll_id, row.voter_id) not in voters:
                continue
            ranked = row.method in ("schulze", "irv")
            chosen = sorted(marks[row.id]) if ranked else sorted((0, option) for _, option in marks[row.id])
            found.current[("ballot", f"{row.poll_id}:{row.voter_id}")] = ballot_key(option for _, option in chosen)
        for poll_id, voter in voters:  # never stored at all: counted as no writes
            found.applied.setdefault(("ballot", f"{poll_id}:{voter}"), 0)
        db.session.remove()
    return found


# The report ------------------------------------------------------------------------------------------------------


def report(day: Day, ceiling: Any) -> dict[str, Any]:
    """The group day as latest.json keeps it: ratios to the ceiling, errors, 409s, missing writes."""
    errors = conflicts = 0
    kinds = {}
    for kind, counts in sorted(day.statuses.items()):
        bad = sum(n for status, n in counts.items() if not 200 <= status < 400 and status != 409)
        errors += bad
        conflicts += counts.get(409, 0)
        kinds[kind] = {str(status): n for status, n in sorted(counts.items())}
    errors += day.load.socket_errors
    load = day.load

    def ratio(value: float, base: float) -> float | None:
        return round(value / base, 3) if base else None

    polls = [day.statuses.get(kind, Counter()) for kind in ("agenda poll", "comments poll")]
    asked = sum(sum(c.values()) for c in polls)
    result = {
        "members": day.members,
        "connections": THREADS,
        "mix": dict(MIX),
        "rps": round(load.rps, 1),
        "p50_ms": round(load.p50_ms, 2),
        "p95_ms": round(load.p95_ms, 2),
        "p99_ms": round(load.p99_ms, 2),
        "ratio_to_ceiling": ratio(load.rps, ceiling.rps),
        "p50_ratio": ratio(load.p50_ms, ceiling.p50_ms),
        "p95_ratio": ratio(load.p95_ms, ceiling.p95_ms),
        "p99_ratio": ratio(load.p99_ms, ceiling.p99_ms),
        "target_ratio": GROUP_DAY_RATIO,
        "requests": load.requests,
        "answers_logged": day.answers,
        "errors": errors,
        "socket_errors": load.socket_errors,
        "conflicts_409": conflicts,
        "conflict_examples": day.conflicts[:10],
        "polls_204_share": round(sum(c.get(204, 0) for c in polls) / asked, 3) if asked else None,
        "writes_acknowledged": dict(Counter(ack.kind for ack in day.acks)),
        "writes_missing": len(day.missing),
        "notices_written": day.notices,
        "notices_per_write": round(day.notices / len(day.acks), 2) if day.acks else None,
        "missing_examples": [f"{a.kind} {a.key} {a.marker}" for a in day.missing[:10]],
        "statuses": kinds,
    }
    result["missed"] = missed(result)
    return result


def missed(row: dict[str, Any]) -> list[str]:
    found = []
    if (row["ratio_to_ceiling"] or 0) < row["target_ratio"]:
        found.append(f"ceiling < {row['target_ratio']:.2f}")
    if row["errors"]:
        found.append(f"{row['errors']} errors")
    if row["conflicts_409"]:
        found.append(f"{row['conflicts_409']} conflicts (409)")
    if row["writes_missing"]:
        found.append(f"{row['writes_missing']} acknowledged writes missing")
    return found


def print_report(row: dict[str, Any]) -> None:
    writes = ", ".join(f"{kind} {n:,}" for kind, n in row["writes_acknowledged"].items()) or "none"
    print(
        f"\ngroup day: {row['members']} members, {row['connections']} connections: {row['rps']:,.0f} req/s "
        f"= {row['ratio_to_ceiling'] or 0:.2f}/{row['target_ratio']:.2f} of the ceiling; "
        f"p50/p95/p99 {row['p50_ms']:.1f}/{row['p95_ms']:.1f}/{row['p99_ms']:.1f} ms "
        f"= {row['p50_ratio'] or 0:.1f}/{row['p95_ratio'] or 0:.1f}/{row['p99_ratio'] or 0:.1f} × the ceiling's"
    )
    share = row["polls_204_share"]
    print(
        f"  {row['requests']:,} requests, {row['errors']} errors, {row['conflicts_409']} conflicts (409), live polls "
        f"{'—' if share is None else f'{share:.0%}'} answered 204; acknowledged writes: {writes}; "
        f"missing from the database: {row['writes_missing']}; notifications written with them: "
        f"{row.get('notices_written', 0):,} ({row.get('notices_per_write') or 0:.1f} a write)"
    )
    print("  " + ("NO: " + ", ".join(row["missed"]) if row["missed"] else "meets its targets"))
