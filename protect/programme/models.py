"""Programme pages: the public face of a training, moderated before anything reaches the public.

A ``ProgrammePage`` is the working copy the experts edit (one per training event). Its ``state`` says where
the working copy is in the workflow: draft -> in review -> approved -> published (or withdrawn). What the
public sees is never the working copy: it is the ``ProgrammeSnapshot`` whose version is the page's
``live_version`` — an immutable JSON copy of the page and its agenda as a moderator approved it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.core.changes import area
from protect.core.database import utcnow
from protect.core.i18n import N_, WORKING_LANGUAGE
from protect.extensions import db

# English, marked with N_; shown through gettext (state_label, label, the templates' _()).
STATES = {
    "draft": N_("Draft"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "published": N_("Published"),
    "withdrawn": N_("Withdrawn"),
}
# The working copy can be edited in these states (editing a published or withdrawn page starts a new draft).
EDITABLE_STATES = ("draft", "published", "withdrawn")
TRANSITIONS = {
    "created": N_("Created"),
    "new_version": N_("Started a new version"),
    "submitted": N_("Submitted for review"),
    "sent_back": N_("Sent back"),
    "approved": N_("Approved"),
    "published": N_("Published"),
    "withdrawn": N_("Withdrawn"),
}

# The language of a page's own snapshots (its translations' are in theirs).
SOURCE = WORKING_LANGUAGE
TITLE_MAX = 200
SUMMARY_MAX = 300
DESCRIPTION_MAX = 20_000
TAKE_PART_MAX = 5_000
LANGUAGE_MAX = 60
VENUE_MAX = 300
COMMENT_MAX = 2_000
MESSAGE_MAX = 2_000


class ProgrammePage(db.Model):
    __tablename__ = "programme_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("training_event.id", ondelete="CASCADE"), unique=True)
    # The public address (/programme/<slug>); copied from the event once and never changed, so links last.
    slug: Mapped[str] = mapped_column(String(120), unique=True)

    # The working copy.
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    how_to_take_part: Mapped[str] = mapped_column(Text, default="")
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX), default="English")
    venue: Mapped[str] = mapped_column(String(VENUE_MAX), default="")

    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # Compare-and-set version: raised by every edit and every transition.
    version: Mapped[int] = mapped_column(default=1)

    # The content a moderator approved, frozen at approval (agenda included) until it is published.
    approved_content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # What the public sees: the snapshot with this version (None: nothing public).
    live_version: Mapped[int | None]
    # When what the public sees last changed (published or withdrawn): Last-Modified of the public list.
    public_changed_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # Whether the releases (/programme/<slug>/v<N>) of a withdrawn page stay reachable: the moderator's choice
    # at the withdrawal (otherwise they answer 410 with the reason, as the page does).
    releases_public: Mapped[bool] = mapped_column(default=False, server_default=sql_text("false"))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("TrainingEvent", lazy="raise")
    approved_by = relationship("User", foreign_keys=[approved_by_id], lazy="raise")
    updated_by = relationship("User", foreign_keys=[updated_by_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<ProgrammePage {self.slug} {self.state} v{self.version} live={self.live_version}>"

    @property
    def state_label(self) -> str:
        return gettext(STATES.get(self.state, self.state))

    @property
    def is_live(self) -> bool:
        return self.live_version is not None

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class ProgrammeSnapshot(db.Model):
    """One published version of a page. Written once when a moderator publishes, never changed.

    ``content`` holds everything the public pages show; the other columns are copies of a few of its values
    that the public list filters and searches on."""

    __tablename__ = "programme_snapshot"
    __table_args__ = (
        # Each language has its own series of versions: the page's own (the working language) and each
        # translation's (programme_translation).
        UniqueConstraint("page_id", "version", "language", name="uq_programme_snapshot_page_version_language"),
        Index("ix_programme_snapshot_first_day", "first_day"),
        # The public list's "which versions are live, with which content" reads the digest from here: on SQLite
        # the row's digest sits behind the large content, and reading it from the table costs 7x more.
        Index("ix_programme_snapshot_page_version_language_digest", "page_id", "version", "language", "digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("programme_page.id", ondelete="CASCADE"))
    version: Mapped[int]
    # The page itself is in the working language (WORKING_LANGUAGE); a translation's snapshot is in its own,
    # and its ``content`` holds the translated texts only (``translations.translated_content`` lays them over
    # the page's published content), with the version of the page it was translated from (``source_version``).
    language: Mapped[str] = mapped_column(String(8), default=SOURCE, server_default=SOURCE)
    source_version: Mapped[int | None]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # sha256 of the content: the public pages' ETag.
    digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    country: Mapped[str] = mapped_column(String(2))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # ",law_enforcement,ngo," — so that one audience is found with LIKE on every database.
    audiences_key: Mapped[str] = mapped_column(String(200), default=",")
    # Lower-case, accent-free text of the whole snapshot: what the public search box searches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    published_by = relationship("User", foreign_keys=[published_by_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<ProgrammeSnapshot page {self.page_id} v{self.version}>"


class SnapshotIsImmutable(RuntimeError):
    pass


@event.listens_for(ProgrammeSnapshot, "before_update")
def _refuse_changes(_mapper, _connection, target: ProgrammeSnapshot) -> None:
    # What the public saw must stay exactly what was approved and published: a new version is a new row.
    raise SnapshotIsImmutable(f"published snapshot {target.page_id} v{target.version} cannot be changed")


class ProgrammeTransition(db.Model):
    """One step of the workflow: who moved the page from which state to which, when and why."""

    __tablename__ = "programme_transition"
    __table_args__ = (Index("ix_programme_transition_page_created", "page_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("programme_page.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    # The published version this step made or withdrew, if any.
    snapshot_version: Mapped[int | None]
    # None: a step of the page itself; a language code: a step of that translation (the same workflow).
    language: Mapped[str | None] = mapped_column(String(8))

    actor = relationship("User", lazy="raise")

    @property
    def label(self) -> str:
        return gettext(TRANSITIONS.get(self.action, self.action))


class ProgrammeTranslation(db.Model):
    """A page's translation into one language: a working copy of the translatable texts that goes through the
    page's own workflow (draft -> in review -> approved -> published, withdrawn) and is published as a
    ``ProgrammeSnapshot`` in its language.

    The texts are kept in ``fields`` by their place in the page's content ("title", "description"...), so that
    translating more of the content later (agenda items: "agenda.<id>.title") adds keys, not tables or steps.
    ``source_version`` is the published version of the page the texts were translated from: a translation whose
    source version is older than the page's live version is out of date (computed when read, never stored)."""

    __tablename__ = "programme_translation"
    __table_args__ = (UniqueConstraint("page_id", "language", name="uq_programme_translation_page_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("programme_page.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source_version: Mapped[int]

    state: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    approved_fields: Mapped[dict[str, str] | None] = mapped_column(JSON)
    approved_source_version: Mapped[int | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The published snapshot (in ``language``) the public sees; None: nothing public.
    live_version: Mapped[int | None]
    withdrawn_at: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User", foreign_keys=[updated_by_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<ProgrammeTranslation {self.page_id} {self.language} {self.state} v{self.version}>"

    @property
    def state_label(self) -> str:
        return gettext(STATES.get(self.state, self.state))

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def title(self) -> str:
        return self.fields.get("title", "")


class InterestRegistration(db.Model):
    """A visitor's "register your interest" for a published training, kept with their consent until the
    retention period after the training has passed (``flask --app protect purge-registrations``)."""

    __tablename__ = "interest_registration"
    __table_args__ = (Index("ix_interest_registration_page_created", "page_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("programme_page.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    consent_text: Mapped[str] = mapped_column(String(500))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The published version the visitor saw.
    snapshot_version: Mapped[int]
    # The training's last day (kept in step with each new published version): the retention clock.
    training_ends_on: Mapped[date] = mapped_column(Date, index=True)


# The change areas of these tables (core.changes): a commit that writes one renews its area's token.
area("programme", ProgrammePage, ProgrammeSnapshot, ProgrammeTransition, ProgrammeTranslation, InterestRegistration)
