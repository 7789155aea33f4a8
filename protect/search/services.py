"""Search: the index's rows written with the changes, and the queries that find them.

Each feature says how its things become index rows: ``@source("comment") def entries(ids)`` yields an ``Entry``
for each of ``ids`` that may be found (None: for all of them), and nothing for one that is gone, hidden or
deleted. A service that changes such a thing calls ``update("comment", comment.id)`` in its transaction, so
the index changes with the row: searchable once committed, gone once deleted. ``reindex()`` (``flask reindex``)
rebuilds everything from the sources.

A query is words (all must match), ``"exact phrases"`` and ``-excluded`` words; the suggestions match the last
word as a prefix. ``search`` runs two statements (the facet counts, then one page of results with their
excerpts), ``suggest`` one. Who may find what is part of the query (``audience``), never filtered afterwards.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import REGCONFIG

from protect.auth.models import User
from protect.core.database import utcnow
from protect.extensions import db
from protect.search.models import PLACE_MAX, TITLE_MAX, URL_MAX, SearchEntry

PAGE_SIZE = 20
SUGGESTIONS = 6
QUERY_MAX = 200  # characters of a query; more is cut
TERMS_MAX = 12  # words and phrases of a query; more are ignored
BODY_MAX = 200_000  # characters of a thing's text that are indexed
EXCERPT_SOURCE_MAX = 20_000  # PostgreSQL's excerpt (ts_headline) reads this much of the text
# PostgreSQL's text search configurations for the languages of the region that it has (the rest: "simple").
CONFIGS = ("english", "danish", "finnish", "german", "norwegian", "russian", "swedish", "simple")
_LANGUAGE_CONFIGS = {
    "en": "english", "da": "danish", "fi": "finnish", "de": "german", "nb": "norwegian", "no": "norwegian",
    "ru": "russian", "sv": "swedish",
}  # fmt: skip
# The excerpt's marks around matched words: control characters that no indexed text keeps (``_clean``).
START, STOP = "\x02", "\x03"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_WORD = re.compile(r"\w+")
# Letters that are not a base letter with an accent, so that FTS5's remove_diacritics keeps them: their ASCII
# spelling, as PostgreSQL's unaccent writes it.
_ALIASES = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ð": "d", "Ð": "D", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
     "Æ": "AE", "þ": "th", "Þ": "TH", "œ": "oe", "Œ": "OE", "ħ": "h", "ı": "i"}
)  # fmt: skip
_ALIASED = re.compile("[" + "".join(chr(c) for c in _ALIASES) + "]")


@dataclass(frozen=True)
class Entry:
    """What the index keeps of one thing."""

    kind: str
    object_id: int
    title: str
    url: str
    body: str = ""
    place: str = ""
    audience: str = "members"  # "public": anyone may find it, signed in or not
    event_id: int | None = None
    author_id: int | None = None
    changed_at: datetime | None = None
    language: str = "en"  # a language code ("ru", "sv", ...): the text's stemming on PostgreSQL


Entries = Callable[[list[int] | None], Iterable[Entry]]
_SOURCES: dict[str, Entries] = {}


def source(kind: str) -> Callable[[Entries], Entries]:
    """Register how things of ``kind`` become index entries (see the module's docstring)."""

    def register(entries: Entries) -> Entries:
        _SOURCES[kind] = entries
        return entries

    return register


def config_for(language: str | None) -> str:
    """PostgreSQL's text search configuration for a language code or an English name ("Russian")."""
    if not language:
        return "english"
    key = language.strip().lower()
    if key in CONFIGS:
        return key
    return _LANGUAGE_CONFIGS.get(key[:2], "simple") if len(key) <= 5 else "simple"


# Writing ------------------------------------------------------------------------------------------------------


def update(kind: str, *ids: int | None) -> None:
    """Bring the index entries of these things of ``kind`` up to date, in the caller's transaction."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return
    entries = list(_SOURCES[kind](wanted))
    found = [entry.object_id for entry in entries]
    gone = [i for i in wanted if i not in set(found)]
    if gone:
        db.session.execute(delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id.in_(gone)))
    _write(kind, entries)


def put(kind: str, entries: Iterable[Entry]) -> None:
    """Write these entries as they are (a service that has the things at hand builds them without a query)."""
    _write(kind, list(entries))


def remove(kind: str, *ids: int) -> None:
    """Take these things out of the index (deleted, hidden), in the caller's transaction."""
    if ids:
        db.session.execute(delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id.in_(ids)))


def reindex() -> dict[str, int]:
    """Rebuild the whole index from the sources; returns the entries written per kind."""
    written: dict[str, int] = {}
    db.session.execute(delete(SearchEntry))
    for kind, entries in sorted(_SOURCES.items()):
        batch = list(entries(None))
        for start in range(0, len(batch), 500):
            _write(kind, batch[start : start + 500])
        written[kind] = len(batch)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(_FTS.insert().values(search_fts="optimize"))  # FTS5 merges its segments into one
    return written


def index_is_empty() -> bool:
    return db.session.execute(select(SearchEntry.id).limit(1)).first() is None


def _clean(text: str | None, limit: int) -> str:
    return _CONTROL.sub(" ", text or "")[:limit]


def _aliases(*texts: str) -> str:
    words = {word for text in texts for word in _WORD.findall(text or "") if _ALIASED.search(word)}
    return " ".join(sorted(word.translate(_ALIASES) for word in words))[:BODY_MAX]


def _write(kind: str, entries: list[Entry]) -> None:
    if not entries:
        return
    now = utcnow()
    rows = [
        {
            "kind": kind,
            "object_id": entry.object_id,
            "audience": entry.audience,
            "title": _clean(entry.title, TITLE_MAX) or "—",
            "place": _clean(entry.place, PLACE_MAX),
            "url": entry.url[:URL_MAX],
            "body": _clean(entry.body, BODY_MAX),
            "aliases": _aliases(entry.title, entry.body),
            "event_id": entry.event_id,
            "author_id": entry.author_id,
            "changed_at": entry.changed_at or now,
            "config": config_for(entry.language),
        }
        for entry in entries
    ]
    statement: Any
    if db.session.get_bind().dialect.name == "postgresql":
        # The document is made from the row's own values in the same INSERT (SQLite's triggers index theirs).
        for row in rows:
            row.update(doc_title=row["title"], doc_body=row["body"], doc_config=row["config"])
        statement = postgresql.insert(SearchEntry).values(document=_document())
    else:
        statement = sqlite.insert(SearchEntry)
    columns = [name for name in (*rows[0], "document") if name in SearchEntry.__table__.c and name not in _KEY]
    statement = statement.on_conflict_do_update(
        index_elements=[SearchEntry.kind, SearchEntry.object_id],
        set_={name: getattr(statement.excluded, name) for name in columns},
    )
    db.session.execute(statement, rows)


_KEY = ("kind", "object_id")


def _document() -> Any:
    """PostgreSQL's document of a row: its title (weight A) and text, in its language, without accents."""
    config = cast(bindparam("doc_config", type_=String), REGCONFIG)
    title = func.setweight(
        func.to_tsvector(config, func.unaccent(bindparam("doc_title", type_=Text))), literal_column("'A'")
    )
    body = func.setweight(
        func.to_tsvector(config, func.unaccent(bindparam("doc_body", type_=Text))), literal_column("'D'")
    )
    return title.op("||")(body)


# Queries ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A query as members write it: words, "phrases" and -excluded words."""

    text: str
    include: tuple[str, ...]  # words and phrases, each all must match
    exclude: tuple[str, ...]
    typing: bool = False  # the last included word may be a beginning (nothing typed after it yet)

    @property
    def usable(self) -> bool:
        return bool(self.include)


def parse(text: str | None) -> Query:
    raw = (text or "")[:QUERY_MAX]
    text = " ".join(raw.split())
    include: list[str] = []
    exclude: list[str] = []
    last_included = False
    for match in _TERM.finditer(text):
        negated = match.group(1) or match.group(3)
        term = " ".join(_WORD.findall(match.group(2) if match.group(2) is not None else match.group(4)))
        if term and len(include) + len(exclude) < TERMS_MAX:
            (exclude if negated else include).append(term)
            last_included = not negated and match.group(4) is not None
    typing = last_included and bool(raw) and not raw[-1].isspace() and _WORD.search(raw[-1]) is not None
    return Query(text=text, include=tuple(include), exclude=tuple(exclude), typing=typing)


def _fts5(query: Query, prefix: bool) -> str:
    """The query in FTS5's syntax: each term quoted (so nothing in it is an operator)."""
    terms = [f'"{term}"' for term in query.include]
    if prefix and query.typing:
        terms[-1] += "*"
    expression = " AND ".join(terms)
    for term in query.exclude:
        expression = f'({expression}) NOT "{term}"'
    return expression


def _websearch(query: Query) -> str:
    """The query in the syntax of PostgreSQL's websearch_to_tsquery (the same, written back without noise)."""
    parts = [f'"{term}"' if " " in term else term for term in query.include]
    parts += [f'-"{term}"' if " " in term else f"-{term}" for term in query.exclude]
    return " ".join(parts)


_FTS = table("search_fts", column("rowid"), column("search_fts"))


class _Engine:
    """One dialect's matching, ranking and excerpts over ``search_entry``."""

    def __init__(self, query: Query, prefix: bool) -> None:
        self.query = query
        self.prefix = prefix


class _SQLite(_Engine):
    def select(self, *columns: Any) -> Select:
        return (
            select(*columns)
            .select_from(_FTS)
            .join(SearchEntry, SearchEntry.id == _FTS.c.rowid)
            .where(literal_column("search_fts").op("MATCH")(_fts5(self.query, self.prefix)))
        )

    def rank(self) -> Any:
        return func.bm25(literal_column("search_fts"), 5.0, 1.0, 1.0)  # smaller is better; the title counts 5 times

    def ranked(self, statement: Select, limit: int, offset: int, excerpts: bool) -> Select:
        page = (
            statement.add_columns(self.rank().label("_rank"))
            .order_by(self.rank(), SearchEntry.changed_at.desc(), SearchEntry.id)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        shown = [c for c in page.c if not c.name.startswith("_")]
        ordered = (page.c._rank, page.c.changed_at.desc(), page.c.id)
        if not excerpts:
            return select(*shown, literal("").label("excerpt")).order_by(*ordered)
        # The excerpts of this page's rows only (snippet() reads a row's text again: never for every match).
        excerpt = func.snippet(literal_column("search_fts"), 1, START, STOP, "…", 24).label("excerpt")
        match = literal_column("search_fts").op("MATCH")(_fts5(self.query, self.prefix))
        return (
            select(*shown, excerpt)
            .select_from(page)
            .join(_FTS, _FTS.c.rowid == page.c.id)
            .where(match)
            .order_by(*ordered)
        )


class _PostgreSQL(_Engine):
    def __init__(self, query: Query, prefix: bool) -> None:
        super().__init__(query, prefix)
        text = _websearch(query)
        last = _WORD.findall(query.include[-1])[-1] if query.include else ""
        use_prefix = prefix and query.typing and last
        self.queries = {}
        for config in CONFIGS:
            regconfig = literal(config, REGCONFIG)
            tsquery = func.websearch_to_tsquery(regconfig, func.unaccent(text))
            if use_prefix:  # the last word as a prefix too: "interpr" finds "interpreters"
                tsquery = func.websearch_to_tsquery(regconfig, func.unaccent(_websearch(_without_last(query))))
                word = func.to_tsquery(regconfig, func.unaccent(literal(last)).op("||")(":*"))
                tsquery = tsquery.op("&&")(word) if _without_last(query).include else word
            self.queries[config] = tsquery
        self.tsquery = case(
            *((SearchEntry.config == c, q) for c, q in self.queries.items() if c != "simple"),
            else_=self.queries["simple"],
        )

    def select(self, *columns: Any) -> Select:
        matches = or_(
            *(and_(SearchEntry.config == c, SearchEntry.document.op("@@")(q)) for c, q in self.queries.items())
        )
        return select(*columns).select_from(SearchEntry).where(matches)

    def rank(self) -> Any:
        return -func.ts_rank_cd(SearchEntry.document, self.tsquery)

    def ranked(self, statement: Select, limit: int, offset: int, excerpts: bool) -> Select:
        page = (
            statement.add_columns(SearchEntry.config.label("_config"), self.rank().label("_rank"))
            .order_by(self.rank(), SearchEntry.changed_at.desc(), SearchEntry.id)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        if excerpts:
            options = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2"
            tsquery = case(
                *((page.c._config == c, q) for c, q in self.queries.items() if c != "simple"),
                else_=self.queries["simple"],
            )
            body = select(SearchEntry.body).where(SearchEntry.id == page.c.id).scalar_subquery()
            excerpt = func.ts_headline(
                cast(page.c._config, REGCONFIG), func.left(body, EXCERPT_SOURCE_MAX), tsquery, options
            )
        else:
            excerpt = literal("")
        shown = [c for c in page.c if not c.name.startswith("_")]
        return select(*shown, excerpt.label("excerpt")).order_by(page.c._rank, page.c.changed_at.desc(), page.c.id)


def _without_last(query: Query) -> Query:
    return Query(text=query.text, include=query.include[:-1], exclude=query.exclude)


def _engine(query: Query, prefix: bool) -> _Engine:
    if db.session.get_bind().dialect.name == "postgresql":
        return _PostgreSQL(query, prefix)
    return _SQLite(query, prefix)


def audiences(user: Any) -> tuple[str, ...]:
    """Which entries ``user`` may find: visitors the public ones only."""
    if user is not None and getattr(user, "is_authenticated", False):
        return ("public", "members")
    return ("public",)


# Search -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()  # index kinds (one kind the member picks may be several: see kinds.GROUPS)
    event_id: int | None = None
    author_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    title: str
    place: str
    url: str
    changed_at: datetime
    excerpt: Markup


@dataclass
class Results:
    query: Query
    hits: list[Hit]
    total: int  # with every filter
    page: int
    pages: int
    kinds: Counter[str] = field(default_factory=Counter)  # index kind → matches, with the other filters
    trainings: list[tuple[int, str, int]] = field(default_factory=list)  # (id, title, matches)
    authors: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, matches)


def search(user: Any, text: str | None, filters: Filters, page: int = 1) -> Results:
    """One page of what ``user`` may find for ``text``, best first, with the counts the filters show."""
    query = parse(text)
    if not query.usable:
        return Results(query=query, hits=[], total=0, page=1, pages=1)
    engine = _engine(query, prefix=False)
    visible = [SearchEntry.audience.in_(audiences(user))]
    if filters.since:
        visible.append(SearchEntry.changed_at >= datetime.combine(filters.since, datetime.min.time()))
    if filters.until:
        visible.append(
            SearchEntry.changed_at < datetime.combine(filters.until + timedelta(days=1), datetime.min.time())
        )

    # The training's table by name: search knows no feature (each feature knows search, as it knows notifications).
    training = db.metadata.tables["training_event"]

    # 1. The counts: matches by kind, training and author (the filters' choices), with their names.
    grouped = (
        engine.select(
            SearchEntry.kind, SearchEntry.event_id, training.c.title, SearchEntry.author_id, User.display_name
        )
        .add_columns(func.count().label("n"))
        .outerjoin(training, training.c.id == SearchEntry.event_id)
        .outerjoin(User, User.id == SearchEntry.author_id)
        .where(*visible)
        .group_by(SearchEntry.kind, SearchEntry.event_id, training.c.title, SearchEntry.author_id, User.display_name)
    )
    kinds: Counter[str] = Counter()
    trainings: dict[int, list[Any]] = {}
    authors: dict[int, list[Any]] = {}
    total = 0
    for kind, event_id, event_title, author_id, author_name, n in db.session.execute(grouped):
        in_kind = not filters.kinds or kind in filters.kinds
        in_event = filters.event_id is None or event_id == filters.event_id
        in_author = filters.author_id is None or author_id == filters.author_id
        if in_event and in_author:
            kinds[kind] += n
        if event_id is not None and in_kind and in_author:
            trainings.setdefault(event_id, [event_title, 0])[1] += n
        if author_id is not None and in_kind and in_event:
            authors.setdefault(author_id, [author_name, 0])[1] += n
        if in_kind and in_event and in_author:
            total += n

    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    hits: list[Hit] = []
    if total:
        # 2. The page of results, best first, with their excerpts.
        wanted = list(visible)
        if filters.kinds:
            wanted.append(SearchEntry.kind.in_(filters.kinds))
        if filters.event_id is not None:
            wanted.append(SearchEntry.event_id == filters.event_id)
        if filters.author_id is not None:
            wanted.append(SearchEntry.author_id == filters.author_id)
        statement = engine.ranked(
            engine.select(*_SHOWN).where(*wanted), PAGE_SIZE, (page - 1) * PAGE_SIZE, excerpts=True
        )
        hits = [_hit(row) for row in db.session.execute(statement)]
    return Results(
        query=query,
        hits=hits,
        total=total,
        page=page,
        pages=pages,
        kinds=kinds,
        trainings=sorted(((i, t or "", n) for i, (t, n) in trainings.items()), key=lambda x: x[1].casefold()),
        authors=sorted(((i, a or "", n) for i, (a, n) in authors.items()), key=lambda x: x[1].casefold()),
    )


def suggest(user: Any, text: str | None) -> list[Hit]:
    """The best few things ``user`` may find as they type ``text`` (its last word matched as a prefix)."""
    query = parse(text)
    if not query.usable:
        return []
    engine = _engine(query, prefix=True)
    statement = engine.ranked(
        engine.select(*_SHOWN).where(SearchEntry.audience.in_(audiences(user))), SUGGESTIONS, 0, excerpts=False
    )
    return [_hit(row) for row in db.session.execute(statement)]


def matching_ids(kind: str, text: str | None) -> Select | None:
    """The ids of the things of ``kind`` that match ``text`` (members' entries), as a subquery for a feature's
    own list (the decision log's filter); None when the text has nothing to search for."""
    query = parse(text)
    if not query.usable:
        return None
    engine = _engine(query, prefix=False)
    return engine.select(SearchEntry.object_id).where(SearchEntry.kind == kind)


_SHOWN = (
    SearchEntry.id,
    SearchEntry.kind,
    SearchEntry.object_id,
    SearchEntry.title,
    SearchEntry.place,
    SearchEntry.url,
    SearchEntry.changed_at,
)


def _hit(row: Any) -> Hit:
    return Hit(
        kind=row.kind,
        object_id=row.object_id,
        title=row.title,
        place=row.place,
        url=row.url,
        changed_at=row.changed_at,
        excerpt=highlighted(row.excerpt or ""),
    )


def highlighted(excerpt: str) -> Markup:
    """The engine's excerpt as HTML: the text escaped, the matched words in ``<mark>``."""
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", excerpt):
        if piece == START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif piece == STOP and open_mark:
            out.append("</mark>")
            open_mark = False
        elif piece not in (START, STOP):
            out.append(str(escape(piece)))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above
