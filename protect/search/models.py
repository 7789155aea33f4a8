"""The search index: one row per searchable thing (a section's text, a comment, an agenda item, ...).

The row holds what the results page shows (title, where it lives, link), what the filters and the permissions
compare (kind, training, author, date, audience), and the text. The databases' own full-text engines index it:

- SQLite: ``search_fts``, an FTS5 table over ``title``, ``body`` and ``aliases``
  (``porter unicode61 remove_diacritics 2``: English stems, accents ignored) with this table as its external
  content, kept in step by three triggers.
- PostgreSQL: ``document``, a ``tsvector`` written with the row (``to_tsvector(config, unaccent(...))`` in the
  entry's language, title weighted A) under a GIN index; ``unaccent`` is the extension of that name.

Both are created with the table (``db.create_all`` and the migration ``0016_search`` run the same DDL below).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from protect.core.changes import area
from protect.core.database import utcnow
from protect.extensions import db

TITLE_MAX = 300
PLACE_MAX = 300
URL_MAX = 500


class SearchEntry(db.Model):
    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "object_id"),
        Index("ix_search_entry_document", "document", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # see protect.search.kinds.KINDS
    object_id: Mapped[int]
    # Who may find it: "public" (anyone, signed in or not) or "members" (signed-in members).
    audience: Mapped[str] = mapped_column(String(8), default="members")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    place: Mapped[str] = mapped_column(String(PLACE_MAX), default="")  # where it lives: "Guidelines › §4 ..."
    url: Mapped[str] = mapped_column(String(URL_MAX))
    body: Mapped[str] = mapped_column(Text, default="")  # plain text
    # The body's words with letters FTS5 does not fold (ł, ø, ð, ß, æ, þ) spelled in ASCII: "Łódź" as "Lodz".
    # SQLite's index reads them too; PostgreSQL's unaccent folds these letters itself.
    aliases: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("training_event.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The text's language as PostgreSQL's text search configuration ("english", "russian", ..., "simple").
    config: Mapped[str] = mapped_column(String(16), default="english")
    document = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), nullable=True)  # PostgreSQL only


# Written only with a change to the thing it indexes, which renews that area's token.
area(None, SearchEntry)

# The SQLite full-text table and the triggers that keep it in step (the FTS5 documentation's external-content
# pattern). On PostgreSQL, the unaccent extension.
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, aliases, content='search_entry', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_fts(rowid, title, body, aliases) VALUES (new.id, new.title, new.body, new.aliases); END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, aliases) "
    "VALUES ('delete', old.id, old.title, old.body, old.aliases); END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body, aliases) "
    "VALUES ('delete', old.id, old.title, old.body, old.aliases); "
    "INSERT INTO search_fts(rowid, title, body, aliases) VALUES (new.id, new.title, new.body, new.aliases); END",
)
SQLITE_DROP = ("DROP TABLE IF EXISTS search_fts",)
POSTGRESQL_CREATE = ("CREATE EXTENSION IF NOT EXISTS unaccent",)

for statement in SQLITE_CREATE:
    event.listen(SearchEntry.__table__, "after_create", DDL(statement).execute_if(dialect="sqlite"))
for statement in SQLITE_DROP:
    event.listen(SearchEntry.__table__, "after_drop", DDL(statement).execute_if(dialect="sqlite"))
for statement in POSTGRESQL_CREATE:
    event.listen(SearchEntry.__table__, "before_create", DDL(statement).execute_if(dialect="postgresql"))


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """For Alembic's comparison of models and database: SQLite's FTS5 tables are the engine's own (made by the
    DDL above, not by the models), and the GIN index exists on PostgreSQL only."""
    if type_ == "table" and name and name.startswith("search_fts"):
        return False
    return not (type_ == "index" and name == "ix_search_entry_document" and not reflected and compare_to is None)
