"""How polls are found: the question, the description and the options. Never a ballot: nothing a member
searches for can tell how anyone voted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select

from protect.core.text import plain_text
from protect.core.urls import path_for
from protect.extensions import db
from protect.polls.locations import Location
from protect.polls.models import Poll, PollOption
from protect.search import services as search
from protect.search.services import Entry


@search.source("poll")
def poll_entries(ids: list[int] | None) -> Iterator[Entry]:
    polls = select(Poll.id, Poll.question, Poll.description, Poll.created_by_id, Poll.updated_at)
    options = select(PollOption).order_by(PollOption.poll_id, PollOption.position)
    if ids is not None:
        polls = polls.where(Poll.id.in_(ids))
        options = options.where(PollOption.poll_id.in_(ids))
    labels: dict[int, list[str]] = defaultdict(list)
    for option in db.session.scalars(options):
        labels[option.poll_id].append(" ".join(part for part in (option.label, option.venue_notes) if part))
    for poll in db.session.execute(polls):
        yield Entry(
            kind="poll",
            object_id=poll.id,
            title=poll.question,
            url=path_for("polls.show_poll", poll_id=poll.id),
            body=" ".join([plain_text(poll.description), *labels[poll.id]]),
            author_id=poll.created_by_id,
            changed_at=poll.updated_at,
        )


@search.source("location")
def location_entries(ids: list[int] | None) -> Iterator[Entry]:
    """Candidate locations: their facts, as members read them on the location's page."""
    query = select(Location).order_by(Location.id)
    if ids is not None:
        query = query.where(Location.id.in_(ids))
    for location in db.session.scalars(query):
        facts = [location.venue, location.nearest_hub, location.partner, location.accessibility]
        facts += list(location.visa_notes.values())
        yield Entry(
            kind="location",
            object_id=location.id,
            title=location.label,
            url=path_for("locations.show_location", location_id=location.id),
            body=" ".join([*(f for f in facts if f), plain_text(location.description)]),
            author_id=location.created_by_id,
            changed_at=location.updated_at,
        )
