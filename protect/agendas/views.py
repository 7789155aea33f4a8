"""Training events and their agendas over HTTP: pages for plain browsers, fragments for htmx.

The agenda page polls ``agenda_changes`` every 5 seconds. With every request that can re-render the days,
the page sends the editors it has open (``open_editor``: ``item-5:3`` = item 5, begun at version 3;
``new-1`` = a new item at the end of day 1; ``new-after-5:1`` = a new item after item 5 on day 1). The
re-rendered days hold an empty ``hx-preserve`` placeholder for each, so htmx moves the open editor, with
what the user typed and the focus, into the fresh list instead of replacing it; a notice beside it says
when the item changed or was deleted meanwhile.
"""

from __future__ import annotations

import re
from datetime import date, time
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
from flask_babel import format_number, get_locale, get_timezone, gettext, lazy_gettext, ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block, render_blocks
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from protect.agendas import services, timeplan
from protect.agendas.cache import days_cache
from protect.agendas.forms import EditItemForm, EventForm, FilterForm, ItemForm
from protect.agendas.ical import agenda_calendar
from protect.agendas.models import AUDIENCES, DAYS_MAX, EVENT_STATUSES, ITEM_KINDS, AgendaItem, TrainingEvent, label
from protect.agendas.presentation import (
    Conflict,
    ConflictRow,
    Editor,
    Entry,
    editing_by,
    event_layout,
    held_editors,
    item_text,
    slot_for,
)
from protect.auth import members
from protect.auth import services as auth_services
from protect.core.database import writing
from protect.core.diff import word_diff
from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, render_fragment, trigger
from protect.core.inputs import parse_int
from protect.core.pagecache import TOKEN_PLACEHOLDER, cached_page
from protect.core.permissions import can, require, role_required
from protect.core.regions import COUNTRIES
from protect.core.timefmt import long_date
from protect.extensions import db

bp = Blueprint("agendas", __name__, url_prefix="/events")
TEMPLATE = "agendas/event.html"


@bp.context_processor
def _agenda_helpers() -> dict[str, Any]:
    return {
        "ag": current_app.jinja_env.get_template("agendas/_macros.html").module,
        "ITEM_KINDS": ITEM_KINDS,
        "AUDIENCES": AUDIENCES,
        "EVENT_STATUSES": EVENT_STATUSES,
        "kind_label": _kind_label,
        "label_of": label,
        "audiences_text": _audiences_text,
        "clock": timeplan.format_clock,
        "duration": timeplan.format_minutes,
        # One token for every form of the page (``csrf_token()`` per form costs a call each).
        "form_token": generate_csrf(),
    }


def _kind_label(kind: str) -> str:
    return label(ITEM_KINDS, kind)


def _audiences_text(keys: list[str]) -> str:
    return ", ".join(label(AUDIENCES, key) for key in keys)


def _event_path(event_id: int) -> str:
    """The agenda page's path: the item URLs the agenda shows by the dozen are built from it in the template
    (``event_path ~ "/items/" ~ id ~ "/edit"``) rather than by ``url_for`` each."""
    return url_for("agendas.show_event", event_id=event_id)


@bp.before_request
def _keep_loaded_rows_after_commit() -> None:
    # A change commits, then the same request renders the result from the rows it has just locked and
    # written; reading them all back would only cost queries. Lists are always read afresh
    # (``populate_existing``), so nothing shown is older than the commit.
    db.session().expire_on_commit = False


@bp.errorhandler(LookupError)
def _not_here(_error: LookupError) -> Response:
    db.session.rollback()
    return error_response(404, gettext("There is no such item on this agenda. It may belong to another event."))


# Loading ------------------------------------------------------------------------------------------------------


def _event_or_404(event_id: int) -> TrainingEvent:
    event = db.session.execute(
        select(TrainingEvent)
        .options(joinedload(TrainingEvent.proposed_by))
        .where(TrainingEvent.id == event_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if event is None:
        abort(404, gettext("There is no such training event."))
    return event


def _item_or_404(event: TrainingEvent, item_id: int, *, deleted_too: bool = False) -> AgendaItem:
    item = db.session.execute(
        select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.event_id == event.id)
    ).scalar_one_or_none()
    if item is None:
        abort(404, gettext("There is no such item on this agenda. It may belong to another event."))
    if item.deleted_at is not None and not deleted_too:
        abort(410, gettext("“%(title)s” has been deleted. Its history page can restore it.", title=item.title))
    return item


def _agenda_context(
    event: TrainingEvent,
    *,
    editors: dict[str, Editor] | None = None,
    held: dict[str, int | None] | None = None,
    presence: list[services.Presence] | None = None,
    notice: dict[str, Any] | None = None,
    focus: str | None = None,
    since: int | None = None,
) -> dict[str, Any]:
    # The version first, the items after: a change committed in between makes the next poll fetch again,
    # never miss it.
    if since is None:
        since = event.agenda_version
    held = held or {}
    editors = editors or {}
    if presence is None:
        presence = services.live_presence(event.id, current_user.id)
    context = {
        "event": event,
        "event_path": _event_path(event.id),
        "since": since,
        "presence_token": services.presence_token(presence),
        "editing_by": editing_by(presence),
        "layout": None,
        "days_html": None,
        "may_edit": can(current_user, "agendas.edit_agenda", event),
        "notice": notice,
        "focus": focus,
        "held": held,
    }
    if not editors and not held and focus is None:
        context["days_html"] = _days_html(event, presence, context)
    else:
        context["layout"] = event_layout(event, editors, held)
    return context


def _days_html(event: TrainingEvent, presence: list[services.Presence], context: dict[str, Any]) -> Markup:
    """The agenda's days (the ``days`` block) with no editor open: rendered once per state of the agenda and
    shared by every viewer who sees the same, with this viewer's CSRF token put in.

    The key holds everything the days show: the event (its versions, dates, hours and number of days; the
    ``created_at`` tells a re-created database's event 1 from the old one), every current item's version and
    responsible person's name (``agenda_fingerprint``: the one query of a cache hit), the members' names (the
    notes' mentions show them as they are now), who else is editing which item, and whether the viewer may
    edit. Every change to the agenda raises the versions, so a changed agenda is a new key and is rendered
    afresh; no entry is ever shown for a state that has moved on."""
    key = (
        event.id,
        event.created_at,
        event.version,
        event.agenda_version,
        event.days,
        event.first_day,
        event.day_start,
        event.day_end,
        context["may_edit"],
        request.script_root,
        tuple(presence),
        services.agenda_fingerprint(event.id),
        members.names_version(),  # the notes' @mentions show the members' current names
        str(get_locale()),  # the days' words and dates are in the viewer's language
        str(get_timezone()),
    )

    def render() -> str:
        layout = event_layout(event, {}, {})
        return render_block(TEMPLATE, "days", **{**context, "layout": layout, "form_token": TOKEN_PLACEHOLDER})

    html = days_cache().get_or_compute(key, render).replace(TOKEN_PLACEHOLDER, generate_csrf())
    return Markup(html)  # noqa: S704 - the output of our own autoescaping template; the token is URL-safe


def _page_context(event: TrainingEvent, **state: Any) -> dict[str, Any]:
    context = _agenda_context(event, **state)
    context["may_edit_event"] = can(current_user, "agendas.edit_event", event)
    # Whether the member is told of the agenda's changes: their own choice, and whether they take part in it.
    context["subscription"], context["following"] = services.follows(current_user.id, event.id)
    return context


def _item_fragment(event: TrainingEvent, item: AgendaItem, *, status: int = 200, focus: str | None = None) -> Response:
    """The item's entry as the agenda shows it now (its slot in its day, who else is editing): read after the
    change's commit. A deleted item's entry is hidden, and the page fetches the days again."""
    if item.deleted_at is not None:
        gone = render_fragment(TEMPLATE, "item", status=status, entry=Entry("removed", f"item-{item.id}"))
        return trigger(gone, "agenda:refresh")
    presence = services.live_presence(event.id, current_user.id)
    return render_fragment(
        TEMPLATE,
        "item",
        status=status,
        entry=Entry("item", f"item-{item.id}", slot_for(event, item)),
        event=event,
        event_path=_event_path(event.id),
        editing_by=editing_by(presence),
        may_edit=can(current_user, "agendas.edit_agenda", event),
        focus=focus or f"item-{item.id}-edit",
    )


def _editor_fragment(event: TrainingEvent, editor: Editor, status: int = 200) -> Response:
    kind = "new" if editor.item is None else "editor"
    return render_fragment(
        TEMPLATE,
        "editor",
        status=status,
        entry=Entry(kind, editor.key, editor=editor),
        event=event,
        event_path=_event_path(event.id),
        may_edit=True,
        focus=None,
    )


def _agenda_fragment(saved: services.Saved, *, notice: dict[str, Any], focus: str | None) -> Response:
    event = saved.event
    held = held_editors(request.form.getlist("open_editor"))
    since = saved.agenda_version if saved.agenda_version is not None else _current_version(event.id)
    context = _agenda_context(event, held=held, notice=notice, focus=focus, since=since)
    body = render_blocks(TEMPLATE, ["agenda", "notice"], oob=True, **context)
    response = make_response(body)
    response.vary.add("HX-Request")
    return response


def _current_version(event_id: int) -> int:
    return db.session.execute(select(TrainingEvent.agenda_version).where(TrainingEvent.id == event_id)).scalar_one()


def _light_event_or_404(event_id: int) -> TrainingEvent:
    """The event without its proposer (for changes: the page header is not rendered)."""
    event = db.session.get(TrainingEvent, event_id)
    if event is None:
        abort(404, gettext("There is no such training event."))
    return event


def _scope(form: ItemForm, key: str) -> ItemForm:
    """Give the form's fields ids of their own: several editors may be open on one page."""
    for item_field in form:
        if item_field.type in ("CSRFTokenField", "HiddenField", "VersionField"):
            continue
        item_field.id = f"{key}-{item_field.name}"
        item_field.label.field_id = item_field.id
    return form


# Events -------------------------------------------------------------------------------------------------------


@bp.get("/")
@role_required("expert")
def list_events():
    filters = FilterForm(request.args)
    country = filters.country.data if filters.country.data in COUNTRIES else None
    status = filters.status.data if filters.status.data in EVENT_STATUSES else None
    found = services.list_events(
        country=country,
        status=status,
        page=parse_int(request.args.get("page"), minimum=1) or 1,
        per_page=services.EVENTS_PAGE_SIZE,
    )
    kept = {"country": country, "status": status}

    def page_url(number: int) -> str:
        return url_for("agendas.list_events", **kept, page=number if number > 1 else None)

    return render_template(
        "agendas/list.html",
        events=found.events,
        found=found,
        page_url=page_url,
        filters=filters,
        today=date.today(),
        may_propose=can(current_user, "agendas.propose_event"),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("expert")
def new_event():
    require("agendas.propose_event")
    form = EventForm()
    if request.method == "GET":
        form.day_start.data = timeplan.clock(9 * 60)
        form.day_end.data = timeplan.clock(17 * 60)
    if form.validate_on_submit():
        try:
            event = services.create_event(current_user, form.values())
        except RuleViolation as error:
            db.session.rollback()
            getattr(form, error.field or "title").errors.append(error.message)
        else:
            flash(gettext("The training “%(title)s” is proposed. Now draft its agenda.", title=event.title), "success")
            return redirect(url_for("agendas.show_event", event_id=event.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("agendas/event_form.html", form=form, event=None, conflict=None), status


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@role_required("expert")
def edit_event(event_id: int):
    event = _event_or_404(event_id)
    require("agendas.edit_event", event)
    form = EventForm(obj=event)
    if request.method == "GET":
        form.version.data = event.version
    conflict = None
    if form.validate_on_submit():
        if form.version.data is None:
            form.version.errors = [gettext("The form does not say which version it began from. Reload the page.")]
            return render_template("agendas/event_form.html", form=form, event=event, conflict=None), 422
        try:
            services.update_event(current_user, event.id, form.version.data, form.values())
        except services.EventConflict:
            db.session.rollback()
            current = db.session.get(TrainingEvent, event.id, populate_existing=True)
            conflict = _event_conflict(form, current)
            form.version.data = current.version  # saving again now keeps this user's version
            return render_template("agendas/event_form.html", form=form, event=current, conflict=conflict), 409
        except RuleViolation as error:
            db.session.rollback()
            getattr(form, error.field or "title").errors.append(error.message)
            return render_template("agendas/event_form.html", form=form, event=event, conflict=None), error.status
        flash(gettext("The event is saved."), "success")
        return redirect(url_for("agendas.show_event", event_id=event.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("agendas/event_form.html", form=form, event=event, conflict=None), status


def _event_conflict(form: EventForm, current: TrainingEvent) -> list[dict[str, Any]]:
    mine = form.values()
    rows = []
    for name in services.EVENT_FIELDS:
        if name == "status" and not can(current_user, "agendas.set_status", current):
            continue
        saved = getattr(current, name)
        if name == "time_zone" and not mine.get(name):
            continue
        if mine.get(name) != saved:
            rows.append(
                {
                    "label": services.FIELD_LABELS.get(name, name),
                    "segments": word_diff(_event_text(name, saved), _event_text(name, mine.get(name))).segments,
                }
            )
    return rows


def _event_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "audiences":
        return ", ".join(label(AUDIENCES, a) for a in value)
    if name == "country":
        return COUNTRIES.get(value, (value,))[0]
    if name == "status":
        return label(EVENT_STATUSES, value)
    if name in ("day_start", "day_end"):
        return timeplan.format_clock(value)
    if name == "first_day":
        return long_date(value)
    return str(value)


@bp.get("/<int:event_id>")
@role_required("expert")
@cached_page("agendas", "presence", "subscriptions", seconds=10)  # subscriptions: following or muting it
def show_event(event_id: int):
    event = _event_or_404(event_id)
    notice = None
    deleted = request.args.get("deleted", type=int)
    if deleted:
        item = db.session.execute(
            select(AgendaItem).where(AgendaItem.id == deleted, AgendaItem.event_id == event.id)
        ).scalar_one_or_none()
        if item is not None and item.deleted_at is not None:
            notice = {"text": gettext("Deleted “%(title)s”.", title=item.title), "undo": item}
    return render_template(TEMPLATE, **_page_context(event, notice=notice))


@bp.get("/<int:event_id>/agenda/changes")
@role_required("expert")
def agenda_changes(event_id: int):
    """204 while nothing changed since the version the page holds (and nobody opened or left an editor);
    else the fresh days, with the page's open editors held in place."""
    version = db.session.execute(
        select(TrainingEvent.agenda_version).where(TrainingEvent.id == event_id)
    ).scalar_one_or_none()
    if version is None:
        abort(404, gettext("There is no such training event."))
    presence = services.live_presence(event_id, current_user.id)
    if request.args.get("since", type=int) == version and request.args.get("p") == services.presence_token(presence):
        return Response(status=204)
    event = _event_or_404(event_id)
    held = held_editors(request.args.getlist("open_editor"))
    return render_fragment(TEMPLATE, "agenda", **_agenda_context(event, held=held, presence=presence))


# Editing items ------------------------------------------------------------------------------------------------


def _edit_form(event: TrainingEvent, item: AgendaItem | None = None, **data: Any) -> ItemForm:
    form_class = EditItemForm if item is not None else ItemForm
    form = form_class(formdata=None, obj=item, **data)
    return form.setup(event.days, auth_services.active_members())


@bp.get("/<int:event_id>/items/<int:item_id>/edit")
@role_required("expert")
def edit_item(event_id: int, item_id: int):
    event = _event_or_404(event_id)
    require("agendas.edit_agenda", event)
    item = _item_or_404(event, item_id)
    form = _edit_form(event, item)
    form.version.data = item.version
    # Showing "being edited by" to others is a write: end this read, then write with the lock taken first.
    db.session.commit()
    with writing():
        services.touch_presence(current_user.id, event.id, item.id)
        db.session.commit()
    editor = Editor(f"item-{item.id}", _scope(form, f"item-{item.id}"), item=item)
    if is_htmx():
        return _editor_fragment(event, editor)
    return render_template(TEMPLATE, **_page_context(event, editors={editor.key: editor}))


def _posted_item_form(event: TrainingEvent, form_class: type[ItemForm]) -> tuple[ItemForm, bool]:
    """The posted form, validated by its own rules and by the agenda's rules (each message at its field)."""
    form, valid = _posted_form(form_class)
    return form, _agenda_rules(event, form) and valid


def _posted_form(form_class: type[ItemForm]) -> tuple[ItemForm, bool]:
    """The posted form checked by its own rules only, which need no database: any day up to the longest event
    passes here, the event's own days are the agenda's rules."""
    form = form_class().setup(DAYS_MAX)
    return form, form.validate_on_submit()


def _agenda_rules(event: TrainingEvent, form: ItemForm) -> bool:
    """The form's values checked against the event (its days and hours); each message goes to its field,
    unless the form's own rules already put one there. Whether all passed."""
    valid = True
    for name, message in services.item_problems(event, form.values(), check_people=False).items():
        target = getattr(form, name)
        if not target.errors:
            target.errors = [*target.errors, message]
            valid = False
    return valid


@bp.post("/<int:event_id>/items/<int:item_id>")
@role_required("expert")
def save_item(event_id: int, item_id: int):
    """The htmx save of an item: the form parsed, one service call (lock, check, write, audit, commit), then
    the item's entry rendered from what the database says after the commit."""
    form, valid = _posted_form(EditItemForm)
    key = f"item-{item_id}"
    if not valid:
        event = _light_event_or_404(event_id)
        require("agendas.edit_agenda", event)
        _agenda_rules(event, form)  # every message at once, beside its field
        return _invalid_editor(
            event, Editor(key, _scope(form, key), item=_item_or_404(event, item_id, deleted_too=True))
        )
    since = request.form.get("since", type=int)
    try:
        saved = services.save_item(
            current_user._get_current_object(), event_id, item_id, form.version.data, form.values()
        )
    except services.EditConflict as conflict:
        return _conflict_response(_light_event_or_404(event_id), key, conflict)
    except services.ItemProblems as problems:
        db.session.rollback()
        event = _light_event_or_404(event_id)
        for name, message in problems.problems.items():
            getattr(form, name).errors.append(message)
        item = _item_or_404(event, item_id, deleted_too=True)
        return _invalid_editor(event, Editor(key, _scope(form, key), item=item), problems.status)
    except RuleViolation as error:
        if error.field is None:
            raise
        db.session.rollback()
        event = _light_event_or_404(event_id)
        getattr(form, error.field).errors.append(error.message)
        item = _item_or_404(event, item_id, deleted_too=True)
        return _invalid_editor(event, Editor(key, _scope(form, key), item=item), error.status)
    return _after_item_saved(saved, since)


def _invalid_editor(event: TrainingEvent, editor: Editor, status: int = 422) -> Response:
    editor.form.setup(event.days, auth_services.active_members())
    if is_htmx():
        return _editor_fragment(event, editor, status)
    event = _event_or_404(event.id)  # the whole page: with its header
    page = render_template(TEMPLATE, **_page_context(event, editors={editor.key: editor}))
    return make_response(page, status)


def _after_item_saved(saved: services.Saved, since: int | None) -> Response:
    event = saved.event
    if not is_htmx():
        flash(saved.message, "success")
        return redirect(url_for("agendas.show_event", event_id=event.id, _anchor=f"item-{saved.item.id}"), 303)
    response = _item_fragment(event, saved.item)
    if saved.reordered:
        # Its place, the day's totals and flags may change: the page fetches the days at once.
        return trigger(response, "agenda:refresh")
    if saved.agenda_version is not None and since is not None and saved.agenda_version == since + 1:
        # Nobody else changed the agenda since the page's version: the page is current with this save.
        since_input = render_block(TEMPLATE, "since", since=saved.agenda_version, since_oob=True)
        response.set_data(response.get_data(as_text=True) + since_input)
    return response


def _conflict_response(event: TrainingEvent, key: str, conflict: services.EditConflict) -> Response:
    db.session.rollback()
    people = auth_services.active_members()
    names = {person.id: person.display_name for person in people}
    current = db.session.execute(
        select(AgendaItem).options(joinedload(AgendaItem.updated_by)).where(AgendaItem.id == conflict.current.id)
    ).scalar_one()
    theirs = {name: getattr(current, name) for name in services.ITEM_FIELDS}
    merged, clashes = services.merge_values(conflict.base, conflict.mine, theirs)
    rows = []
    for name in services.ITEM_FIELDS:
        mine_text = item_text(name, conflict.mine.get(name), names)
        their_text = item_text(name, theirs.get(name), names)
        if current.deleted_at is None and mine_text == their_text:
            continue
        if current.deleted_at is not None and not mine_text:
            continue
        difference = word_diff(their_text, mine_text)
        rows.append(
            ConflictRow(
                name,
                services.FIELD_LABELS[name],
                mine_text,
                their_text,
                difference.side("new"),
                difference.side("old"),
                clash=name in clashes,
            )
        )
    form = EditItemForm(formdata=None, data={**merged, "version": current.version}).setup(event.days, people)
    if current.deleted_at is not None:
        form = EditItemForm(formdata=None, data={**conflict.mine, "version": current.version}).setup(event.days, people)
    view = Conflict(current.deleted_at is not None, current, conflict.mine, rows, clashes)
    editor = Editor(key, _scope(form, key), item=current, conflict=view)
    if is_htmx():
        return _editor_fragment(event, editor, 409)
    event = _event_or_404(event.id)  # the whole page: with its header
    page = render_template(TEMPLATE, **_page_context(event, editors={key: editor}))
    return make_response(page, 409)


@bp.post("/<int:event_id>/items/<int:item_id>/recreate")
@role_required("expert")
def recreate_item(event_id: int, item_id: int):
    event = _light_event_or_404(event_id)
    require("agendas.edit_agenda", event)
    key = f"item-{item_id}"
    form, valid = _posted_item_form(event, EditItemForm)
    if not valid:
        return _invalid_editor(
            event, Editor(key, _scope(form, key), item=_item_or_404(event, item_id, deleted_too=True))
        )
    try:
        saved = services.recreate_item(current_user, event.id, item_id, form.values())
    except services.EditConflict as conflict:
        return _conflict_response(event, key, conflict)
    except RuleViolation as error:
        if error.field is None:
            raise
        db.session.rollback()
        getattr(form, error.field).errors.append(error.message)
        item = _item_or_404(event, item_id, deleted_too=True)
        return _invalid_editor(event, Editor(key, _scope(form, key), item=item), error.status)
    return _after_item_saved(saved, None)


@bp.post("/<int:event_id>/items/<int:item_id>/release")
@role_required("expert")
def release_item(event_id: int, item_id: int):
    """Close an editor without saving ("cancel", "take theirs", "discard my text")."""
    event = _event_or_404(event_id)
    item = _item_or_404(event, item_id, deleted_too=True)
    services.clear_presence(current_user.id, item.id)
    db.session.commit()
    if is_htmx():
        return _item_fragment(event, item)
    return redirect(url_for("agendas.show_event", event_id=event.id, _anchor=f"item-{item.id}"), 303)


@bp.post("/<int:event_id>/items/<int:item_id>/presence")
@role_required("expert")
def keep_editing(event_id: int, item_id: int):
    """The editor is still in use: keep showing "being edited by" to the others."""
    event = _event_or_404(event_id)
    item = _item_or_404(event, item_id, deleted_too=True)
    services.touch_presence(current_user.id, event.id, item.id)
    db.session.commit()
    return Response(status=204)


# Adding items -------------------------------------------------------------------------------------------------


def _new_key(day: int, after: AgendaItem | None) -> str:
    return f"new-after-{after.id}" if after is not None else f"new-{day}"


@bp.get("/<int:event_id>/items/new")
@role_required("expert")
def new_item(event_id: int):
    event = _event_or_404(event_id)
    require("agendas.edit_agenda", event)
    after = None
    after_id = request.args.get("after", type=int)
    if after_id is not None:
        after = _item_or_404(event, after_id)
        day = after.day
        start = timeplan.minutes(after.end)
    else:
        day = request.args.get("day", 1, type=int)
        if not 1 <= day <= event.days:
            abort(404, gettext("This event has no day %(day)d.", day=day))
        last = [item for item in services.agenda_items(event.id) if item.day == day]
        start = max((timeplan.minutes(item.end) for item in last), default=timeplan.minutes(event.day_start))
    start = min(start, 23 * 60)
    end = min(start + 60, 24 * 60 - 1)
    key = _new_key(day, after)
    form = _edit_form(event, None, day=day, start=timeplan.clock(start), end=timeplan.clock(end), kind="plenary")
    editor = Editor(key, _scope(form, key), day=day)
    if is_htmx():
        return _editor_fragment(event, editor)
    return render_template(TEMPLATE, **_page_context(event, editors={key: editor}))


@bp.post("/<int:event_id>/items")
@role_required("expert")
def create_item(event_id: int):
    event = _light_event_or_404(event_id)
    require("agendas.edit_agenda", event)
    key = request.form.get("key", "")
    if not re.fullmatch(r"new-\d+|new-after-\d+", key):
        key = "new-1"
    form, valid = _posted_item_form(event, ItemForm)
    editor = Editor(key, _scope(form, key), day=form.day.data if isinstance(form.day.data, int) else 1)
    if not valid:
        return _invalid_editor(event, editor)
    try:
        saved = services.create_item(current_user, event.id, form.values())
    except RuleViolation as error:
        if error.field is None:
            raise
        db.session.rollback()
        getattr(form, error.field).errors.append(error.message)
        return _invalid_editor(event, editor, error.status)
    return _after_item_saved(saved, None)


# Moving, deleting, restoring ----------------------------------------------------------------------------------


@bp.post("/<int:event_id>/items/<int:item_id>/move")
@role_required("expert")
def move_item(event_id: int, item_id: int):
    to_day = request.form.get("to_day", type=int)
    direction = "day" if to_day is not None else request.form.get("direction", "")
    saved = services.move_item(current_user, event_id, item_id, direction, to_day)
    if not is_htmx():
        flash(saved.message, "success")
        return redirect(url_for("agendas.show_event", event_id=event_id, _anchor=f"item-{item_id}"), 303)
    focus_key = f"item-{item_id}-{direction if direction != 'day' else 'edit'}"
    return _agenda_fragment(saved, notice={"text": saved.message}, focus=focus_key)


@bp.post("/<int:event_id>/items/<int:item_id>/delete")
@role_required("expert")
def delete_item(event_id: int, item_id: int):
    saved = services.delete_item(current_user, event_id, item_id)
    if not is_htmx():
        return redirect(url_for("agendas.show_event", event_id=event_id, deleted=item_id, _anchor="agenda-notice"), 303)
    return _agenda_fragment(saved, notice={"text": saved.message, "undo": saved.item}, focus=f"undo-{item_id}")


@bp.post("/<int:event_id>/items/<int:item_id>/undo")
@role_required("expert")
def undo_delete(event_id: int, item_id: int):
    saved = services.undo_delete(current_user, event_id, item_id)
    if not is_htmx():
        flash(saved.message, "success")
        return redirect(url_for("agendas.show_event", event_id=event_id, _anchor=f"item-{item_id}"), 303)
    return _agenda_fragment(saved, notice={"text": saved.message}, focus=f"item-{item_id}-edit")


# History ------------------------------------------------------------------------------------------------------


def _history_filters(values) -> dict[str, int]:
    """The history's filters and page as the URL (or a restore form) gives them; anything else is left out."""
    filters = {}
    for name in ("item", "person", "page"):
        number = parse_int(values.get(name), minimum=1)
        if number is not None:
            filters[name] = number
    return filters


@bp.get("/<int:event_id>/history")
@role_required("expert")
def history(event_id: int):
    event = _event_or_404(event_id)
    filters = _history_filters(request.args)
    found = services.event_history(
        event.id, item_id=filters.get("item"), user_id=filters.get("person"), page=filters.get("page", 1)
    )
    items = services.items_by_id(event.id, {change.item_id for change in found.changes if change.item_id})
    people_ids = set()
    for change in found.changes:
        for state in (change.before, change.after):
            if state and state.get("responsible_id"):
                people_ids.add(state["responsible_id"])
    names = {person_id: user.display_name for person_id, user in services.people_by_id(people_ids).items()}
    item_choices = services.history_item_choices(event.id)
    if "item" in filters and all(choice[0] != filters["item"] for choice in item_choices):
        item_choices.append((filters["item"], gettext("Item %(num)d", num=filters["item"]), False))
    people = services.history_people(event.id)
    kept = {name: value for name, value in filters.items() if name != "page"}

    def page_url(number: int) -> str:
        return url_for("agendas.history", event_id=event.id, **kept, page=number if number > 1 else None)

    return render_template(
        "agendas/history.html",
        event=event,
        entries=[_history_entry(change, items, names) for change in found.changes],
        found=found,
        shown_ids={change.id for change in found.changes},
        filters=filters,
        kept=kept,
        page_url=page_url,
        item_choices=item_choices,
        people=people,
        filtered_item=next((label for i, label, _ in item_choices if i == filters.get("item")), None),
        filtered_person=next((name for i, name in people if i == filters.get("person")), None),
        may_restore=can(current_user, "agendas.edit_agenda", event),
    )


# The kind of each recorded change, as the history names it.
CHANGE_KINDS = {
    "event.created": lazy_gettext("Event proposed"),
    "event.updated": lazy_gettext("Event changed"),
    "item.created": lazy_gettext("Added"),
    "item.updated": lazy_gettext("Edited"),
    "item.moved": lazy_gettext("Moved"),
    "item.deleted": lazy_gettext("Deleted"),
    "item.restored": lazy_gettext("Restored"),
    "item.recreated": lazy_gettext("Re-created"),
}
# Longer texts are not compared word by word on the history page (a comparison of two long texts takes up to a
# second; a page shows twenty changes): both versions are shown whole.
HISTORY_DIFF_MAX = 4_000


def _history_entry(change, items: dict[int, AgendaItem], names: dict[int, str]) -> dict[str, Any]:
    before, after = change.before or {}, change.after or {}
    item = items.get(change.item_id) if change.item_id else None
    rows = []
    summary = ""
    if change.action == "item.created":
        summary = _state_summary(after, names)
    elif change.action == "item.deleted":
        summary = _state_summary(before, names)
    elif change.action != "event.created":
        for name in change.fields:
            if name == "deleted":
                continue
            if change.item_id is None:
                old, new = _event_text_json(name, before.get(name)), _event_text_json(name, after.get(name))
            else:
                old = item_text(name, _json_value(name, before.get(name)), names)
                new = item_text(name, _json_value(name, after.get(name)), names)
            rows.append(_history_row(name, old, new))
    state = services.restorable_state(change)
    current = services.item_snapshot(item) if item is not None else None
    live = current is not None and not current["deleted"]
    same_as_now = bool(state and live and all(state.get(name) == current.get(name) for name in services.ITEM_FIELDS))
    deletion = change.action == "item.deleted"
    if deletion:
        note = gettext("It is on the agenda again, as it was before this deletion.") if same_as_now else ""
    else:
        note = gettext("This is how the item is now.") if same_as_now else ""
    return {
        "change": change,
        "kind": CHANGE_KINDS.get(change.action, change.action),
        "kind_class": change.action.split(".")[1],
        "title": after.get("title") or before.get("title") or "",
        "summary": summary,
        "rows": rows,
        "restorable": state is not None and not same_as_now,
        "note": note,
        "restore_label": gettext("Restore the deleted item")
        if deletion and not live
        else gettext("Restore this version"),
        "when_state": _state_line(state) if state else "",
        "restored_from": after.get("restored_from"),
    }


def _history_row(name: str, old: str, new: str) -> dict[str, Any]:
    """A changed field's row: before | after, the changed words marked. In a long text only the changes and a
    few words around each are shown (the whole texts are one click away)."""
    row = {"label": services.FIELD_LABELS.get(name, name), "old": old, "new": new, "long": len(old) + len(new) > 300}
    row["old_segments"] = row["new_segments"] = None
    if name in ("title", "speakers", "notes", "description", "venue") and len(old) + len(new) <= HISTORY_DIFF_MAX:
        segments = word_diff(old, new).segments
        if row["long"]:
            segments = _in_context(segments)
        row["old_segments"] = [segment for segment in segments if segment.kind != "ins"]
        row["new_segments"] = [segment for segment in segments if segment.kind != "del"]
    return row


CONTEXT_WORDS = 6


def _in_context(segments: list) -> list:
    """The segments with each long unchanged stretch cut to a few words either side of the changes around it."""
    shown = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        words = segment.text.split()
        keep_head = CONTEXT_WORDS if index > 0 else 0  # the words after the change before it
        keep_tail = CONTEXT_WORDS if index < last else 0  # the words before the change after it
        if segment.kind != "same" or len(words) <= keep_head + keep_tail + 2:
            shown.append(segment)
            continue
        parts = [*words[:keep_head], "…", *words[len(words) - keep_tail :]]
        text = " ".join(parts)
        if segment.text[:1].isspace():
            text = " " + text
        if segment.text[-1:].isspace():
            text += " "
        shown.append(type(segment)("same", text))
    return shown


def _json_value(name: str, value: Any) -> Any:
    if value is not None and name in ("start", "end"):
        return time.fromisoformat(value)
    return value


def _event_text_json(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in ("day_start", "day_end"):
        return value
    if name == "first_day":
        return long_date(date.fromisoformat(value))
    return _event_text(name, value)


def _state_line(state: dict[str, Any]) -> str:
    return gettext(
        "Day %(day)s, %(start)s–%(end)s: %(title)s",
        day=state.get("day"),
        start=state.get("start"),
        end=state.get("end"),
        title=state.get("title"),
    )


def _state_summary(state: dict[str, Any], names: dict[int, str]) -> str:
    """An item's state in one line: where it was and what it was."""
    parts = [
        gettext("Day %(day)s, %(start)s–%(end)s", day=state.get("day"), start=state.get("start"), end=state.get("end")),
        label(ITEM_KINDS, state.get("kind")) if state.get("kind") in ITEM_KINDS else "",
    ]
    if state.get("speakers"):
        parts.append(gettext("speakers: %(speakers)s", speakers=state["speakers"]))
    if state.get("responsible_id"):
        name = names.get(state["responsible_id"]) or gettext("a former member")
        parts.append(gettext("responsible: %(name)s", name=name))
    if state.get("notes"):
        parts.append(
            ngettext(
                "notes: %(length)s character",
                "notes: %(length)s characters",
                len(state["notes"]),
                length=format_number(len(state["notes"])),
            )
        )
    return " · ".join(part for part in parts if part)


@bp.post("/<int:event_id>/history/<int:change_id>/restore")
@role_required("expert")
def restore(event_id: int, change_id: int):
    event = _event_or_404(event_id)
    require("agendas.edit_agenda", event)
    back = url_for("agendas.history", event_id=event.id, **_history_filters(request.form))
    try:
        saved = services.restore_version(current_user, event.id, change_id)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back, 303)
    flash(saved.message + " " + gettext("The restore is in the history too."), "success")
    return redirect(back, 303)


# Export -------------------------------------------------------------------------------------------------------


@bp.get("/<int:event_id>/agenda.ics")
@role_required("expert")
def ical(event_id: int):
    event = _event_or_404(event_id)
    body = agenda_calendar(
        event, services.agenda_items(event.id), url_for("agendas.show_event", event_id=event.id, _external=True)
    )
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


@bp.get("/<int:event_id>/print")
@role_required("expert")
def print_agenda(event_id: int):
    event = _event_or_404(event_id)
    items = services.agenda_items(event.id)
    days = timeplan.build_days(event.first_day, event.days, event.day_start, event.day_end, items)
    return render_template("agendas/print.html", event=event, days=days)
