"""Two people acting at the same moment: proposals get distinct numbers, and of two proposals accepted at
once exactly one becomes the text while the other is outdated (nothing is lost). Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select

from protect.extensions import db
from protect.guidelines.models import Comment, SectionRevision
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline, propose


def at_once(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_simultaneous_proposals_get_distinct_numbers(app, moderator):
    section = first_section(make_guideline(moderator))
    base = current(section).id
    clients = [app.test_client() for _ in range(4)]
    authors = [make_user("expert") for _ in clients]
    from tests.conftest import sign_in

    for client, author in zip(clients, authors, strict=True):
        sign_in(client, author)
    url = f"/guidelines/sections/{section.id}/propose"
    statuses = at_once(
        [
            (
                lambda c=client, n=n: (
                    c.post(url, data={"base_revision_id": base, "body": f"Text {n}", "summary": "Why"}).status_code
                )
            )
            for n, client in enumerate(clients)
        ]
    )
    assert statuses == [303] * 4
    db.session.rollback()
    numbers = sorted(
        db.session.execute(select(SectionRevision.number).where(SectionRevision.section_id == section.id)).scalars()
    )
    assert numbers == [1, 2, 3, 4, 5]


def test_two_proposals_accepted_at_once_leave_one_text_and_one_outdated(app, client_for, moderator, expert):
    section = first_section(make_guideline(moderator))
    first = propose(expert, section, "First text")
    second = propose(make_user("expert"), section, "Second text")
    first_id, second_id = first.id, second.id  # read here: the threads have no application context
    moderators = [client_for(moderator), client_for(make_user("moderator"))]
    statuses = at_once(
        [
            (
                lambda c=moderators[0]: (
                    c.post(f"/guidelines/revisions/{first_id}/accept", data={"reason": "A"}).status_code
                )
            ),
            (
                lambda c=moderators[1]: (
                    c.post(f"/guidelines/revisions/{second_id}/accept", data={"reason": "B"}).status_code
                )
            ),
        ]
    )
    assert sorted(statuses) == [303, 409]
    db.session.rollback()
    states = {r.id: r.status for r in db.session.execute(select(SectionRevision)).scalars() if r.number > 1}
    assert sorted(states.values()) == ["accepted", "outdated"]
    assert current(section).id in (first_id, second_id) and states[current(section).id] == "accepted"


def test_simultaneous_comments_each_get_their_own_sequence_number(client_for, moderator, expert):
    section = first_section(make_guideline(moderator))
    revision = current(section)
    clients = [client_for(make_user("expert")) for _ in range(4)]
    url = f"/guidelines/revisions/{revision.id}/comments"
    statuses = at_once(
        [(lambda c=c, n=n: c.post(url, data={"body": f"Comment {n}"}).status_code) for n, c in enumerate(clients)]
    )
    assert statuses == [303] * 4
    db.session.rollback()
    seqs = sorted(db.session.execute(select(Comment.created_seq)).scalars())
    assert seqs == [1, 2, 3, 4]
    assert db.session.get(SectionRevision, revision.id).comment_seq == 4
