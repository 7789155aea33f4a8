from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from jinja2_fragments.flask import render_blocks
from markupsafe import Markup

from protect.core.database import utcnow
from protect.core.errors import RuleViolation, error_response
from protect.core.forms import choices
from protect.core.htmx import is_htmx, redirect_or_hx, render_fragment
from protect.core.inputs import parse_int
from protect.core.pagecache import cached_page
from protect.core.permissions import has_role, role_required, rule
from protect.core.registry import panels_for
from protect.core.timefmt import format_datetime, from_zone, iso_utc, to_zone, viewer_zone
from protect.extensions import db
from protect.polls import quorum, services
from protect.polls.chart import bar_chart
from protect.polls.export import publication_csv, publication_data, tally_csv
from protect.polls.forms import CloseForm, ExtendForm, PollForm
from protect.polls.locations import all_locations
from protect.polls.models import OPTIONS_MAX, Poll
from protect.polls.services import LOCKED_AFTER_FIRST_BALLOT, OptionData, OwnBallot, PollData
from protect.polls.stv import rounds_chart, shown
from protect.polls.tally import METHOD_HOW_TO_VOTE, METHOD_LABELS, METHOD_RULES, join_names, percent_text

bp = Blueprint("polls", __name__, url_prefix="/polls")


def _strong_names(result, option_ids) -> Markup:
    """ "<strong>Riga, Latvia</strong> and <strong>Oslo, Norway</strong>": the locations named, each in bold,
    listed the way the interface's language lists names (one placeholder of a translated sentence)."""
    names = [str(Markup("<strong>%s</strong>") % result.label(oid)) for oid in option_ids]  # the labels escaped
    return Markup(join_names(names))  # noqa: S704 - escaped names joined by the locale's list pattern


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"strong_names": _strong_names, "percent_text": percent_text}


@rule("polls.manage")
def _may_manage(user: Any, _poll: Any) -> bool:
    return has_role(user, "moderator")


def _poll_or_404(poll_id: int) -> Poll:
    poll = services.get_poll(poll_id)
    if poll is None:
        abort(404, gettext("There is no such poll. It may have been removed, or the link is mistyped."))
    if request.method in ("GET", "HEAD"):
        # The first read after a secret poll's close seals its ballots (a cast attempt does it in its own
        # transaction; `flask seal-polls` from cron does it without either).
        poll = services.seal_if_due(poll)
    return poll


# Lists ------------------------------------------------------------------------------------------------------


@bp.get("")
def list_polls():
    listing = services.list_polls(current_user, page=parse_int(request.args.get("page"), minimum=1) or 1)

    def page_url(number: int) -> str:
        return url_for("polls.list_polls", page=number if number > 1 else None)

    return render_template(
        "polls/list.html", listing=listing, groups=listing.groups, page_url=page_url, zone=viewer_zone()
    )


# Creating and editing ---------------------------------------------------------------------------------------


def _local(value, zone: str):
    return to_zone(value, zone).replace(tzinfo=None)


def _new_form() -> PollForm:
    form = PollForm()
    if request.method == "GET":
        zone = current_user.time_zone or "Europe/Copenhagen"
        start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        form.time_zone.data = zone
        form.opens_local.data = _local(start, zone)
        form.closes_local.data = _local(start + timedelta(days=14), zone)
    return form


def _options_from(form: PollForm) -> list[OptionData]:
    return [
        OptionData(
            city=entry.city.data or "",
            country=entry.country.data,
            venue_notes=entry.venue_notes.data or "",
            proposed_from=entry.proposed_from.data,
            proposed_to=entry.proposed_to.data,
            location_id=_location_id(entry),
        )
        for entry in form.options
        if (entry.city.data or "").strip() or _location_id(entry) is not None
    ]


def _location_id(entry) -> int | None:
    """The candidate location record chosen for an option row (-1, which no record has, for a value that is not
    a number: the service refuses it)."""
    raw = (entry.location.data or "").strip()
    if not raw:
        return None
    number = parse_int(raw)
    return -1 if number is None else number


def _data_from(form: PollForm, poll: Poll | None = None, locked: bool = False) -> PollData:
    """The form as PollData; for a poll with ballots, the locked parts come from the poll itself."""
    if locked and poll is not None:
        return PollData(
            question=form.question.data or "",
            description=form.description.data or "",
            method=poll.method,
            opens_at=poll.opens_at,
            closes_at=poll.closes_at,
            time_zone=poll.time_zone,
            secret=poll.secret,
            live_results=bool(form.live_results.data),
            options=[
                OptionData(o.city, o.country, o.venue_notes, o.proposed_from, o.proposed_to, o.location_id)
                for o in poll.options
            ],
            seats=poll.seats,
            quorum_percent=poll.quorum_percent,
            quorum_countries=poll.quorum_countries,
        )
    zone = form.time_zone.data
    return PollData(
        question=form.question.data or "",
        description=form.description.data or "",
        method=form.method.data,
        opens_at=from_zone(form.opens_local.data, zone),
        closes_at=from_zone(form.closes_local.data, zone),
        time_zone=zone,
        secret=bool(form.secret.data),
        live_results=bool(form.live_results.data),
        options=_options_from(form),
        seats=(form.seats.data or 1) if form.method.data == "stv" else 1,
        quorum_percent=form.quorum_percent.data,
        quorum_countries=form.quorum_countries.data,
    )


def _attach_error(form: PollForm, error: RuleViolation) -> None:
    """Show a service's refusal beside its field (option problems beside the locations); one of no field of
    the form goes above it."""
    target = form._fields.get(error.field) if error.field else None
    if target is None:
        form.form_error = error.message  # type: ignore[attr-defined]
        return
    target.errors = [*target.errors, error.message]


def _form_page(form: PollForm, poll: Poll | None, locked: bool, status: int):
    records = choices(
        [("", gettext("None: the city typed above"))] + [(str(record.id), record.label) for record in all_locations()]
    )
    for entry in form.options:
        entry.location.choices = records
    return render_template(
        "polls/poll_form.html",
        form=form,
        poll=poll,
        locked=locked,
        locked_reason=gettext(LOCKED_AFTER_FIRST_BALLOT),
        method_rules=METHOD_RULES,
        method_labels=METHOD_LABELS,
        form_error=getattr(form, "form_error", None),
        options_max=OPTIONS_MAX,
    ), status


def _wants_more_rows(form: PollForm) -> bool:
    if "add_row" in request.form:
        if len(form.options) < OPTIONS_MAX:
            form.options.append_entry()
        return True
    return False


@bp.route("/new", methods=["GET", "POST"])
@role_required("moderator")
def new_poll():
    form = _new_form()
    if request.method == "POST" and _wants_more_rows(form):
        return _form_page(form, None, False, 200)
    if form.validate_on_submit():
        try:
            poll = services.create_poll(current_user, _data_from(form))
        except RuleViolation as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            flash(gettext("The poll is saved."), "success")
            return redirect_or_hx(url_for("polls.show_poll", poll_id=poll.id))
    return _form_page(form, None, False, 422 if request.method == "POST" else 200)


@bp.route("/<int:poll_id>/edit", methods=["GET", "POST"])
@role_required("moderator")
def edit_poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    locked = services.has_ballots(poll.id)
    if request.method == "GET":
        form = PollForm(obj=poll)
        form.opens_local.data = _local(poll.opens_at, poll.time_zone)
        form.closes_local.data = _local(poll.closes_at, poll.time_zone)
        while len(form.options):
            form.options.pop_entry()
        for option in poll.options:
            form.options.append_entry(option)
            form.options[-1].location.data = str(option.location_id) if option.location_id else ""
        if len(form.options) < OPTIONS_MAX:
            form.options.append_entry()  # a row for one more
        form.version.data = str(poll.version)
        return _form_page(form, poll, locked, 200)
    form = PollForm()
    # A form opened before the first ballot still carries the locked fields: they must not have changed.
    full_form = request.form.get("locked") != "1"
    if full_form and _wants_more_rows(form):
        return _form_page(form, poll, locked, 200)
    valid = form.validate_on_submit() if full_form else _valid_locked_form(form)
    if valid:
        version = parse_int(form.version.data or "")
        version = -1 if version is None else version
        try:
            services.update_poll(current_user, poll.id, _data_from(form, poll, locked=not full_form), version)
        except RuleViolation as error:
            db.session.rollback()
            poll = _poll_or_404(poll_id)
            _attach_error(form, error)
            return _form_page(form, poll, services.has_ballots(poll.id), error.status)
        flash(gettext("The poll is saved."), "success")
        return redirect_or_hx(url_for("polls.show_poll", poll_id=poll.id))
    return _form_page(form, poll, locked, 422)


def _valid_locked_form(form: PollForm) -> bool:
    """Validate only what can still change once ballots are cast."""
    results = [form._fields[name].validate(form) for name in ("csrf_token", "question", "description", "live_results")]
    return all(results)


@bp.post("/<int:poll_id>/extend")
@role_required("moderator")
def extend_poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    form = ExtendForm(prefix="extend")
    if form.validate_on_submit():
        try:
            closes_at = from_zone(form.closes_local.data, form.time_zone.data)
            services.extend_poll(current_user, poll.id, closes_at, form.reason.data)
        except RuleViolation as error:
            db.session.rollback()
            target = getattr(form, error.field or "reason", form.reason)
            target.errors = [*target.errors, error.message]
            return _poll_page(_poll_or_404(poll_id), error.status, extend_form=form)
        flash(gettext("The poll is extended; the reason is shown on the poll page."), "success")
        return redirect_or_hx(url_for("polls.show_poll", poll_id=poll.id))
    return _poll_page(poll, 422, extend_form=form)


@bp.post("/<int:poll_id>/close")
@role_required("moderator")
def close_poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    form = CloseForm(prefix="close")
    if form.validate_on_submit():
        try:
            services.close_poll_early(current_user, poll.id, form.reason.data)
        except RuleViolation as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error.message]
            return _poll_page(_poll_or_404(poll_id), error.status, close_form=form)
        flash(gettext("The poll is closed. The results are below."), "success")
        return redirect_or_hx(url_for("polls.results", poll_id=poll.id))
    return _poll_page(poll, 422, close_form=form)


# The poll page and the ballot -------------------------------------------------------------------------------


def _ballot_context(
    poll: Poll,
    mine: OwnBallot | None,
    *,
    editing: bool = False,
    draft: list[int] | None = None,
    error: str | None = None,
    announce: str = "",
    focus: str = "",
    just_cast: bool = False,
    checked: tuple[int, ...] | None = None,
    receipt_error: str | None = None,
) -> dict[str, Any]:
    status = poll.status()
    current = list(mine.choice()) if mine else []
    mode = "closed" if status == "closed" else "scheduled" if status == "scheduled" else "form"
    if mode == "form" and mine is not None and not editing and draft is None and error is None:
        mode = "receipt"
    if mode == "form" and mine is not None and not mine.linked:
        mode = "unlinked"  # they voted, and their ballot can no longer be found (the server's key changed)
    return {
        "poll": poll,
        "mine": mine,
        "mode": mode,
        "draft": draft if draft is not None else current,
        "options_by_id": {option.id: option for option in poll.options},
        "ballot_error": error,
        "announce": announce,
        "focus": focus,
        "just_cast": just_cast,
        "how_to_vote": METHOD_HOW_TO_VOTE[poll.method],
        "checked": checked,  # the content of the ballot whose receipt code was just checked
        "receipt_typed": request.form.get("receipt", "") if request.method == "POST" else "",
        "receipt_error": receipt_error,
    }


def _standing_context(poll: Poll) -> dict[str, Any]:
    numbers = services.turnout(poll)
    status = poll.status()
    return {
        "poll": poll,
        "poll_status": status,
        "turnout": numbers,
        "pulse_token": _pulse_token(poll, status),
        "results_visible": poll.results_visible(),
        # Only the counts (polls.quorum), and only for a poll that has a quorum: one query more.
        "quorum": quorum.progress(poll) if poll.quorum_percent or poll.quorum_countries else None,
    }


def _pulse_token(poll: Poll, status: str) -> str:
    return f"{poll.ballot_version}.{poll.version}.{status}"


def _poll_page(poll: Poll, status: int = 200, ballot: dict[str, Any] | None = None, **forms: Any):
    mine = services.own_ballot(poll, current_user)
    context: dict[str, Any] = {
        **_standing_context(poll),
        **(ballot or _ballot_context(poll, mine)),
        "changes": services.schedule_changes(poll),
        "method_rules": METHOD_RULES[poll.method],
        "extend_form": forms.get("extend_form") or _extend_form(poll),
        "close_form": forms.get("close_form") or CloseForm(prefix="close", formdata=None),
        "summary": None,
        "panels": panels_for("polls.poll", poll, current_user),
    }
    if poll.is_closed():
        context["summary"] = services.tally_poll(poll, numbers=context["turnout"])
    return render_template("polls/poll.html", **context), status


def _extend_form(poll: Poll) -> ExtendForm:
    form = ExtendForm(prefix="extend", formdata=None)
    form.time_zone.data = current_user.time_zone or poll.time_zone
    form.closes_local.data = _local(poll.closes_at + timedelta(days=7), form.time_zone.data)
    return form


@bp.get("/<int:poll_id>")
def show_poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    return _poll_page(poll)


@bp.get("/<int:poll_id>/ballot")
def ballot_form(poll_id: int):
    """The ballot form filled in with the voter's current ballot, to change it."""
    poll = _poll_or_404(poll_id)
    mine = services.own_ballot(poll, current_user)
    context = _ballot_context(poll, mine, editing=True, focus="first")
    if is_htmx():
        return render_fragment("polls/poll.html", "ballot", **context)
    return _poll_page(poll, ballot=context)


def _ballot_values(poll: Poll) -> list[int]:
    """The choice as option ids, from ``choice`` (pick, tick), ``ranking`` (ordered) or ``rank-ID`` fields."""
    if poll.ranked:
        ranks = {key: value for key, value in request.form.items() if key.startswith("rank-")}
        if ranks:
            parsed: dict[int, int] = {}
            for key, value in ranks.items():
                option, number = parse_int(key[5:]), (value or "").strip()
                rank = parse_int(number) if number else None
                if option is None or (number and rank is None):
                    raise RuleViolation(gettext("Ranks are whole numbers: 1, 2, 3…"), field="choice", status=422)
                if rank is not None:
                    parsed[option] = rank
            return services.ranks_to_order(parsed)
        return services.parse_choice(poll, request.form.getlist("ranking"))
    return services.parse_choice(poll, request.form.getlist("choice"))


def _ballot_response(poll: Poll, context: dict[str, Any], status: int):
    if is_htmx():
        return render_fragment("polls/poll.html", "ballot", status=status, **context)
    return _poll_page(poll, status, ballot=context)


@bp.post("/<int:poll_id>/ballot")
def cast(poll_id: int):
    poll = _poll_or_404(poll_id)
    try:
        choice = _ballot_values(poll)
        mine = services.cast_ballot(poll.id, current_user, choice)
    except RuleViolation as error:
        db.session.rollback()
        poll = _poll_or_404(poll_id)
        mine = services.own_ballot(poll, current_user)
        values = request.form.getlist("ranking" if poll.ranked else "choice")
        draft = [number for number in map(parse_int, values) if number is not None]
        draft = [oid for oid in dict.fromkeys(draft) if oid in {o.id for o in poll.options}]
        context = _ballot_context(poll, mine, draft=draft, error=error.message, focus="error")
        return _ballot_response(poll, context, error.status)
    changed = mine.revision > 1
    message = gettext("Your ballot is changed.") if changed else gettext("Your ballot is cast.")
    if is_htmx():
        # The receipt, and the turnout line that this ballot changed (swapped out of band by its id).
        context = _ballot_context(poll, mine, announce=message, focus="receipt", just_cast=True)
        standing = _standing_context(services.get_poll(poll.id) or poll)
        body = render_blocks("polls/poll.html", ["ballot", "standing"], **{**standing, **context}, oob=True)
        response = make_response(body)
        response.vary.add("HX-Request")
        return response
    flash(message, "success")
    return redirect_or_hx(url_for("polls.show_poll", poll_id=poll.id) + "#ballot")


@bp.post("/<int:poll_id>/receipt")
def check_receipt(poll_id: int):
    """Look up the ballot of a secret poll that has the receipt code typed: the voter sees the content that was
    counted, also after the close, without the server learning (or recording) whose ballot it is. A POST, so
    the code never appears in an address, a server's access log or the browser's history."""
    poll = _poll_or_404(poll_id)
    mine = services.own_ballot(poll, current_user)
    try:
        checked = services.check_receipt(poll, request.form.get("receipt", ""))
    except RuleViolation as error:
        if error.status == 404:
            abort(404, error.message)
        context = _ballot_context(poll, mine, receipt_error=error.message, focus="receipt-error")
        return _ballot_response(poll, context, error.status)
    context = _ballot_context(poll, mine, checked=checked, focus="checked")
    return _ballot_response(poll, context, 200)


@bp.post("/<int:poll_id>/ballot/arrange")
def arrange(poll_id: int):
    """One step of arranging a ranking (add, remove, move up or down). Nothing is stored until cast."""
    poll = _poll_or_404(poll_id)
    if not poll.ranked:
        abort(404, gettext("Only ranked polls have a ranking to arrange."))
    mine = services.own_ballot(poll, current_user)
    raw = request.form.getlist("ranking")
    try:
        ranking = services.parse_choice(poll, raw)
        ranking, moved, sentence = services.arrange(poll, ranking, request.form.get("move", ""))
    except RuleViolation as error:
        context = _ballot_context(poll, mine, draft=[], editing=True, error=error.message, focus="error")
        return _ballot_response(poll, context, error.status)
    action = request.form.get("move", "").partition(":")[0]
    focus = _focus_after(action, moved, ranking, poll)
    context = _ballot_context(poll, mine, draft=ranking, editing=True, announce=sentence, focus=focus)
    return _ballot_response(poll, context, 200)


def _focus_after(action: str, moved: int | None, ranking: list[int], poll: Poll) -> str:
    """Which button keeps the keyboard focus after a move: the moved option's same button, the next option
    to add after an add, the option's Add button after a removal."""
    if action in ("up", "down"):
        return f"{action}-{moved}"
    if action == "add":
        rest = [o.id for o in poll.options if o.id not in ranking]
        return f"add-{rest[0]}" if rest else f"up-{moved}"
    return f"add-{moved}"


@bp.get("/<int:poll_id>/pulse")
def pulse(poll_id: int):
    """The poll's turnout and status for the live part of the poll page: 204 while nothing changed."""
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        abort(404)
    poll = services.seal_if_due(poll)
    if request.args.get("v") == _pulse_token(poll, poll.status()):
        return Response(status=204)
    return render_fragment("polls/poll.html", "standing", **_standing_context(poll))


# Results ----------------------------------------------------------------------------------------------------


def _results_or_refuse(poll: Poll):
    if poll.results_visible():
        return None
    status = poll.status()
    when = format_datetime(poll.closes_at, current_user.time_zone)
    if status == "scheduled":
        message = gettext(
            "Voting has not started yet. The results are shown after the poll closes, %(when)s.", when=when
        )
    else:
        message = gettext(
            "The results of this poll are shown after it closes, %(when)s. Until then nobody can see them.", when=when
        )
    return error_response(403, message, gettext("Results not available yet"))


@bp.get("/<int:poll_id>/results")
@cached_page("polls", "decisions")
def results(poll_id: int):
    poll = _poll_or_404(poll_id)
    refused = _results_or_refuse(poll)
    if refused is not None:
        return refused
    return _results_page(poll)


def _results_page(poll: Poll, extend_form: ExtendForm | None = None, status: int = 200):
    """The results page; ``extend_form``: the unmet quorum's extension as the moderator sent it (with its
    messages), shown again with what they typed."""
    poll = services.seal_if_due(poll)
    numbers = services.turnout(poll)
    closed = poll.is_closed()
    published = None
    if poll.secret and closed:
        # A closed secret poll publishes its anonymised ballots, and the count shown is made from exactly them.
        published = services.published_ballots(poll)
        ballots, result = None, published.result
    else:
        # Who chose what is shown for an open ballot only: a secret poll's ballots are not even loaded before
        # the close (the count comes from the cache, or is made from plain tuples read for it).
        ballots = services.ballot_set(poll) if not poll.secret else None
        result = services.tally_poll(poll, ballots, numbers)
    return render_template(
        "polls/results.html",
        poll=poll,
        result=result,
        chart=bar_chart(result.rows),
        turnout=numbers,
        closed=closed,
        ballots=_ballot_rows(poll, ballots, result) if ballots is not None else [],
        method_rules=METHOD_RULES[poll.method],
        published=published,
        stv_chart=rounds_chart(result) if result.stv is not None else None,
        stv_decimal=shown,
        quorum=quorum.progress(poll) if poll.quorum_percent or poll.quorum_countries else None,
        quorum_extend_form=extend_form or (_extend_form(poll) if closed else None),
        location_links={
            o.id: url_for("locations.show_location", location_id=o.location_id) for o in poll.options if o.location_id
        },
        # What other features add (the decision log: the decisions recording this result, "Record as a
        # decision"): registered in core.registry, so the polls feature never imports them.
        panels=panels_for("polls.results", poll, current_user),
    ), status


@dataclass(frozen=True)
class BallotRow:
    """One line of "Who chose what", ready to show (an open ballot's results list every voter)."""

    voter: str | None
    choice: str
    cast_iso: str
    cast_text: str
    changed_iso: str  # empty unless the ballot was changed
    changed_text: str


def _ballot_rows(poll: Poll, ballots: services.BallotSet, result) -> list[BallotRow]:
    """The ballots formatted once in Python: hundreds of rows through the time and name macros are slow."""
    zone = viewer_zone()
    label = result.label
    rows = []
    for line in ballots.lines:
        if poll.ranked:
            choice = " · ".join(f"{place}. {label(oid)}" for place, oid in enumerate(line.marks, start=1))
        else:
            choice = " · ".join(label(oid) for oid in line.marks)
        changed = line.revision > 1
        rows.append(
            BallotRow(
                voter=line.voter.display_name if line.voter else None,
                choice=choice,
                cast_iso=iso_utc(line.cast_at),
                cast_text=format_datetime(line.cast_at, zone),
                changed_iso=iso_utc(line.changed_at) if changed else "",
                changed_text=format_datetime(line.changed_at, zone) if changed else "",
            )
        )
    return rows


@bp.post("/<int:poll_id>/advisory")
@role_required("moderator")
def record_advisory(poll_id: int):
    """Record the result of a closed poll whose quorum was not met as advisory (polls.quorum)."""
    poll = _poll_or_404(poll_id)
    try:
        quorum.record_advisory(current_user, poll.id)
    except RuleViolation as error:
        db.session.rollback()
        return error_response(error.status, error.message)
    flash(gettext("The result is recorded as advisory: the quorum was not met."), "success")
    return redirect_or_hx(url_for("polls.results", poll_id=poll.id))


@bp.post("/<int:poll_id>/quorum-extend")
@role_required("moderator")
def extend_unmet(poll_id: int):
    """Extend a closed poll whose quorum was not met: it opens again until the new close (polls.quorum)."""
    poll = _poll_or_404(poll_id)
    form = ExtendForm(prefix="extend")
    status = 422
    if form.validate_on_submit():
        try:
            closes_at = from_zone(form.closes_local.data, form.time_zone.data)
            services.extend_unmet(current_user, poll.id, closes_at, form.reason.data)
        except RuleViolation as error:
            db.session.rollback()
            field = form._fields.get(error.field or "")
            if field is None:
                return error_response(error.status, error.message)
            field.errors = [*field.errors, error.message]  # beside its field, with what was typed kept
            status = error.status
        else:
            flash(
                gettext("The poll is open again until its new close; the reason is shown on the poll page."), "success"
            )
            return redirect_or_hx(url_for("polls.show_poll", poll_id=poll.id))
    return _results_page(_poll_or_404(poll_id), form, status)


@bp.get("/<int:poll_id>/results.csv")
def results_csv(poll_id: int):
    poll = _poll_or_404(poll_id)
    refused = _results_or_refuse(poll)
    if refused is not None:
        return refused
    numbers = services.turnout(poll)
    ballots = services.ballot_set(poll) if not poll.secret else None
    result = services.tally_poll(poll, ballots, numbers)
    body = tally_csv(poll, result, numbers, poll.status(), ballots.lines if ballots is not None else [])
    response = make_response(body)
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-tally.csv"'
    return response


def _publication_or_refuse(poll_id: int) -> tuple[Poll, services.Publication]:
    """A closed secret poll's published ballots, sealing it first if nothing did yet; 403 before the close,
    404 for an open ballot (its results page lists every voter's choice)."""
    poll = _poll_or_404(poll_id)
    if not poll.secret:
        abort(404, gettext("This poll is an open ballot: its results page lists every voter's choice."))
    if not poll.is_closed():
        abort(403, gettext("The ballots of a secret poll are published after it closes."))
    poll = services.seal_if_due(poll)
    return poll, services.published_ballots(poll)


@bp.get("/<int:poll_id>/ballots.json")
def ballots_json(poll_id: int):
    """The anonymised ballots and the count made from them, for anyone in the group to recount."""
    poll, published = _publication_or_refuse(poll_id)
    response = jsonify(publication_data(poll, published, services.turnout(poll)))
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-ballots.json"'
    return response


@bp.get("/<int:poll_id>/ballots.csv")
def ballots_csv(poll_id: int):
    poll, published = _publication_or_refuse(poll_id)
    response = make_response(publication_csv(poll, published))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-ballots.csv"'
    return response
