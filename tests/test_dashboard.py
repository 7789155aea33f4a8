"""The dashboard's recent activity: the group's work, not the members' sign-ins and sign-outs."""

from __future__ import annotations

from datetime import timedelta

from protect.core import audit
from protect.core.database import utcnow
from protect.extensions import db
from tests.conftest import count_queries


def test_sign_ins_and_sign_outs_stay_out_of_the_recent_activity(admin, admin_client, expert):
    start = utcnow() - timedelta(hours=1)
    audit.record(expert, "poll.created", None, summary="opened the vote “Where next?”", when=start)
    # Twenty sessions later, the work is still what the list shows.
    for minute in range(1, 21):
        when = start + timedelta(minutes=minute)
        audit.record(expert, "user.signed_in", expert, summary="signed in", audience="admin", when=when)
        audit.record(expert, "user.signed_out", expert, summary="signed out", audience="admin", when=when)
    audit.record(expert, "user.signed_out_everywhere", expert, summary="signed out on every device", audience="admin")
    audit.record(expert, "user.session_ended", expert, summary="ended a session", audience="admin")
    audit.record(expert, "user.role_changed", expert, summary="changed the role of Eva", audience="admin")
    db.session.commit()

    events = audit.recent_activity(admin)
    assert [event.action for event in events] == ["user.role_changed", "poll.created"]

    response = admin_client.get("/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "opened the vote “Where next?”" in html
    assert "changed the role of Eva" in html
    assert "signed in" not in html
    assert "signed out" not in html
    # The sign-ins are still in the log.
    assert db.session.query(audit.AuditEvent).filter_by(action="user.signed_in").count() == 20


def test_the_recent_activity_is_one_query(admin):
    for _ in range(5):
        audit.record(admin, "user.signed_in", admin, summary="signed in", audience="admin")
    db.session.commit()
    assert admin.role == "admin"  # loaded again after the commit, before counting
    with count_queries() as statements:
        audit.recent_activity(admin)
    assert len(statements) == 1
