"""The members' page cache (core.pagecache) on the five pages that use it: the dashboard, an agenda, a revision,
a poll's results and the decision log.

A cached page must be indistinguishable from a fresh one: the same bytes but for the session's own form token,
never another member's page, never a page of data that has moved on (whichever worker made the change), never
a page with a flashed message, and never an error page. Each test shows a page (filling the cache), changes
something, and shows it again.

"Another worker" is a second application on the same database: its own engine, its own connections and its own
page cache, as a second process has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import Flask, flash, jsonify, make_response, render_template_string, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select, update

from protect import create_app
from protect.agendas import services as agenda_services
from protect.auth import services as auth_services
from protect.auth.models import User
from protect.core import pagecache
from protect.core.database import utcnow, writing
from protect.core.pagecache import TOKEN_PLACEHOLDER, cached_page, page_cache
from protect.decisions import services as decision_services
from protect.decisions.models import Decision
from protect.extensions import db
from protect.guidelines import services as guideline_services
from protect.guidelines import visits
from protect.guidelines.models import Comment
from protect.polls.models import Poll
from tests.agendas.factories import make_event, make_item
from tests.conftest import TEST_CONFIG, CSRFClient, sign_in
from tests.decisions.factories import decision_form, make_decision
from tests.factories import make_user
from tests.guidelines.factories import current, first_section, make_guideline, propose
from tests.polls.factories import cast, close_now, make_poll, seal

META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
ACCOUNT = re.compile(r'class="account__name"[^>]*>\s*(.*?)\s*<span class="badge badge--role">(.*?)</span>', re.S)


# Helpers -----------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> list[float]:
    """The page cache's clock, frozen (set ``clock[0]`` to move it): a period boundary falling between two
    requests of a test would otherwise make the second a miss now and then."""
    now = [1_800_000_000.0]  # the start of a period for every period length the pages use
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: now[0]))
    page_cache().clear()
    return now


def token_of(html: str) -> str:
    return META_TOKEN.search(html).group(1)


def without_token(html: str) -> str:
    return html.replace(token_of(html), "TOKEN")


def show(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert TOKEN_PLACEHOLDER not in html and "csrf-placeholder-" not in html
    return html


def cached(client, url: str) -> str:
    """Show the page twice: made once, then served from the cache (the same page). Returns it."""
    counted = Counted(client.application)
    first = show(client, url)
    second = show(client, url)
    assert counted.hits == 1, f"{url} was not served from the cache"
    assert without_token(second) == without_token(first)
    return second


def account(html: str) -> tuple[str, str]:
    """The name and role in the page's header."""
    name, role = ACCOUNT.search(html).groups()
    return name, role


class Counted:
    """The page cache's hits, misses and entries since this was made (of the test's app, or of ``app``)."""

    def __init__(self, app: Flask | None = None) -> None:
        self._cache = page_cache(app)
        self._start = (self._cache.hits, self._cache.misses, len(self._cache))

    @property
    def hits(self) -> int:
        return self._cache.hits - self._start[0]

    @property
    def misses(self) -> int:
        return self._cache.misses - self._start[1]

    @property
    def stored(self) -> int:
        return len(self._cache) - self._start[2]


@pytest.fixture(scope="module")
def other_worker(database_url) -> Iterator[Flask]:
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    other.test_client_class = CSRFClient
    yield other
    with other.app_context():
        db.engine.dispose()


@contextmanager
def elsewhere(other: Flask) -> Iterator[None]:
    """Run the block in the other worker (its own session, engine and connections) and commit there."""
    db.session.commit()  # the test's own session holds nothing open meanwhile
    with other.app_context():
        try:
            yield
            db.session.commit()
        finally:
            db.session.remove()
    db.session.commit()  # the test's next read starts afresh


def there(model, ident):
    """``model`` number ``ident`` as the other worker's session has it."""
    return db.session.get(model, ident)


@pytest.fixture
def revision(moderator):
    section = first_section(make_guideline(moderator, sections=1))
    author = make_user("expert", display_name="Pia Proposer")
    return propose(author, section, current(section).body + "\n\nA fourth one.")


def revision_url(revision) -> str:
    return f"/guidelines/revisions/{revision.id}"


# A hit is the same page, with the session's own form token ---------------------------------------------------------


@pytest.mark.parametrize("page", ["dashboard", "agenda", "revision", "results", "log"])
def test_the_second_identical_view_is_a_hit_and_the_same_page(page, client_for, expert, moderator, revision):
    event = make_event(expert)
    make_item(event, expert, title="Hearing the child")
    poll = make_poll(moderator, question="Where do we meet?", secret=False, live=True)
    make_decision(expert, title="Trainings last two days")
    url = {
        "dashboard": "/dashboard",
        "agenda": f"/events/{event.id}",
        "revision": revision_url(revision),
        "results": f"/polls/{poll.id}/results",
        "log": "/decisions/",
    }[page]
    client = client_for(expert)
    counted = Counted()
    first = show(client, url)
    assert (counted.hits, counted.misses, counted.stored) == (0, 1, 1)
    second = show(client, url)
    assert (counted.hits, counted.misses, counted.stored) == (1, 1, 1)
    assert without_token(second) == without_token(first)
    assert account(second) == ("Eva Expert", "Expert")


def test_each_session_gets_its_own_valid_token_in_a_cached_page(client_for, expert, revision):
    """Two browsers of one member share the cached page, but each gets the token of its own session: the token
    from one is refused in the other, its own is accepted. Twice: a session's first page makes its secret, the
    later ones reuse a token signed for it before."""
    laptop, phone = client_for(expert), client_for(expert)
    url, comments = revision_url(revision), f"{revision_url(revision)}/comments"
    counted = Counted()
    for view in range(1, 3):
        on_laptop, on_phone = show(laptop, url), show(phone, url)
        assert counted.hits == 2 * view - 1  # all but the very first came from the cache
        laptop_token, phone_token = token_of(on_laptop), token_of(on_phone)
        assert laptop_token != phone_token
        assert without_token(on_laptop) == without_token(on_phone)
        # Every form of the page carries the session's token (the comment form included), and no other.
        for page, token in ((on_laptop, laptop_token), (on_phone, phone_token)):
            forms = re.findall(r'name="csrf_token" value="([^"]*)"', page)
            assert len(forms) >= 2 and set(forms) == {token}
        for client, other_token in ((phone, laptop_token), (laptop, phone_token)):
            refused = client.post(comments, data={"body": "Not mine", "csrf_token": other_token}, csrf=False)
            assert refused.status_code == 400

    posted = phone.post(comments, data={"body": "From the phone", "csrf_token": phone_token}, csrf=False)
    assert posted.status_code == 303
    posted = laptop.post(comments, data={"body": "From the laptop", "csrf_token": laptop_token}, csrf=False)
    assert posted.status_code == 303
    assert sorted(db.session.execute(select(Comment.body)).scalars()) == ["From the laptop", "From the phone"]


def test_each_application_has_its_own_cache_and_it_can_be_turned_off(app, other_worker, monkeypatch, expert_client):
    assert page_cache() is page_cache(app) and page_cache(other_worker) is not page_cache(app)
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)
    counted = Counted()
    for _ in range(2):
        show(expert_client, "/decisions/")
    assert (counted.hits, counted.misses, counted.stored) == (0, 0, 0)


def test_a_full_page_and_its_htmx_fragment_are_kept_apart(expert_client, expert):
    make_decision(expert, title="Trainings last two days")
    full = show(expert_client, "/decisions/")
    fragment = expert_client.htmx("get", "/decisions/")
    assert fragment.status_code == 200
    fragment_html = fragment.get_data(as_text=True)
    assert "<html" not in fragment_html and ">Trainings last two days</a>" in fragment_html
    again = show(expert_client, "/decisions/")
    assert "<html" in again and without_token(again) == without_token(full)
    assert expert_client.htmx("get", "/decisions/").get_data(as_text=True) == fragment_html


def test_the_query_string_is_part_of_the_key(expert_client, expert):
    make_decision(expert, title="Agreed one", status="agreed")
    make_decision(expert, title="Proposed one")
    every = show(expert_client, "/decisions/")
    agreed = show(expert_client, "/decisions/?status=agreed")
    assert ">Agreed one</a>" in every and ">Proposed one</a>" in every
    assert ">Agreed one</a>" in agreed and ">Proposed one</a>" not in agreed


def test_a_page_is_made_again_after_its_period(clock, expert_client, expert):
    """What moves with the clock alone (a poll closing on time, "overdue") is at most one period old."""
    event = make_event(expert)
    counted = Counted()
    show(expert_client, f"/events/{event.id}")
    show(expert_client, f"/events/{event.id}")
    assert (counted.hits, counted.misses) == (1, 1)
    clock[0] += 10  # the agenda's period
    show(expert_client, f"/events/{event.id}")
    assert (counted.hits, counted.misses) == (1, 2)
    clock[0] = 1_800_000_600.0  # the start of a minute
    show(expert_client, "/decisions/")
    clock[0] += 59  # still the log's period
    show(expert_client, "/decisions/")
    assert (counted.hits, counted.misses) == (2, 3)
    clock[0] += 1
    show(expert_client, "/decisions/")
    assert (counted.hits, counted.misses) == (2, 4)


# One member's page is never another's ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/dashboard", "/decisions/"])
def test_two_members_asking_for_the_same_page_each_get_their_own(url, client_for, expert, moderator):
    eva, mads = client_for(expert), client_for(moderator)
    for _ in range(2):  # the second round comes from the cache
        assert account(show(eva, url)) == ("Eva Expert", "Expert")
        assert account(show(mads, url)) == ("Mads Moderator", "Moderator")
    if url == "/dashboard":
        assert "Welcome, Eva Expert" in show(eva, url) and "Welcome, Mads Moderator" in show(mads, url)


def _open_votes_panel(html: str) -> str:
    start = html.index('id="open-votes-title"')
    return html[start : html.index("</section>", start)]


def test_a_secret_ballot_shows_only_on_the_voters_own_dashboard(client_for, expert, moderator):
    poll = make_poll(moderator, question="Which city hosts the spring training?", secret=True)
    voter, abstainer = expert, make_user("expert", display_name="Ann Abstainer")
    cast(poll, voter, "Riga", "Tallinn")
    voter_client, abstainer_client = client_for(voter), client_for(abstainer)
    for _ in range(2):  # first rendered, then from the cache, in both orders
        voter_panel = _open_votes_panel(show(voter_client, "/dashboard"))
        abstainer_panel = _open_votes_panel(show(abstainer_client, "/dashboard"))
        assert "Which city hosts the spring training?" in voter_panel
        assert "You voted" in voter_panel and "Not voted yet" not in voter_panel
        assert "Not voted yet" in abstainer_panel and "You voted" not in abstainer_panel
    assert page_cache().hits >= 2


def test_a_role_change_shows_at_once(client_for, expert, admin, moderator):
    poll = make_poll(moderator, question="Where do we meet?", secret=False)
    close_now(poll)
    client = client_for(expert)
    url = f"/polls/{poll.id}/results"
    page = cached(client, url)
    assert account(page) == ("Eva Expert", "Expert") and "Record as a decision" not in page
    auth_services.change_role(admin, expert, "moderator")
    page = show(client, url)
    assert account(page) == ("Eva Expert", "Moderator") and "Record as a decision" in page
    auth_services.change_role(admin, expert, "expert")
    page = show(client, url)
    assert account(page) == ("Eva Expert", "Expert") and "Record as a decision" not in page


@pytest.mark.parametrize("how", ["service", "column"])
def test_a_deactivated_member_is_sent_to_sign_in_at_once(how, client_for, expert, admin, revision):
    client = client_for(expert)
    for url in ("/dashboard", revision_url(revision)):
        cached(client, url)
    if how == "service":
        auth_services.set_active(admin, expert, False)  # also ends the member's sessions
    else:  # the flag alone, the session token unchanged
        db.session.execute(update(User).where(User.id == expert.id).values(active=False))
        db.session.commit()
    for url in ("/dashboard", revision_url(revision)):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    if how == "column":  # and back: the same session works again, with the page made afresh
        db.session.execute(update(User).where(User.id == expert.id).values(active=True))
        db.session.commit()
        assert account(show(client, "/dashboard")) == ("Eva Expert", "Expert")


def test_signing_out_everywhere_ends_the_cached_pages_of_the_old_sessions(client_for, expert):
    old = client_for(expert)
    cached(old, "/dashboard")
    auth_services.sign_out_everywhere(expert)
    response = old.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# A change shows at once, whichever worker made it -------------------------------------------------------------------


def test_decision_log_an_edit_in_another_worker_shows_at_once(other_worker, client_for, expert):
    decision = make_decision(expert, title="Trainings last two days")
    client = client_for(expert)
    assert ">Trainings last two days</a>" in cached(client, "/decisions/")
    with elsewhere(other_worker):
        author = there(User, expert.id)
        values = decision_form(there(Decision, decision.id), title="Trainings last three days")
        values.pop("version")
        for name in ("meeting_id", "owner_id", "event_id"):
            values[name] = None
        values["due_on"] = None
        decision_services.edit_decision(author, decision.id, there(Decision, decision.id).version, values)
    page = show(client, "/decisions/")
    assert ">Trainings last three days</a>" in page and "Trainings last two days" not in page


def test_decision_log_an_edit_posted_here_shows_in_the_other_worker(other_worker, client_for, expert):
    decision = make_decision(expert, title="Trainings last two days")
    there_client = sign_in(other_worker.test_client(), expert)
    assert ">Trainings last two days</a>" in cached(there_client, "/decisions/")  # in that worker's own cache
    posted = client_for(expert).post(
        f"/decisions/{decision.id}/edit", data=decision_form(decision, title="Trainings last three days")
    )
    assert posted.status_code == 303
    page = show(there_client, "/decisions/")
    assert ">Trainings last three days</a>" in page and "Trainings last two days" not in page


def test_agenda_a_new_item_from_another_worker_shows_at_once(other_worker, client_for, expert):
    event = make_event(expert)
    make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    url = f"/events/{event.id}"
    page = cached(client, url)
    assert "Hearing the child" in page and "Interviewing" not in page
    with elsewhere(other_worker):
        make_item(there(type(event), event.id), there(User, expert.id), 1, "10:00", "11:00", title="Interviewing")
    page = show(client, url)
    assert "Hearing the child" in page and "Interviewing" in page


def test_agenda_an_edit_from_another_worker_shows_at_once(other_worker, client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    client = client_for(expert)
    url = f"/events/{event.id}"
    assert "Hearing the child" in cached(client, url)
    with elsewhere(other_worker):
        fresh = there(type(item), item.id)
        values = {
            "day": fresh.day,
            "start": fresh.start,
            "end": fresh.end,
            "title": "Interviewing the child",
            "kind": fresh.kind,
            "speakers": fresh.speakers,
            "responsible_id": None,
            "notes": fresh.notes,
        }
        agenda_services.save_item(there(User, expert.id), event.id, item.id, fresh.version, values)
    page = show(client, url)
    assert "Interviewing the child" in page and "Hearing the child" not in page


def test_agenda_someone_opening_an_editor_in_another_worker_shows_at_once(other_worker, client_for, expert):
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    colleague = make_user("expert", display_name="Olga Smirnova")
    client = client_for(expert)
    url = f"/events/{event.id}"
    assert "Being edited by" not in cached(client, url)
    with elsewhere(other_worker):
        agenda_services.touch_presence(colleague.id, event.id, item.id)  # the "presence" area only
    assert "Being edited by Olga Smirnova" in show(client, url)


def test_revision_a_comment_from_another_worker_shows_at_once(other_worker, client_for, expert, revision):
    client = client_for(expert)
    assert "Consider the age first" not in cached(client, revision_url(revision))
    with elsewhere(other_worker):
        guideline_services.add_comment(there(User, revision.author_id), revision.id, "Consider the age first")
    assert "Consider the age first" in show(client, revision_url(revision))


def test_revision_a_visit_recorded_in_another_worker_shows_at_once(other_worker, client_for, expert, revision):
    """The "new since your last visit" marks depend on the member's visits (their own area)."""
    guideline_services.add_comment(make_user("expert"), revision.id, "A comment from someone else")
    client = client_for(expert)
    page = cached(client, revision_url(revision))  # before a first visit nothing is marked new
    assert "A comment from someone else" in page and "badge--new" not in page
    with elsewhere(other_worker):  # the member looked at the section before the comment was written
        visits.mark_seen(expert.id, [revision.section_id], now=utcnow() - timedelta(hours=1))
    assert "badge--new" in show(client, revision_url(revision))


def test_results_a_ballot_cast_in_another_worker_shows_at_once(other_worker, client_for, expert, moderator):
    poll = make_poll(moderator, question="Where do we meet?", secret=False, live=True)
    voter = make_user("expert", display_name="Vera Voter")
    client = client_for(expert)
    url = f"/polls/{poll.id}/results"
    page = cached(client, url)
    assert "Running results" in page and "Vera Voter" not in page and "0 ballots counted" in page
    with elsewhere(other_worker):
        cast(there(Poll, poll.id), there(User, voter.id), "Tallinn")
    page = show(client, url)
    assert "Vera Voter" in page and "1 ballot counted" in page


def test_results_a_decision_recorded_in_another_worker_shows_at_once(other_worker, client_for, expert, moderator):
    poll = make_poll(moderator, question="Where do we meet?", secret=True)
    cast(poll, expert, "Riga")
    close_now(poll)
    seal(poll)  # (the first read after the close would seal it, and so change the data the page is keyed on)
    client = client_for(expert)
    url = f"/polls/{poll.id}/results"
    assert "Recorded in the decision log" not in cached(client, url)
    with elsewhere(other_worker):
        make_decision(there(User, moderator.id), title="We meet in Riga", poll_id=poll.id)
    page = show(client, url)
    assert "Recorded in the decision log" in page and "We meet in Riga" in page


def test_results_a_voter_renamed_in_another_worker_shows_at_once(other_worker, client_for, expert, moderator):
    poll = make_poll(moderator, question="Where do we meet?", secret=False, live=True)
    voter = make_user("expert", display_name="Olga Smirnova")
    cast(poll, voter, "Riga")
    client = client_for(expert)
    url = f"/polls/{poll.id}/results"
    assert "Olga Smirnova" in cached(client, url)
    with elsewhere(other_worker):
        there(User, voter.id).display_name = "Olga Petrova"  # the "auth" area every page is keyed on
    page = show(client, url)
    assert "Olga Petrova" in page and "Smirnova" not in page


def test_dashboard_a_new_poll_from_another_worker_shows_at_once(other_worker, client_for, expert, moderator):
    client = client_for(expert)
    assert "Which city hosts the spring training?" not in cached(client, "/dashboard")
    with elsewhere(other_worker):
        make_poll(there(User, moderator.id), question="Which city hosts the spring training?")
    panel = _open_votes_panel(show(client, "/dashboard"))
    assert "Which city hosts the spring training?" in panel and "Not voted yet" in panel


def test_dashboard_the_member_renamed_in_another_worker_shows_at_once(other_worker, client_for, expert):
    client = client_for(expert)
    assert "Welcome, Eva Expert" in cached(client, "/dashboard")
    with elsewhere(other_worker):
        auth_services.update_profile(there(User, expert.id), display_name="Eva Ekspert")
    page = show(client, "/dashboard")
    assert "Welcome, Eva Ekspert" in page and account(page) == ("Eva Ekspert", "Expert")


def test_dashboard_a_ballot_cast_here_shows_on_the_other_workers_cached_page(other_worker, client_for, expert):
    poll = make_poll(question="Which city hosts the spring training?")
    there_client = sign_in(other_worker.test_client(), expert)
    assert "Not voted yet" in _open_votes_panel(cached(there_client, "/dashboard"))
    cast(poll, expert, "Riga")  # committed through this worker's engine
    panel = _open_votes_panel(show(there_client, "/dashboard"))
    assert "You voted" in panel and "Not voted yet" not in panel


def test_dashboard_someone_editing_or_reading_elsewhere_keeps_it_but_new_work_does_not(client_for, expert, revision):
    """The dashboard shows every feature's area but not presence, visits or sessions (areas apart): a heartbeat
    or a visit keeps its cached page; an audited change (the activity list) makes it again."""
    event = make_event(expert)
    item = make_item(event, expert, title="Hearing the child")
    colleague, moderator = make_user("expert"), make_user("moderator")
    client = client_for(expert)
    cached(client, "/dashboard")
    counted = Counted(client.application)
    agenda_services.touch_presence(colleague.id, event.id, item.id)
    visits.mark_seen(expert.id, [revision.section_id])
    db.session.commit()
    show(client, "/dashboard")
    assert counted.hits == 1
    make_decision(moderator, title="Trainings last two days")
    assert "Trainings last two days" in show(client, "/dashboard")
    assert counted.misses == 1


# What is never kept ----------------------------------------------------------------------------------------------


def test_a_page_with_a_flashed_message_is_shown_once_and_never_kept(client_for, expert, revision):
    client = client_for(expert)
    url = revision_url(revision)
    posted = client.post(f"{url}/comments", data={"body": "A first comment"})
    assert posted.status_code == 303  # with "Your comment is posted." flashed for the next page
    counted = Counted()
    flashed = show(client, url)
    assert "Your comment is posted." in flashed and "A first comment" in flashed
    assert counted.stored == 0
    plain = show(client, url)
    assert "Your comment is posted." not in plain and "A first comment" in plain
    assert counted.stored == 1
    again = show(client, url)
    assert "Your comment is posted." not in again and counted.hits == 1


def test_a_message_flashed_after_a_page_was_kept_is_still_shown(client_for, expert, revision):
    client = client_for(expert)
    url = revision_url(revision)
    show(client, url)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved in another tab.")]
    counted = Counted()
    assert "Saved in another tab." in show(client, url)  # not the kept page, which has no message
    assert (counted.hits, counted.stored) == (0, 0)
    page = show(client, url)
    assert "Saved in another tab." not in page and counted.hits == 1


@pytest.mark.parametrize(
    "url", ["/events/999999", "/guidelines/revisions/999999", "/polls/999999/results", "/polls/999999/results?x=1"]
)
def test_a_missing_page_is_not_kept(url, expert_client):
    counted = Counted()
    for _ in range(2):
        show(expert_client, url, 404)
    assert counted.stored == 0 and counted.hits == 0


def test_a_refusal_is_not_kept_and_the_page_shows_once_allowed(expert_client, moderator):
    poll = make_poll(moderator, question="Where do we meet?", secret=True)
    url = f"/polls/{poll.id}/results"
    counted = Counted()
    for _ in range(2):
        refused = show(expert_client, url, 403)  # the results of a secret poll wait for the close
        assert "Results not available yet" in refused and "Where do we meet?" not in refused
    assert counted.stored == 0 and counted.hits == 0
    assert account(refused) == ("Eva Expert", "Expert")  # the refusal's own token is real, not the placeholder
    close_now(poll)
    assert "Where do we meet?" in show(expert_client, url)
    assert counted.stored == 1


def test_an_invalid_filter_is_not_kept(expert_client, expert):
    make_decision(expert, title="Riga first")
    counted = Counted()
    for _ in range(2):
        page = show(expert_client, "/decisions/?due_before=31.02.2016", 422)
        assert "is not a date" in page
    assert counted.stored == 0 and counted.hits == 0


# A change that lands while a page is being made ------------------------------------------------------------------


def test_a_change_committed_while_the_page_is_made_shows_on_the_next_view(other_worker, client_for, expert):
    """The tokens a page is kept under are read before its data: a change committed after the view has begun
    reading gives the next request a new key, never the page made from the older data."""
    decision_id = make_decision(expert, title="Trainings last two days").id  # read now, not inside the request
    client = client_for(expert)
    fired = []

    def change_meanwhile(_conn, _cursor, statement, *_args) -> None:
        if fired or "FROM decision" not in statement:
            return
        fired.append(statement)
        with other_worker.app_context(), writing():
            there(Decision, decision_id).title = "Trainings last three days"
            db.session.commit()
            db.session.remove()

    event.listen(db.engine, "after_cursor_execute", change_meanwhile)
    try:
        show(client, "/decisions/")  # the view's first read of the log commits a change in the other worker
    finally:
        event.remove(db.engine, "after_cursor_execute", change_meanwhile)
    assert fired
    page = show(client, "/decisions/")
    assert ">Trainings last three days</a>" in page and "Trainings last two days" not in page


# The decorator's rules, on views made for the purpose ---------------------------------------------------------------

BASE_PAGE = '{% extends "base.html" %}{% block content %}<p>{{ text }}</p>{% endblock %}'


@pytest.fixture(scope="module")
def bench(database_url) -> Iterator[SimpleNamespace]:
    """An application with a few cached views of its own, counting how often each one runs."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = CSRFClient
    runs: dict[str, int] = {}

    def ran(name: str) -> None:
        runs[name] = runs.get(name, 0) + 1

    @app.get("/bench/page")
    @cached_page("decisions")
    def bench_page():
        ran("page")
        return render_template_string(BASE_PAGE, text="A plain page")

    @app.get("/bench/json")
    @cached_page("decisions")
    def bench_json():
        ran("json")
        return jsonify(token=generate_csrf())

    @app.get("/bench/cookie")
    @cached_page("decisions")
    def bench_cookie():
        ran("cookie")
        response = make_response(render_template_string(BASE_PAGE, text="Sets a cookie"))
        response.set_cookie("bench", "1")
        return response

    @app.get("/bench/welcome")
    @cached_page("decisions")
    def bench_welcome():
        """Welcomes a session once, with a flashed message on the page itself."""
        ran("welcome")
        if not session.get("bench_welcomed"):
            session["bench_welcomed"] = True
            flash("Welcome to the bench.", "info")
        return render_template_string(BASE_PAGE, text="The bench")

    @app.post("/bench/post")
    def bench_post():
        return "", 204

    yield SimpleNamespace(app=app, runs=runs)
    with app.app_context():
        db.engine.dispose()


def bench_client(bench, user):
    return sign_in(bench.app.test_client(), user)


def test_a_hit_does_not_run_the_view(bench, expert):
    client = bench_client(bench, expert)
    before = bench.runs.get("page", 0)
    first = show(client, "/bench/page")
    second = show(client, "/bench/page")
    assert bench.runs["page"] == before + 1
    assert without_token(first) == without_token(second) and "A plain page" in second
    assert client.post("/bench/post", data={"csrf_token": token_of(second)}, csrf=False).status_code == 204


def test_a_response_that_is_not_html_is_not_kept(bench, expert):
    client = bench_client(bench, expert)
    counted = Counted(bench.app)
    before = bench.runs.get("json", 0)
    for _ in range(2):
        assert client.get("/bench/json").status_code == 200
    assert bench.runs["json"] == before + 2 and counted.stored == 0


def test_a_response_that_sets_a_cookie_is_not_kept(bench, expert):
    client = bench_client(bench, expert)
    counted = Counted(bench.app)
    before = bench.runs.get("cookie", 0)
    for _ in range(2):
        response = client.get("/bench/cookie")
        assert response.status_code == 200 and "bench=1" in response.headers.get("Set-Cookie", "")
    assert bench.runs["cookie"] == before + 2 and counted.stored == 0


def test_a_message_flashed_by_the_view_itself_is_never_kept(bench, expert):
    client = bench_client(bench, expert)
    counted = Counted(bench.app)
    assert "Welcome to the bench." in show(client, "/bench/welcome")
    again = show(client, "/bench/welcome")
    assert "Welcome to the bench." not in again, "the page with the flashed message was kept and served again"
    assert counted.hits == 0


def test_a_token_in_a_response_that_is_not_kept_is_the_sessions_own(bench, expert):
    client = bench_client(bench, expert)
    token = client.get("/bench/json").get_json()["token"]
    assert token != TOKEN_PLACEHOLDER
    assert client.post("/bench/post", data={"csrf_token": token}, csrf=False).status_code == 204
