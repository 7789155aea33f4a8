"""Two moderators act on one page at the same moment: exactly one step happens, the other is refused."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from protect.core.database import writing
from protect.core.errors import RuleViolation
from protect.extensions import db
from protect.programme import services
from protect.programme.models import ProgrammePage, ProgrammeSnapshot, ProgrammeTransition
from tests.factories import make_user
from tests.programme.factories import approve, make_page, submit


def _race(app, actions) -> list[str]:
    """Run each action in its own thread, application context and transaction, all starting together."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action) -> None:
        with app.app_context():
            barrier.wait()
            try:
                with writing():
                    action()
                    db.session.commit()
                outcomes.append("done")
            except RuleViolation as refused:
                db.session.rollback()
                outcomes.append(f"refused {refused.status}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_two_moderators_publishing_at_once_make_exactly_one_version(app, expert, moderator):
    other = make_user("moderator")
    page = approve(submit(make_page(expert), expert), moderator)
    page_id, version = page.id, page.version
    outcomes = _race(
        app,
        [
            lambda: services.publish(db.session.get(type(moderator), moderator.id), page_id, version),
            lambda: services.publish(db.session.get(type(other), other.id), page_id, version),
        ],
    )
    assert outcomes == ["done", "refused 409"]
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(ProgrammeSnapshot)).scalar_one() == 1
    assert db.session.get(ProgrammePage, page_id).live_version == 1
    published = select(func.count()).select_from(ProgrammeTransition).where(ProgrammeTransition.action == "published")
    assert db.session.execute(published).scalar_one() == 1


def test_approving_and_sending_back_at_once_leave_one_consistent_outcome(app, expert, moderator):
    other = make_user("moderator")
    page = submit(make_page(expert), expert)
    page_id, version = page.id, page.version
    outcomes = _race(
        app,
        [
            lambda: services.approve(db.session.get(type(moderator), moderator.id), page_id, version),
            lambda: services.send_back(db.session.get(type(other), other.id), page_id, version, "Not yet."),
        ],
    )
    assert outcomes == ["done", "refused 409"]
    db.session.rollback()
    page = db.session.get(ProgrammePage, page_id)
    last = (
        db.session.execute(
            select(ProgrammeTransition.action)
            .where(ProgrammeTransition.page_id == page_id)
            .order_by(ProgrammeTransition.id.desc())
        )
        .scalars()
        .first()
    )
    assert (page.state, last) in {("approved", "approved"), ("draft", "sent_back")}
    assert (page.approved_content is not None) == (page.state == "approved")
