"""Notices: who receives them, how each member settles them, and the pages that show them."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.auth.models import User
from protect.core.i18n import N_
from protect.extensions import db
from protect.notifications import services
from protect.notifications.models import Notification, NotificationSetting, OutboxMail, Subscription
from tests.factories import make_user

SUMMARY = N_("%(name)s commented on “%(title)s”")


def tell(kind: str, recipients, actor=None, thread: str = "revision:1", **extra) -> int:
    count = services.notify(
        kind,
        recipients,
        thread=thread,
        title="§4 Identification",
        summary=SUMMARY,
        params={"name": getattr(actor, "display_name", "Someone"), "title": "§4 Identification"},
        url="/guidelines/revisions/1#comment-9",
        actor=actor,
        **extra,
    )
    db.session.commit()
    return count


def notices_of(user: User) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.user_id == user.id)).scalars())


def test_a_notice_goes_to_the_named_members_with_their_own_delivery(expert, moderator):
    db.session.add(NotificationSetting(user_id=moderator.id, kind="reply", delivery="now"))
    db.session.commit()
    assert tell("reply", [expert.id, moderator.id]) == 2
    assert notices_of(expert)[0].mail == "daily"  # the kind's default
    assert notices_of(moderator)[0].mail == "now"  # the member's own choice


def test_app_only_notices_wait_for_no_mail(expert):
    db.session.add(NotificationSetting(user_id=expert.id, kind="reply", delivery="app"))
    db.session.commit()
    tell("reply", [expert.id])
    assert notices_of(expert)[0].mail is None


def test_nobody_is_told_of_their_own_doing(expert, moderator):
    assert tell("reply", [expert.id, moderator.id], actor=expert) == 1
    assert notices_of(expert) == []


def test_a_deactivated_member_is_told_nothing(expert):
    gone = make_user(active=False)
    assert tell("reply", [gone.id, expert.id]) == 1
    assert notices_of(gone) == []


def test_an_expert_never_gets_a_moderators_notice(expert, moderator, admin):
    assert tell("review", [expert.id, moderator.id, admin.id]) == 2
    assert notices_of(expert) == []
    assert tell("review", select(User.id)) == 2  # a SELECT of everyone is filtered the same way
    assert notices_of(expert) == []


def test_a_muted_thread_tells_nothing_and_a_followed_one_tells_its_followers(expert, moderator):
    services.set_subscription(expert.id, "agenda:3", "mute")
    services.set_subscription(moderator.id, "agenda:3", "follow")
    assert tell("agenda", [expert.id], thread="agenda:3", followers=True) == 1
    assert notices_of(expert) == [] and len(notices_of(moderator)) == 1
    assert tell("agenda", [expert.id], thread="agenda:3") == 0  # without followers=True, only those named


def test_no_recipients_writes_nothing(expert):
    assert tell("reply", []) == 0
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0


def test_the_notice_reads_in_the_readers_language(expert_client, expert):
    tell("reply", [expert.id], actor=make_user(display_name="Bo"))
    page = expert_client.get("/notifications")
    assert page.status_code == 200
    assert "Bo commented on “§4 Identification”" in page.text
    assert 'href="/notifications/' in page.text


def test_the_page_groups_a_threads_notices_and_counts_the_new_ones(expert_client, expert):
    for _ in range(3):
        tell("reply", [expert.id])
    tell("reply", [expert.id], thread="revision:2")
    page = expert_client.get("/notifications").text
    assert page.count('class="card notice-group notice-group--unread"') == 2
    assert "3 new" in page and "1 new" in page


def test_opening_a_notice_marks_it_read_and_goes_to_its_place(expert_client, expert):
    tell("reply", [expert.id])
    notice = notices_of(expert)[0]
    answer = expert_client.get(f"/notifications/{notice.id}")
    assert answer.status_code == 303
    assert answer.location.endswith("/guidelines/revisions/1#comment-9")
    db.session.expire_all()
    assert notices_of(expert)[0].read_at is not None


def test_nobody_opens_another_members_notice(expert, moderator, client_for):
    tell("reply", [moderator.id])
    notice = notices_of(moderator)[0]
    assert client_for(expert).get(f"/notifications/{notice.id}").status_code == 404
    db.session.expire_all()
    assert notices_of(moderator)[0].read_at is None


def test_the_header_count_answers_204_while_nothing_is_new(expert_client, expert):
    first = expert_client.get("/notifications/badge")
    assert first.status_code == 200 and "Notifications" in first.text and "badge--count" not in first.text
    assert expert_client.get("/notifications/badge?shown=0").status_code == 204
    tell("reply", [expert.id])
    tell("reply", [expert.id])
    changed = expert_client.get("/notifications/badge?shown=0")
    assert changed.status_code == 200
    assert '<span class="badge badge--count">2' in changed.text
    assert "shown=2" in changed.text  # the next poll asks with the count it shows
    assert expert_client.get("/notifications/badge?shown=2").status_code == 204


def test_every_page_of_a_member_carries_the_header_link(expert_client):
    page = expert_client.get("/dashboard").text
    assert 'id="notices-badge"' in page and 'hx-trigger="load, every 30s' in page


def test_mark_all_and_mark_one_thread_read(expert_client, expert):
    tell("reply", [expert.id])
    tell("reply", [expert.id], thread="revision:2")
    answer = expert_client.post("/notifications/read", data={"thread": "revision:2"})
    assert answer.status_code == 303
    assert services.unread_count(expert.id) == 1
    answer = expert_client.htmx("post", "/notifications/read")
    assert answer.status_code == 200 and "notifications:changed" in answer.headers["HX-Trigger"]
    assert services.unread_count(expert.id) == 0


def test_marking_read_touches_only_ones_own_notices(expert_client, expert, moderator):
    tell("reply", [expert.id, moderator.id])
    expert_client.post("/notifications/read")
    assert services.unread_count(moderator.id) == 1


def test_settings_keep_each_kinds_choice_and_refuse_an_unknown_one(expert_client, expert):
    assert 'name="review"' not in expert_client.get("/notifications/settings").text  # moderators' kind
    form = {kind: services.settings_of(expert.id)[kind] for kind in services.kinds_for(expert)}
    form["mention"] = "weekly"
    assert expert_client.post("/notifications/settings", data=form).status_code == 303
    assert services.settings_of(expert.id)["mention"] == "weekly"
    form["mention"] = "hourly"
    form["reply"] = "now"
    refused = expert_client.post("/notifications/settings", data=form)
    assert refused.status_code == 422
    assert "Choose one of the offered ways" in refused.text
    assert 'name="reply" value="now" checked' in refused.text  # what was chosen is kept on the page
    assert services.settings_of(expert.id)["mention"] == "weekly"
    form = {kind: services.settings_of(expert.id)[kind] for kind in services.kinds_for(expert)} | {"review": "now"}
    assert expert_client.post("/notifications/settings", data=form).status_code == 303
    stored = db.session.execute(select(NotificationSetting.kind).where(NotificationSetting.user_id == expert.id))
    assert "review" not in set(stored.scalars())  # a moderators' kind is not the expert's to set


def test_a_subscription_with_an_overlong_link_is_refused(expert_client, expert):
    answer = expert_client.post(
        "/notifications/subscription", data={"thread": "agenda:1", "state": "follow", "url": "/" + "a" * 600}
    )
    assert answer.status_code == 422
    assert services.subscription_state(expert.id, "agenda:1") is None


def test_muting_a_thread_from_the_page(expert_client, expert):
    tell("reply", [expert.id])
    answer = expert_client.post(
        "/notifications/subscription",
        data={"thread": "revision:1", "state": "mute", "title": "§4", "url": "/guidelines", "next": "/notifications"},
    )
    assert answer.status_code == 303
    assert services.subscription_state(expert.id, "revision:1") == "mute"
    assert tell("reply", [expert.id]) == 0
    assert "muted" in expert_client.get("/notifications").text
    expert_client.post("/notifications/subscription", data={"thread": "revision:1", "state": ""})
    assert services.subscription_state(expert.id, "revision:1") is None


def test_a_subscription_keeps_no_link_to_another_site(expert_client, expert):
    expert_client.post(
        "/notifications/subscription",
        data={"thread": "agenda:1", "state": "follow", "url": "https://evil.example/", "next": "//evil.example"},
    )
    row = db.session.execute(select(Subscription).where(Subscription.user_id == expert.id)).scalar_one()
    assert row.url == ""
    assert expert_client.post("/notifications/subscription", data={"thread": "x", "state": "follow"}).status_code == 422
    assert (
        expert_client.post("/notifications/subscription", data={"thread": "agenda:1", "state": "maybe"}).status_code
        == 422
    )


def test_the_pages_need_a_member(client):
    for path in ("/notifications", "/notifications/badge", "/notifications/settings"):
        answer = client.get(path)
        assert answer.status_code in (302, 401), path


def test_only_moderators_read_the_outbox(expert_client, moderator_client, expert):
    mail = OutboxMail(
        user_id=expert.id,
        to_address=expert.email,
        subject="Your day",
        body_text="Hello",
        body_html="<p>Hello</p>",
        headers={"Message-ID": "<1@x>"},
        kind="daily",
        language="en",
    )
    secret = OutboxMail(
        user_id=expert.id,
        to_address=expert.email,
        subject="“Where?” closes tomorrow and you have not voted",
        body_text="…",
        body_html="…",
        headers={},
        kind="poll_closing",
        language="en",
        private=True,
    )
    db.session.add_all([mail, secret])
    db.session.commit()
    assert expert_client.get("/notifications/outbox").status_code == 403
    assert expert_client.get(f"/notifications/outbox/{mail.id}").status_code == 403
    page = moderator_client.get("/notifications/outbox").text
    assert "Your day" in page and expert.display_name in page
    assert expert.email not in page  # addresses are the administrators' to see
    one = moderator_client.get(f"/notifications/outbox/{mail.id}").text
    assert expert.email not in one and "List-Unsubscribe" not in one  # its link would stop the member's mail
    assert "have not voted" not in page and "A private reminder" in page
    assert moderator_client.get(f"/notifications/outbox/{mail.id}").status_code == 200
    assert moderator_client.get(f"/notifications/outbox/{secret.id}").status_code == 404
    assert "Your day" in moderator_client.get("/notifications/outbox?status=queued").text
    assert "Your day" not in moderator_client.get("/notifications/outbox?status=sent").text


def test_an_unsubscribe_link_of_no_member_is_refused(client):
    from protect.notifications.mailer import unsubscribe_token

    token = unsubscribe_token(999_999, "mention")  # signed with the server's key, for nobody
    assert client.post(f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_a_private_reminder_never_waits_for_a_digest(expert_client, expert):
    """ "You have not voted yet" goes to its member alone and in time: now or in the app, never in a digest."""
    form = services.settings_of(expert.id) | {"poll_closing": "daily"}
    assert expert_client.post("/notifications/settings", data=form).status_code == 422
    assert 'name="poll_closing" value="daily"' not in expert_client.get("/notifications/settings").text
    db.session.add(NotificationSetting(user_id=expert.id, kind="poll_closing", delivery="weekly"))  # an old choice
    db.session.commit()
    tell("poll_closing", [expert.id], thread="poll:1")
    assert notices_of(expert)[0].mail == "now"


def test_a_new_setting_applies_to_what_waits_for_a_mail(expert_client, expert):
    tell("reply", [expert.id])
    assert notices_of(expert)[0].mail == "daily"
    form = services.settings_of(expert.id) | {"reply": "app"}
    assert expert_client.post("/notifications/settings", data=form).status_code == 303
    db.session.expire_all()
    assert notices_of(expert)[0].mail is None
