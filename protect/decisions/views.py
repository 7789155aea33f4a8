"""The decision log over HTTP: full pages for plain browsers, the changed block for htmx.

The log's filter form works as a plain GET form; with htmx every change re-renders only the results and the
server names the canonical URL of the filtered view (``HX-Push-Url``), so the address bar always holds a link
that opens the same view for anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from protect.agendas.models import TrainingEvent
from protect.auth import services as auth_services
from protect.core.diff import word_diff
from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, render_fragment
from protect.core.inputs import parse_int
from protect.core.pagecache import cached_page
from protect.core.permissions import can, require, role_required
from protect.core.timefmt import from_zone, to_zone, viewer_zone
from protect.decisions import actions, basis, exports, log, meetings, rules, services
from protect.decisions.forms import (
    ActionFilterForm,
    ActionForm,
    DecisionForm,
    EditDecisionForm,
    EditMeetingForm,
    FilterForm,
    MeetingForm,
    StatusForm,
)
from protect.decisions.models import ActionItem, Decision, Meeting
from protect.extensions import db
from protect.guidelines.models import SectionRevision
from protect.polls.models import Poll

bp = Blueprint("decisions", __name__, url_prefix="/decisions")
LOG = "decisions/log.html"
PAGE = "decisions/decision.html"
ACTIONS = "decisions/_actions.html"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "dm": current_app.jinja_env.get_template("decisions/_macros.html").module,
        "STATUSES": rules.STATUSES,
        "today": services.today_for(current_user),
        "link_to": _link_to,
        "revision_label": services.revision_label,
        "urls_by_id": urls_by_id,
    }


_SENTINEL = 987_654_321


def urls_by_id(endpoint: str, key: str) -> Callable[[int], str]:
    """``url_for(endpoint, **{key: n})`` for the many ids of a list, routed once: the URL of a sentinel id,
    with each id in its place (an ``int`` route writes the number as it is)."""
    prefix, _, suffix = url_for(endpoint, **{key: _SENTINEL}).rpartition(str(_SENTINEL))
    return lambda number: f"{prefix}{int(number)}{suffix}"


def _link_to(endpoint: str, **values: Any) -> str | None:
    """The URL of another feature's page, or None while that feature does not offer it."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.errorhandler(LookupError)
def _not_here(_error: LookupError) -> Response:
    db.session.rollback()
    return error_response(404, gettext("There is no such decision, meeting or action. It may have been removed."))


def _decision_or_404(decision_id: int) -> Decision:
    decision = services.load_decision(decision_id)
    if decision is None:
        abort(404, gettext("There is no such decision."))
    return decision


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = meetings.load_meeting(meeting_id)
    if meeting is None:
        abort(404, gettext("There is no such meeting."))
    return meeting


def _notice(message: str, kind: str = "success") -> str:
    """A message for the page's alert area, sent along with an htmx fragment (an ``<hx-partial>``)."""
    return render_template("decisions/_notice.html", message=message, kind=kind)


def _with_notice(response: Response, message: str) -> Response:
    response.set_data(response.get_data(as_text=True) + _notice(message))
    return response


# The log ------------------------------------------------------------------------------------------------------


def _filter_form(log_filter: log.LogFilter, tags: list[str]) -> FilterForm:
    form = FilterForm(formdata=None)
    form.setup(meetings.meeting_choices(keep=log_filter.meeting_id), tags)
    form.q.data = log_filter.q
    form.status.data = log_filter.status or ""
    # A link's owner id shows as the owner's name: sent back, the exact name keeps to that person.
    owner = log.owner_name(log_filter.owner_id) if log_filter.owner_id else None
    form.owner.data = owner or (str(log_filter.owner_id) if log_filter.owner_id else log_filter.owner_name)
    form.meeting.data = str(log_filter.meeting_id or "")
    chosen = log_filter.tag or ""
    form.tag.data = next((tag for tag in tags if rules.fold(tag) == rules.fold(chosen)), chosen)
    if chosen and form.tag.data not in tags:
        form.tag.choices.append(form.tag.choices[0].__class__(chosen, chosen))
    form.due_before.data = (
        request.args.get("due_before", "")
        if log_filter.problems
        else (log_filter.due_before.isoformat() if log_filter.due_before else "")
    )
    for name, message in log_filter.problems.items():
        form[name].errors = [message]
    return form


@bp.get("/")
@role_required("expert")
@cached_page("decisions")
def list_decisions():
    log_filter = log.parse_filter(request.args)
    page = log.log_page(log_filter)
    status = 422 if log_filter.problems else 200
    context: dict[str, Any] = {"log": page, "filter": log_filter}
    # htmx restoring history after Back wants the whole page (it swaps the body); other htmx requests the results.
    if is_htmx() and request.headers.get("HX-History-Restore-Request") != "true":
        response = render_fragment(LOG, "results", status=status, **context)
        response.headers["HX-Push-Url"] = url_for("decisions.list_decisions", **log_filter.params())
        return response
    tags = log.tag_choices()
    context["form"] = _filter_form(log_filter, tags)
    context["may_propose"] = can(current_user, "decisions.propose")
    response = make_response(render_template(LOG, **context), status)
    response.vary.add("HX-Request")
    return response


def _export_filter() -> log.LogFilter:
    log_filter = log.parse_filter(request.args)
    if log_filter.problems:
        abort(422, next(iter(log_filter.problems.values())))
    return log_filter


def _download(body: str | bytes, mimetype: str, extension: str) -> Response:
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = (
        f'attachment; filename="decision-log-{services.today_for(current_user).isoformat()}.{extension}"'
    )
    return response


@bp.get("/export.csv")
@role_required("expert")
def export_csv():
    log_filter = _export_filter()
    decisions = log.export_decisions(log_filter)
    return _download(exports.decisions_csv(decisions, _absolute), "text/csv", "csv")


@bp.get("/export.md")
@role_required("expert")
def export_markdown():
    log_filter = _export_filter()
    decisions = log.export_decisions(log_filter)
    body = exports.decisions_markdown(decisions, _absolute, exports.describe_filter(log_filter, _names(log_filter)))
    return _download(body, "text/markdown", "md")


@bp.get("/calendar.ics")
@role_required("expert")
def calendar():
    log_filter = _export_filter()
    decisions = log.export_decisions(log_filter)
    due = log.open_actions_with_due_dates(None if not log_filter.active else [d.id for d in decisions])
    return _download(exports.due_calendar(decisions, due, _absolute), "text/calendar", "ics")


def _absolute(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _names(log_filter: log.LogFilter) -> dict[str, str]:
    names: dict[str, str] = {}
    if log_filter.owner_id:
        names["owner"] = log.owner_name(log_filter.owner_id) or f"#{log_filter.owner_id}"
    elif log_filter.owner_name:
        names["owner"] = f"“{log_filter.owner_name}”"
    if log_filter.meeting_id:
        meeting = db.session.get(Meeting, log_filter.meeting_id)
        names["meeting"] = meeting.title if meeting else f"#{log_filter.meeting_id}"
    return names


# A decision ---------------------------------------------------------------------------------------------------


def _events(keep: int | None = None) -> list[Any]:
    return services.event_choices(keep=parse_int(request.values.get("event_id")) or keep)


def _decision_form(
    form_class: type[DecisionForm] = DecisionForm, keep_meeting: int | None = None, **kwargs: Any
) -> DecisionForm:
    """The form, its meetings the latest ones and the one chosen (sent back, linked to, or the decision's)."""
    keep = parse_int(request.values.get("meeting_id")) or keep_meeting
    choices = meetings.meeting_choices(keep=keep)
    decision = kwargs.get("obj")
    return form_class(**kwargs).setup(
        auth_services.active_members(), choices, _events(getattr(decision, "event_id", None))
    )


def _links(form: DecisionForm, decision: Decision | None = None) -> dict[str, Any] | None:
    """The poll and Guidelines revision the form links to (from the form, else the decision), for display."""
    poll_id = form.poll_id.data if form.poll_id.data not in (None, -1) else None
    revision_id = form.revision_id.data if form.revision_id.data not in (None, -1) else None
    if decision is not None:
        poll_id = poll_id or decision.poll_id
        revision_id = revision_id or decision.revision_id
    poll = db.session.get(Poll, poll_id) if poll_id else None
    revision = None
    if revision_id:
        revision = db.session.execute(
            select(SectionRevision)
            .options(joinedload(SectionRevision.section))
            .where(SectionRevision.id == revision_id)
        ).scalar_one_or_none()
    if poll is None and revision is None:
        return None
    # A new decision about a poll whose result is recorded already: the form names those and asks to confirm.
    recorded = services.decisions_recording(poll.id) if poll is not None and decision is None else []
    return {
        "poll": poll,
        "recorded": [(did, title) for did, title, _status in recorded],
        "revision": revision,
        "revision_label": services.revision_label(revision),
    }


def _form_page(form: DecisionForm, decision: Decision | None, status: int = 200, **extra: Any) -> Response:
    page = render_template(
        "decisions/decision_form.html",
        form=form,
        decision=decision,
        links=_links(form, decision),
        conflict=extra.pop("conflict", None),
        **extra,
    )
    return make_response(page, status)


@bp.route("/new", methods=["GET", "POST"])
@role_required("expert")
def new_decision():
    """Propose a decision. ``?meeting_id=``, ``?event_id=``, ``?revision_id=`` and ``?poll_id=`` pre-fill the
    form and link it; a closed poll's result pre-fills the text (moderators and administrators only)."""
    require("decisions.propose")
    form = _decision_form()
    prefill_note = None
    if request.method == "GET":
        meeting_id = request.args.get("meeting_id", type=int)
        event_id = request.args.get("event_id", type=int)
        revision_id = request.args.get("revision_id", type=int)
        poll_id = request.args.get("poll_id", type=int)
        if meeting_id and db.session.get(Meeting, meeting_id) is not None:
            form.meeting_id.data = meeting_id
        if event_id and db.session.get(TrainingEvent, event_id) is not None:
            form.event_id.data = event_id
        if request.args.get("revision_id") is not None:
            if revision_id is None or db.session.get(SectionRevision, revision_id) is None:
                abort(404, gettext("There is no such revision of the Guidelines."))
            form.revision_id.data = revision_id
        if request.args.get("poll_id") is not None:
            if poll_id is None:
                abort(404, gettext("There is no such poll."))
            prefill = services.poll_prefill(current_user, poll_id)
            for name in ("title", "text", "rationale", "tags", "poll_id"):
                form[name].data = prefill[name]
            prefill_note = gettext(
                "The result of the poll is filled in below. Check it, add the owner and the due date, then propose it."
            )
    if form.validate_on_submit():
        try:
            decision = services.propose_decision(
                current_user, form.values(), record_again=request.form.get("record_again") == "1"
            )
        except RuleViolation as error:
            db.session.rollback()
            _field_error(form, error, "title")
            return _form_page(form, None, error.status)
        flash(gettext("The decision “%(title)s” is proposed.", title=decision.title), "success")
        return redirect(url_for("decisions.show_decision", decision_id=decision.id), 303)
    status = 422 if request.method == "POST" else 200
    return _form_page(form, None, status, prefill_note=prefill_note)


def _field_error(form: Any, error: RuleViolation, default: str) -> None:
    name = error.field if error.field and error.field in form else default
    form[name].errors = [*form[name].errors, error.message]


def _status_context(decision: Decision, form: StatusForm | None = None, error: str | None = None) -> dict[str, Any]:
    may_set = can(current_user, "decisions.set_status", decision)
    allowed = rules.allowed_statuses(decision.status)
    if may_set and form is None:
        form = StatusForm(formdata=None)
    if may_set and form is not None:
        form.setup(allowed, services.superseding_choices(decision.id) if "superseded" in allowed else [])
    return {
        "decision": decision,
        "timeline": services.timeline(decision.id),
        "status_form": form if may_set and allowed else None,
        "allowed_statuses": allowed,
        "status_error": error,
    }


@bp.get("/<int:decision_id>")
@role_required("expert")
def show_decision(decision_id: int):
    decision = _decision_or_404(decision_id)
    people = auth_services.active_members()
    return render_template(
        PAGE,
        **_status_context(decision),
        **_actions_context(decision=decision, people=people),
        versions=services.version_count(decision.id),
        replaced=services.replaced_by_this(decision.id),
        may_edit=can(current_user, "decisions.edit", decision),
        bases=basis.bases_of(decision, url_for),
        describe_basis=basis.describe,
    )


@bp.post("/<int:decision_id>/status")
@role_required("moderator")
def set_status(decision_id: int):
    decision = _decision_or_404(decision_id)
    require("decisions.set_status", decision)
    form = StatusForm()
    # The choices are re-read below; WTForms' own choice check would refuse a status before the rules explain.
    form.status.choices = [(s, label) for s, label in rules.STATUSES.items()]
    form.superseded_by_id.choices = []
    wanted = request.form.get("status", "")
    if not form.validate_on_submit():
        return _status_response(decision, form, gettext("Please correct the marked field."), 422)
    try:
        services.change_status(current_user, decision.id, wanted, form.note.data or "", form.superseded_by_id.data)
    except RuleViolation as error:
        db.session.rollback()
        decision = _decision_or_404(decision_id)
        if error.field in ("note", "superseded_by_id"):
            form[error.field].errors = [error.message]
        return _status_response(decision, form, error.message, error.status)
    db.session.expire_all()
    decision = _decision_or_404(decision_id)
    message = gettext("The decision is now %(status)s.", status=rules.status_word(decision.status))
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("decisions.show_decision", decision_id=decision.id, _anchor="status"), 303)
    return _with_notice(render_fragment(PAGE, "status_panel", **_status_context(decision)), message)


def _status_response(decision: Decision, form: StatusForm, message: str, status: int) -> Response:
    """A refused status change: the panel again, with the message and what was chosen kept."""
    context = _status_context(decision, form, message)
    if is_htmx():
        return render_fragment(PAGE, "status_panel", status=status, **context)
    people = auth_services.active_members()
    page = render_template(
        PAGE,
        **context,
        **_actions_context(decision=decision, people=people),
        versions=services.version_count(decision.id),
        replaced=services.replaced_by_this(decision.id),
        may_edit=can(current_user, "decisions.edit", decision),
    )
    return make_response(page, status)


@bp.route("/<int:decision_id>/edit", methods=["GET", "POST"])
@role_required("expert")
def edit_decision(decision_id: int):
    decision = _decision_or_404(decision_id)
    require("decisions.edit", decision)
    form = _decision_form(EditDecisionForm, keep_meeting=decision.meeting_id, obj=decision)
    # The owner alone does not hand the decision on: the field shows who it is, and the rules refuse a change.
    owner_locked = None
    if not can(current_user, "decisions.reassign", decision):
        owner_locked = decision.owner.display_name if decision.owner is not None else gettext("Nobody yet")
    if request.method == "GET":
        form.tags.data = ", ".join(decision.tag_names)
        form.version.data = decision.version
    if form.validate_on_submit():
        try:
            services.edit_decision(current_user, decision.id, form.version.data, form.values())
        except services.DecisionConflict:
            db.session.rollback()
            current = _decision_or_404(decision_id)
            rows = _decision_conflict(form, current)
            form.version.data = current.version  # saving again now keeps this user's text
            return _form_page(form, current, 409, conflict=rows, owner_locked=owner_locked)
        except RuleViolation as error:
            db.session.rollback()
            _field_error(form, error, "title")
            return _form_page(form, decision, error.status, owner_locked=owner_locked)
        flash(gettext("The decision is saved. The earlier version is kept in its history."), "success")
        return redirect(url_for("decisions.show_decision", decision_id=decision.id), 303)
    status = 422 if request.method == "POST" else 200
    return _form_page(form, decision, status, owner_locked=owner_locked)


def _decision_conflict(form: DecisionForm, current: Decision) -> list[dict[str, Any]]:
    theirs = {
        "title": current.title,
        "text": current.text,
        "rationale": current.rationale,
        "tags": ", ".join(current.tag_names),
    }
    labels = {
        "title": gettext("Title"),
        "text": gettext("What was decided"),
        "rationale": gettext("Rationale"),
        "tags": gettext("Tags"),
    }
    rows = []
    for name, label in labels.items():
        mine = (form[name].data or "").replace("\r\n", "\n").strip()
        if mine != theirs[name]:
            rows.append({"label": label, "theirs": theirs[name], "segments": word_diff(theirs[name], mine).segments})
    return rows


FACT_LABELS = {
    "title": lazy_gettext("Title"),
    "tags": lazy_gettext("Tags"),
    "owner_id": lazy_gettext("Owner"),
    "due_on": lazy_gettext("Due date"),
    "meeting_id": lazy_gettext("Meeting"),
    "event_id": lazy_gettext("Training event"),
}
NONE_LABELS = {
    "tags": lazy_gettext("No tags"),
    "owner_id": lazy_gettext("Nobody"),
    "due_on": lazy_gettext("No due date"),
    "meeting_id": lazy_gettext("No meeting"),
    "event_id": lazy_gettext("No training event"),
}
TEXT_LABELS = {"text": lazy_gettext("What was decided"), "rationale": lazy_gettext("Rationale")}
GONE_LABELS = {
    "owner_id": lazy_gettext("a former member"),
    "meeting_id": lazy_gettext("a removed meeting"),
    "event_id": lazy_gettext("a removed event"),
}


def _fact_value(name: str, value: Any, names: dict[str, dict[int, str]]) -> Any:
    """A fact as a reader knows it: a name, a title, a date or a list of tags; never an id."""
    if value in (None, [], ""):
        return str(NONE_LABELS.get(name, "—"))
    if name == "tags":
        return ", ".join(value)
    if name in names:
        found = names[name].get(value)
        return str(GONE_LABELS[name]) if found is None else found
    return value


def _version_facts(version: Any, names: dict[str, dict[int, str]]) -> list[dict[str, Any]]:
    if not version.facts_known:
        return []
    return [
        {"label": str(FACT_LABELS[name]), "name": name, "value": _fact_value(name, getattr(version, name), names)}
        for name in services.FACT_FIELDS
    ]


def _version_changes(version: Any, previous: Any, names: dict[str, dict[int, str]]) -> dict[str, Any]:
    """What an edit changed: the title, tags and facts before | after, the long texts as word diffs."""
    rows = []
    for name in ("title", "tags", *services.FACT_FIELDS):
        if name in services.FACT_FIELDS and not (version.facts_known and previous.facts_known):
            continue
        old, new = getattr(previous, name), getattr(version, name)
        if old != new:
            rows.append(
                {
                    "label": str(FACT_LABELS[name]),
                    "name": name,
                    "before": _fact_value(name, old, names),
                    "after": _fact_value(name, new, names),
                }
            )
    texts = {
        name: word_diff(getattr(previous, name), getattr(version, name)).segments
        for name in TEXT_LABELS
        if getattr(previous, name) != getattr(version, name)
    }
    kinds = [row["label"].lower() for row in rows] + [str(TEXT_LABELS[name]).lower() for name in texts]
    return {"rows": rows, "texts": texts, "kinds": kinds, "facts_unknown": not previous.facts_known}


@bp.get("/<int:decision_id>/history")
@role_required("expert")
def history(decision_id: int):
    """The decision's kept versions, newest first and paged: what each edit changed, field by field."""
    decision = _decision_or_404(decision_id)
    page = services.history_page(decision.id, request.args.get("page", type=int) or 1)
    entries = [
        {
            "version": version,
            "facts": _version_facts(version, page.names),
            "changes": _version_changes(version, previous, page.names) if previous is not None else None,
        }
        for version, previous in page.pairs
    ]
    return render_template(
        "decisions/history.html",
        decision=decision,
        entries=entries,
        history=page,
        text_labels=TEXT_LABELS,
    )


# Actions ------------------------------------------------------------------------------------------------------


def _actions_context(
    *,
    decision: Decision | None = None,
    meeting: Meeting | None = None,
    people: list | None = None,
    form: ActionForm | None = None,
) -> dict[str, Any]:
    people = people if people is not None else auth_services.active_members()
    if form is None:
        form = ActionForm(formdata=None)
    form.setup(people)
    if decision is not None:
        rows = actions.actions_of(decision_id=decision.id)
        post_url = url_for("decisions.add_decision_action", decision_id=decision.id)
        parent_key = f"decision-{decision.id}"
    else:
        assert meeting is not None
        rows = actions.actions_of(meeting_id=meeting.id)
        post_url = url_for("decisions.add_meeting_action", meeting_id=meeting.id)
        parent_key = f"meeting-{meeting.id}"
    return {
        "actions": rows,
        "action_form": form,
        "action_post_url": post_url,
        "actions_key": parent_key,
        "may_add_action": can(current_user, "decisions.add_action"),
    }


def _add_action(decision: Decision | None, meeting: Meeting | None) -> Response:
    require("decisions.add_action")
    form = ActionForm()
    form.setup([])
    back = (
        url_for("decisions.show_decision", decision_id=decision.id, _anchor="actions")
        if decision
        else url_for("decisions.show_meeting", meeting_id=meeting.id, _anchor="actions")  # type: ignore[union-attr]
    )
    status = 422
    message = None
    if form.validate_on_submit():
        try:
            action = actions.add_action(
                current_user,
                what=form.what.data,
                owner_id=form.owner_id.data,
                due_on=form.due_on.data,
                decision_id=decision.id if decision else None,
                meeting_id=meeting.id if meeting else None,
            )
        except RuleViolation as error:
            db.session.rollback()
            _field_error(form, error, "what")
            status = error.status
        else:
            message = gettext("Action added: %(what)s", what=action.what)
            if not is_htmx():
                flash(message, "success")
                return redirect(back, 303)
            form = None  # a fresh, empty form for the next action
            status = 200
    if is_htmx():
        context = _actions_context(decision=decision, meeting=meeting, form=form)
        response = render_fragment(ACTIONS, "actions", status=status, **context)
        return _with_notice(response, message) if message else response
    # Without JavaScript: the page again, the form with its messages and what was typed.
    if decision is not None:
        return _status_response_page(decision, form, status)
    return _meeting_page(meeting, form, status)  # type: ignore[arg-type]


def _status_response_page(decision: Decision, form: ActionForm | None, status: int) -> Response:
    people = auth_services.active_members()
    page = render_template(
        PAGE,
        **_status_context(decision),
        **_actions_context(decision=decision, people=people, form=form),
        versions=services.version_count(decision.id),
        replaced=services.replaced_by_this(decision.id),
        may_edit=can(current_user, "decisions.edit", decision),
    )
    return make_response(page, status)


@bp.post("/<int:decision_id>/actions")
@role_required("expert")
def add_decision_action(decision_id: int):
    return _add_action(_decision_or_404(decision_id), None)


@bp.post("/meetings/<int:meeting_id>/actions")
@role_required("expert")
def add_meeting_action(meeting_id: int):
    return _add_action(None, _meeting_or_404(meeting_id))


def _action_or_404(action_id: int) -> ActionItem:
    action = actions.load_action(action_id)
    if action is None:
        abort(404, gettext("There is no such action. It may have been removed."))
    return action


def _action_back(action: ActionItem) -> str:
    if action.decision_id:
        return url_for("decisions.show_decision", decision_id=action.decision_id, _anchor=f"action-{action.id}")
    return url_for("decisions.show_meeting", meeting_id=action.meeting_id, _anchor=f"action-{action.id}")


@bp.post("/actions/<int:action_id>/done")
@role_required("expert")
def set_action_done(action_id: int):
    action = _action_or_404(action_id)
    require("decisions.update_action", action)
    done = request.form.get("done") == "1"
    actions.set_action_done(current_user, action.id, done)
    message = gettext("Done: %(what)s", what=action.what) if done else gettext("Reopened: %(what)s", what=action.what)
    if not is_htmx():
        flash(message, "success")
        return redirect(_action_back(action), 303)
    db.session.expire_all()
    action = _action_or_404(action_id)
    return _with_notice(render_fragment(ACTIONS, "action_row", action=action), message)


@bp.post("/actions/<int:action_id>/delete")
@role_required("expert")
def delete_action(action_id: int):
    action = _action_or_404(action_id)
    require("decisions.update_action", action)
    back = _action_back(action).split("#")[0] + "#actions"
    what = action.what
    actions.delete_action(current_user, action.id)
    message = gettext("Removed the action “%(what)s”.", what=what)
    if not is_htmx():
        flash(message, "success")
        return redirect(back, 303)
    return _with_notice(make_response(""), message)


# Meetings -----------------------------------------------------------------------------------------------------


@bp.get("/meetings/")
@role_required("expert")
def list_meetings():
    page = meetings.meetings_page(request.args.get("page", type=int) or 1)
    return render_template(
        "decisions/meetings.html",
        meetings=page.rows,
        listing=page,
        may_record=can(current_user, "decisions.record_meeting"),
    )


def _meeting_form(form_class: type[MeetingForm] = MeetingForm, **kwargs: Any) -> MeetingForm:
    return form_class(**kwargs).setup(auth_services.active_members())


def _meeting_values(form: MeetingForm) -> dict[str, Any]:
    starts_at = None
    if form.starts_on.data and form.starts_time.data:
        starts_at = from_zone(datetime.combine(form.starts_on.data, form.starts_time.data), form.time_zone.data)
    return {
        "title": form.title.data,
        "starts_at": starts_at,
        "time_zone": form.time_zone.data,
        "place": form.place.data,
        "online": form.online.data,
        "minutes": form.minutes.data,
        "attendee_ids": form.attendee_ids.data or [],
        "guests": form.guests.data,
    }


def _meeting_field(form: MeetingForm, error: RuleViolation) -> None:
    _field_error(form, error, "title")


@bp.route("/meetings/new", methods=["GET", "POST"])
@role_required("expert")
def new_meeting():
    require("decisions.record_meeting")
    form = _meeting_form()
    if request.method == "GET":
        form.time_zone.data = viewer_zone().key
        form.attendee_ids.data = [current_user.id]
    if form.validate_on_submit():
        try:
            meeting = meetings.record_meeting(current_user, _meeting_values(form))
        except RuleViolation as error:
            db.session.rollback()
            _meeting_field(form, error)
            return render_template("decisions/meeting_form.html", form=form, meeting=None, conflict=None), error.status
        flash(gettext("The meeting “%(title)s” is recorded.", title=meeting.title), "success")
        return redirect(url_for("decisions.show_meeting", meeting_id=meeting.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("decisions/meeting_form.html", form=form, meeting=None, conflict=None), status


def _meeting_page(meeting: Meeting, form: ActionForm | None = None, status: int = 200) -> Response:
    decisions, decision_total = meetings.decisions_of_meeting(meeting.id)
    page = render_template(
        "decisions/meeting.html",
        meeting=meeting,
        decisions=decisions,
        decision_total=decision_total,
        may_edit=can(current_user, "decisions.edit_meeting", meeting),
        may_propose=can(current_user, "decisions.propose"),
        **_actions_context(meeting=meeting, form=form),
    )
    return make_response(page, status)


@bp.get("/meetings/<int:meeting_id>")
@role_required("expert")
def show_meeting(meeting_id: int):
    return _meeting_page(_meeting_or_404(meeting_id))


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@role_required("expert")
def edit_meeting(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    require("decisions.edit_meeting", meeting)
    form = _meeting_form(EditMeetingForm, obj=meeting)
    if request.method == "GET":
        local = to_zone(meeting.starts_at, meeting.time_zone)
        form.starts_on.data = local.date()
        form.starts_time.data = local.time().replace(tzinfo=None)
        form.attendee_ids.data = [a.user_id for a in meeting.attendees if a.user_id is not None]
        form.guests.data = meetings.guests_text(meeting)
        form.version.data = meeting.version
    if form.validate_on_submit():
        try:
            meetings.edit_meeting(current_user, meeting.id, form.version.data, _meeting_values(form))
        except meetings.MeetingConflict:
            db.session.rollback()
            current = _meeting_or_404(meeting_id)
            mine = (form.minutes.data or "").replace("\r\n", "\n").strip()
            rows = [
                {
                    "label": gettext("Minutes"),
                    "theirs": current.minutes,
                    "segments": word_diff(current.minutes, mine).segments,
                }
            ]
            if " ".join((form.title.data or "").split()) != current.title:
                rows.insert(
                    0,
                    {
                        "label": gettext("Title"),
                        "theirs": current.title,
                        "segments": word_diff(current.title, form.title.data or "").segments,
                    },
                )
            form.version.data = current.version
            return render_template("decisions/meeting_form.html", form=form, meeting=current, conflict=rows), 409
        except RuleViolation as error:
            db.session.rollback()
            _meeting_field(form, error)
            return render_template(
                "decisions/meeting_form.html", form=form, meeting=meeting, conflict=None
            ), error.status
        flash(gettext("The meeting is saved."), "success")
        return redirect(url_for("decisions.show_meeting", meeting_id=meeting.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("decisions/meeting_form.html", form=form, meeting=meeting, conflict=None), status


# The actions list ---------------------------------------------------------------------------------------------
# Its own section of the site (/actions), so that the navigation marks it apart from the decision log.

actions_bp = Blueprint("actions", __name__, url_prefix="/actions")
actions_bp.context_processor(_helpers)
actions_bp.register_error_handler(LookupError, _not_here)
ACTIONS_PAGE = "decisions/actions.html"


def _action_filter_form(action_filter: actions.ActionFilter, mine: bool) -> ActionFilterForm:
    form = ActionFilterForm(formdata=None)
    form.setup(auth_services.active_members(), meetings.meeting_choices(keep=action_filter.meeting_id))
    form.owner.data = str(action_filter.owner_id or "")
    form.state.data = action_filter.state or ""
    form.overdue.data = action_filter.overdue
    form.meeting.data = str(action_filter.meeting_id or "")
    if mine:  # "My actions" are the member's own open ones: those two filters are not theirs to change here
        del form.owner
        del form.state
    return form


def _actions_list(action_filter: actions.ActionFilter, mine: bool, endpoint: str) -> Response:
    today = services.today_for(current_user)
    listing = actions.actions_page(action_filter, today)

    def own_params(**changes: Any) -> dict[str, Any]:
        params = action_filter.params(**changes)
        if mine:  # the filters the page holds by itself stay out of its own address
            params.pop("owner", None)
            params.pop("state", None)
        return params

    list_params = own_params()
    context: dict[str, Any] = {
        "listing": listing,
        "filter": action_filter,
        "mine": mine,
        "endpoint": endpoint,
        "page_url": lambda number: url_for(endpoint, **own_params(page=number)),
        "export_params": action_filter.params(page=None),
        "calendar_max": actions.ACTIONS_CALENDAR_MAX,
    }
    if is_htmx() and request.headers.get("HX-History-Restore-Request") != "true":
        response = render_fragment(ACTIONS_PAGE, "results", **context)
        response.headers["HX-Push-Url"] = url_for(endpoint, **list_params)
        return response
    context["form"] = _action_filter_form(action_filter, mine)
    response = make_response(render_template(ACTIONS_PAGE, **context))
    response.vary.add("HX-Request")
    return response


@actions_bp.get("/")
@role_required("expert")
def list_actions():
    """Every action, filtered by owner, state, overdue and meeting: open ones first, soonest due first."""
    return _actions_list(actions.parse_action_filter(request.args), False, "actions.list_actions")


@actions_bp.get("/mine")
@role_required("expert")
def my_actions():
    """The signed-in member's open actions, the overdue ones first."""
    action_filter = actions.parse_action_filter(request.args)
    action_filter.owner_id = current_user.id
    action_filter.state = "open"
    return _actions_list(action_filter, True, "actions.my_actions")


def _actions_download(body: str | bytes, mimetype: str, extension: str) -> Response:
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = (
        f'attachment; filename="actions-{services.today_for(current_user).isoformat()}.{extension}"'
    )
    return response


@actions_bp.get("/export.csv")
@role_required("expert")
def export_actions_csv():
    today = services.today_for(current_user)
    rows = actions.export_actions(actions.parse_action_filter(request.args), today)
    return _actions_download(exports.actions_csv(rows, _absolute, today), "text/csv", "csv")


@actions_bp.get("/calendar.ics")
@role_required("expert")
def export_actions_calendar():
    today = services.today_for(current_user)
    rows = actions.export_actions(actions.parse_action_filter(request.args), today, calendar=True)
    return _actions_download(exports.actions_calendar(rows, _absolute), "text/calendar", "ics")
