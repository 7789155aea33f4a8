"""The demo data: published, in review and draft pages for the demo trainings, loaded twice without harm."""

from __future__ import annotations

from sqlalchemy import func, select

from protect.agendas.models import TrainingEvent
from protect.core.database import utcnow
from protect.core.registry import registry
from protect.extensions import db
from protect.programme.models import InterestRegistration, ProgrammePage, ProgrammeSnapshot, ProgrammeTransition


def seed_everything(app) -> None:
    for seeder in registry(app).seeders:
        if seeder.name in ("people", "agendas", "programme"):
            seeder.run()
            db.session.commit()


def test_the_demo_pages_tell_the_story_of_the_trainings(app, client):
    seed_everything(app)
    states = dict(db.session.execute(select(ProgrammePage.slug, ProgrammePage.state)).all())
    assert states == {
        "riga-2016-training": "published",
        "tallinn-2016-training": "published",
        "vilnius-2016-training": "published",
        "st-petersburg-2027-training": "in_review",
        "helsinki-2027-training": "draft",
    }
    assert "copenhagen-2015-launch" not in states  # the launch meeting is not a training
    tallinn = db.session.execute(
        select(ProgrammePage).where(ProgrammePage.slug == "tallinn-2016-training")
    ).scalar_one()
    assert tallinn.live_version == 2
    helsinki = db.session.execute(
        select(ProgrammePage).where(ProgrammePage.slug == "helsinki-2027-training")
    ).scalar_one()
    actions = db.session.execute(
        select(ProgrammeTransition.action)
        .where(ProgrammeTransition.page_id == helsinki.id)
        .order_by(ProgrammeTransition.id)
    ).scalars()
    assert list(actions) == ["created", "submitted", "sent_back"]

    listing = client.get("/programme/").get_data(as_text=True)
    for city in ("Riga", "Tallinn", "Vilnius", "St Petersburg"):
        assert f"training in {city}</a>" in listing
    assert "training in Helsinki" not in listing and "helsinki-2027-training" not in listing
    assert client.get("/programme/helsinki-2027-training").status_code == 404
    st_petersburg = client.get("/programme/st-petersburg-2027-training").get_data(as_text=True)
    assert "Nevsky district" not in st_petersburg  # the venue waits in review
    # Registrations are seeded only while the St Petersburg training is still ahead.
    upcoming = (
        db.session.execute(
            select(TrainingEvent.first_day).where(TrainingEvent.slug == "st-petersburg-2027-training")
        ).scalar_one()
        > utcnow().date()
    )
    expected = 3 if upcoming else 0
    assert db.session.execute(select(func.count()).select_from(InterestRegistration)).scalar_one() == expected


def test_loading_the_demo_data_twice_changes_nothing(app):
    seed_everything(app)
    counts = [
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (ProgrammePage, ProgrammeSnapshot, ProgrammeTransition, InterestRegistration)
    ]
    seed_everything(app)
    again = [
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (ProgrammePage, ProgrammeSnapshot, ProgrammeTransition, InterestRegistration)
    ]
    # Snapshots: the pages' five and their three translations'.
    assert counts == again and counts[0] == 5 and counts[1] == 8


def test_the_tallinn_page_was_corrected_in_a_second_published_version(app):
    seed_everything(app)
    tallinn = db.session.execute(
        select(ProgrammePage).where(ProgrammePage.slug == "tallinn-2016-training")
    ).scalar_one()
    languages = db.session.execute(
        select(ProgrammeSnapshot.content)
        .where(ProgrammeSnapshot.page_id == tallinn.id, ProgrammeSnapshot.language == "en")
        .order_by(ProgrammeSnapshot.version)
    ).scalars()
    assert [content["language"] for content in languages] == [
        "English, with Estonian interpretation",
        "English, with Estonian and Russian interpretation",
    ]


def test_the_demo_has_translations_one_of_them_out_of_date(app, client):
    from protect.programme import translations

    seed_everything(app)
    seed_everything(app)  # twice: nothing doubles
    pages = dict(db.session.execute(select(ProgrammePage.slug, ProgrammePage.id)).all())
    riga = translations.load(pages["riga-2016-training"], "lv")
    tallinn = translations.load(pages["tallinn-2016-training"], "et")
    assert (riga.live_version, tallinn.live_version) == (1, 1)
    assert "Ceļā esošu bērnu aizsardzība" in client.get("/programme/riga-2016-training?lang=lv").get_data(as_text=True)
    estonian = client.get("/programme/tallinn-2016-training?lang=et").get_data(as_text=True)
    assert "Liikvel olevate laste kaitse" in estonian and 'data-language-note="out-of-date"' in estonian
    russian = client.get("/programme/st-petersburg-2027-training?lang=ru").get_data(as_text=True)
    assert "Защита детей в пути" in russian and "data-language-note" not in russian
