"""A programme page's releases: each publication (a snapshot in the working language) with its number, date,
approver and content hash, readable for good at /programme/<slug>/v<N>; the public changelog (the word diff
between consecutive releases) and an Atom feed of them.

A withdrawn page's releases answer 410 with the moderator's reason, like the page, unless the moderator kept
them readable when withdrawing (``ProgrammePage.releases_public``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from protect.auth.models import User
from protect.extensions import db
from protect.programme.diff import Diff, diff_content
from protect.programme.models import SOURCE, ProgrammePage, ProgrammeSnapshot
from protect.programme.services import PublicSnapshot

_APPROVER = aliased(User)
_PUBLISHER = aliased(User)


@dataclass(frozen=True)
class Release:
    number: int
    snapshot_id: int
    digest: str  # SHA-256 of the content: what a printed or cited copy is checked against
    published_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    published_by: str | None
    title: str
    first_day: Any
    last_day: Any
    page_id: int


@dataclass(frozen=True)
class Releases:
    page: ProgrammePage
    releases: list[Release]  # oldest first

    @property
    def withdrawn(self) -> bool:
        return self.page.live_version is None

    @property
    def reachable(self) -> bool:
        """Whether the releases may be shown (410 otherwise)."""
        return not self.withdrawn or self.page.releases_public

    def number(self, number: int) -> Release | None:
        return next((release for release in self.releases if release.number == number), None)


def releases_of(slug: str) -> Releases | None:
    """The page's releases, or None when it has none (never published, or no such page). Two queries."""
    page = db.session.execute(select(ProgrammePage).where(ProgrammePage.slug == slug)).scalar_one_or_none()
    if page is None:
        return None
    s = ProgrammeSnapshot
    rows = db.session.execute(
        select(
            s.id,
            s.version,
            s.digest,
            s.published_at,
            s.approved_at,
            _APPROVER.display_name,
            _PUBLISHER.display_name,
            s.title,
            s.first_day,
            s.last_day,
        )
        .outerjoin(_APPROVER, _APPROVER.id == s.approved_by_id)
        .outerjoin(_PUBLISHER, _PUBLISHER.id == s.published_by_id)
        .where(s.page_id == page.id, s.language == SOURCE)
        .order_by(s.version)
    ).all()
    if not rows:
        return None
    return Releases(page, [Release(*row[:10], page_id=page.id) for row in rows])


def public_snapshot(release: Release) -> PublicSnapshot:
    return PublicSnapshot(
        release.snapshot_id,
        release.page_id,
        release.number,
        release.digest,
        release.published_at,
        release.first_day,
        release.last_day,
    )


def contents(snapshot_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = db.session.execute(
        select(ProgrammeSnapshot.id, ProgrammeSnapshot.content).where(ProgrammeSnapshot.id.in_(snapshot_ids))
    ).all()
    return {row.id: row.content for row in rows}


@dataclass(frozen=True)
class Change:
    release: Release
    diff: Diff | None  # None for the first release


def changelog(found: Releases) -> list[Change]:
    """Each release, newest first, with the word diff from the release before it."""
    texts = contents([release.snapshot_id for release in found.releases])
    changes = []
    previous = None
    for release in found.releases:
        after = texts[release.snapshot_id]
        changes.append(Change(release, diff_content(texts[previous.snapshot_id], after) if previous else None))
        previous = release
    return list(reversed(changes))
