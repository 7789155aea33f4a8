"""The audit page (moderators): the chain's state, checkpoints and filtered events; the administrators'
"verify now"; the daily checkpoint told (and mailed) to the moderators."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from protect.audit import chain, notices
from protect.core import audit
from protect.core.audit import AuditChain, AuditCheckpoint, AuditEvent, record
from protect.core.database import utcnow
from protect.core.timefmt import to_zone
from protect.extensions import db
from protect.notifications import mailer
from protect.notifications.models import NotificationSetting
from tests.notice_helpers import follow, notices_of


def _some_events(expert, moderator) -> None:
    record(expert, "test.expert_thing", summary="did the expert thing")
    record(moderator, "test.moderator_thing", summary="did the moderator thing", audience="moderator")
    record(moderator, "test.admin_thing", summary="did the admin thing", audience="admin", details={"secret": 1})
    db.session.commit()


def test_experts_and_visitors_may_not_see_the_audit_page(client, expert_client):
    assert expert_client.get("/audit").status_code == 403
    response = client.get("/audit")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_moderators_see_the_chain_and_the_events_for_moderators(moderator_client, expert, moderator):
    _some_events(expert, moderator)
    page = moderator_client.get("/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    length, head_hash = chain.head()
    assert length == 3 and head_hash in html and f"data-chain-length>{length}<" in html
    assert "did the expert thing" in html and "did the moderator thing" in html
    assert "did the admin thing" not in html  # as everywhere: an administrators' event stays theirs
    assert "Verify the chain now" not in html


def test_administrators_see_every_event_and_its_details(admin_client, expert, moderator):
    _some_events(expert, moderator)
    html = admin_client.get("/audit").get_data(as_text=True)
    assert "did the admin thing" in html and "<dt><code>secret</code></dt><dd><code>1</code></dd>" in html


def test_filters_by_person_kind_object_and_date(moderator_client, expert, moderator):
    _some_events(expert, moderator)
    record(expert, "test.on_object", expert, summary="about a member")
    db.session.commit()
    by_person = moderator_client.get(f"/audit?person={expert.id}").get_data(as_text=True)
    assert "did the expert thing" in by_person and "did the moderator thing" not in by_person
    by_kind = moderator_client.get("/audit?kind=test.moderator_thing").get_data(as_text=True)
    assert "did the moderator thing" in by_kind and "did the expert thing" not in by_kind
    by_object = moderator_client.get(f"/audit?object_type=users&object_id={expert.id}").get_data(as_text=True)
    assert "about a member" in by_object and "did the expert thing" not in by_object
    today = to_zone(utcnow(), moderator.time_zone).date()  # the dates are the moderator's own
    day = today.isoformat()
    assert "did the expert thing" in moderator_client.get(f"/audit?since={day}&until={day}").get_data(as_text=True)
    later = moderator_client.get(f"/audit?since={(today + timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "did the expert thing" not in later and "No event matches the filters." in later
    earlier = moderator_client.get(f"/audit?until={(today - timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "did the expert thing" not in earlier


def test_a_wrong_filter_is_refused_beside_its_field_and_kept(moderator_client):
    response = moderator_client.get("/audit?since=31.02.2026&object_id=abc&person=x")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD" in html and 'value="31.02.2026"' in html
    assert "Enter the object&#39;s number" in html and 'value="abc"' in html
    assert "Choose a member from the list." in html
    backwards = moderator_client.get("/audit?since=2026-03-02&until=2026-03-01")
    assert backwards.status_code == 422 and "The end date is before the start date." in backwards.get_data(as_text=True)


def test_only_administrators_verify_from_the_page(moderator_client, admin_client, expert_client, expert, moderator):
    _some_events(expert, moderator)
    assert expert_client.post("/audit/verify").status_code == 403
    assert moderator_client.post("/audit/verify").status_code == 403
    db.session.rollback()
    assert db.session.get(AuditChain, audit.CHAIN_HEAD_ID).verified_at is None
    response = admin_client.post("/audit/verify")
    assert response.status_code == 303
    db.session.rollback()
    head = db.session.get(AuditChain, audit.CHAIN_HEAD_ID)
    assert head.verified_at is not None and head.verified_problem is None
    assert "Unbroken" in admin_client.get("/audit").get_data(as_text=True)


def test_a_broken_chain_shows_where(admin_client, expert, moderator):
    _some_events(expert, moderator)
    first = db.session.execute(select(AuditEvent).where(AuditEvent.seq == 1)).scalar_one()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(summary="forged"))
    db.session.commit()
    admin_client.post("/audit/verify")
    html = admin_client.get("/audit").get_data(as_text=True)
    assert "Broken" in html and f"Event 1 (id {first.id}) was changed" in html


def test_the_daily_checkpoint_is_told_to_moderators_and_mailed(app, smtp, expert, moderator, admin, moderator_client):
    _some_events(expert, moderator)
    db.session.add(NotificationSetting(user_id=moderator.id, kind="audit_checkpoint", delivery="now"))
    db.session.commit()
    now = utcnow()
    assert notices.checkpoint(now) == 2  # the moderator and the administrator
    db.session.commit()
    assert notices.checkpoint(now.replace(hour=23, minute=59)) == 0  # once a day
    db.session.commit()
    length, head_hash = chain.head()
    assert notices_of(expert, "audit_checkpoint") == []
    (told,) = notices_of(moderator, "audit_checkpoint")
    assert head_hash in told.text and f"{length} events" in told.text
    follow(moderator_client, told)
    mailer.tick(now + timedelta(minutes=1))
    assert head_hash in smtp.one_to(moderator.email).text


def test_no_checkpoint_notice_for_an_empty_or_unchanged_chain(expert, moderator):
    now = utcnow().replace(hour=12)
    assert notices.checkpoint(now) == 0  # nothing recorded yet: no checkpoint at all
    db.session.commit()
    assert chain.checkpoints() == []
    _some_events(expert, moderator)
    assert notices.checkpoint(now) == 1  # the moderator (no administrator here)
    db.session.commit()
    assert notices.checkpoint(now + timedelta(days=1)) == 0  # the next day: made, but the same head
    db.session.commit()
    assert len(chain.checkpoints()) == 2
    record(expert, "test.more")
    db.session.commit()
    assert notices.checkpoint(now + timedelta(days=2)) == 1
    db.session.commit()
    assert len(notices_of(moderator, "audit_checkpoint")) == 2


def test_the_daily_verification_records_the_checkpoint_and_tells_moderators(app, expert, moderator):
    _some_events(expert, moderator)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["verify-audit"])
    assert first.exit_code == 0 and "checkpoint recorded; 1 moderators told" in first.output
    (point,) = chain.checkpoints()
    assert (point.length, point.head_hash) == chain.head()
    again = runner.invoke(args=["verify-audit"])
    assert again.exit_code == 0 and "checkpoint" not in again.output  # once a day
    assert len(notices_of(moderator, "audit_checkpoint")) == 1
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(summary="forged"))
    db.session.commit()
    db.session.execute(delete(AuditCheckpoint))
    db.session.commit()
    broken = runner.invoke(args=["verify-audit"])
    assert broken.exit_code == 1 and chain.checkpoints() == []  # no checkpoint of a broken chain
