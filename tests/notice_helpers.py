"""Reading the notices the features write (protect.notifications), for the features' own tests."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import select

from protect.extensions import db
from protect.notifications.models import Notification


def notices_of(user, kind: str | None = None) -> list[Notification]:
    """The member's notices, oldest first (of one kind, if given), as the database has them now."""
    db.session.rollback()  # end the test's transaction: see what the requests committed
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.execute(query).scalars())


def texts_of(user, kind: str | None = None) -> list[str]:
    return [notice.text for notice in notices_of(user, kind)]


def follow(client, notice: Notification):
    """The member finds ``notice`` on their notifications page, follows its link there, and lands on the page
    it names, which has the anchor it points at. Returns that page's response."""
    page = client.get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/notifications/{notice.id}"' in html
    assert str(escape(notice.text)) in html
    opened = client.get(f"/notifications/{notice.id}")
    assert opened.status_code == 303
    assert opened.headers["Location"] == notice.url
    path, _, anchor = notice.url.partition("#")
    target = client.get(path)
    assert target.status_code == 200, (notice.url, target.status_code)
    if anchor:
        assert f'id="{anchor}"' in target.get_data(as_text=True), notice.url
    return target
