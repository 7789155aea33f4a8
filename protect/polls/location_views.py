"""Candidate locations: the list, a location's page (facts, travel burden, history), adding and editing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_login import current_user

from protect.core.errors import RuleViolation
from protect.core.htmx import redirect_or_hx
from protect.core.inputs import parse_int
from protect.core.permissions import role_required
from protect.core.regions import country_name
from protect.extensions import db
from protect.polls import locations, travel
from protect.polls.location_forms import LocationForm
from protect.polls.locations import GROUP_COUNTRIES, Location, LocationData

bp = Blueprint("locations", __name__, url_prefix="/locations")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "country_name": country_name,
        "group_countries": GROUP_COUNTRIES,
        "travel": travel,
        "number": format_decimal,
    }


def _location_or_404(location_id: int) -> Location:
    location = locations.get_location(location_id)
    if location is None:
        abort(404, gettext("There is no such candidate location. It may have been removed, or the link is mistyped."))
    return location


@bp.get("")
@role_required("expert")
def list_locations():
    group = locations.members_by_country()
    rows = [(location, locations.burden_of(location, group)) for location in locations.all_locations()]
    return render_template("polls/locations.html", rows=rows)


@bp.get("/<int:location_id>")
@role_required("expert")
def show_location(location_id: int):
    location = _location_or_404(location_id)
    labels = _field_labels()
    return render_template(
        "polls/location.html",
        location=location,
        burden=locations.burden_of(location),
        history=[(change, ", ".join(labels[name] for name in change.fields)) for change in locations.history(location)],
    )


def _data(form: LocationForm) -> LocationData:
    return LocationData(
        city=form.city.data or "",
        country=form.country.data or "",
        venue=form.venue.data or "",
        nearest_hub=form.nearest_hub.data or "",
        latitude=form.latitude.data,
        longitude=form.longitude.data,
        accessibility=form.accessibility.data or "",
        visa_notes={code: form.visa[code].data or "" for code in GROUP_COUNTRIES},
        cost_per_participant=form.cost_per_participant.data,
        partner=form.partner.data or "",
        description=form.description.data or "",
    )


def _form_page(form: LocationForm, location: Location | None, status: int, saved: Location | None = None):
    return render_template("polls/location_form.html", form=form, location=location, saved=saved), status


def _attach(form: LocationForm, error: RuleViolation) -> None:
    target = form._fields.get(error.field or "")
    if target is None or error.field == "version":
        form.form_error = error.message  # type: ignore[attr-defined]
    else:
        target.errors = [*target.errors, error.message]


@bp.route("/new", methods=["GET", "POST"])
@role_required("expert")
def new_location():
    form = LocationForm()
    if form.validate_on_submit():
        try:
            location = locations.create_location(current_user, _data(form))
        except RuleViolation as error:
            db.session.rollback()
            _attach(form, error)
            return _form_page(form, None, error.status)
        flash(gettext("The candidate location is saved."), "success")
        return redirect_or_hx(url_for("locations.show_location", location_id=location.id))
    return _form_page(form, None, 422 if request.method == "POST" else 200)


@bp.route("/<int:location_id>/edit", methods=["GET", "POST"])
@role_required("expert")
def edit_location(location_id: int):
    location = _location_or_404(location_id)
    if request.method == "GET":
        form = LocationForm(obj=location)
        for code in GROUP_COUNTRIES:
            form.visa[code].data = location.visa_notes.get(code, "")
        form.version.data = str(location.version)
        return _form_page(form, location, 200)
    form = LocationForm()
    if form.validate_on_submit():
        version = parse_int(form.version.data or "")
        try:
            locations.update_location(current_user, location.id, _data(form), -1 if version is None else version)
        except RuleViolation as error:
            db.session.rollback()
            _attach(form, error)
            saved = _location_or_404(location_id)
            if error.status == 409:
                form.version.data = str(saved.version)  # saving again overwrites, knowingly
            return _form_page(form, saved, error.status, saved=saved if error.status == 409 else None)
        flash(gettext("The candidate location is saved."), "success")
        return redirect_or_hx(url_for("locations.show_location", location_id=location.id))
    return _form_page(form, location, 422)


def _field_labels() -> dict[str, str]:
    form = LocationForm(formdata=None, meta={"csrf": False})
    labels = {name: str(form[name].label.text) for name in locations.FIELDS if name in form._fields}
    labels["visa_notes"] = str(form.visa.label.text)
    return labels
