"""The PROTECT Guidelines: documents, their ordered sections, proposed revisions of a section, comments.

A section's text is never edited in place. Every change is a ``SectionRevision``: an expert proposes a new
body based on the section's current revision, and a moderator accepts (it becomes current) or rejects it.
``GuidelineSection.current_revision_id`` points at the accepted revision that is the section's text now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from protect.core.changes import area
from protect.core.database import utcnow
from protect.core.i18n import N_
from protect.extensions import db

TITLE_MAX = 200
SLUG_MAX = 120
HEADING_MAX = 200
SUMMARY_MAX = 300
REASON_MAX = 1000
BODY_MAX = 100_000
COMMENT_MAX = 10_000
# What adds up: comments on one revision (its page shows them, a page of threads at a time), replies in one
# thread, proposals one member has open at once for one section, and sections in one document (its page shows
# every section's text and its contents every heading: a long handbook has 20 to 30 chapters).
COMMENTS_PER_REVISION = 500
REPLIES_PER_THREAD = 100
OPEN_PROPOSALS_PER_MEMBER = 5
SECTIONS_PER_GUIDELINE = 50

# A revision's status as a label (kept in English, translated where shown: ``status_label``), and as the word
# that ends a sentence such as "Revision 3 is accepted." (``status_word``).
STATUSES = {
    "proposed": N_("Proposed"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "outdated": N_("Outdated"),
}
STATUS_WORDS = {
    # Translators: a revision's status in a sentence, "Revision 3 is %(status)s".
    "proposed": N_("proposed"),
    # Translators: a revision's status in a sentence, "Revision 3 is %(status)s".
    "accepted": N_("accepted"),
    # Translators: a revision's status in a sentence, "Revision 3 is %(status)s".
    "rejected": N_("rejected"),
    # Translators: a revision's status in a sentence, "Revision 3 is %(status)s".
    "withdrawn": N_("withdrawn"),
    # Translators: a revision's status in a sentence, "Revision 3 is %(status)s".
    "outdated": N_("outdated"),
}


class Guideline(db.Model):
    __tablename__ = "guideline"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by every accepted revision, heading change or move: what the document's readers see changed.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User", lazy="raise")
    sections: Mapped[list[GuidelineSection]] = relationship(
        back_populates="guideline", lazy="raise", order_by="GuidelineSection.position"
    )

    def __repr__(self) -> str:
        return f"<Guideline {self.slug}>"


class GuidelineSection(db.Model):
    __tablename__ = "guideline_section"
    __table_args__ = (Index("ix_guideline_section_guideline_position", "guideline_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guideline.id", ondelete="CASCADE"))
    # 1, 2, 3, ... in the document; the section's number is its position.
    position: Mapped[int]
    heading: Mapped[str] = mapped_column(String(HEADING_MAX))
    # The accepted revision that is the section's text now (None only while the section is being created).
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("section_revision.id", ondelete="SET NULL", use_alter=True, name="fk_guideline_section_current")
    )
    # Compare-and-set version of the heading (a rename carries the version it began from).
    version: Mapped[int] = mapped_column(default=1)
    # Last proposal, decision, comment, rename or move: drives "changed since your last visit".
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    guideline: Mapped[Guideline] = relationship(back_populates="sections", lazy="raise")
    current_revision: Mapped[SectionRevision | None] = relationship(
        foreign_keys=[current_revision_id], lazy="raise", post_update=True
    )

    @property
    def number(self) -> int:
        return self.position

    def __repr__(self) -> str:
        return f"<GuidelineSection {self.position} {self.heading!r}>"


class SectionRevision(db.Model):
    __tablename__ = "section_revision"
    __table_args__ = (
        UniqueConstraint("section_id", "number", name="uq_section_revision_section_number"),
        Index("ix_section_revision_section_status", "section_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("guideline_section.id", ondelete="CASCADE"))
    # 1, 2, 3, ... within the section.
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # Why the change is proposed (for the first revision: where the text comes from).
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    # The revision this one was written against (None for a section's first text).
    base_revision_id: Mapped[int | None] = mapped_column(ForeignKey("section_revision.id", ondelete="SET NULL"))
    # A proposal rebased onto newer text points at the outdated proposal it carries forward.
    # Indexed: "has this outdated proposal been rebased?" (the dashboard, the revision page) looks it up.
    rebased_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("section_revision.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # Raised by every comment change on this revision; each comment keeps the value of its last change.
    # The comment poll compares the page's value with this one (204 when equal).
    comment_seq: Mapped[int] = mapped_column(default=0)
    last_comment_at: Mapped[datetime | None]

    section: Mapped[GuidelineSection] = relationship(foreign_keys=[section_id], lazy="raise")
    base_revision: Mapped[SectionRevision | None] = relationship(
        foreign_keys=[base_revision_id], remote_side=[id], lazy="raise"
    )
    rebased_from: Mapped[SectionRevision | None] = relationship(
        foreign_keys=[rebased_from_id], remote_side=[id], lazy="raise"
    )
    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="raise")

    @property
    def status_label(self) -> str:
        """The status as a label ("Accepted"), in the reader's language."""
        return gettext(STATUSES[self.status]) if self.status in STATUSES else self.status

    @property
    def status_word(self) -> str:
        """The status as the word that ends a sentence ("accepted"), in the reader's language."""
        return gettext(STATUS_WORDS[self.status]) if self.status in STATUS_WORDS else self.status

    @property
    def is_open(self) -> bool:
        return self.status == "proposed"

    def __repr__(self) -> str:
        return f"<SectionRevision {self.id} section={self.section_id} #{self.number} {self.status}>"


class Comment(db.Model):
    __tablename__ = "guideline_comment"
    __table_args__ = (Index("ix_guideline_comment_revision_seq", "revision_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("section_revision.id", ondelete="CASCADE"))
    # The paragraph (1, 2, ...) of the revision's text the comment is about; None: the revision as a whole.
    paragraph: Mapped[int | None]
    # Threads are one level deep: a reply's parent is always the thread's first comment.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("guideline_comment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    # Threads (first comments) are resolved and reopened as a whole.
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    # A hidden comment's text is removed here and kept only in the audit log (audience "moderator").
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None]
    # The revision's comment_seq when the comment was written, and at the last change to it or its thread
    # (see SectionRevision.comment_seq).
    created_seq: Mapped[int] = mapped_column(default=0)
    seq: Mapped[int] = mapped_column(default=0)

    revision: Mapped[SectionRevision] = relationship(lazy="raise")
    parent: Mapped[Comment | None] = relationship(remote_side=[id], lazy="raise")
    author = relationship("User", foreign_keys=[author_id], lazy="raise")
    resolved_by = relationship("User", foreign_keys=[resolved_by_id], lazy="raise")
    hidden_by = relationship("User", foreign_keys=[hidden_by_id], lazy="raise")

    @property
    def is_thread(self) -> bool:
        return self.parent_id is None

    def __repr__(self) -> str:
        return f"<Comment {self.id} revision={self.revision_id} paragraph={self.paragraph}>"


class SectionVisit(db.Model):
    """When a member last looked at a section (its page, or the whole document): "changed since your last visit"."""

    __tablename__ = "guideline_section_visit"
    __table_args__ = (UniqueConstraint("user_id", "section_id", name="uq_guideline_section_visit_user_section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("guideline_section.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


# The change areas of these tables (core.changes): a commit that writes one renews its area's token.
class GuidelineVersion(db.Model):
    """A published version of the whole document: its number, the sections as they read then (with the
    revision of each), its Markdown and the SHA-256 of that Markdown. Written once, never changed."""

    __tablename__ = "guideline_version"
    __table_args__ = (UniqueConstraint("guideline_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guideline.id", ondelete="CASCADE"))
    number: Mapped[int]
    # [{"section_id", "position", "heading", "revision_id", "revision_number", "summary"}], by position
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    published_by = relationship("User", lazy="raise")


area("guidelines", Guideline, GuidelineSection, SectionRevision, Comment, GuidelineVersion)
area("visits", SectionVisit, apart=True)
