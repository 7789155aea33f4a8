"""A secret ballot is secret in the database too.

While a secret poll is open, nothing in the database alone links a voter to a ballot: the ballot carries only a
keyed tag, and the key needs the server's SECRET_KEY. At the close (early close, first read or cast after the
close, `flask seal-polls`) the salt and every tag are erased and the ballots rewritten in random order: then
no row of any table links a voter to an option. Open (non-secret) polls keep their voters.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from protect.auth.models import User
from protect.core.audit import AuditEvent
from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation
from protect.extensions import db
from protect.polls import secrecy, services
from protect.polls.cache import tallies
from protect.polls.models import Ballot, BallotMark, Poll, PollParticipation
from tests.factories import make_user
from tests.polls.factories import ballot_rows, cast, close_now, make_poll, option_ids

CITIES = ("Riga", "Tallinn", "Vilnius", "St Petersburg")
RANKINGS = [
    ("Riga",),
    ("Tallinn", "Riga"),
    ("Vilnius", "Riga", "Tallinn"),
    ("St Petersburg",),
    ("Riga", "Vilnius"),
    ("Tallinn",),
]


def _fresh(poll_id: int) -> Poll:
    db.session.rollback()  # a new transaction: see what other threads committed since
    return services.get_poll(poll_id)


def _voting(moderator, *, secret: bool = True, voters: int = 6):
    poll = make_poll(moderator, cities=CITIES, secret=secret)
    people = [make_user("expert", display_name=f"Voter {n}") for n in range(voters)]
    for n, person in enumerate(people):
        cast(poll, person, *RANKINGS[n % len(RANKINGS)])
    cast(poll, people[0], "St Petersburg", "Vilnius")  # one changes their mind
    return _fresh(poll.id), people


def _dump() -> dict[str, list[dict]]:
    """Every row of every table, as a backup would hold it."""
    dump = {}
    for table in db.metadata.sorted_tables:
        dump[table.name] = [dict(row._mapping) for row in db.session.execute(select(table))]
    return dump


def _close_early(moderator, poll: Poll) -> Poll:
    with writing():
        services.close_poll_early(moderator, poll.id, "Everyone has voted.")
    return _fresh(poll.id)


# After the close --------------------------------------------------------------------------------------------


def test_a_sealed_secret_poll_leaves_no_row_linking_a_voter_to_an_option(moderator):
    poll, people = _voting(moderator)
    salt = poll.ballot_salt
    key = secrecy.poll_key(salt)
    tags = {secrecy.voter_tag(key, person.id) for person in people}
    before_ids = {b.id for b in ballot_rows(poll)}
    counts_before = [row.count for row in services.tally_poll(poll).rows]

    poll = _close_early(moderator, poll)
    assert poll.ballot_salt is None and poll.sealed_at is not None

    dump = _dump()
    everything = repr(dump)
    # the key, and every tag made with it, are gone from every table
    assert salt not in everything
    assert not any(tag in everything for tag in tags)
    ballots = [row for row in dump["ballot"] if row["poll_id"] == poll.id]
    assert len(ballots) == len(people)
    assert all(row["voter_id"] is None and row["voter_tag"] is None for row in ballots)
    assert not before_ids & {row["id"] for row in ballots}  # rewritten with new ids
    # no table has both a reference to a member and one to a ballot or an option, except the ballot itself,
    # whose member is empty for this poll
    for table in db.metadata.sorted_tables:
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if "users" in targets and targets & {"ballot", "poll_option", "ballot_mark"}:
            assert table.name == "ballot"
    ballot_ids = {row["id"] for row in ballots}
    for name, rows in dump.items():
        if name not in ("ballot", "ballot_mark"):
            assert not any(str(bid) in repr(rows) for bid in ballot_ids), name
    # ballots, participation and marks hold no time or sequence that could be matched against each other
    # (the receipt code is a hash of the marks and of a secret only the voter was shown: published after the close)
    assert set(Ballot.__table__.c.keys()) == {"id", "poll_id", "voter_id", "voter_tag", "receipt_hash", "receipt_code"}
    assert set(BallotMark.__table__.c.keys()) == {"ballot_id", "option_id", "rank"}
    # what was voted is intact
    assert [row.count for row in services.tally_poll(poll).rows] == counts_before
    # who voted is still known (turnout), and each still sees that they voted, but not what
    assert services.turnout(poll).ballots == len(people)
    for person in people:
        mine = services.own_ballot(poll, person)
        assert mine is not None and not mine.linked and mine.choice() == ()


def test_the_audit_log_knows_who_voted_and_never_what(moderator):
    poll, people = _voting(moderator)
    _close_early(moderator, poll)
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action.like("ballot.%"))).scalars().all()
    assert len(events) == len(people) + 1
    ballot_ids = {str(b.id) for b in ballot_rows(poll)}
    for event in events:
        record = f"{event.summary} {event.details} {event.url} {event.object_type} {event.object_id}"
        assert event.details is None and event.object_type == "poll"
        assert not any(city in record for city in CITIES) and not any(bid in record for bid in ballot_ids)


def test_sealing_rewrites_the_ballots_in_an_order_unrelated_to_the_order_of_voting(moderator):
    poll = make_poll(moderator, cities=CITIES)
    people = [make_user("expert") for _ in range(24)]
    receipts = []
    for n, person in enumerate(people):
        receipts.append(secrecy.receipt_hash(cast(poll, person, *RANKINGS[n % len(RANKINGS)]).receipt))
    poll = _close_early(moderator, poll)
    # the order a plain scan (and so a dump) reads the rows in
    stored = db.session.execute(text("SELECT receipt_hash FROM ballot WHERE poll_id = :p"), {"p": poll.id}).scalars()
    order = [receipts.index(h) for h in stored]
    assert sorted(order) == list(range(24))
    assert order != list(range(24))  # 1 in 24! to be the voting order by chance


def test_the_first_read_after_the_close_seals_the_poll(moderator, client_for, expert):
    poll, people = _voting(moderator)
    close_now(poll)
    assert _fresh(poll.id).ballot_salt is not None  # nothing has looked since the close
    response = client_for(expert).get(f"/polls/{poll.id}")
    assert response.status_code == 200
    poll = _fresh(poll.id)
    assert poll.ballot_salt is None and poll.sealed_at is not None
    assert all(b.voter_tag is None for b in ballot_rows(poll))


def test_a_cast_after_the_close_seals_the_poll_and_is_refused(moderator):
    poll, people = _voting(moderator)
    close_now(poll)
    with writing(), pytest.raises(RuleViolation) as refused:
        services.cast_ballot(poll.id, people[1], option_ids(poll, "Riga"))
    db.session.rollback()
    assert refused.value.status == 409 and "Voting has ended" in refused.value.message
    poll = _fresh(poll.id)
    assert poll.sealed_at is not None and poll.ballot_salt is None
    assert all(b.voter_tag is None for b in ballot_rows(poll))


def test_seal_polls_command_seals_every_closed_secret_poll_and_nothing_else(app, moderator):
    closed, _people = _voting(moderator)
    close_now(closed)
    still_open, _ = _voting(moderator)
    open_ballot, _ = _voting(moderator, secret=False)
    close_now(open_ballot)
    result = app.test_cli_runner().invoke(args=["seal-polls"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"1 poll sealed: {closed.id}."
    assert _fresh(closed.id).sealed_at is not None
    assert _fresh(still_open.id).ballot_salt is not None and _fresh(still_open.id).sealed_at is None
    assert all(b.voter_id is not None for b in ballot_rows(open_ballot))  # an open ballot keeps its voters
    again = app.test_cli_runner().invoke(args=["seal-polls", "--vacuum"])
    assert again.exit_code == 0 and again.output.strip() == "0 polls sealed."


def test_a_cast_racing_the_early_close_leaves_no_tag_behind(app, moderator):
    poll = make_poll(moderator, cities=CITIES)
    people = [make_user("expert") for _ in range(12)]
    poll_id, ids = poll.id, option_ids(poll, "Riga", "Tallinn")
    barrier = threading.Barrier(len(people) + 1)
    outcomes: list[str] = []

    def vote(user_id):
        with app.app_context():
            try:
                voter = db.session.get(User, user_id)
                db.session.expunge(voter)
                db.session.close()
                barrier.wait(30)
                with writing():
                    services.cast_ballot(poll_id, voter, ids)
                outcomes.append("cast")
            except RuleViolation:
                outcomes.append("refused")
            finally:
                db.session.remove()

    def close():
        with app.app_context():
            try:
                closer = db.session.get(User, moderator.id)
                db.session.expunge(closer)
                db.session.close()
                barrier.wait(30)
                with writing():
                    services.close_poll_early(closer, poll_id, "Closing now.")
                outcomes.append("closed")
            except BaseException as error:  # noqa: BLE001 - reported by the test
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=vote, args=(p.id,)) for p in people] + [threading.Thread(target=close)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    poll = _fresh(poll_id)
    assert poll.sealed_at is not None and poll.ballot_salt is None, outcomes
    rows = ballot_rows(poll)
    assert all(b.voter_tag is None and b.voter_id is None for b in rows)
    assert len(rows) == outcomes.count("cast") == services.turnout(poll).ballots
    assert set(outcomes) <= {"cast", "closed", "refused"} and outcomes.count("closed") == 1


# While the poll is open ---------------------------------------------------------------------------------------


def test_while_open_the_database_alone_cannot_link_a_voter_to_a_ballot(app, moderator):
    poll, people = _voting(moderator)
    dump = _dump()
    ballots = [row for row in dump["ballot"] if row["poll_id"] == poll.id]
    assert all(row["voter_id"] is None for row in ballots)
    stored_tags = {row["voter_tag"] for row in ballots}
    assert None not in stored_tags and len(stored_tags) == len(people)
    salt = poll.ballot_salt
    # Someone holding the database (salt included) but not SECRET_KEY: every guess of the key derivation that
    # does not use the server's secret finds no tag.
    for person in people:
        for guess_key in (
            bytes.fromhex(salt),
            hashlib.sha256(bytes.fromhex(salt)).digest(),
            secrecy.poll_key(salt, b"a-guessed-secret-key"),
            secrecy.poll_key(salt, b""),
        ):
            assert secrecy.voter_tag(guess_key, person.id) not in stored_tags
        assert hashlib.sha256(str(person.id).encode()).hexdigest() not in stored_tags
        assert hmac.new(bytes.fromhex(salt), str(person.id).encode(), hashlib.sha256).hexdigest() not in stored_tags
    # With SECRET_KEY (the server), each voter's tag finds exactly their own ballot: how they change it.
    key = secrecy.poll_key(salt, app.config["SECRET_KEY"].encode())
    assert {secrecy.voter_tag(key, person.id) for person in people} == stored_tags
    # the marks are stored in the order of the ballots' random ids (SQLite: WITHOUT ROWID; no sequential id)
    assert "id" not in BallotMark.__table__.c


def test_changing_a_secret_ballot_replaces_it_and_its_receipt(moderator, expert):
    poll = make_poll(moderator, cities=CITIES)
    first = cast(poll, expert, "Riga", "Tallinn")
    (old_row,) = ballot_rows(poll)
    changed = cast(poll, expert, "Vilnius")
    (new_row,) = ballot_rows(poll)
    assert new_row.id != old_row.id and new_row.voter_tag == old_row.voter_tag
    assert new_row.choice() == tuple(option_ids(poll, "Vilnius"))
    assert db.session.execute(select(BallotMark).where(BallotMark.ballot_id == old_row.id)).first() is None
    assert changed.receipt != first.receipt and changed.revision == 2
    assert services.check_receipt(poll, changed.receipt) == tuple(option_ids(poll, "Vilnius"))
    with pytest.raises(RuleViolation) as gone:
        services.check_receipt(poll, first.receipt)
    assert gone.value.status == 422 and "No ballot of this poll has this receipt code" in gone.value.message


def test_a_changed_server_key_keeps_the_ballot_counted_and_never_adds_a_second(app, moderator, expert):
    poll = make_poll(moderator, cities=CITIES)
    cast(poll, expert, "Riga")
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-rotated-key"
    try:
        mine = services.own_ballot(_fresh(poll.id), expert)
        assert mine is not None and not mine.linked
        with writing(), pytest.raises(RuleViolation) as refused:
            services.cast_ballot(poll.id, expert, option_ids(poll, "Tallinn"))
        db.session.rollback()
        assert refused.value.status == 409 and "can no longer be changed" in refused.value.message
    finally:
        app.config["SECRET_KEY"] = original
    assert len(ballot_rows(poll)) == 1 and services.turnout(_fresh(poll.id)).ballots == 1


def test_a_database_error_while_casting_a_secret_ballot_is_logged_without_its_values(moderator):
    poll = make_poll(moderator)
    with pytest.raises(StatementError) as raised, services._quiet_parameters(poll):
        db.session.execute(
            text("INSERT INTO ballot_mark (ballot_id, option_id, rank) VALUES (:b, :o, :r)"),
            {"b": 987654321, "o": 424242, "r": 1},
        )
    db.session.rollback()
    assert "424242" not in str(raised.value)


def test_the_tally_cache_holds_counts_only(moderator):
    tallies().clear()  # only this test's tallies: another test's options may well be named "Voter ..."
    poll, people = _voting(moderator)
    poll = _close_early(moderator, poll)
    services.tally_poll(poll)
    entries = list(tallies()._entries.items())
    assert entries
    for key, value in entries:
        flat = repr((key, value))
        assert not any(f"Voter {n}" in flat for n in range(len(people)))
        # Labels may speak of "voters" ("share of voters approving"); no voter's id, tag or receipt is there.
        assert "voter_id" not in flat.lower() and "voter_tag" not in flat.lower() and "receipt" not in flat.lower()
        assert not any(person.email in flat for person in people)


# Receipts and pages ---------------------------------------------------------------------------------------------


def test_the_receipt_code_is_shown_while_open_and_checks_the_ballot_after_the_close(client_for, moderator):
    poll = make_poll(moderator, cities=CITIES)
    voter = make_user("expert")
    client = client_for(voter)
    tallinn, riga = option_ids(poll, "Tallinn", "Riga")
    cast_response = client.htmx("post", f"/polls/{poll.id}/ballot", data={"ranking": [str(tallinn), str(riga)]})
    body = cast_response.get_data(as_text=True)
    code = services.own_ballot(poll, voter).receipt
    assert cast_response.status_code == 200 and f"<code>{code}</code>" in body and "Keep this code" in body
    assert len(code) == 24 and secrecy.normalise_receipt(code) is not None
    close_now(poll)
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert code not in page and "Tallinn, Estonia" in page  # listed as an option, never as their choice
    assert "Your ranking:" not in page
    # the receipt check: a POST (never a URL that a log would keep), forgiving of case, spaces and dashes
    assert client.get(f"/polls/{poll.id}/receipt").status_code == 405
    checked = client.htmx("post", f"/polls/{poll.id}/receipt", data={"receipt": code.lower().replace("-", " ")})
    text_ = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "<html" not in text_
    listed = text_[text_.index("was counted as:") :]
    assert listed.index("Tallinn, Estonia") < listed.index("Riga, Latvia")
    # anyone holding the code may check it (it names nobody); a wrong or malformed one is refused beside the field
    other = client_for(make_user("expert"))
    assert other.post(f"/polls/{poll.id}/receipt", data={"receipt": code}).status_code == 200
    wrong = other.post(f"/polls/{poll.id}/receipt", data={"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    assert wrong.status_code == 422 and "No ballot of this poll has this receipt code" in wrong.get_data(as_text=True)
    assert 'value="AAAA-BBBB-CCCC-DDDD-EEEE"' in wrong.get_data(as_text=True)  # the input is kept
    bad = other.post(f"/polls/{poll.id}/receipt", data={"receipt": "not a code"})
    assert bad.status_code == 422 and "A receipt code has 20 letters" in bad.get_data(as_text=True)
    assert client_for(make_user("expert")).post(f"/polls/{poll.id}/receipt", data={}, csrf=False).status_code == 400


def test_open_ballots_keep_their_voters_and_receipts_after_the_close(client_for, moderator):
    poll, people = _voting(moderator, secret=False)
    poll = _close_early(moderator, poll)
    assert poll.sealed_at is None and poll.ballot_salt is None
    rows = ballot_rows(poll)
    assert sorted(b.voter_id for b in rows) == sorted(p.id for p in people)
    assert all(b.voter_tag is None and b.receipt_hash is None for b in rows)
    page = client_for(people[0]).get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Your ranking:" in page and "Check a receipt code" not in page
    results = client_for(moderator).get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "Voter 0" in results and "Voter 5" in results
    assert client_for(people[0]).post(f"/polls/{poll.id}/receipt", data={"receipt": "x"}).status_code == 404


def test_a_moderator_reopening_a_closed_poll_without_ballots_gets_a_new_key(moderator):
    poll = make_poll(moderator, cities=CITIES)
    poll = _close_early(moderator, poll)
    assert poll.ballot_salt is None and poll.sealed_at is not None
    data = services.PollData(
        question=poll.question,
        method=poll.method,
        opens_at=utcnow() - timedelta(hours=1),
        closes_at=utcnow() + timedelta(days=2),
        time_zone=poll.time_zone,
        options=[services.OptionData(o.city, o.country, o.venue_notes) for o in poll.options],
        secret=True,
    )
    with writing():
        services.update_poll(moderator, poll.id, data, poll.version)
    poll = _fresh(poll.id)
    assert poll.ballot_salt is not None and poll.sealed_at is None and poll.is_open()
    assert db.session.execute(select(PollParticipation)).first() is None


# The turnout line after an htmx cast ----------------------------------------------------------------------------


def test_an_htmx_cast_updates_the_turnout_line_out_of_band(client_for, moderator):
    poll = make_poll(moderator, cities=CITIES)
    voter = make_user("expert")
    eligible = services.turnout(poll).eligible
    riga = option_ids(poll, "Riga")[0]
    response = client_for(voter).htmx("post", f"/polls/{poll.id}/ballot", data={"ranking": [str(riga)]})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    standing = body[body.index('<section class="card poll-standing"') :]
    assert 'hx-swap-oob="true"' in standing[: standing.index(">")]
    assert f"1 of {eligible} eligible voters" in standing
    version = _fresh(poll.id).ballot_version
    assert f"v={version}.{poll.version}.open" in standing  # the live part polls from the new state
    # the receipt comes first (the main swap), the turnout line after it
    assert body.index("Your ballot is cast.") < body.index('id="standing"')
    plain = client_for(make_user("expert")).post(f"/polls/{poll.id}/ballot", data={"ranking": [str(riga)]})
    assert plain.status_code == 303  # without JavaScript the whole page is reloaded, turnout included
