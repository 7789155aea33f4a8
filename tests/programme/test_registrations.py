"""Register your interest: consent, CSRF, the honeypot, the rate limit, the moderators' list, CSV export,
deletion, and the purge after the retention period."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from protect import create_app
from protect.agendas.models import TrainingEvent
from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db
from protect.programme import services
from protect.programme.models import InterestRegistration
from tests.conftest import TEST_CONFIG, CSRFClient, count_queries
from tests.programme.factories import (
    approve,
    edit,
    make_event,
    publish,
    published_page,
    registration_form,
    submit,
)


def registrations() -> list[InterestRegistration]:
    return list(db.session.execute(select(InterestRegistration).order_by(InterestRegistration.id)).scalars())


@pytest.fixture
def training(expert, moderator):
    event = make_event(first_day=utcnow().date() + timedelta(days=60), slug="tallinn-2027-training")
    return published_page(expert, moderator, event, title="Training in Tallinn")


def test_a_visitor_registers_and_gets_a_reference_number(client, training):
    form = client.get(f"/programme/{training.slug}/register")
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "no-store"
    assert 'name="csrf_token"' in form.get_data(as_text=True)
    response = client.post(f"/programme/{training.slug}/register", data=registration_form())
    assert response.status_code == 303
    assert response.headers["Location"] == f"/programme/{training.slug}/registered"
    (saved,) = registrations()
    assert saved.name == "Ieva Kalniņa" and saved.email == "ieva@example.lv" and saved.country == "LV"
    assert saved.sector == "child_welfare" and saved.snapshot_version == 1
    assert saved.training_ends_on == utcnow().date() + timedelta(days=61)
    assert "deletes them 180 days after the training" in saved.consent_text
    assert saved.reference.startswith("PR-") and len(saved.reference) == 12
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert saved.reference in confirmation.get_data(as_text=True)
    assert confirmation.headers["Cache-Control"] == "no-store"


def test_the_confirmation_page_without_a_registration_leads_to_the_list(client, training):
    response = client.get(f"/programme/{training.slug}/registered")
    assert response.status_code == 303 and response.headers["Location"] == "/programme/"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent": None}, "Tick the box to agree that we store your details for this purpose."),
        ({"email": "ieva at example"}, "Enter a valid email address."),
        ({"name": ""}, "Enter your name."),
        ({"country": ""}, "Choose the country where you work."),
        ({"country": "ZZ"}, "Choose a country from the list."),
        ({"sector": "spies"}, "Choose a sector from the list."),
        ({"message": "x" * 2001}, "At most 2,000 characters."),
    ],
)
def test_bad_input_is_refused_with_422_beside_the_field_and_the_input_kept(client, training, changes, message):
    response = client.post(f"/programme/{training.slug}/register", data=registration_form(**changes))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert 'class="field__error"' in body
    assert 'value="Orphan&#39;s and Custody Court"' in body  # what the visitor typed is still there
    assert registrations() == []


def test_a_registration_without_the_csrf_token_is_refused(client, training):
    response = client.post(f"/programme/{training.slug}/register", data=registration_form(), csrf=False)
    assert response.status_code == 400
    assert registrations() == []


def test_a_filled_honeypot_is_dropped_silently(client, training):
    response = client.post(
        f"/programme/{training.slug}/register", data=registration_form(website="http://spam.example")
    )
    assert response.status_code == 303  # the bot is told it worked...
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PR-" in confirmation
    assert registrations() == []  # ...but nothing is stored


def test_the_honeypot_is_hidden_from_people_and_from_assistive_technology(client, training):
    body = client.get(f"/programme/{training.slug}/register").get_data(as_text=True)
    assert '<div class="honeypot" aria-hidden="true">' in body
    assert 'name="website" value="" autocomplete="off" tabindex="-1"' in body


def test_registrations_are_closed_after_the_training(client, expert, moderator):
    past = published_page(expert, moderator, make_event(first_day=date(2016, 3, 15), slug="riga-2016"))
    assert "registrations are closed" in client.get("/programme/riga-2016/register").get_data(as_text=True)
    response = client.post("/programme/riga-2016/register", data=registration_form())
    assert response.status_code == 409
    assert registrations() == []
    with pytest.raises(services.RuleViolation):
        services.register_interest(
            services.snapshot(past.id, 1), registration_form(), retention_days=180, today=utcnow().date()
        )


def test_a_withdrawn_training_takes_no_registrations(client, training, moderator):
    services.withdraw(moderator, training.id, "Postponed to autumn.")
    db.session.commit()
    assert client.post(f"/programme/{training.slug}/register", data=registration_form()).status_code == 410
    assert registrations() == []


@pytest.fixture
def limited_app(database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True})
    app.test_client_class = CSRFClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_flood_of_registrations_from_one_address_is_refused_with_429(limited_app, training):
    client = limited_app.test_client()
    url = f"/programme/{training.slug}/register"
    for n in range(5):
        assert client.post(url, data=registration_form(email=f"person{n}@example.org")).status_code == 303
    flooded = client.post(url, data=registration_form(email="person6@example.org", name="Kept Name"))
    assert flooded.status_code == 429
    body = flooded.get_data(as_text=True)
    assert "Wait an hour" in body and 'value="Kept Name"' in body
    assert len(registrations()) == 5
    # Another address is not affected.
    other = client.post(url, data=registration_form(), environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 303


def test_mistakes_do_not_use_up_the_limit_but_endless_attempts_do(limited_app, training):
    client = limited_app.test_client()
    url = f"/programme/{training.slug}/register"
    for _ in range(8):
        assert client.post(url, data=registration_form(consent=None)).status_code == 422
    assert client.post(url, data=registration_form()).status_code == 303
    for _ in range(21):
        client.post(url, data=registration_form(consent=None))
    assert client.post(url, data=registration_form(consent=None)).status_code == 429


# The moderators' side ----------------------------------------------------------------------------------------


def register(client, training, **changes):
    response = client.post(f"/programme/{training.slug}/register", data=registration_form(**changes))
    assert response.status_code == 303
    return registrations()[-1]


def test_moderators_see_the_registrations_and_experts_may_not(client, moderator_client, expert_client, training):
    register(client, training, name="Ieva Kalniņa")
    register(client, training, name="Pēteris Ozols", email="peteris@example.lv")
    page = moderator_client.get(f"/publishing/{training.id}/registrations")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Ieva Kalniņa" in body and "Pēteris Ozols" in body and "2 registrations" in body
    for url in (f"/publishing/{training.id}/registrations", f"/publishing/{training.id}/registrations.csv"):
        assert expert_client.get(url).status_code == 403
        assert client.get(url).status_code == 302  # visitors are sent to sign in


def test_the_csv_export_has_every_registration_and_defuses_formulas(client, moderator_client, training):
    register(client, training, name='=HYPERLINK("http://evil.example")', message="+1 for the training")
    register(client, training, name="Ieva Kalniņa")
    response = moderator_client.get(f"/publishing/{training.id}/registrations.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Reference", "Received (UTC)", "Name", "Email"]
    assert len(rows) == 3
    names = {row[2] for row in rows[1:]}
    assert names == {'\'=HYPERLINK("http://evil.example")', "Ieva Kalniņa"}
    assert "'+1 for the training" in {row[7] for row in rows[1:]}


def test_the_csv_names_the_country_and_the_sector_and_keeps_the_byte_order_mark(client, moderator_client, training):
    register(client, training, name="Rūta Jonaitienė", country="LT", sector="law_enforcement")
    response = moderator_client.get(f"/publishing/{training.id}/registrations.csv")
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # spreadsheets read it as UTF-8
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[5:7] == ["Country", "Sector"]
    assert row[2] == "Rūta Jonaitienė"
    assert row[5:7] == ["Lithuania", "Law enforcement"]
    assert "law_enforcement" not in raw.decode("utf-8-sig") and ",LT," not in raw.decode("utf-8-sig")


def clone_registrations(model: InterestRegistration, count: int) -> None:
    """``count`` more registrations like ``model``, a minute apart (older than it)."""
    for n in range(count):
        db.session.add(
            InterestRegistration(
                page_id=model.page_id,
                reference=f"PR-T{n:03d}-XXXX",
                name=f"Person {n:03d}",
                email=f"person{n}@example.org",
                organisation="",
                country="EE",
                sector="ngo",
                message="",
                consent_text=model.consent_text,
                consented_at=model.consented_at,
                created_at=model.created_at - timedelta(minutes=n + 1),
                snapshot_version=model.snapshot_version,
                training_ends_on=model.training_ends_on,
            )
        )
    db.session.commit()


def test_the_registrations_list_is_paged(client, moderator_client, training):
    newest = register(client, training, name="Newest Person")
    clone_registrations(newest, 120)
    url = f"/publishing/{training.id}/registrations"
    first = moderator_client.get(url)
    assert first.status_code == 200
    body = first.get_data(as_text=True)
    assert "121 registrations, latest first; 1–50 shown." in body
    assert body.count('<tr id="registration-') == 50
    assert "Newest Person" in body and "Person 048" in body and "Person 049" not in body
    assert "Page 1 of 3" in body and f'href="{url}?page=2"' in body and 'rel="prev"' not in body

    last = moderator_client.get(f"{url}?page=3").get_data(as_text=True)
    assert last.count('<tr id="registration-') == 21 and "Person 119" in last and "101–121 shown" in last
    assert 'rel="next"' not in last and f'href="{url}?page=2"' in last
    # A page past the end, or nonsense, shows a page that exists.
    assert "Page 3 of 3" in moderator_client.get(f"{url}?page=99").get_data(as_text=True)
    assert "Page 1 of 3" in moderator_client.get(f"{url}?page=abc").get_data(as_text=True)
    assert "Page 1 of 3" in moderator_client.get(f"{url}?page=0").get_data(as_text=True)
    # The CSV still has every one.
    rows = list(csv.reader(io.StringIO(moderator_client.get(f"{url}.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 122


def test_a_training_takes_a_bounded_number_of_registrations(app, client, training, expert, moderator, monkeypatch):
    monkeypatch.setitem(app.config, "PROGRAMME_REGISTRATIONS_PER_TRAINING", 3)
    for n in range(3):
        register(client, training, email=f"p{n}@example.org")
    refused = client.post(
        f"/programme/{training.slug}/register", data=registration_form(name="Fourth Person", email="p4@example.org")
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "has received as many registrations of interest as we can take (3)" in body
    assert 'value="Fourth Person"' in body  # what the visitor typed is kept
    assert len(registrations()) == 3
    # Another training is not affected.
    later = make_event(first_day=utcnow().date() + timedelta(days=70), slug="narva-2027")
    other = published_page(expert, moderator, later)
    assert client.post(f"/programme/{other.slug}/register", data=registration_form()).status_code == 303


def test_a_moderator_deletes_a_registration_with_htmx_or_a_plain_form(client, moderator_client, training, moderator):
    first = register(client, training, name="First")
    second = register(client, training, name="Second", email="second@example.org")
    first_id, first_reference, second_id = first.id, first.reference, second.id
    url = f"/publishing/{training.id}/registrations/{first_id}/delete"
    fragment = moderator_client.htmx("post", url)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert f'<tr id="registration-{first_id}" class="registration--deleted">' in text
    assert f"The registration {first_reference} is deleted." in text
    assert '<template hx type="partial" hx-target="#alerts"' in text
    assert "<html" not in text
    plain = moderator_client.post(f"/publishing/{training.id}/registrations/{second_id}/delete")
    assert plain.status_code == 303
    assert registrations() == []
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "programme.registration_deleted")
    ).scalars()
    recorded = list(event)
    assert len(recorded) == 2 and recorded[0].audience == "moderator" and recorded[0].actor_id == moderator.id
    assert "First" not in recorded[0].text and first_reference in recorded[0].text  # no personal data
    again = moderator_client.post(url)
    assert again.status_code == 404


def test_an_expert_may_not_delete_a_registration(client, expert_client, training):
    saved = register(client, training)
    response = expert_client.post(f"/publishing/{training.id}/registrations/{saved.id}/delete")
    assert response.status_code == 403
    assert len(registrations()) == 1


def test_a_registration_is_deleted_only_through_its_own_page(client, moderator_client, expert, moderator, training):
    saved = register(client, training)
    other = published_page(expert, moderator, make_event(first_day=utcnow().date() + timedelta(days=90)))
    assert moderator_client.post(f"/publishing/{other.id}/registrations/{saved.id}/delete").status_code == 404
    assert len(registrations()) == 1


def test_the_registrations_page_runs_a_few_queries_whatever_their_number(client, moderator_client, training):
    register(client, training)

    def queries() -> int:
        with count_queries() as statements:
            assert moderator_client.get(f"/publishing/{training.id}/registrations").status_code == 200
        return len(statements)

    small = queries()
    for n in range(15):
        register(client, training, email=f"p{n}@example.org")
    assert queries() == small <= 6


# Retention ----------------------------------------------------------------------------------------------------


def test_a_new_published_version_moves_the_retention_clock_with_the_dates(client, training, expert, moderator):
    saved = register(client, training)
    record = db.session.get(TrainingEvent, training.event_id)
    record.first_day = record.first_day + timedelta(days=30)
    db.session.commit()
    page = edit(training, expert, summary="Moved by a month.")
    publish(approve(submit(page, expert), moderator), moderator)
    db.session.refresh(saved)
    assert saved.training_ends_on == record.first_day + timedelta(days=1)


def test_purge_deletes_only_registrations_past_the_retention_period(client, training):
    kept = register(client, training, email="kept@example.org")
    old = register(client, training, email="old@example.org")
    edge = register(client, training, email="edge@example.org")
    today = utcnow().date()
    old.training_ends_on = today - timedelta(days=181)
    edge.training_ends_on = today - timedelta(days=180)
    db.session.commit()
    assert services.purge_registrations(today, 180, dry_run=True) == 1
    assert len(registrations()) == 3
    assert services.purge_registrations(today, 180) == 1
    db.session.commit()
    assert {r.email for r in registrations()} == {kept.email, edge.email}


def test_the_purge_command_has_help_a_dry_run_and_reports_what_it_deleted(app, client, training):
    old = register(client, training)
    old.training_ends_on = utcnow().date() - timedelta(days=400)
    db.session.commit()
    runner = app.test_cli_runner()
    help_text = runner.invoke(args=["purge-registrations", "--help"]).output
    assert "kept longer than the retention" in help_text and "--dry-run" in help_text
    assert "cd /srv/protect && .venv/bin/flask --app protect purge-registrations" in help_text
    dry = runner.invoke(args=["purge-registrations", "--dry-run"])
    assert dry.exit_code == 0 and "1 registration would be deleted" in dry.output
    assert db.session.execute(select(func.count()).select_from(InterestRegistration)).scalar_one() == 1
    kept_longer = runner.invoke(args=["purge-registrations", "--days", "500"])
    assert "0 registrations deleted" in kept_longer.output
    done = runner.invoke(args=["purge-registrations"])
    assert done.exit_code == 0 and "1 registration deleted" in done.output
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(InterestRegistration)).scalar_one() == 0


def test_the_retention_period_comes_from_the_configuration(app, client, training):
    app.config["REGISTRATION_RETENTION_DAYS"] = 30
    try:
        body = client.get(f"/programme/{training.slug}/register").get_data(as_text=True)
        saved = register(client, training)
        old = register(client, training, email="old@example.org")
        old.training_ends_on = utcnow().date() - timedelta(days=31)
        db.session.commit()
        output = app.test_cli_runner().invoke(args=["purge-registrations"]).output
    finally:
        app.config["REGISTRATION_RETENTION_DAYS"] = 180
    assert "deletes them 30 days after the training" in body
    assert "deletes them 30 days" in saved.consent_text
    assert "1 registration deleted (trainings that ended more than 30 days ago)" in output
