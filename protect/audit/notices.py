"""The daily checkpoint, told to the moderators (and mailed, as each chose): made by ``flask verify-audit`` (run
daily by cron) once the chain verified, so that what is mailed is a head that was checked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from protect.audit import chain
from protect.auth.models import User
from protect.core.i18n import N_
from protect.core.urls import path_for
from protect.notifications.services import notify

CHECKPOINT = N_("Audit log checkpoint of %(day)s: %(length)s events, head hash %(hash)s")


def checkpoint(now: datetime) -> int:
    """Today's checkpoint, once (the first verification of the day makes it), in the current transaction; every
    moderator is told its hash when the chain has grown since the checkpoint before (an unchanged head tells
    nothing new). Returns how many were told."""
    previous = chain.checkpoints(limit=1)
    made = chain.take_checkpoint(now)
    if made is None or (previous and previous[0].length == made.length and previous[0].head_hash == made.head_hash):
        return 0
    moderators = select(User.id).where(User.role.in_(("moderator", "admin")))
    return notify(
        "audit_checkpoint",
        moderators,
        thread="audit:checkpoints",
        title=made.day.isoformat(),
        summary=CHECKPOINT,
        params={"day": made.day.isoformat(), "length": str(made.length), "hash": made.head_hash},
        url=path_for("audit.index") + "#checkpoints",
    )
