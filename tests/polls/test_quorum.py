"""Quorums by share of members and by countries represented: progress shown as counts only, an unmet quorum
stated at the close, a moderator's advisory record or extension, and the 48-hour reminders that go first to
the members of countries not yet represented."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation
from protect.extensions import db
from protect.notifications.mailer import run_reminders
from protect.notifications.models import Notification
from protect.polls import quorum, services
from protect.polls.models import Ballot, Poll
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll
from tests.polls.test_views import new_poll_form


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def group(moderator):
    """The moderator (DK) and members in Latvia (2), Estonia and Iceland: four countries."""
    return {
        "moderator": moderator,
        "ilze": make_user(display_name="Ilze Ozola", country="LV"),
        "janis": make_user(display_name="Jānis Kalniņš", country="LV"),
        "kadri": make_user(display_name="Kadri Tamm", country="EE"),
        "gudrun": make_user(display_name="Guðrún Jónsdóttir", country="IS"),
    }


def _quorum_poll(moderator, percent=60, countries=3, **kwargs) -> Poll:
    poll = make_poll(moderator, **kwargs)
    poll.quorum_percent, poll.quorum_countries = percent, countries
    db.session.commit()
    return services.get_poll(poll.id)


def test_progress_counts_voters_and_countries(group):
    poll = _quorum_poll(group["moderator"])
    standing = quorum.progress(poll)
    assert (standing.voters, standing.eligible, standing.represented, standing.group) == (0, 5, 0, 4)
    assert standing.voters_needed == 3 and not standing.met
    cast(poll, group["ilze"], "Riga")
    cast(poll, group["janis"], "Riga")
    standing = quorum.progress(poll)
    assert (standing.voters, standing.represented) == (2, 1)
    cast(poll, group["kadri"], "Tallinn")
    standing = quorum.progress(poll)
    assert standing.share_met and not standing.countries_met and not standing.met
    cast(poll, group["gudrun"], "Tallinn")
    assert quorum.progress(poll).met


def test_the_poll_page_shows_counts_never_who_or_which_country(group, client_for):
    poll = _quorum_poll(group["moderator"])
    cast(poll, group["gudrun"], "Riga")
    page = _text(client_for(group["kadri"]).get(f"/polls/{poll.id}"))
    assert "Voters from 3 of the group's 4 countries: 1 represented." in page
    assert "Quorum not met yet" in page
    assert "Iceland" not in page and "Guðrún" not in page


def test_a_poll_is_created_with_a_quorum_and_bad_values_are_refused(moderator_client):
    response = moderator_client.post("/polls/new", data=new_poll_form(quorum_percent="50", quorum_countries="8"))
    assert response.status_code == 303
    poll = db.session.execute(select(Poll)).scalar_one()
    assert (poll.quorum_percent, poll.quorum_countries) == (50, 8)
    response = moderator_client.post("/polls/new", data=new_poll_form(quorum_percent="150", question="Another"))
    assert response.status_code == 422
    assert 'value="Another"' in _text(response)


def test_an_unmet_quorum_is_stated_and_recorded_as_advisory_by_a_moderator(group, client_for, moderator_client):
    poll = _quorum_poll(group["moderator"])
    cast(poll, group["ilze"], "Riga")
    close_now(poll)
    expert = client_for(group["kadri"])
    page = _text(expert.get(f"/polls/{poll.id}/results"))
    assert "The quorum was not met" in page
    assert "Record the result as advisory" not in page  # for moderators only
    assert expert.post(f"/polls/{poll.id}/advisory").status_code == 403
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).advisory_at is None
    assert moderator_client.post(f"/polls/{poll.id}/advisory").status_code == 303
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).advisory_at is not None
    page = _text(expert.get(f"/polls/{poll.id}/results"))
    assert "recorded this result as advisory" in page
    assert moderator_client.post(f"/polls/{poll.id}/advisory").status_code == 409


def test_a_met_quorum_or_an_open_poll_cannot_be_made_advisory(group, moderator_client):
    poll = _quorum_poll(group["moderator"], percent=20, countries=1)
    assert moderator_client.post(f"/polls/{poll.id}/advisory").status_code == 409  # still open
    cast(poll, group["ilze"], "Riga")
    close_now(poll)
    assert moderator_client.post(f"/polls/{poll.id}/advisory").status_code == 409  # met
    assert "The quorum was not met" not in _text(moderator_client.get(f"/polls/{poll.id}/results"))


def test_a_moderator_extends_a_secret_poll_whose_quorum_was_not_met(group, client_for, moderator_client):
    poll = _quorum_poll(group["moderator"], secret=True)
    cast(poll, group["ilze"], "Riga")
    close_now(poll)
    moderator_client.get(f"/polls/{poll.id}")  # the first read seals it
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).sealed_at is not None
    later = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {"extend-closes_local": later, "extend-time_zone": "UTC", "extend-reason": "Two countries have not voted"}
    assert client_for(group["kadri"]).post(f"/polls/{poll.id}/quorum-extend", data=form).status_code == 403
    response = moderator_client.post(f"/polls/{poll.id}/quorum-extend", data=form)
    assert response.status_code == 303
    db.session.expire_all()
    poll = services.get_poll(poll.id)
    assert poll.is_open() and poll.ballot_salt and poll.sealed_at is None
    riga = poll.options[0].id
    mine = cast(poll, group["gudrun"], "Tallinn")
    assert mine.linked  # the new voter can find and change their ballot until the new close
    assert services.own_ballot(poll, group["ilze"]) is not None  # the earlier voter still counts as having voted
    # Nobody votes twice: the sealed ballot counts, a second must not.
    with pytest.raises(RuleViolation) as refused, writing():
        services.cast_ballot(poll.id, group["ilze"], [riga])
        db.session.commit()
    db.session.rollback()
    assert refused.value.status == 409
    assert db.session.execute(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id)).scalar() == 2
    bad = {**form, "extend-reason": ""}
    close_now(poll)
    assert moderator_client.post(f"/polls/{poll.id}/quorum-extend", data=bad).status_code == 422
    # A close in the past: refused beside its field on the results page, the reason as typed still there.
    earlier = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    past = {**form, "extend-closes_local": earlier, "extend-reason": "Latvia & Estonia <not yet>"}
    refused = moderator_client.post(f"/polls/{poll.id}/quorum-extend", data=past)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Choose a closing time to come." in page
    assert "Latvia &amp; Estonia &lt;not yet&gt;" in page and f'value="{earlier}"' in page


def _remind(now):
    db.session.commit()
    given = run_reminders(now)
    db.session.expire_all()
    return given


def _to(kind: str, poll) -> list[int]:
    rows = db.session.execute(
        select(Notification.user_id).where(Notification.kind == kind, Notification.thread == f"poll:{poll.id}")
    )
    return sorted(rows.scalars())


def test_48_hours_before_the_close_the_unrepresented_countries_are_reminded_first(group):
    poll = _quorum_poll(group["moderator"], closes_in=timedelta(hours=40))
    cast(poll, group["ilze"], "Riga")  # Latvia is represented
    _remind(utcnow())
    # Jānis (Latvia) has not voted either, but his country is heard: he is reminded at 24 hours.
    expected = sorted(u.id for u in (group["moderator"], group["kadri"], group["gudrun"]))
    assert _to("poll_closing_soon", poll) == expected
    _remind(utcnow())
    assert _to("poll_closing_soon", poll) == expected  # once only
    later = utcnow() + timedelta(hours=17)
    _remind(later)
    assert group["janis"].id in _to("poll_closing", poll)
    assert group["ilze"].id not in _to("poll_closing", poll) + _to("poll_closing_soon", poll)


def test_without_a_country_quorum_everyone_who_has_not_voted_is_reminded_at_48_hours(group):
    poll = make_poll(group["moderator"], closes_in=timedelta(hours=40))
    cast(poll, group["ilze"], "Riga")
    _remind(utcnow())
    voters = [group[name] for name in ("moderator", "janis", "kadri", "gudrun")]
    assert _to("poll_closing_soon", poll) == sorted(u.id for u in voters)
    notice = db.session.execute(select(Notification).where(Notification.kind == "poll_closing_soon")).scalars().first()
    assert "you have not voted yet" in notice.text
