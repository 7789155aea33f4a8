"""A large, realistic data set for the benchmark, written fast with bulk inserts (SQLAlchemy Core executemany).

Every table a main page reads is filled at the scale the issue names (``FULL``), or a tenth of it (``QUICK``:
fewer events, sections, polls and decisions, each as large as in the full set, so that every page measured is
as heavy as in the full run). The text is made of sentences about the group's real work, so the pages look
like real ones (lengths, Markdown, threads, tags), and it is the same on every run (a fixed random seed).

Rows get explicit ids (counting on from the largest id in the table), so related rows are linked without
reading anything back; on PostgreSQL the id sequences are moved past them at the end. One password hash is
computed once and shared by every generated account.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import Table, bindparam, func, select, text
from sqlalchemy.engine import Connection
from werkzeug.security import generate_password_hash

from protect.core.regions import COUNTRIES
from protect.extensions import db

BENCH_PASSWORD = "bench-password-2015"  # noqa: S105 - the generated accounts' shared password, bench only
BENCH_EMAIL = "bench.moderator@example.org"


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    events: int
    items_per_event: int
    guidelines: int
    sections: int  # in all, spread over the guidelines
    revisions_per_section: int
    comments_per_revision: int
    polls: int
    ballots_per_poll: int
    decisions: int
    meetings: int
    published: int  # programme pages with a public snapshot
    audit_events: int


FULL = Scale(
    "full",
    users=2000,
    events=300,
    items_per_event=30,
    guidelines=4,
    sections=40,
    revisions_per_section=15,
    comments_per_revision=30,
    polls=200,
    ballots_per_poll=500,
    decisions=5000,
    meetings=250,
    published=150,
    audit_events=40_000,
)
QUICK = Scale(
    "quick",
    users=600,
    events=30,
    items_per_event=30,
    guidelines=1,
    sections=4,
    revisions_per_section=15,
    comments_per_revision=30,
    polls=20,
    ballots_per_poll=500,
    decisions=500,
    meetings=25,
    published=15,
    audit_events=4_000,
)


def tiny(factor: int = 1) -> Scale:
    """Small sets for the query-budget test: ``tiny(2)`` and ``tiny(6)`` differ in every count, and both have
    something on every measured page."""
    return Scale(
        f"tiny-{factor}",
        users=12 * factor,
        events=2 * factor,
        items_per_event=6 * factor,
        guidelines=1,
        sections=2 * factor,
        revisions_per_section=2 + factor,
        comments_per_revision=4 * factor,
        polls=5 * factor,  # the fifth is the first closed ranked (Schulze) poll, whose results are measured
        ballots_per_poll=6 * factor,
        decisions=10 * factor,
        meetings=2 * factor,
        published=2 * factor,
        audit_events=20 * factor,
    )


# Words ----------------------------------------------------------------------------------------------------------

FIRST = [
    "Mette",
    "Kristīne",
    "Jonas",
    "Sigrid",
    "Aino",
    "Erik",
    "Olga",
    "Kadri",
    "Guðrún",
    "Lars",
    "Ilze",
    "Tomas",
    "Anna",
    "Piotr",
    "Katarzyna",
    "Jukka",
    "Ingrid",
    "Mikk",
    "Rūta",
    "Sven",
    "Helga",
    "Dmitri",
    "Agnieszka",
    "Freja",
    "Mārtiņš",
    "Liis",
    "Henrik",
    "Birgit",
    "Paulius",
    "Marta",
    "Oskar",
    "Elina",
    "Nils",
    "Ewa",
]
LAST = [
    "Sørensen",
    "Bērziņa",
    "Petrauskas",
    "Haugen",
    "Virtanen",
    "Lindqvist",
    "Smirnova",
    "Tamm",
    "Jónsdóttir",
    "Nielsen",
    "Ozola",
    "Kazlauskas",
    "Andersson",
    "Nowak",
    "Kowalska",
    "Korhonen",
    "Johansen",
    "Kask",
    "Jankauskienė",
    "Berg",
    "Schmidt",
    "Ivanov",
    "Wiśniewska",
    "Hansen",
    "Liepiņš",
    "Saar",
    "Olsen",
    "Müller",
    "Vaitkus",
    "Zielińska",
    "Eriksson",
    "Mäkinen",
    "Dahl",
    "Lewandowska",
]
SECTORS = ("law_enforcement", "child_welfare", "ngo", "child_rights", "other")
CITIES = {
    "DK": ["Copenhagen", "Aarhus", "Odense"],
    "EE": ["Tallinn", "Tartu", "Narva"],
    "FI": ["Helsinki", "Turku", "Tampere"],
    "DE": ["Berlin", "Hamburg", "Kiel"],
    "IS": ["Reykjavík"],
    "LV": ["Riga", "Daugavpils", "Liepāja"],
    "LT": ["Vilnius", "Kaunas", "Klaipėda"],
    "NO": ["Oslo", "Bergen", "Tromsø"],
    "PL": ["Warsaw", "Gdańsk", "Szczecin"],
    "RU": ["St Petersburg", "Kaliningrad", "Pskov"],
    "SE": ["Stockholm", "Gothenburg", "Malmö"],
}
TOPICS = (
    "children travelling alone",
    "unaccompanied asylum-seeking children",
    "trafficking for forced criminality",
    "age assessment",
    "guardianship across borders",
    "hearing the child",
    "best-interests determination",
    "family tracing",
    "return and reintegration",
    "case transfer between countries",
    "interpreters in interviews",
    "data protection in case files",
    "missing children from reception centres",
    "multi-agency case conferences",
    "durable solutions",
    "child-friendly justice",
    "first contact at the border",
    "victim identification",
)
# In one decision's text: the benchmark's rare phrase (its common word is in most sentences below).
RARE_PHRASE = "The ferry terminal in Klaipėda offers a quiet room"
COMMON_WORD = "child"

SENTENCES = (
    "The child's best interests are the common baseline across sectors and borders.",
    "Each agency should know whom to call in the neighbouring country before a case begins.",
    "Practitioners asked for a short checklist they can use in the first hour of contact.",
    "The guardian must be appointed without delay and must meet the child in person.",
    "Interviews are held in a language the child understands, with a trained interpreter.",
    "Information is shared only where it serves the child's protection, and the child is told why.",
    "The case file follows the child when the child moves to another country.",
    "Police, social services and NGOs meet the child together rather than one after another.",
    "A durable solution is assessed for each child individually and reviewed at set intervals.",
    "The group noted that practice differs widely between capitals and border regions.",
    "Training should let participants practise with real (anonymised) cases, not only listen.",
    "Age assessment is a last resort and the benefit of the doubt goes to the child.",
    "Return is considered only after a risk assessment in the country of origin.",
    "Where authorities disagree, the child is not left without care while they settle it.",
    "The national contact points confirmed that they will answer requests within five working days.",
    "Several experts stressed the role of trusted adults from the child's own community.",
)


class Words:
    def __init__(self, seed: int = 2015) -> None:
        self.r = random.Random(seed)

    def sentence(self) -> str:
        return self.r.choice(SENTENCES)

    def paragraph(self, low: int = 2, high: int = 5) -> str:
        return " ".join(self.sentence() for _ in range(self.r.randint(low, high)))

    def topic(self) -> str:
        return self.r.choice(TOPICS)

    def name(self) -> str:
        return f"{self.r.choice(FIRST)} {self.r.choice(LAST)}"

    def markdown(self, paragraphs: int) -> str:
        blocks = []
        for number in range(paragraphs):
            if number and number % 3 == 0:
                blocks.append("\n".join(f"- {self.sentence()}" for _ in range(self.r.randint(2, 4))))
            else:
                blocks.append(self.paragraph())
        return "\n\n".join(blocks)


# Writing --------------------------------------------------------------------------------------------------------


class Writer:
    """Bulk inserts with explicit ids, table by table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tables = db.metadata.tables
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def ids(self, table: str, count: int) -> list[int]:
        if table not in self.next_ids:
            largest = self.conn.execute(select(func.max(self.tables[table].c.id))).scalar()
            self.next_ids[table] = (largest or 0) + 1
        first = self.next_ids[table]
        self.next_ids[table] += count
        return list(range(first, first + count))

    def insert(self, table: str, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
        target: Table = self.tables[table]
        for start in range(0, len(rows), chunk):
            self.conn.execute(target.insert(), rows[start : start + chunk])
        self.counts[table] = self.counts.get(table, 0) + len(rows)

    def fix_sequences(self) -> None:
        if self.conn.dialect.name != "postgresql":
            return
        for table in self.next_ids:
            self.conn.execute(
                # The table names are the models' own (db.metadata), never input.
                text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")  # noqa: S608
            )


def generate(app: Flask, scale: Scale, *, migrate: bool = True, seed: int = 2015) -> dict[str, int]:
    """Fill the app's database (migrated first unless ``migrate`` is False) and say how many rows of what."""
    from flask_migrate import upgrade

    with app.app_context():
        if migrate:
            upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        with db.engine.begin() as conn:
            counts = Generator(Writer(conn), scale, Words(seed), app).run()
        # The search index, as `flask reindex` builds it (the rows above were written without the services).
        from protect.search.services import reindex

        counts["search entries"] = sum(reindex().values())
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Planner statistics, as autovacuum would have them on a server that has been running: without
            # them PostgreSQL guesses, and the dashboard's activity query alone took 27 ms instead of 0.4 ms.
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        return counts


class Generator:
    def __init__(self, w: Writer, scale: Scale, words: Words, app: Flask) -> None:
        self.w, self.s, self.t, self.r, self.app = w, scale, words, words.r, app
        self.now = datetime(2026, 5, 4, 9, 0)  # the data's "today" is near the real one: see run()
        self.audit: list[dict[str, Any]] = []

    def run(self) -> dict[str, int]:
        from protect.core.database import utcnow

        self.now = utcnow().replace(microsecond=0)
        self.users()
        self.events()
        self.guidelines()
        self.polls()
        self.decisions()
        self.programme()
        self.activity()
        self.w.fix_sequences()
        c = self.w.counts
        return {
            "users": c.get("users", 0),
            "training events": c.get("training_event", 0),
            "agenda items": c.get("agenda_item", 0),
            "guideline sections": c.get("guideline_section", 0),
            "revisions": c.get("section_revision", 0),
            "comments": c.get("guideline_comment", 0),
            "polls": c.get("poll", 0),
            "ballots": c.get("ballot", 0),
            "decisions": c.get("decision", 0),
            "published pages": c.get("programme_snapshot", 0),
            "audit events": c.get("audit_event", 0),
        }

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # People ---------------------------------------------------------------------------------------------------

    def users(self) -> None:
        s, r = self.s, self.r
        password = generate_password_hash(BENCH_PASSWORD, method="pbkdf2:sha256:1000")
        ids = self.w.ids("users", s.users)
        countries = [code for code in COUNTRIES if code != "XX"]
        rows = []
        for number, user_id in enumerate(ids):
            if number == 0:
                role, email, name = "moderator", BENCH_EMAIL, "Birgit Bench"
            else:
                role = "admin" if number < 3 else "moderator" if number < 25 else "expert"
                name = self.t.name()
                email = f"{name.split()[0].lower()}.{user_id}@members.example.org"
            country = countries[number % len(countries)]
            rows.append(
                {
                    "id": user_id,
                    "email": email,
                    "display_name": name,
                    "password_hash": password,
                    "role": role,
                    "country": country,
                    "sector": SECTORS[number % len(SECTORS)],
                    "organisation": f"{r.choice(('Ministry of Social Affairs', 'National Police', 'Save the Children', 'Child Ombudsman', 'Municipality'))}",  # noqa: E501
                    "time_zone": COUNTRIES[country][1],
                    "active": number % 97 != 96,
                    "created_at": self.ago(900 - number % 800),
                    "last_login_at": self.ago(r.random() * 30),
                }
            )
        self.w.insert("users", rows)
        self.user_ids = ids
        self.bench_user = ids[0]
        self.members = [row["id"] for row in rows if row["active"]]

    def someone(self) -> int:
        return self.r.choice(self.members)

    def note(self, action: str, object_type: str, object_id: int, summary: str, url: str, when: datetime) -> None:
        if len(self.audit) < self.s.audit_events:
            self.audit.append(
                {
                    "created_at": when,
                    "actor_id": self.someone(),
                    "action": action,
                    "object_type": object_type,
                    "object_id": object_id,
                    "summary": summary[:300],
                    "url": url,
                    "audience": "all",
                    "details": None,
                }
            )

    # Trainings and agendas ------------------------------------------------------------------------------------

    def events(self) -> None:
        from protect.agendas.services import slugify

        s, r, t = self.s, self.r, self.t
        event_ids = self.w.ids("training_event", s.events)
        events, items, changes = [], [], []
        item_ids = iter(self.w.ids("agenda_item", s.events * s.items_per_event))
        self.items_by_event: dict[int, list[dict[str, Any]]] = {}
        self.event_rows: dict[int, dict[str, Any]] = {}
        start_day = date.today() - timedelta(days=7 * s.events // 2)
        for number, event_id in enumerate(event_ids):
            country = r.choice(list(CITIES))
            city = r.choice(CITIES[country])
            first_day = start_day + timedelta(days=7 * number + r.randint(0, 3))
            days = 2 if s.items_per_event > 12 else 1
            past = first_day < date.today()
            status = "completed" if past else r.choice(("proposed", "confirmed", "confirmed"))
            topic = t.topic()
            event = {
                "id": event_id,
                "title": f"{city}: {topic[0].upper() + topic[1:]}",
                "slug": slugify(f"{city} {topic} {first_day:%Y %m} {event_id}"),
                "city": city,
                "country": country,
                "time_zone": COUNTRIES[country][1],
                "venue": f"{r.choice(('City Hall', 'Ministry of Justice', 'University', 'Children’s House'))}, {city}",
                "first_day": first_day,
                "days": days,
                "day_start": time(8, 30),
                "day_end": time(18, 0),
                "audiences": r.sample(["law_enforcement", "child_welfare", "ngo", "child_rights"], r.randint(2, 4)),
                "language": "English",
                "capacity": r.choice((30, 40, 60)),
                "description": t.markdown(3),
                "status": status,
                "proposed_by_id": self.someone(),
                "created_at": self.ago(400 - number % 300),
                "updated_at": self.ago(r.random() * 60),
                "version": 1,
                "agenda_version": s.items_per_event + 1,
            }
            events.append(event)
            self.event_rows[event_id] = event
            per_day = -(-s.items_per_event // days)
            rows = []
            for index in range(s.items_per_event):
                day, slot = divmod(index, per_day)
                begin = 8 * 60 + 30 + slot * 35
                kind = "break" if slot % 4 == 3 else r.choice(("plenary", "workshop", "case_study", "panel"))
                item_id = next(item_ids)
                row = {
                    "id": item_id,
                    "event_id": event_id,
                    "day": day + 1,
                    "start": time(*divmod(begin, 60)),
                    "end": time(*divmod(begin + 30, 60)),
                    "title": "Coffee break"
                    if kind == "break"
                    else f"{kind.replace('_', ' ').capitalize()}: {t.topic()}",
                    "kind": kind,
                    "speakers": "" if kind == "break" else f"{t.name()}, {t.name()}",
                    "responsible_id": None if kind == "break" else self.someone(),
                    "notes": "" if kind == "break" else t.markdown(r.randint(1, 2)),
                    "position": 0,
                    "version": 1,
                    "deleted_at": None,
                    "created_at": event["created_at"],
                    "updated_at": event["created_at"],
                    "updated_by_id": event["proposed_by_id"],
                }
                rows.append(row)
                changes.append(
                    {
                        "event_id": event_id,
                        "item_id": item_id,
                        "user_id": event["proposed_by_id"],
                        "created_at": event["created_at"],
                        "action": "item.created",
                        "fields": [],
                        "before": None,
                        "after": {"title": row["title"], "day": row["day"], "start": f"{row['start']:%H:%M}"},
                    }
                )
            items.extend(rows)
            self.items_by_event[event_id] = rows
            self.note(
                "agendas.event_proposed",
                "training_event",
                event_id,
                f"proposed the training “{event['title']}”",
                f"/events/{event_id}",
                event["created_at"],
            )
        self.w.insert("training_event", events)
        self.w.insert("agenda_item", items)
        self.w.insert("agenda_change", changes)
        self.event_ids = event_ids

    # Guidelines -----------------------------------------------------------------------------------------------

    def guidelines(self) -> None:
        s, r, t = self.s, self.r, self.t
        guideline_ids = self.w.ids("guideline", s.guidelines)
        self.w.insert(
            "guideline",
            [
                {
                    "id": gid,
                    "title": f"PROTECT Guidelines, part {n + 1}: {t.topic()}",
                    "slug": f"protect-guidelines-{gid}",
                    "summary": t.sentence(),
                    "created_by_id": self.bench_user,
                    "created_at": self.ago(700),
                    "changed_at": self.ago(3),
                }
                for n, gid in enumerate(guideline_ids)
            ],
        )
        section_ids = self.w.ids("guideline_section", s.sections)
        sections = []
        for n, sid in enumerate(section_ids):
            sections.append(
                {
                    "id": sid,
                    "guideline_id": guideline_ids[n % len(guideline_ids)],
                    "position": n // len(guideline_ids) + 1,
                    "heading": t.topic().capitalize(),
                    "current_revision_id": None,
                    "version": 1,
                    "changed_at": self.ago(r.random() * 20),
                    "created_at": self.ago(700),
                }
            )
        self.w.insert("guideline_section", sections)
        headings = {row["id"]: row["heading"] for row in sections}
        revisions, comments, currents = [], [], []
        revision_ids = iter(self.w.ids("section_revision", s.sections * s.revisions_per_section))
        comment_ids = iter(
            self.w.ids("guideline_comment", s.sections * s.revisions_per_section * s.comments_per_revision)
        )
        self.revision_ids: list[int] = []
        for sid in section_ids:
            body = t.markdown(6)
            accepted = None
            for number in range(1, s.revisions_per_section + 1):
                rid = next(revision_ids)
                last = number == s.revisions_per_section
                status = "proposed" if last else "accepted" if number == 1 or number % 3 else "rejected"
                created = self.ago(600 - number * 30)
                body = _revise(body, r, t)
                revisions.append(
                    {
                        "id": rid,
                        "section_id": sid,
                        "number": number,
                        "body": body,
                        "summary": t.sentence(),
                        "base_revision_id": accepted,
                        "rebased_from_id": None,
                        "author_id": self.someone(),
                        "status": status,
                        "created_at": created,
                        "decided_by_id": None if status == "proposed" else self.bench_user,
                        "decided_at": None if status == "proposed" else created + timedelta(days=5),
                        "decision_reason": "" if status == "proposed" else t.sentence(),
                        "comment_seq": s.comments_per_revision,
                        "last_comment_at": created + timedelta(days=4),
                    }
                )
                paragraphs = body.count("\n\n") + 1
                thread_root = None
                for c in range(1, s.comments_per_revision + 1):
                    cid = next(comment_ids)
                    reply = c % 3 != 1 and thread_root is not None
                    if not reply:
                        thread_root = cid
                    comments.append(
                        {
                            "id": cid,
                            "revision_id": rid,
                            "paragraph": None if reply else (None if c % 5 == 0 else r.randint(1, paragraphs)),
                            "parent_id": thread_root if reply else None,
                            "author_id": self.someone(),
                            "body": t.paragraph(1, 4),
                            "created_at": created + timedelta(hours=c),
                            "edited_at": None,
                            "resolved": (not reply) and c % 2 == 0,
                            "resolved_by_id": None,
                            "resolved_at": None,
                            "hidden": False,
                            "hidden_reason": "",
                            "hidden_by_id": None,
                            "hidden_at": None,
                            "created_seq": c,
                            "seq": c,
                        }
                    )
                if status == "accepted":
                    accepted = rid
                self.revision_ids.append(rid)
                self.note(
                    "guidelines.revision_proposed",
                    "section_revision",
                    rid,
                    f"proposed revision {number} of “{headings[sid]}”",
                    f"/guidelines/revisions/{rid}",
                    created,
                )
            currents.append({"sid": sid, "rid": accepted})
        self.w.insert("section_revision", revisions)
        self.w.insert("guideline_comment", comments)
        table = self.w.tables["guideline_section"]
        self.w.conn.execute(
            table.update().where(table.c.id == bindparam("sid")).values(current_revision_id=bindparam("rid")), currents
        )
        # The page measured: the section's open proposal, with its threads and the diff against its base.
        self.proposals = [row["id"] for row in revisions if row["status"] == "proposed"]

    # Polls ------------------------------------------------------------------------------------------------------

    def polls(self) -> None:
        s, r, t = self.s, self.r, self.t
        poll_ids = self.w.ids("poll", s.polls)
        from protect.polls import secrecy

        polls, options, ballots, marks, voted = [], [], [], [], []
        option_ids_all = self.w.ids("poll_option", s.polls * 8)
        option_cursor = 0
        voters_pool = self.members
        mark_rows = 0
        self.closed_polls: list[int] = []
        methods = ("schulze", "irv", "approval", "single")
        for n, pid in enumerate(poll_ids):
            method = methods[n % len(methods)]
            closed = n % 10 != 0
            opens = self.ago(30 + n * 3) if closed else self.ago(2)
            closes = opens + timedelta(days=14) if closed else self.now + timedelta(days=10)
            secret = n % 4 != 3
            # a secret poll: sealed if closed (no voter, no tag), else a salt and each ballot's voter tag
            # (drawn from a generator of their own: the main one's sequence, and so the rest of the data, stays)
            own = random.Random(f"ballots-{pid}")
            salt = f"{own.getrandbits(256):064x}" if secret and not closed else None
            key = secrecy.poll_key(salt) if salt else None
            polls.append(
                {
                    "id": pid,
                    "question": f"Where should the training on {t.topic()} take place?",
                    "description": t.markdown(2),
                    "method": method,
                    "opens_at": opens,
                    "closes_at": closes,
                    "time_zone": "Europe/Copenhagen",
                    "secret": secret,
                    "ballot_salt": salt,
                    "sealed_at": closes if secret and closed else None,
                    "live_results": n % 4 == 3,  # open ballots only: a secret poll never shows running results
                    "tie_break_seed": f"{r.getrandbits(64):016x}",
                    "created_by_id": self.bench_user,
                    "created_at": opens - timedelta(days=2),
                    "updated_at": opens - timedelta(days=2),
                    "version": 1,
                    "ballot_version": s.ballots_per_poll,
                }
            )
            count = 4 + n % 5
            mine = option_ids_all[option_cursor : option_cursor + count]
            option_cursor += count
            for position, oid in enumerate(mine, start=1):
                country = r.choice(list(CITIES))
                options.append(
                    {
                        "id": oid,
                        "poll_id": pid,
                        "position": position,
                        "city": r.choice(CITIES[country]),
                        "country": country,
                        "venue_notes": t.sentence(),
                        "proposed_from": None,
                        "proposed_to": None,
                    }
                )
            voters = r.sample(voters_pool, min(s.ballots_per_poll, len(voters_pool)))
            weights = [r.random() + 0.2 for _ in mine]
            for voter in voters:
                bid = own.getrandbits(63) or 1  # ballot ids are random
                cast = opens + timedelta(hours=r.random() * 200)
                voted.append({"poll_id": pid, "voter_id": voter, "cast_at": cast, "changed_at": cast, "revision": 1})
                ballots.append(
                    {
                        "id": bid,
                        "poll_id": pid,
                        "voter_id": None if secret else voter,
                        "voter_tag": secrecy.voter_tag(key, voter) if key else None,
                        "receipt_hash": secrecy.receipt_hash(secrecy.receipt_code(key, bid)) if key else None,
                    }
                )
                if method in ("schulze", "irv"):
                    order = sorted(mine, key=lambda o: -weights[mine.index(o)] * r.random())[: r.randint(2, count)]
                    marks += [{"ballot_id": bid, "option_id": o, "rank": rank} for rank, o in enumerate(order, 1)]
                elif method == "approval":
                    chosen = [o for o in mine if r.random() < weights[mine.index(o)] / 2] or [mine[0]]
                    marks += [{"ballot_id": bid, "option_id": o, "rank": None} for o in chosen]
                else:
                    marks.append({"ballot_id": bid, "option_id": r.choices(mine, weights)[0], "rank": None})
            if closed:
                self.closed_polls.append(pid)
            if len(marks) > 50_000:
                mark_rows += len(marks)
                self._flush_polls(polls, options, voted, ballots, marks)
                polls, options, ballots, marks, voted = [], [], [], [], []
        self._flush_polls(polls, options, voted, ballots, marks)
        self.poll_methods = {pid: methods[n % len(methods)] for n, pid in enumerate(poll_ids)}
        self.poll_secret = {row_id: n % 4 != 3 for n, row_id in enumerate(poll_ids)}

    def _flush_polls(self, polls, options, voted, ballots, marks) -> None:
        self.w.insert("poll", polls)
        self.w.insert("poll_option", options)
        self.w.insert("poll_participation", voted)
        self.w.insert("ballot", ballots)
        self.w.insert("ballot_mark", marks)

    # Decisions --------------------------------------------------------------------------------------------------

    def decisions(self) -> None:
        from protect.decisions.rules import fold

        s, r, t = self.s, self.r, self.t
        meeting_ids = self.w.ids("meeting", s.meetings)
        meetings, attendees = [], []
        for n, mid in enumerate(meeting_ids):
            starts = self.ago(5 + (s.meetings - n) * 4)
            meetings.append(
                {
                    "id": mid,
                    "title": f"Launch group meeting {n + 1}",
                    "starts_at": starts,
                    "time_zone": "Europe/Riga",
                    "place": r.choice(("Riga", "Stockholm", "Tallinn", "")),
                    "online": n % 3 == 0,
                    "minutes": t.markdown(4),
                    "created_by_id": self.bench_user,
                    "created_at": starts,
                    "updated_at": starts,
                    "version": 1,
                }
            )
            for user in r.sample(self.members, 8):
                attendees.append({"meeting_id": mid, "user_id": user, "guest_name": "", "guest_organisation": ""})
        self.w.insert("meeting", meetings)
        self.w.insert("meeting_attendee", attendees)
        decision_ids = self.w.ids("decision", s.decisions)
        decisions, tags, versions, steps, actions = [], [], [], [], []
        tag_names = (
            "Riga",
            "training",
            "Guidelines",
            "budget",
            "target groups",
            "Vilnius",
            "interpretation",
            "evaluation",
            "Tallinn",
            "St Petersburg",
            "communication",
            "partners",
        )
        statuses = ("proposed", "agreed", "agreed", "implemented", "superseded", "withdrawn")
        for n, did in enumerate(decision_ids):
            topic = t.topic()
            title = f"{r.choice(('Agree', 'Adopt', 'Fund', 'Draft', 'Review'))} the approach to {topic}"
            body, why = t.paragraph(2, 4), t.paragraph(1, 3)
            if n == s.decisions // 2:  # one place only: what "search: a rare phrase" finds (bench/targets.py)
                body += " " + RARE_PHRASE + "."
            mine = r.sample(tag_names, r.randint(1, 3))
            status = statuses[n % len(statuses)]
            created = self.ago((s.decisions - n) * 0.2 + 1)
            decisions.append(
                {
                    "id": did,
                    "title": title,
                    "text": body,
                    "rationale": why,
                    "meeting_id": meeting_ids[n % len(meeting_ids)],
                    "owner_id": self.someone(),
                    "due_on": (created + timedelta(days=r.randint(10, 120))).date() if n % 2 else None,
                    "status": status,
                    "status_changed_at": created,
                    "superseded_by_id": None,
                    "author_id": self.someone(),
                    "event_id": self.event_ids[n % len(self.event_ids)] if n % 5 == 0 else None,
                    "revision_id": self.revision_ids[n % len(self.revision_ids)] if n % 7 == 0 else None,
                    "poll_id": self.closed_polls[n % len(self.closed_polls)]
                    if n % 11 == 0 and self.closed_polls
                    else None,
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                }
            )
            tags += [{"decision_id": did, "name": name, "key": fold(name)} for name in mine]
            versions.append(
                {
                    "decision_id": did,
                    "number": 1,
                    "title": title,
                    "text": body,
                    "rationale": why,
                    "tags": mine,
                    "edited_by_id": self.someone(),
                    "created_at": created,
                }
            )
            steps.append(
                {
                    "decision_id": did,
                    "from_status": None,
                    "to_status": "proposed",
                    "superseded_by_id": None,
                    "note": "",
                    "actor_id": self.someone(),
                    "created_at": created,
                }
            )
            if status != "proposed":
                steps.append(
                    {
                        "decision_id": did,
                        "from_status": "proposed",
                        "to_status": status,
                        "superseded_by_id": None,
                        "note": t.sentence(),
                        "actor_id": self.bench_user,
                        "created_at": created + timedelta(days=1),
                    }
                )
            for a in range(n % 3):
                actions.append(
                    {
                        "decision_id": did,
                        "meeting_id": None,
                        "what": f"Circulate a note on {t.topic()}",
                        "owner_id": self.someone() if a else self.bench_user,
                        "due_on": (created + timedelta(days=14 * (a + 1))).date(),
                        "done_at": created + timedelta(days=3) if n % 4 == 0 else None,
                        "done_by_id": None,
                        "created_by_id": self.bench_user,
                        "created_at": created,
                    }
                )
            self.note(
                "decisions.proposed", "decision", did, f"proposed the decision “{title}”", f"/decisions/{did}", created
            )
        self.w.insert("decision", decisions)
        self.w.insert("decision_tag", tags)
        self.w.insert("decision_version", versions)
        self.w.insert("decision_status_change", steps)
        self.w.insert("action_item", actions)
        # A superseded decision points at the one that replaced it (a later one).
        table = self.w.tables["decision"]
        later = [
            {"did": row["id"], "by": row["id"] + 6}
            for row in decisions
            if row["status"] == "superseded" and row["id"] + 6 <= decision_ids[-1]
        ]
        if later:
            self.w.conn.execute(
                table.update().where(table.c.id == bindparam("did")).values(superseded_by_id=bindparam("by")), later
            )

    # Programme pages --------------------------------------------------------------------------------------------

    def programme(self) -> None:
        from protect.programme.content import audiences_key, build_content, digest, search_text

        s, t = self.s, self.t
        chosen = self.event_ids[-s.published :] if s.published else []
        chosen = [eid for eid in self.event_ids if eid in set(chosen)]
        page_ids = self.w.ids("programme_page", len(chosen))
        snapshot_ids = self.w.ids("programme_snapshot", len(chosen))
        pages, snapshots, transitions = [], [], []
        self.public_slugs: list[str] = []
        for pid, sid, eid in zip(page_ids, snapshot_ids, chosen, strict=True):
            event = self.event_rows[eid]
            page = {
                "id": pid,
                "event_id": eid,
                "slug": event["slug"],
                "title": event["title"],
                "summary": t.sentence(),
                "description": t.markdown(4),
                "how_to_take_part": t.markdown(2),
                "audiences": event["audiences"],
                "language": "English",
                "venue": event["venue"],
                "state": "published",
                "version": 3,
                "approved_content": None,
                "approved_at": self.ago(20),
                "approved_by_id": self.bench_user,
                "live_version": 1,
                "public_changed_at": self.ago(19),
                "withdrawn_at": None,
                "withdrawn_reason": "",
                "created_at": self.ago(40),
                "created_by_id": self.someone(),
                "updated_at": self.ago(19),
                "updated_by_id": self.bench_user,
            }
            content = build_content(
                SimpleNamespace(**page),
                SimpleNamespace(**event),
                [SimpleNamespace(**item) for item in self.items_by_event[eid]],
            )
            pages.append(page)
            snapshots.append(
                {
                    "id": sid,
                    "page_id": pid,
                    "version": 1,
                    "content": content,
                    "digest": digest(content),
                    "title": content["title"],
                    "country": content["country"],
                    "first_day": event["first_day"],
                    "last_day": event["first_day"] + timedelta(days=event["days"] - 1),
                    "audiences_key": audiences_key(content),
                    "search_text": search_text(content),
                    "approved_at": self.ago(20),
                    "approved_by_id": self.bench_user,
                    "published_at": self.ago(19),
                    "published_by_id": self.bench_user,
                }
            )
            for action, before, after in (
                ("created", None, "draft"),
                ("submitted", "draft", "in_review"),
                ("approved", "in_review", "approved"),
                ("published", "approved", "published"),
            ):
                transitions.append(
                    {
                        "page_id": pid,
                        "action": action,
                        "from_state": before,
                        "to_state": after,
                        "actor_id": self.bench_user,
                        "created_at": self.ago(20),
                        "comment": "",
                        "snapshot_version": 1 if action == "published" else None,
                    }
                )
            self.public_slugs.append(event["slug"])
        self.w.insert("programme_page", pages)
        self.w.insert("programme_snapshot", snapshots)
        self.w.insert("programme_transition", transitions)

    def activity(self) -> None:
        s, t = self.s, self.t
        while len(self.audit) < s.audit_events:
            eid = self.r.choice(self.event_ids)
            self.note(
                "agendas.item_edited",
                "training_event",
                eid,
                f"edited “{t.topic()}” on an agenda",
                f"/events/{eid}",
                self.ago(self.r.random() * 300),
            )
        self.audit.sort(key=lambda row: row["created_at"])
        ids = self.w.ids("audit_event", len(self.audit))
        for row, aid in zip(self.audit, ids, strict=True):
            row["id"] = aid
        self.w.insert("audit_event", self.audit)


def _revise(body: str, r: random.Random, t: Words) -> str:
    """The next revision of a section: one paragraph rewritten, sometimes one added."""
    blocks = body.split("\n\n")
    blocks[r.randrange(len(blocks))] = t.paragraph()
    if r.random() < 0.3 and len(blocks) < 9:
        blocks.insert(r.randrange(len(blocks) + 1), t.paragraph())
    return "\n\n".join(blocks)
