"""What the Guidelines tell whom: replies and comments on one's revision, @mentions (only the new ones of an
edit), revisions waiting for review (moderators only), and one's revision accepted, rejected or made
outdated (with the link to rebase it). Never the member who acted, a deactivated member, or one who muted
the revision."""

from __future__ import annotations

import pytest

from protect.extensions import db
from protect.guidelines import services
from protect.notifications import services as notices
from protect.notifications.mentions import mention
from tests.factories import make_user
from tests.guidelines.factories import current, edited, first_section, make_guideline, propose
from tests.notice_helpers import follow, notices_of, texts_of


@pytest.fixture
def pia():
    return make_user("expert", display_name="Pia Proposer")


@pytest.fixture
def section(moderator):
    return first_section(make_guideline(moderator))


@pytest.fixture
def revision(pia, section):
    return propose(pia, section, current(section).body + "\n\nA fourth one.")


def comments_url(revision) -> str:
    return f"/guidelines/revisions/{revision.id}/comments"


def post_comment(client, revision, body: str, **data):
    response = client.post(comments_url(revision), data={"body": body, **data})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rpartition("#comment-")[2])


# Comments and replies -----------------------------------------------------------------------------------------


def test_a_comment_tells_the_revisions_author_where_it_is(client_for, pia, revision, section):
    anna = make_user("expert", display_name="Anna Berg")
    comment_id = post_comment(client_for(anna), revision, "Why a fourth paragraph?", paragraph="2")
    [notice] = notices_of(pia)
    assert notice.kind == "reply" and notice.mail == "daily"
    assert notice.text == f"Anna Berg commented on your revision {revision.number} of §1 “Section 1”"
    assert (notice.thread, notice.thread_title) == (f"revision:{revision.id}", "§1 Section 1")
    assert notice.url == f"/guidelines/revisions/{revision.id}#comment-{comment_id}"
    assert notice.actor_id == anna.id
    assert notices_of(anna) == []  # the commenter is not told of their own comment
    page = follow(client_for(pia), notice)
    assert "Why a fourth paragraph?" in page.get_data(as_text=True)
    assert notices_of(pia)[0].read_at is not None


def test_a_reply_tells_the_authors_of_the_comment_and_of_the_thread_once_each(client_for, pia, revision):
    anna, carl, dina = (make_user("expert", display_name=name) for name in ("Anna Berg", "Carl Ek", "Dina Falk"))
    thread = post_comment(client_for(anna), revision, "A question")
    reply = post_comment(client_for(carl), revision, "An answer", parent_id=str(thread))
    assert texts_of(anna) == [f"Carl Ek replied to your comment on revision {revision.number} of §1 “Section 1”"]
    # Dina answers Carl's reply: Carl (whose comment it answers) and Anna (whose thread it is) are told.
    last = post_comment(client_for(dina), revision, "Another answer", parent_id=str(reply))
    for member in (anna, carl):
        notice = notices_of(member)[-1]
        assert notice.text == f"Dina Falk replied to your comment on revision {revision.number} of §1 “Section 1”"
        assert notice.url.endswith(f"#comment-{last}")
    assert len(notices_of(anna)) == 2 and len(notices_of(carl)) == 1
    # The revision's author hears of each comment on it, once.
    assert len(notices_of(pia)) == 3
    assert notices_of(dina) == []


def test_the_revisions_author_replying_in_their_own_thread_is_told_nothing(client_for, pia, revision):
    anna = make_user("expert", display_name="Anna Berg")
    thread = post_comment(client_for(pia), revision, "Ask me anything")
    assert notices_of(pia) == []
    post_comment(client_for(anna), revision, "A reply", parent_id=str(thread))
    # Pia is the thread's and the revision's author: one notice, as a reply to her comment.
    assert texts_of(pia) == [f"Anna Berg replied to your comment on revision {revision.number} of §1 “Section 1”"]


def test_deactivated_and_muting_members_are_told_nothing(client_for, pia, revision):
    anna = make_user("expert", display_name="Anna Berg")
    thread = post_comment(client_for(anna), revision, "A question")
    assert len(notices_of(pia)) == 1
    notices.set_subscription(pia.id, f"revision:{revision.id}", "mute")
    anna.active = False
    db.session.commit()
    post_comment(client_for(make_user("expert")), revision, "An answer", parent_id=str(thread))
    assert notices_of(anna) == [] and len(notices_of(pia)) == 1


# Mentions -----------------------------------------------------------------------------------------------------


def test_a_mention_tells_the_member_at_once_and_only_once(client_for, pia, revision):
    anna = make_user("expert", display_name="Anna Berg")
    mira = make_user("expert", display_name="Mira Ode")
    gone = make_user("expert", display_name="Gone Member", active=False)
    body = f"{mention(mira.id, 'Mira Ode')} and {mention(pia.id, 'Pia Proposer')}, see {mention(gone.id, 'Gone')}"
    comment_id = post_comment(client_for(anna), revision, body)
    [notice] = notices_of(mira)
    assert notice.kind == "mention" and notice.mail == "now"
    assert notice.text == f"Anna Berg mentioned you in a comment on revision {revision.number} of §1 “Section 1”"
    assert notice.url == f"/guidelines/revisions/{revision.id}#comment-{comment_id}"
    # The revision's author is mentioned too: told once, as a mention (not also as a comment on her revision).
    assert [n.kind for n in notices_of(pia)] == ["mention"]
    assert notices_of(gone) == []
    follow(client_for(mira), notice)


def test_an_edit_tells_only_the_members_it_newly_mentions(client_for, revision):
    anna = make_user("expert", display_name="Anna Berg")
    mira, nils = make_user("expert", display_name="Mira Ode"), make_user("expert", display_name="Nils Per")
    client = client_for(anna)
    comment_id = post_comment(client, revision, f"Ask {mention(mira.id, 'Mira Ode')}")
    assert len(notices_of(mira)) == 1

    def edit(body: str) -> None:
        response = client.post(f"/guidelines/comments/{comment_id}/edit", data={"body": body})
        assert response.status_code == 303

    edit(f"Ask {mention(mira.id, 'Mira Ode')}, please")
    assert len(notices_of(mira)) == 1 and notices_of(nils) == []
    edit(f"Ask {mention(mira.id, 'Mira Ode')} and {mention(nils.id, 'Nils Per')}")
    assert len(notices_of(mira)) == 1
    assert texts_of(nils) == [f"Anna Berg mentioned you in a comment on revision {revision.number} of §1 “Section 1”"]
    # Anna mentions herself: nobody is told.
    edit(f"Ask {mention(mira.id, 'Mira Ode')} and {mention(nils.id, 'Nils Per')} ({mention(anna.id, 'me')})")
    assert notices_of(anna) == [] and len(notices_of(nils)) == 1


# Review -------------------------------------------------------------------------------------------------------


def test_a_proposal_waits_for_review_by_the_moderators_only(client_for, moderator, admin, section):
    expert = make_user("expert", display_name="Eva Expert")
    other_expert = make_user("expert")
    retired = make_user("moderator", active=False)
    response = client_for(expert).post(
        f"/guidelines/sections/{section.id}/propose",
        data={
            "body": edited(section, "first protective act", "first protective step"),
            "summary": "Plainer words.",
            "base_revision_id": current(section).id,
        },
    )
    assert response.status_code == 303
    revision_id = int(response.headers["Location"].rpartition("/")[2])
    number = db.session.get(services.SectionRevision, revision_id).number
    for reviewer in (moderator, admin):
        [notice] = notices_of(reviewer)
        assert notice.kind == "review"
        assert notice.text == f"Eva Expert proposed revision {number} of §1 “Section 1” for review"
        assert notice.url == f"/guidelines/revisions/{revision_id}#decide-title"
    for member in (expert, other_expert, retired):
        assert notices_of(member) == []
    page = follow(client_for(moderator), notices_of(moderator)[0])
    assert f"Accept revision {number}" in page.get_data(as_text=True)


def test_a_moderators_own_proposal_is_not_announced_to_them(moderator, admin, section):
    propose(moderator, section, edited(section, "first protective act", "first step"))
    assert notices_of(moderator) == []
    assert [n.kind for n in notices_of(admin)] == ["review"]


# Decisions ----------------------------------------------------------------------------------------------------


def test_accepting_tells_the_author_and_the_authors_of_the_proposals_it_outdates(client_for, moderator, pia, section):
    olga = make_user("expert", display_name="Olga Other")
    mine = propose(pia, section, edited(section, "first protective act", "first protective step"))
    theirs = propose(olga, section, edited(section, "No single indicator", "Not one indicator"))
    response = client_for(moderator).post(f"/guidelines/revisions/{mine.id}/accept", data={"reason": "Clearer."})
    assert response.status_code == 303
    name = moderator.display_name
    [accepted] = notices_of(pia, "revision")
    assert accepted.text == f"{name} accepted your revision {mine.number} of §1 “Section 1”"
    assert (accepted.url, accepted.thread) == (f"/guidelines/revisions/{mine.id}", f"revision:{mine.id}")
    [outdated] = notices_of(olga, "revision")
    assert outdated.text == (
        f"{name} accepted revision {mine.number} of §1 “Section 1”: your revision {theirs.number} is outdated; "
        "carry it over to the new text"
    )
    assert (outdated.url, outdated.thread) == (f"/guidelines/revisions/{theirs.id}/rebase", f"revision:{theirs.id}")
    page = follow(client_for(olga), outdated)
    assert f"Carry revision {theirs.number} over to the current text" in page.get_data(as_text=True)
    assert notices_of(moderator, "revision") == []


def test_rejecting_tells_the_author_and_rebasing_asks_for_review_again(client_for, moderator, pia, section):
    mine = propose(pia, section, edited(section, "first protective act", "first protective step"))
    services.reject_revision(moderator, mine.id, "Not now.")
    [rejected] = notices_of(pia, "revision")
    assert rejected.text == f"{moderator.display_name} rejected your revision {mine.number} of §1 “Section 1”"
    follow(client_for(pia), rejected)

    olga = make_user("expert", display_name="Olga Other")
    theirs = propose(olga, section, edited(section, "No single indicator", "Not one indicator"))
    accepted = propose(pia, section, edited(section, "first protective act", "first act of protection"))
    services.accept_revision(moderator, accepted.id, "Good.")
    before = len(notices_of(moderator, "review"))
    rebased = services.rebase_revision(
        olga, theirs.id, edited(section, "No single indicator", "Not one indicator"), "Carried over."
    )
    [review] = notices_of(moderator, "review")[before:]
    assert review.text == (
        f"Olga Other updated outdated revision {theirs.number} of §1 “Section 1” to the current text: "
        f"revision {rebased.number} waits for review"
    )
    assert review.thread == f"revision:{rebased.id}"


def test_an_outdated_proposal_is_not_sent_for_review(moderator, pia, section):
    base = current(section)
    accepted = propose(pia, section, edited(section, "first protective act", "first step"))
    services.accept_revision(moderator, accepted.id, "Fine.")
    stale = propose(make_user("expert"), section, base.body + "\n\nMore.", base=base)
    assert stale.status == "outdated"
    assert [n for n in notices_of(moderator, "review") if n.thread == f"revision:{stale.id}"] == []


def test_a_proposal_found_outdated_when_accepted_tells_its_author(client_for, moderator, pia, section):
    """A proposal written against older text (it slipped past being marked outdated) is marked so when a
    moderator tries to accept it: its author is told, with the link to carry it over."""
    base = current(section)
    stale = propose(pia, section, edited(section, "first protective act", "first step"))
    services.accept_revision(moderator, propose(moderator, section, base.body + "\n\nNewer.").id, "Fine.")
    stale = db.session.get(services.SectionRevision, stale.id)
    stale.status = "proposed"  # as if it had been proposed a moment before the other was accepted
    db.session.commit()
    before = len(notices_of(pia, "revision"))
    response = client_for(moderator).post(f"/guidelines/revisions/{stale.id}/accept", data={"reason": "Good."})
    assert response.status_code == 409
    [notice] = notices_of(pia, "revision")[before:]
    assert notice.text == (
        f"{moderator.display_name} could not accept your revision {stale.number} of §1 “Section 1”: it was written "
        "against older text and is outdated; carry it over to the current text"
    )
    assert notice.url == f"/guidelines/revisions/{stale.id}/rebase"
    follow(client_for(pia), notice)
