"""Candidate locations: the records, their history and compare-and-set edits, the travel-burden model, polls
whose options come from them, and the single transferable vote poll end to end."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from protect.core.audit import AuditEvent
from protect.core.database import utcnow
from protect.extensions import db
from protect.polls import locations, services, travel
from protect.polls.locations import Location, LocationData, LocationRevision
from protect.polls.models import Poll, PollOption
from protect.search.models import SearchEntry
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll
from tests.polls.test_views import new_poll_form


def _text(response) -> str:
    return response.get_data(as_text=True)


def location_form(**overrides) -> dict[str, str]:
    data = {
        "city": "Daugavpils",
        "country": "LV",
        "venue": "Latgales centrs",
        "nearest_hub": "Daugavpils station (Riga airport 230 km)",
        "latitude": "55.87",
        "longitude": "26.52",
        "accessibility": "Step-free entrance; lift to every floor.",
        "cost_per_participant": "310",
        "partner": "Latgale Child Rights Centre",
        "description": "A **border** city.",
        "visa-RU": "Schengen visa needed: apply 6 weeks ahead.",
    }
    data.update(overrides)
    return data


def make_location(user=None, city="Riga", country="LV", **kwargs) -> Location:
    return locations.create_location(user or make_user(), LocationData(city=city, country=country, **kwargs))


# The travel model -------------------------------------------------------------------------------------------


def test_distances_and_hours_follow_the_documented_model():
    riga, tallinn = (56.95, 24.11), (59.44, 24.75)
    assert 270 <= travel.distance_km(riga, tallinn) <= 285  # Riga–Tallinn is about 280 km
    assert travel.distance_km(riga, riga) == 0
    assert travel.travel_hours(280) == round(280 / travel.GROUND_KMH, 1)
    assert travel.mode(280) == "ground"
    assert travel.travel_hours(2000) == round(travel.AIR_FIXED_HOURS + 2000 / travel.AIR_KMH, 1)
    assert travel.mode(travel.GROUND_MAX_KM + 1) == "air"


def test_the_burden_names_the_most_burdened_country_and_the_member_average():
    result = travel.burden(travel.place_of("LV", None, None), {"LV": 3, "IS": 1, "XX": 5})
    assert [row.country for row in result.rows] == ["IS", "LV"]  # "Other" has no capital: left out
    iceland, latvia = result.rows
    assert latvia.km == 0 and latvia.hours == 0
    assert iceland.mode == "air" and iceland.hours > 5
    assert result.heaviest is iceland
    assert result.members == 4
    assert result.average_hours == round(iceland.hours / 4, 1)
    assert result.bar_width(iceland) == 100.0 and result.bar_width(latvia) == 0.0
    assert travel.burden(None, {"LV": 1}) is None


# Adding and editing -----------------------------------------------------------------------------------------


def test_an_expert_adds_a_location_with_its_facts(expert_client, expert):
    assert expert_client.get("/locations/new").status_code == 200
    response = expert_client.post("/locations/new", data=location_form())
    assert response.status_code == 303
    location = db.session.execute(select(Location)).scalar_one()
    assert (location.city, location.country, location.cost_per_participant) == ("Daugavpils", "LV", 310)
    assert location.visa_notes == {"RU": "Schengen visa needed: apply 6 weeks ahead."}
    assert location.version == 1
    revision = db.session.execute(select(LocationRevision)).scalar_one()
    assert revision.version == 1 and revision.fields["partner"] == "Latgale Child Rights Centre"
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "location.created")).scalar_one()
    assert event.actor_id == expert.id
    entry = db.session.execute(select(SearchEntry).where(SearchEntry.kind == "location")).scalar_one()
    assert "Latgale Child Rights Centre" in entry.body
    page = _text(expert_client.get(response.headers["Location"]))
    assert "Daugavpils" in page and "Step-free entrance" in page and "Schengen visa needed" in page
    assert "Travel burden for the group" in page


def test_bad_input_is_refused_beside_its_field_and_kept(expert_client):
    response = expert_client.post("/locations/new", data=location_form(cost_per_participant="-5"))
    assert response.status_code == 422
    assert 'value="Latgale Child Rights Centre"' in _text(response)
    response = expert_client.post("/locations/new", data=location_form(longitude=""))
    assert response.status_code == 422
    assert "Give both the latitude and the longitude" in _text(response)
    response = expert_client.post("/locations/new", data=location_form(latitude="200"))
    assert response.status_code == 422
    response = expert_client.post("/locations/new", data=location_form(country="ZZ"))
    assert response.status_code == 422
    response = expert_client.post("/locations/new", data=location_form(**{"visa-RU": "x" * 501}))
    assert response.status_code == 422
    assert db.session.execute(select(Location)).first() is None


def test_the_same_city_twice_is_refused(expert_client):
    assert expert_client.post("/locations/new", data=location_form()).status_code == 303
    response = expert_client.post("/locations/new", data=location_form(city="daugavpils"))
    assert response.status_code == 409
    assert "candidate already" in _text(response)


def test_an_edit_saves_a_new_version_and_the_history_names_what_changed(expert_client):
    location = make_location(cost_per_participant=400)
    page = _text(expert_client.get(f"/locations/{location.id}/edit"))
    assert 'name="version" value="1"' in page
    form = location_form(city="Riga", latitude="", longitude="", cost_per_participant="350", version="1")
    response = expert_client.post(f"/locations/{location.id}/edit", data=form)
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Location, location.id)
    assert saved.version == 2 and saved.cost_per_participant == 350
    changes = locations.history(saved)
    assert [c.version for c in changes] == [2, 1]
    assert "cost_per_participant" in changes[0].fields and "city" not in changes[0].fields
    page = _text(expert_client.get(f"/locations/{location.id}"))
    assert "Version 2" in page and "Estimated cost per participant (euros)" in page


def test_a_stale_edit_is_refused_with_both_versions_shown(expert_client, client_for):
    location = make_location(partner="First partner")
    other = client_for(make_user())
    mine = location_form(city="Riga", latitude="", longitude="", partner="My partner", version="1")
    theirs = location_form(city="Riga", latitude="", longitude="", partner="Their partner", version="1")
    assert other.post(f"/locations/{location.id}/edit", data=theirs).status_code == 303
    response = expert_client.post(f"/locations/{location.id}/edit", data=mine)
    assert response.status_code == 409
    page = _text(response)
    assert 'value="My partner"' in page  # what I typed is kept
    assert "Their partner" in page  # and the record as saved now is shown
    assert 'name="version" value="2"' in page  # saving again is a knowing overwrite
    db.session.expire_all()
    assert db.session.get(Location, location.id).partner == "Their partner"


def test_signed_out_visitors_cannot_read_or_change_locations(client):
    location = make_location()
    for method, url in (
        ("get", "/locations"),
        ("get", f"/locations/{location.id}"),
        ("get", "/locations/new"),
        ("post", "/locations/new"),
        ("post", f"/locations/{location.id}/edit"),
    ):
        response = getattr(client, method)(url, data=location_form(version="1"))
        assert response.status_code in (302, 303, 401), f"{method} {url}"
        assert "/locations" not in response.headers.get("Location", "/locations")[:10]
    db.session.expire_all()
    assert db.session.get(Location, location.id).version == 1
    assert db.session.execute(select(Location).where(Location.city == "Daugavpils")).first() is None


def test_an_inactive_member_is_refused(client_for):
    location = make_location()
    ghost = make_user(active=True)
    signed = client_for(ghost)
    ghost.active = False
    db.session.commit()
    response = signed.post(f"/locations/{location.id}/edit", data=location_form(version="1"))
    assert response.status_code in (302, 303, 401, 403)
    db.session.expire_all()
    assert db.session.get(Location, location.id).city == "Riga"


def test_unknown_locations_are_404(expert_client):
    assert expert_client.get("/locations/999999").status_code == 404
    assert expert_client.post("/locations/999999/edit", data=location_form(version="1")).status_code == 404


def test_the_burden_counts_the_members_of_each_country(expert_client):
    for country in ("LV", "LV", "IS"):
        make_user(country=country)
    location = make_location()
    burden = locations.burden_of(location)
    by_country = {row.country: row for row in burden.rows}
    assert by_country["LV"].members == 2 and by_country["IS"].members == 1
    assert burden.heaviest.country == "IS"
    page = _text(expert_client.get(f"/locations/{location.id}"))
    assert "Iceland" in page and "by air" in page
    listing = _text(expert_client.get("/locations"))
    assert "Riga, Latvia" in listing and "Iceland" in listing


# Polls whose options are location records --------------------------------------------------------------------


def test_poll_options_chosen_from_locations_link_back_from_the_results(moderator_client, moderator):
    riga = make_location(city="Riga", venue="Radisson Blu Latvija")
    tartu = make_location(city="Tartu", country="EE")
    page = _text(moderator_client.get("/polls/new"))
    assert f'<option value="{riga.id}">Riga, Latvia</option>' in page
    form = new_poll_form(
        **{
            "options-0-city": "",
            "options-0-location": str(riga.id),
            "options-0-venue_notes": "",
            "options-1-city": "",
            "options-1-location": str(tartu.id),
            "options-2-city": "Vilnius",
        }
    )
    response = moderator_client.post("/polls/new", data=form)
    assert response.status_code == 303, _text(response)
    poll = db.session.execute(select(Poll)).scalar_one()
    options = db.session.execute(select(PollOption).order_by(PollOption.position)).scalars().all()
    assert [(o.city, o.country, o.location_id) for o in options] == [
        ("Riga", "LV", riga.id),
        ("Tartu", "EE", tartu.id),
        ("Vilnius", "LT", None),
    ]
    assert "Radisson Blu Latvija" in options[0].venue_notes
    voter = make_user()
    poll = db.session.get(Poll, poll.id)
    poll.opens_at = utcnow() - timedelta(hours=1)  # the form's poll opens in 2030
    db.session.commit()
    cast(poll, voter, "Tartu")
    close_now(poll)
    results = _text(moderator_client.get(f"/polls/{poll.id}/results"))
    assert f'href="/locations/{tartu.id}">Tartu, Estonia</a>' in results
    assert f'href="/locations/{riga.id}">Riga, Latvia</a>' in results


def test_an_unknown_location_record_is_refused(moderator_client):
    form = new_poll_form(**{"options-0-city": "", "options-0-location": "987654"})
    response = moderator_client.post("/polls/new", data=form)
    assert response.status_code == 422
    assert "no longer exists" in _text(response)
    form = new_poll_form(**{"options-0-city": "", "options-0-location": "abc"})
    assert moderator_client.post("/polls/new", data=form).status_code == 422
    assert db.session.execute(select(Poll)).first() is None


# A single transferable vote, end to end ------------------------------------------------------------------------

CITIES = ("Riga", "Tallinn", "Vilnius", "Helsinki", "Stockholm", "Oslo", "Copenhagen", "Gdańsk")


def test_the_seats_must_be_fewer_than_the_candidates(moderator_client):
    response = moderator_client.post("/polls/new", data=new_poll_form(method="stv", seats="2"))
    assert response.status_code == 422  # two candidates in the form: at most 1 seat
    assert "fewer than the 2 candidates" in _text(response)
    response = moderator_client.post("/polls/new", data=new_poll_form(method="stv", seats="0"))
    assert response.status_code == 422
    assert moderator_client.post("/polls/new", data=new_poll_form(method="stv", seats="1")).status_code == 303
    assert db.session.execute(select(Poll.seats)).scalar_one() == 1


def test_seats_are_ignored_for_other_methods(moderator_client):
    assert moderator_client.post("/polls/new", data=new_poll_form(method="irv", seats="5")).status_code == 303
    assert db.session.execute(select(Poll.seats)).scalar_one() == 1


@pytest.mark.parametrize("secret", [True, False])
def test_an_stv_poll_elects_three_of_eight_with_every_round_shown(moderator_client, moderator, secret):
    poll = make_poll(moderator, method="stv", cities=CITIES, secret=secret)
    poll.seats = 3
    db.session.commit()
    rankings = (
        [("Riga", "Tallinn")] * 5
        + [("Tallinn", "Riga")] * 2
        + [("Vilnius", "Riga")] * 2
        + [("Helsinki", "Stockholm")] * 3
        + [("Stockholm",)] * 1
        + [("Gdańsk", "Vilnius")] * 1
        + [("Oslo", "Copenhagen", "Stockholm")] * 1
    )
    for ranking in rankings:
        cast(poll, make_user(), *ranking)
    close_now(poll)
    page = _text(moderator_client.get(f"/polls/{poll.id}/results"))
    assert "Elected, 3 seats:" in page
    assert "Quota (Droop): 4 votes of 15 ballots." in page  # 15 // 4 + 1
    assert "Round by round" in page and "surplus transferred" in page and "excluded" in page
    assert "Schulze" not in page
    assert 'class="stv-chart__quota"' in page
    tally = services.tally_poll(services.get_poll(poll.id))
    labels = [tally.label(oid) for oid in tally.winners]
    assert labels[0] == "Riga, Latvia"
    assert set(labels) == {"Riga, Latvia", "Helsinki, Finland", "Tallinn, Estonia"}
    exported = moderator_client.get(f"/polls/{poll.id}/results.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Seats", "3"] in rows and ["Quota (Droop)", "4"] in rows
    assert rows[[r[:1] for r in rows].index(["Elected"])][1:] == labels
    header = next(r for r in rows if r[:1] == ["Round"] and "Non-transferable" in r)
    rounds = [r for r in rows[rows.index(header) + 1 :] if r and r[0].isdigit()]
    assert len(rounds) == len(tally.stv.rounds)
    assert rounds[0][1] == "5.000000"  # Riga's first preferences, exact to six places
    summary = _text(moderator_client.get(f"/polls/{poll.id}"))
    assert "Elected, 3 seats:" in summary


def test_the_ballot_of_an_stv_poll_says_how_many_it_chooses(expert_client, moderator):
    poll = make_poll(moderator, method="stv", cities=CITIES)
    poll.seats = 3
    db.session.commit()
    page = _text(expert_client.get(f"/polls/{poll.id}"))
    assert "This vote chooses 3 locations." in page
    assert "Cast my ballot" in page


def test_figures_follow_the_readers_language(client_for):
    reader = make_user(country="IS")
    reader.language = "de"
    db.session.commit()
    location = make_location(cost_per_participant=1250)
    page = _text(client_for(reader).get(f"/locations/{location.id}"))
    assert "1.250" in page  # German groups thousands with a dot
    hours = locations.burden_of(location).rows[0].hours
    assert f"{hours}".replace(".", ",") in page
