"""The Guidelines over HTTP: pages for plain browsers, fragments for htmx.

The comment area of a revision page polls ``comment_changes`` every 5 seconds with the comment sequence
number it holds (``since``), the threads it shows (``shown``) and the comments being edited in it
(``editing``). The answer is 204 when nothing changed; otherwise ``<hx-partial>`` elements that replace the
changed threads' bodies, append new threads, and refresh the paragraphs' comment counts. The forms for a new
comment, a reply or an edit are never part of what a poll replaces, so a half-written comment stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
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
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block, render_blocks
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, redirect_or_hx, render_page_or_fragment
from protect.core.inputs import parse_int
from protect.core.pagecache import cached_page
from protect.core.permissions import can, has_role, role_required
from protect.extensions import db
from protect.guidelines import diff, exports, services, versions, visits
from protect.guidelines.forms import (
    CommentForm,
    DecisionForm,
    EditCommentForm,
    GuidelineForm,
    HideForm,
    ProposalForm,
    RenameForm,
    SectionForm,
)
from protect.guidelines.models import STATUSES, Comment, Guideline, GuidelineSection, GuidelineVersion, SectionRevision

bp = Blueprint("guidelines", __name__, url_prefix="/guidelines")
REVISION = "guidelines/revision.html"
MAX_SHOWN = 1000


@bp.context_processor
def _guideline_helpers() -> dict[str, Any]:
    return {"gl": current_app.jinja_env.get_template("guidelines/_macros.html").module, "STATUSES": STATUSES}


@bp.errorhandler(LookupError)
def _not_here(_error: LookupError) -> Response:
    db.session.rollback()
    return error_response(404, gettext("There is no such guideline, section, revision or comment."))


def _form_error(form: Any, error: RuleViolation) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is None:
        target = getattr(form, "body", None) or getattr(form, "reason", None)
    target.errors = [*target.errors, error.message] if isinstance(target.errors, list) else [error.message]


# Loading ------------------------------------------------------------------------------------------------------


def _guideline_or_404(slug: str) -> Guideline:
    guideline = db.session.execute(select(Guideline).where(Guideline.slug == slug)).scalar_one_or_none()
    if guideline is None:
        abort(404, gettext("There is no such guideline document."))
    return guideline


def _sections_with_text(guideline_id: int) -> list[GuidelineSection]:
    return list(
        db.session.execute(
            select(GuidelineSection)
            .options(joinedload(GuidelineSection.current_revision))
            .where(GuidelineSection.guideline_id == guideline_id)
            .order_by(GuidelineSection.position)
        ).scalars()
    )


def _section_or_404(section_id: int) -> GuidelineSection:
    section = db.session.execute(
        select(GuidelineSection)
        .options(joinedload(GuidelineSection.guideline), joinedload(GuidelineSection.current_revision))
        .where(GuidelineSection.id == section_id)
    ).scalar_one_or_none()
    if section is None:
        abort(404, gettext("There is no such section."))
    return section


# Built once (statements this size cost more to build than to run): a revision with what its page shows of it.
_REVISION_PAGE = (
    select(SectionRevision)
    .options(
        joinedload(SectionRevision.section).joinedload(GuidelineSection.guideline),
        joinedload(SectionRevision.section).joinedload(GuidelineSection.current_revision),
        joinedload(SectionRevision.author),
        joinedload(SectionRevision.decided_by),
        joinedload(SectionRevision.base_revision),
        joinedload(SectionRevision.rebased_from),
    )
    .where(SectionRevision.id == bindparam("revision_id"))
)
# The revision and its section: all the comments' htmx answers show of them.
_REVISION_FOR_COMMENTS = (
    select(SectionRevision)
    .options(joinedload(SectionRevision.section))
    .where(SectionRevision.id == bindparam("revision_id"))
)


def _revision_or_404(revision_id: int) -> SectionRevision:
    return _revision_by(_REVISION_PAGE, revision_id)


def _revision_with_section_or_404(revision_id: int) -> SectionRevision:
    return _revision_by(_REVISION_FOR_COMMENTS, revision_id)


def _revision_by(statement: Any, revision_id: int) -> SectionRevision:
    revision = db.session.execute(statement, {"revision_id": revision_id}).scalar_one_or_none()
    if revision is None:
        abort(404, gettext("There is no such revision."))
    return revision


def _comment_or_404(comment_id: int) -> Comment:
    comment = db.session.execute(
        select(Comment).options(joinedload(Comment.revision)).where(Comment.id == comment_id)
    ).scalar_one_or_none()
    if comment is None:
        abort(404, gettext("There is no such comment."))
    return comment


def _open_proposal_counts(section_ids: list[int]) -> dict[int, int]:
    if not section_ids:
        return {}
    rows = db.session.execute(
        select(SectionRevision.section_id, func.count())
        .where(SectionRevision.section_id.in_(section_ids), SectionRevision.status == "proposed")
        .group_by(SectionRevision.section_id)
    )
    return {section_id: count for section_id, count in rows}


def _markdown_download(text: str, filename: str) -> Response:
    response = make_response(text)
    response.mimetype = "text/markdown"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Documents ----------------------------------------------------------------------------------------------------


@bp.get("/")
@role_required("expert")
def list_guidelines():
    rows = db.session.execute(
        select(
            Guideline,
            select(func.count(GuidelineSection.id))
            .where(GuidelineSection.guideline_id == Guideline.id)
            .correlate(Guideline)
            .scalar_subquery(),
            select(func.count(SectionRevision.id))
            .join(GuidelineSection, SectionRevision.section_id == GuidelineSection.id)
            .where(GuidelineSection.guideline_id == Guideline.id, SectionRevision.status == "proposed")
            .correlate(Guideline)
            .scalar_subquery(),
        ).order_by(Guideline.title)
    ).all()
    return render_template("guidelines/list.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@role_required("moderator")
def new_guideline():
    form = GuidelineForm()
    if form.validate_on_submit():
        try:
            guideline = services.create_guideline(current_user, form.title.data, form.summary.data)
        except RuleViolation as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            flash(gettext("“%(title)s” is started. Add its first section.", title=guideline.title), "success")
            return redirect(url_for("guidelines.new_section", slug=guideline.slug), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("guidelines/form.html", form=form, kind="guideline"), status


@bp.get("/<slug>")
@role_required("expert")
def show_guideline(slug: str):
    guideline = _guideline_or_404(slug)
    sections = _sections_with_text(guideline.id)
    ids = [s.id for s in sections]
    open_counts = _open_proposal_counts(ids)
    seen = visits.last_seen(current_user.id, ids)
    changed = {s.id for s in sections if visits.is_new(s.changed_at, seen.get(s.id))}
    page = render_template(
        "guidelines/document.html",
        guideline=guideline,
        sections=sections,
        open_counts=open_counts,
        changed=changed,
        may_moderate=has_role(current_user, "moderator"),
    )
    visits.mark_seen(current_user.id, ids)
    return page


@bp.get("/<slug>/export.md")
@role_required("expert")
def export_guideline(slug: str):
    guideline = _guideline_or_404(slug)
    sections = _sections_with_text(guideline.id)
    return _markdown_download(exports.document_markdown(guideline, sections), f"{guideline.slug}.md")


@bp.route("/<slug>/sections/new", methods=["GET", "POST"])
@role_required("moderator")
def new_section(slug: str):
    guideline = _guideline_or_404(slug)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            section = services.add_section(current_user, guideline.id, form.heading.data, form.body.data)
        except RuleViolation as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            flash(
                gettext(
                    "Section %(position)s “%(heading)s” is added.", position=section.position, heading=section.heading
                ),
                "success",
            )
            return redirect(
                url_for("guidelines.show_guideline", slug=guideline.slug, _anchor=f"section-{section.id}"), 303
            )
    status = 422 if request.method == "POST" else 200
    return render_template("guidelines/form.html", form=form, kind="section", guideline=guideline), status


# Sections -----------------------------------------------------------------------------------------------------


def _section_page(section: GuidelineSection, rename_form: RenameForm | None = None, status: int = 200) -> Response:
    revisions = list(
        db.session.execute(
            select(SectionRevision)
            .options(joinedload(SectionRevision.author))
            .where(SectionRevision.section_id == section.id)
            .order_by(SectionRevision.number.desc())
        ).scalars()
    )
    counts = dict(
        db.session.execute(
            select(Comment.revision_id, func.count())
            .join(SectionRevision, Comment.revision_id == SectionRevision.id)
            .where(SectionRevision.section_id == section.id, Comment.hidden.is_(False))
            .group_by(Comment.revision_id)
        ).all()
    )
    seen = visits.last_seen(current_user.id, [section.id]).get(section.id)
    if rename_form is None:
        rename_form = RenameForm(formdata=None, heading=section.heading, version=section.version)
    else:
        rename_form.version.data = section.version  # after a conflict, a second save goes against what is there now
    latest = revisions[0] if revisions else None
    page = render_template(
        "guidelines/section.html",
        section=section,
        guideline=section.guideline,
        revisions=revisions,
        comment_counts=counts,
        seen=seen,
        is_new=visits.is_new,
        rename_form=rename_form,
        may_moderate=has_role(current_user, "moderator"),
        compare_from=section.current_revision_id,
        compare_to=latest.id if latest else None,
    )
    if status == 200:
        visits.mark_seen(current_user.id, [section.id])
    return make_response(page, status)


@bp.get("/sections/<int:section_id>")
@role_required("expert")
def show_section(section_id: int):
    return _section_page(_section_or_404(section_id))


@bp.post("/sections/<int:section_id>/heading")
@role_required("moderator")
def rename_section(section_id: int):
    form = RenameForm()
    if form.validate_on_submit():
        try:
            services.rename_section(current_user, section_id, form.heading.data, form.version.data or 0)
        except RuleViolation as error:
            db.session.rollback()
            _form_error(form, error)
            return _section_page(_section_or_404(section_id), form, error.status)
        flash(gettext("The heading is changed."), "success")
        return redirect_or_hx(url_for("guidelines.show_section", section_id=section_id))
    return _section_page(_section_or_404(section_id), form, 422)


@bp.post("/sections/<int:section_id>/move")
@role_required("moderator")
def move_section(section_id: int):
    section = _section_or_404(section_id)
    slug = section.guideline.slug
    direction = request.form.get("direction", "")
    try:
        moved = services.move_section(current_user, section_id, direction)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect_or_hx(url_for("guidelines.show_guideline", slug=slug, _anchor="contents"))
    flash(
        gettext("“%(heading)s” is now section %(position)s.", heading=moved.heading, position=moved.position), "success"
    )
    back = request.form.get("back") == "section"
    target = (
        url_for("guidelines.show_section", section_id=section_id)
        if back
        else url_for("guidelines.show_guideline", slug=slug, _anchor="contents")
    )
    return redirect_or_hx(target)


@bp.get("/sections/<int:section_id>/history.md")
@role_required("expert")
def export_history(section_id: int):
    section = _section_or_404(section_id)
    revisions = list(
        db.session.execute(
            select(SectionRevision)
            .options(joinedload(SectionRevision.author), joinedload(SectionRevision.decided_by))
            .where(SectionRevision.section_id == section.id)
            .order_by(SectionRevision.number)
        ).scalars()
    )
    name = f"{section.guideline.slug}-section-{section.position}-history.md"
    return _markdown_download(exports.history_markdown(section, revisions), name)


def _int_arg(name: str) -> int | None:
    return parse_int(request.args.get(name, ""))


@bp.get("/sections/<int:section_id>/compare")
@role_required("expert")
def compare(section_id: int):
    section = _section_or_404(section_id)
    revisions = list(
        db.session.execute(
            select(SectionRevision)
            .options(joinedload(SectionRevision.author))
            .where(SectionRevision.section_id == section.id)
            .order_by(SectionRevision.number.desc())
        ).scalars()
    )
    by_id = {r.id: r for r in revisions}
    view = request.args.get("view", "inline")
    if view not in ("inline", "side"):
        view = "inline"
    show = _show_arg("show")
    old_id, new_id = _int_arg("from"), _int_arg("to")
    if old_id is None and new_id is None and revisions:
        new_id = revisions[0].id
        old_id = revisions[0].base_revision_id or section.current_revision_id
    old, new = by_id.get(old_id or 0), by_id.get(new_id or 0)
    if (old_id and old is None) or (new_id and new is None):
        abort(404, gettext("Both revisions must belong to this section."))
    comparison = None
    if old is not None and new is not None:
        comparison = {
            "diff": diff.word_diff(old.body, new.body),
            "rendered": diff.rendered(old.body, new.body, side_by_side=view == "side") if show == "rendered" else None,
            "rows": diff.side_by_side(old.body, new.body) if view == "side" and show == "source" else [],
        }
    return render_page_or_fragment(
        "guidelines/compare.html",
        "comparison",
        section=section,
        guideline=section.guideline,
        revisions=revisions,
        old=old,
        new=new,
        view=view,
        show=show,
        comparison=comparison,
    )


def _show_arg(name: str) -> str:
    """How differences are shown: as the texts read ("rendered", the default) or as their Markdown source."""
    return "source" if request.args.get(name) == "source" else "rendered"


@bp.route("/sections/<int:section_id>/propose", methods=["GET", "POST"])
@role_required("expert")
def propose(section_id: int):
    section = _section_or_404(section_id)
    current = section.current_revision
    form = ProposalForm()
    if request.method == "GET":
        form.body.data = current.body if current else ""
        form.base_revision_id.data = section.current_revision_id
    elif form.validate_on_submit():
        try:
            revision = services.propose_revision(
                current_user, section.id, form.base_revision_id.data, form.body.data, form.summary.data
            )
        except RuleViolation as error:
            db.session.rollback()
            _form_error(form, error)
            return _propose_page(_section_or_404(section_id), form, error.status)
        if revision.status == "outdated":
            flash(
                gettext(
                    "Your proposal is saved, but another proposal was accepted while you wrote it, so yours is "
                    "outdated already. Rebase it onto the current text below."
                ),
                "warning",
            )
            return redirect(url_for("guidelines.rebase", revision_id=revision.id), 303)
        flash(
            gettext(
                "Your proposal is saved as revision %(number)s. The moderators will review it.", number=revision.number
            ),
            "success",
        )
        return redirect(url_for("guidelines.show_revision", revision_id=revision.id), 303)
    return _propose_page(section, form, 422 if request.method == "POST" else 200)


def _propose_page(section: GuidelineSection, form: ProposalForm, status: int) -> Response:
    return make_response(
        render_template("guidelines/propose.html", section=section, guideline=section.guideline, form=form), status
    )


# Revisions ----------------------------------------------------------------------------------------------------


_URL_SLOT = 987654321  # stands in for an id while a URL is built once, then filled in for every comment


@dataclass
class CommentsView:
    """What the comment macros need to know besides the thread: who looks, what is open for editing.

    A page of threads links every comment several times; ``url`` and ``csrf`` give the macros those links
    and the form token without a ``url_for``/``csrf_token()`` per link."""

    me: Any
    revision: SectionRevision
    may_moderate: bool
    seen: datetime | None = None
    editing: dict[int, EditCommentForm] = field(default_factory=dict)  # comment id -> its open edit form
    hiding: dict[int, HideForm] = field(default_factory=dict)  # comment id -> a hide form with errors
    _urls: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # The signed-in user itself, not the request-local proxy: the macros ask for it many times.
        self.me = getattr(self.me, "_get_current_object", lambda: self.me)()

    @cached_property
    def csrf(self) -> str:
        return generate_csrf()

    def url(self, endpoint: str, **value: int) -> str:
        """``url_for(endpoint, name=id)`` for the one integer id of the comment or revision routes."""
        ((name, ident),) = value.items()
        parts = self._urls.get((endpoint, name))
        if parts is None:
            head, _, tail = url_for(endpoint, **{name: _URL_SLOT}).partition(str(_URL_SLOT))
            parts = self._urls[(endpoint, name)] = (head, tail)
        return f"{parts[0]}{int(ident)}{parts[1]}"

    def may_edit(self, comment: Comment) -> bool:
        return comment.author_id == self.me.id and not comment.hidden

    def may_resolve(self, thread: services.Thread) -> bool:
        return self.may_moderate or self.me.id in (thread.root.author_id, self.revision.author_id)

    def is_new(self, comment: Comment) -> bool:
        return comment.author_id != self.me.id and visits.is_new(comment.created_at, self.seen)


def _filter_arg() -> str:
    which = request.values.get("comments", request.values.get("filter", "all"))
    return which if which in services.FILTERS else "all"


def _paragraph_arg(count: int) -> int | None:
    value = parse_int(request.values.get("on", ""))
    return value if value is not None and 1 <= value <= count else None


def _comment_form(paragraphs: list[str], selected: int | None = None, formdata: Any = "default") -> CommentForm:
    form = CommentForm() if formdata == "default" else CommentForm(formdata=None)
    form.paragraph.choices = [("", gettext("The revision as a whole"))] + [
        (str(number), gettext("Paragraph %(number)s: %(excerpt)s", number=number, excerpt=_excerpt(text)))
        for number, text in enumerate(paragraphs, start=1)
    ]
    if selected is not None:
        form.paragraph.data = str(selected)
    return form


def _excerpt(text: str, length: int = 60) -> str:
    words = " ".join(text.split())
    return words if len(words) <= length else words[: length - 1].rsplit(" ", 1)[0] + "…"


def _revision_context(
    revision: SectionRevision,
    *,
    comment_form: CommentForm | None = None,
    decision_form: DecisionForm | None = None,
    decision: str | None = None,
    cv_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole revision page: its comments (``_comments_context``), and the text, changes and forms around."""
    context = _comments_context(revision, cv_extra=cv_extra)
    section = context["section"]
    successor = None
    if revision.status == "outdated":
        successor = (
            db.session.execute(
                select(SectionRevision)
                .where(SectionRevision.rebased_from_id == revision.id)
                .order_by(SectionRevision.id)
            )
            .scalars()
            .first()
        )
    base = revision.base_revision
    changes_shown = _show_arg("changes")
    cv = context["cv"]
    context.update(
        guideline=section.guideline,
        current=section.current_revision,
        base=base,
        changes=diff.word_diff(base.body, revision.body) if base is not None else None,
        changes_shown=changes_shown,
        rendered_changes=(
            diff.rendered(base.body, revision.body) if base is not None and changes_shown == "rendered" else None
        ),
        comment_form=comment_form or _comment_form(context["paragraphs"], context["on"], formdata=None),
        decision_form=decision_form or DecisionForm(formdata=None),
        decision=decision,
        successor=successor,
        may_moderate=cv.may_moderate,
        may_withdraw=can(current_user, "guidelines.withdraw", revision),
        may_rebase=can(current_user, "guidelines.rebase", revision) and successor is None,
    )
    return context


def _comments_context(revision: SectionRevision, *, cv_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the comment threads need (the whole page's threads region, and the htmx answers about comments)."""
    section = revision.section
    paragraphs = diff.blocks(revision.body)
    comments = services.comments_of(revision.id)
    threads = services.threads_of(comments)
    which = _filter_arg()
    on = _paragraph_arg(len(paragraphs))
    pages = services.thread_pages(services.filter_threads(threads, which, current_user.id, on))
    page_number = min(max(parse_int(request.values.get("cpage", "")) or 1, 1), len(pages))
    cv = CommentsView(
        me=current_user,
        revision=revision,
        may_moderate=has_role(current_user, "moderator"),
        seen=visits.last_seen(current_user.id, [section.id]).get(section.id),
        **(cv_extra or {}),
    )
    return {
        "revision": revision,
        "section": section,
        "paragraphs": paragraphs,
        "counts": services.paragraph_counts(comments),
        "threads": pages[page_number - 1],
        "thread_page": page_number,
        "thread_pages": len(pages),
        "every_thread": threads,
        "all_threads": len(threads),
        "visible_comments": sum(1 for c in comments if not c.hidden),
        "which": which,
        "on": on,
        "filters": services.FILTERS,
        "cv": cv,
    }


@bp.get("/revisions/<int:revision_id>")
@role_required("expert")
@cached_page("guidelines", "visits")
def show_revision(revision_id: int):
    revision = _revision_or_404(revision_id)
    return render_page_or_fragment(REVISION, "threads_region", **_revision_context(revision))


def _decide(revision_id: int, action: str):
    _revision_or_404(revision_id)
    form = DecisionForm()
    if form.validate_on_submit():
        decide = services.accept_revision if action == "accept" else services.reject_revision
        try:
            decided = decide(current_user, revision_id, form.reason.data)
        except RuleViolation as error:
            db.session.rollback()
            if error.field is None:
                raise
            _form_error(form, error)
        else:
            flash(
                gettext("Revision %(number)s is %(status)s.", number=decided.number, status=decided.status_word),
                "success",
            )
            return redirect_or_hx(url_for("guidelines.show_revision", revision_id=revision_id))
    context = _revision_context(_revision_or_404(revision_id), decision_form=form, decision=action)
    return make_response(render_template(REVISION, **context), 422)


@bp.post("/revisions/<int:revision_id>/accept")
@role_required("moderator")
def accept(revision_id: int):
    return _decide(revision_id, "accept")


@bp.post("/revisions/<int:revision_id>/reject")
@role_required("moderator")
def reject(revision_id: int):
    return _decide(revision_id, "reject")


@bp.post("/revisions/<int:revision_id>/withdraw")
@role_required("expert")
def withdraw(revision_id: int):
    revision = services.withdraw_revision(current_user, revision_id)
    flash(gettext("Revision %(number)s is withdrawn.", number=revision.number), "success")
    return redirect_or_hx(url_for("guidelines.show_revision", revision_id=revision_id))


@bp.route("/revisions/<int:revision_id>/rebase", methods=["GET", "POST"])
@role_required("expert")
def rebase(revision_id: int):
    revision = _rebasable_or_error(revision_id)
    form = ProposalForm()
    status = 200
    if request.method == "GET":
        current = revision.section.current_revision
        base = revision.base_revision
        form.body.data = diff.merge3(base.body if base else "", current.body, revision.body).text
        form.summary.data = revision.summary
    elif form.validate_on_submit():
        try:
            if form.base_revision_id.data != revision.section.current_revision_id:
                raise RuleViolation(
                    gettext(
                        "Another proposal was accepted while you were rebasing. The views above show the newest "
                        "text now; your text is kept in the form."
                    ),
                    field="body",
                    status=409,
                )
            new = services.rebase_revision(current_user, revision_id, form.body.data, form.summary.data)
        except RuleViolation as error:
            db.session.rollback()
            _form_error(form, error)
            status = error.status
            revision = _rebasable_or_error(revision_id)
        else:
            flash(
                gettext(
                    "Your updated proposal is saved as revision %(number)s; revision %(old)s stays as it was.",
                    number=new.number,
                    old=revision.number,
                ),
                "success",
            )
            return redirect(url_for("guidelines.show_revision", revision_id=new.id), 303)
    else:
        status = 422
    current = revision.section.current_revision
    base = revision.base_revision
    form.base_revision_id.data = current.id  # what the form is based on from now on
    page = render_template(
        "guidelines/rebase.html",
        revision=revision,
        section=revision.section,
        guideline=revision.section.guideline,
        base=base,
        current=current,
        form=form,
        merge=diff.merge3(base.body if base else "", current.body, revision.body),
        accepted_changes=diff.word_diff(base.body if base else "", current.body),
        my_changes=diff.word_diff(base.body if base else "", revision.body),
    )
    return make_response(page, status)


def _rebasable_or_error(revision_id: int) -> SectionRevision:
    revision = _revision_or_404(revision_id)
    if revision.author_id != current_user.id:
        abort(403, gettext("Only the author of a proposal can rebase it."))
    if revision.status != "outdated":
        abort(
            409,
            gettext(
                "Revision %(number)s is %(status)s, not outdated: there is nothing to rebase.",
                number=revision.number,
                status=revision.status_word,
            ),
        )
    return revision


# Comments -----------------------------------------------------------------------------------------------------


def _ints(name: str) -> set[int]:
    values = set()
    for value in request.values.getlist(name)[:MAX_SHOWN]:
        number = parse_int(value)
        if number is not None:
            values.add(number)
    return values


def _changes_context(revision: SectionRevision, *, skip: set[int] = frozenset(), cv_extra=None) -> dict[str, Any]:
    """What changed in the comments since the page's ``since``: threads to refresh, threads to add, counts."""
    since_seq = parse_int(request.values.get("since", "")) or 0
    context = _comments_context(revision, cv_extra=cv_extra)
    shown = _ints("shown")
    editing = _ints("editing") - skip
    in_filter = {t.id for t in context["threads"]}
    refresh, append = [], []
    for thread in context["every_thread"]:
        if thread.seq <= since_seq or thread.id in editing or thread.id in skip:
            continue
        if thread.id in shown:
            refresh.append(thread)  # still on the page: it shows its new state, even if it left the filter
        elif thread.id in in_filter:
            append.append(thread)
    newcomers = [
        c
        for t in context["every_thread"]
        for c in [t.root, *t.replies]
        if c.created_seq > since_seq and c.author_id != current_user.id
    ]
    names = sorted({c.author.display_name for c in newcomers if c.author is not None})
    # Every change to a comment moves its thread's seq: only the paragraphs of those threads changed count.
    changed = {t.root.paragraph for t in context["every_thread"] if t.seq > since_seq}
    context.update(
        refresh=refresh,
        append=append,
        newcomers=len(newcomers),
        newcomer_names=names,
        since_seq=since_seq,
        changed_paragraphs=sorted(n for n in changed if n is not None and 1 <= n <= len(context["paragraphs"])),
    )
    return context


def _changed_response(revision_id: int, main_block: str | None, *, skip: set[int] = frozenset(), status=200, **extra):
    """An htmx answer: ``main_block`` (if any) for the request's own target, then the changes as partials."""
    revision = _revision_with_section_or_404(revision_id)
    context = _changes_context(revision, cv_extra=extra.pop("cv_extra", None), skip=skip)
    context.update(extra)
    blocks = [main_block] if main_block else []
    blocks.append("changes")
    response = make_response(render_blocks(REVISION, blocks, **context), status)
    response.vary.add("HX-Request")
    return response


@bp.get("/revisions/<int:revision_id>/comments/changes")
@role_required("expert")
def comment_changes(revision_id: int):
    since = parse_int(request.args.get("since", ""))
    current = db.session.execute(
        select(SectionRevision.comment_seq).where(SectionRevision.id == revision_id)
    ).scalar_one_or_none()
    if current is None:
        abort(404, gettext("There is no such revision."))
    if since is not None and since >= current:
        return Response(status=204)
    return _changed_response(revision_id, "announce")


@bp.post("/revisions/<int:revision_id>/comments")
@role_required("expert")
def add_comment(revision_id: int):
    revision = _revision_or_404(revision_id)
    paragraphs = diff.blocks(revision.body)
    form = _comment_form(paragraphs)
    parent_id = form.parent_id.data
    block = "reply_form" if parent_id else "comment_form"
    if form.validate_on_submit():
        try:
            comment = services.add_comment(
                current_user, revision_id, form.body.data, form.paragraph_number(), parent_id
            )
        except RuleViolation as error:
            db.session.rollback()
            _form_error(form, error)
            revision = _revision_or_404(revision_id)
        else:
            if not is_htmx():
                flash(gettext("Your reply is posted.") if parent_id else gettext("Your comment is posted."), "success")
                return redirect(
                    url_for("guidelines.show_revision", revision_id=revision_id, _anchor=f"comment-{comment.id}"), 303
                )
            thread_id = comment.parent_id or comment.id
            fresh = _comment_form(paragraphs, formdata=None)
            return _changed_response(
                revision_id,
                block,
                comment_form=fresh,
                reply_form=fresh,
                reply_thread_id=thread_id,
                announce_text=gettext("Your reply is posted.") if parent_id else gettext("Your comment is posted."),
                focus_comment=comment.id,
            )
    if not is_htmx():
        context = _revision_context(revision, comment_form=form)
        if parent_id and any(t.id == parent_id for t in context["every_thread"]):
            context["reply_errors"] = {parent_id: form}  # shown in the reply box of its thread
            context["comment_form"] = _comment_form(paragraphs, formdata=None)
        return make_response(render_template(REVISION, **context), 422)
    context = _revision_context(revision, comment_form=form)
    context.update(reply_form=form, reply_thread_id=parent_id, reply_open=True)
    response = make_response(render_block(REVISION, block, **context), 422)
    response.vary.add("HX-Request")
    return response


def _thread_of(comment: Comment) -> int:
    return comment.parent_id or comment.id


@bp.get("/comments/<int:comment_id>/thread")
@role_required("expert")
def show_thread(comment_id: int):
    """A thread's body as it is now (cancelling an edit in place)."""
    comment = _comment_or_404(comment_id)
    if not is_htmx():
        return redirect(
            url_for("guidelines.show_revision", revision_id=comment.revision_id, _anchor=f"comment-{comment.id}")
        )
    return _thread_response(comment.revision_id, _thread_of(comment))


def _thread_response(revision_id: int, thread_id: int, status: int = 200, cv_extra=None, **extra) -> Response:
    return _changed_response(
        revision_id,
        "thread_body_only",
        skip={thread_id},
        status=status,
        cv_extra=cv_extra,
        thread_id=thread_id,
        **extra,
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@role_required("expert")
def edit_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    if not can(current_user, "guidelines.edit_comment", comment):
        abort(403, gettext("Only the author of a comment can edit it, and not once a moderator has hidden it."))
    form = EditCommentForm()
    status = 200
    if request.method == "GET":
        form.body.data = comment.body
    elif form.validate_on_submit():
        return _comment_change(
            comment,
            form,
            "editing",
            lambda: services.edit_comment(current_user, comment_id, form.body.data),
            gettext("Your comment is changed."),
        )
    else:
        status = 422
    return _comment_form_response(comment, form, "editing", status)


def _comment_change(
    comment: Comment, form: Any, key: str, change: Any, done: str, flashed: str | None = None, *, beside_field=False
):
    """Apply ``change`` (a service call) from a comment's edit or hide form: the changed thread, or the form
    again beside the thread with the service's message and the text kept. ``beside_field``: only a message
    about a field goes beside the form; any other is raised (an error page or alert)."""
    try:
        change()
    except RuleViolation as error:
        db.session.rollback()
        if beside_field and error.field is None:
            raise
        _form_error(form, error)
        return _comment_form_response(comment, form, key, error.status)
    if not is_htmx():
        flash(flashed or done, "success")
        return redirect(
            url_for("guidelines.show_revision", revision_id=comment.revision_id, _anchor=f"comment-{comment.id}"),
            303,
        )
    return _thread_response(comment.revision_id, _thread_of(comment), announce_text=done)


def _comment_form_response(comment: Comment, form: Any, key: str, status: int):
    cv_extra = {key: {comment.id: form}}
    if is_htmx():
        return _thread_response(comment.revision_id, _thread_of(comment), status, cv_extra=cv_extra)
    revision = _revision_or_404(comment.revision_id)
    return make_response(render_template(REVISION, **_revision_context(revision, cv_extra=cv_extra)), status)


@bp.post("/comments/<int:comment_id>/resolve")
@role_required("expert")
def resolve_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    resolved = request.form.get("resolved") == "1"
    thread = services.set_resolved(current_user, comment_id, resolved)
    if not is_htmx():
        flash(_resolved_text(resolved), "success")
        return redirect(
            url_for("guidelines.show_revision", revision_id=comment.revision_id, _anchor=f"comment-{thread.id}"), 303
        )
    return _thread_response(
        comment.revision_id,
        thread.id,
        announce_text=_resolved_text(resolved),
    )


def _resolved_text(resolved: bool) -> str:
    return gettext("The thread is resolved.") if resolved else gettext("The thread is open again.")


@bp.post("/comments/<int:comment_id>/hide")
@role_required("moderator")
def hide_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    form = HideForm()
    if form.validate_on_submit():
        return _comment_change(
            comment,
            form,
            "hiding",
            lambda: services.hide_comment(current_user, comment_id, form.reason.data),
            gettext("The comment is hidden."),
            gettext("The comment is hidden. Its text is kept in the audit log for moderators."),
            beside_field=True,
        )
    return _comment_form_response(comment, form, "hiding", 422)


# Published versions of the whole document ---------------------------------------------------------------------


@bp.get("/<slug>/versions")
@role_required("expert")
def list_versions(slug: str):
    guideline = _guideline_or_404(slug)
    published = versions.versions_of(guideline.id)
    return render_template(
        "guidelines/versions.html",
        guideline=guideline,
        changelog=versions.changelog(published),
        may_publish=has_role(current_user, "moderator"),
    )


@bp.post("/<slug>/versions")
@role_required("moderator")
def publish_version(slug: str):
    guideline = _guideline_or_404(slug)
    try:
        version = versions.publish_version(current_user, guideline.id)
    except RuleViolation as error:
        db.session.rollback()
        return error_response(error.status, error.message)
    flash(gettext("Version %(number)s is published.", number=version.number), "success")
    return redirect_or_hx(url_for("guidelines.version", slug=slug, number=version.number))


def _version_or_404(slug: str, number: int):
    guideline = _guideline_or_404(slug)
    version = db.session.execute(
        select(GuidelineVersion).where(GuidelineVersion.guideline_id == guideline.id, GuidelineVersion.number == number)
    ).scalar_one_or_none()
    if version is None:
        abort(404, gettext("This document has no version with that number."))
    return guideline, version


@bp.get("/<slug>/v<int:number>")
@role_required("expert")
def version(slug: str, number: int):
    guideline, chosen = _version_or_404(slug, number)
    latest = versions.count_versions(guideline.id)
    return render_template("guidelines/version.html", guideline=guideline, version=chosen, latest=latest)


@bp.get("/<slug>/v<int:number>.md")
@role_required("expert")
def version_markdown(slug: str, number: int):
    guideline, chosen = _version_or_404(slug, number)
    return _markdown_download(chosen.markdown, f"{guideline.slug}-v{chosen.number}.md")
