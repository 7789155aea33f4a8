"""What a decision was based on, frozen: a poll's tally, a Guidelines revision, a training's agenda.

When a decision is proposed, or edited to point at another poll, revision or training, a copy of that basis is
kept (``DecisionBasis``): the tally (method, options, counts, rounds, turnout, eligible voters, close time), the
revision's text and number, the agenda's items and version, each with the SHA-256 of its canonical JSON. The
decision page shows "based on" with these hashes, and says when the source has changed since (a newer accepted
revision of the section, a later version of the agenda), with a link to the difference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import delete, select

from protect.agendas.models import AgendaItem, TrainingEvent
from protect.decisions.models import Decision, DecisionBasis
from protect.extensions import db
from protect.guidelines.models import GuidelineSection, SectionRevision
from protect.polls import services as polls
from protect.polls.export import rounds_data
from protect.polls.models import Poll

KINDS = ("poll", "revision", "agenda")


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the snapshot as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _poll_snapshot(poll_id: int) -> tuple[dict[str, Any], int | None] | None:
    poll = polls.get_poll(poll_id)
    if poll is None:
        return None
    numbers = polls.turnout(poll)
    result = polls.tally_poll(poll)
    options = {option.id: f"{option.city} ({option.country})" for option in poll.options}  # not in a language
    return (
        {
            "poll_id": poll.id,
            "question": poll.question,
            "method": poll.method,
            "secret": poll.secret,
            "closes_at": poll.closes_at.isoformat(),
            "tie_break_seed": poll.tie_break_seed,
            "options": [{"id": oid, "label": label} for oid, label in options.items()],
            "ballots": result.ballots,
            "voted": numbers.ballots,
            "eligible": numbers.eligible,
            "counts": {str(row.option_id): row.count for row in result.rows},
            "winners": list(result.winners),
            "rounds": rounds_data(result),
        },
        None,
    )


def _revision_snapshot(revision_id: int) -> tuple[dict[str, Any], int | None] | None:
    row = db.session.execute(
        select(SectionRevision, GuidelineSection)
        .join(GuidelineSection, GuidelineSection.id == SectionRevision.section_id)
        .where(SectionRevision.id == revision_id)
    ).first()
    if row is None:
        return None
    revision, section = row
    return (
        {
            "revision_id": revision.id,
            "section_id": section.id,
            "position": section.position,
            "heading": section.heading,
            "number": revision.number,
            "status": revision.status,
            "body": revision.body,
        },
        revision.number,
    )


def _agenda_snapshot(event_id: int) -> tuple[dict[str, Any], int | None] | None:
    event = db.session.get(TrainingEvent, event_id)
    if event is None:
        return None
    items = db.session.execute(
        select(AgendaItem)
        .where(AgendaItem.event_id == event.id, AgendaItem.deleted_at.is_(None))
        .order_by(AgendaItem.day, AgendaItem.start, AgendaItem.position, AgendaItem.id)
    ).scalars()
    return (
        {
            "event_id": event.id,
            "title": event.title,
            "agenda_version": event.agenda_version,
            "items": [
                {
                    "id": item.id,
                    "day": item.day,
                    "start": item.start.isoformat(),
                    "end": item.end.isoformat(),
                    "title": item.title,
                    "kind": item.kind,
                    "speakers": item.speakers,
                }
                for item in items
            ],
        },
        event.agenda_version,
    )


_SNAPSHOTS = {"poll": _poll_snapshot, "revision": _revision_snapshot, "agenda": _agenda_snapshot}
_LINKS = {"poll": "poll_id", "revision": "revision_id", "agenda": "event_id"}


def freeze(decision_id: int, links: dict[str, int | None]) -> None:
    """Keep the basis of each link of the decision (``links``: poll_id, revision_id, event_id as now): a new
    copy for a link that is new or changed, the old copy kept for one that stayed, none for one removed. In the
    caller's transaction."""
    kept = {
        basis.kind: basis
        for basis in db.session.execute(select(DecisionBasis).where(DecisionBasis.decision_id == decision_id)).scalars()
    }
    for kind in KINDS:
        ref_id = links.get(_LINKS[kind])
        basis = kept.get(kind)
        if basis is not None and basis.ref_id == ref_id:
            continue  # frozen: the copy made when it was linked stays
        if basis is not None:
            db.session.execute(delete(DecisionBasis).where(DecisionBasis.id == basis.id))
        if ref_id is None:
            continue
        made = _SNAPSHOTS[kind](ref_id)
        if made is None:
            continue
        snapshot, version = made
        db.session.add(
            DecisionBasis(
                decision_id=decision_id,
                kind=kind,
                ref_id=ref_id,
                version=version,
                snapshot=snapshot,
                content_hash=content_hash(snapshot),
            )
        )
    db.session.flush()


@dataclass(frozen=True)
class Basis:
    """One basis as the decision page shows it."""

    kind: str
    row: DecisionBasis
    changed: bool  # the source has changed since the decision was based on it
    diff_url: str | None  # where the change can be read (a word diff, the agenda's history)

    @property
    def snapshot(self) -> dict[str, Any]:
        return self.row.snapshot

    @property
    def intact(self) -> bool:
        """The copy still gives its hash (nothing changed it in the database)."""
        return content_hash(self.row.snapshot) == self.row.content_hash


def bases_of(decision: Decision, url_for: Any) -> list[Basis]:
    """The decision's bases in KINDS order, each with whether its source has changed since."""
    rows = {
        basis.kind: basis
        for basis in db.session.execute(select(DecisionBasis).where(DecisionBasis.decision_id == decision.id)).scalars()
    }
    shown = []
    for kind in KINDS:
        row = rows.get(kind)
        if row is None:
            continue
        changed, diff_url = False, None
        if kind == "revision":
            section_id = row.snapshot.get("section_id")
            current = db.session.execute(
                select(SectionRevision.id, SectionRevision.number)
                .join(GuidelineSection, GuidelineSection.current_revision_id == SectionRevision.id)
                .where(GuidelineSection.id == section_id)
            ).first()
            if current is not None and current.id != row.ref_id and current.number > (row.version or 0):
                changed = True
                diff_url = url_for(
                    "guidelines.compare", section_id=section_id, **{"from": row.ref_id, "to": current.id}
                )
        elif kind == "agenda":
            version = db.session.execute(
                select(TrainingEvent.agenda_version).where(TrainingEvent.id == row.ref_id)
            ).scalar_one_or_none()
            if version is not None and version != row.version:
                changed, diff_url = True, url_for("agendas.history", event_id=row.ref_id)
        elif kind == "poll":
            poll = db.session.get(Poll, row.ref_id)
            if poll is not None and poll.is_closed():
                made = _poll_snapshot(row.ref_id)
                changed = made is not None and content_hash(made[0]) != row.content_hash
        shown.append(Basis(kind, row, changed, diff_url))
    return shown


def describe(basis: Basis) -> str:
    snapshot = basis.snapshot
    if basis.kind == "poll":
        return gettext("the result of the poll “%(question)s”", question=snapshot.get("question", ""))
    if basis.kind == "revision":
        return gettext(
            "Guidelines §%(position)s “%(heading)s” as of revision %(number)s",
            position=snapshot.get("position"),
            heading=snapshot.get("heading", ""),
            number=snapshot.get("number"),
        )
    return gettext(
        "the agenda of “%(title)s” as of version %(version)s",
        title=snapshot.get("title", ""),
        version=snapshot.get("agenda_version"),
    )
