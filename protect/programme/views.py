"""The public programme site: no account needed, nothing but published snapshots ever shown.

Every view here reads only live snapshots (``services.public_lookup`` / ``services.published_trainings``), so a
draft, a page in review or an approved page that is not published yet cannot appear — not in a page, the list,
a search, the iCalendar files, the sitemap, or an error message. Pages without a form set no cookie and are
cacheable (ETag, Last-Modified, 304); the registration form is the one page with a session (its CSRF token).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from markupsafe import Markup

from protect.agendas.models import AUDIENCES
from protect.core.database import utcnow
from protect.core.errors import RuleViolation
from protect.core.i18n import N_, current_language
from protect.core.permissions import public
from protect.core.regions import COUNTRIES
from protect.extensions import db, limiter
from protect.programme import caching, forms, releases, services
from protect.programme.content import Training
from protect.programme.forms import RegistrationForm
from protect.programme.ical import feed_calendar, training_calendar
from protect.programme.models import SOURCE
from protect.programme.translations import is_out_of_date, language_name, translated_content

bp = Blueprint("programme", __name__)
NOT_FOUND = N_(
    "There is no published training at this address. The link may be mistyped, or the training is not "
    "announced yet. The list of trainings shows every training that is."
)
CONFIRMATION_KEY = "programme_registered"


@bp.context_processor
def _programme_helpers() -> dict[str, Any]:
    return {"AUDIENCES": AUDIENCES, "pg": current_app.jinja_env.get_template("programme/_macros.html").module}


def _today():
    return utcnow().date()


def _lookup_or_abort(slug: str) -> tuple[services.PublicLookup | None, Response | None]:
    """What is live for ``slug`` (the snapshot and its translations); or the response to send instead (410 for a
    withdrawn page)."""
    found = services.public_lookup(slug)
    if found is None:
        abort(404, gettext(NOT_FOUND))
    if found.withdrawn:
        response = make_response(
            render_template("programme/withdrawn.html", withdrawn_at=found.withdrawn_at, reason=found.withdrawn_reason),
            410,
        )
        etag = caching.make_etag("withdrawn", slug, found.withdrawn_at)
        return None, caching.cacheable(response, etag, caching.latest(found.withdrawn_at))
    return found, None


class Served(NamedTuple):
    """Which language version of a live page a request gets: the translation into the visitor's language when
    one is published (even out of date, then with a note), else the page's own with a note that it is not
    available in their language."""

    language: str  # the visitor's (interface) language
    translation: services.PublicTranslation | None
    out_of_date: bool
    missing: bool

    @property
    def content_language(self) -> str:
        return self.translation.language if self.translation else SOURCE

    @property
    def key(self) -> tuple:
        return (self.translation.id, self.translation.digest) if self.translation else ()


def _served(found: services.PublicLookup) -> Served:
    language = current_language()
    translation = found.translations.get(language) if language != SOURCE else None
    assert found.snapshot is not None
    out_of_date = translation is not None and is_out_of_date(translation.source_version, found.snapshot.version)
    return Served(language, translation, out_of_date, language != SOURCE and translation is None)


def _alternates(slug: str, found: services.PublicLookup) -> list[tuple[str, str]]:
    """The page's language versions for hreflang: each at its ?lang= address, and the plain address as the
    default (it answers in the visitor's language)."""
    versions = [SOURCE, *sorted(found.translations)]
    return [(code, _external("programme.public_page", slug=slug, lang=code)) for code in versions] + [
        ("x-default", _external("programme.public_page", slug=slug))
    ]


def _external(endpoint: str, **values: Any) -> str:
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


class TrainingParts(NamedTuple):
    """What the page and its print view show of a snapshot: its title and description (for the head) and body."""

    title: str
    description: str
    body: Markup


def _training_parts(
    snapshot: services.PublicSnapshot, variant: str, is_open: bool, served: Served | None = None
) -> TrainingParts:
    """The snapshot (with the translation served, if any) rendered once per version, variant and language: it
    never changes, so it is cached, and a page served from the cache neither reads nor parses any content."""
    translation = served.translation if served else None

    def render() -> TrainingParts:
        content = snapshot.content if translation is None else translated_content(snapshot.content, translation.content)
        training = Training(content, snapshot.version)
        body = render_template(
            "programme/_training.html", training=training, variant=variant, is_open=is_open, slug=training.slug
        )
        return TrainingParts(training.title, training.meta_description, Markup(body))  # noqa: S704 - our template

    key = (variant, snapshot.id, snapshot.digest, is_open, str(get_locale()), served.key if served else ())
    return caching.render_cache().get_or_compute(key, render)


# The list -----------------------------------------------------------------------------------------------------


def _cards(snapshots: list[services.PublicSnapshot]) -> dict[int, Markup]:
    """Each snapshot's entry in the list (in the visitor's language where it has a live translation), by snapshot
    id: rendered once per snapshot, translation and language (they never change, so it is cached); the contents
    of those not rendered yet are read in one query."""
    cache, language = caching.render_cache(), str(get_locale())

    def key(snapshot: services.PublicSnapshot) -> tuple:
        translation = snapshot.translation
        return (
            "card",
            snapshot.id,
            snapshot.digest,
            language,
            (translation.id, translation.digest) if translation else (),
        )

    cards, missing = {}, []
    for snapshot in snapshots:
        card = cache.get(key(snapshot))
        if card is None:
            missing.append(snapshot)
        else:
            cards[snapshot.id] = card
    wanted = [snapshot.id for snapshot in missing] + [s.translation.id for s in missing if s.translation]
    texts = services.public_contents(wanted) if missing else {}
    for snapshot in missing:
        if snapshot.id not in texts:  # deleted with its event since the list was read (a statement later)
            continue
        snapshot.text = texts[snapshot.id]
        content = snapshot.content
        if snapshot.translation is not None and snapshot.translation.id in texts:
            snapshot.translation.text = texts[snapshot.translation.id]
            content = translated_content(content, snapshot.translation.content)
        training = Training(content, snapshot.version)
        card = Markup(render_template("programme/_list_item.html", training=training))  # noqa: S704 - our template
        cache.put(key(snapshot), card)
        cards[snapshot.id] = card
    return cards


def _shown(snapshot: services.PublicSnapshot) -> tuple:
    translation = snapshot.translation
    return (snapshot.id, snapshot.digest, (translation.id, translation.digest) if translation else ())


@bp.get("/programme/")
@public
def index():
    # The filters, as the list applies them (the form shows what was sent: see below).
    country = request.args.get("country", "")
    country = country if country in COUNTRIES else ""
    audience = request.args.get("audience", "")
    audience = audience if audience in AUDIENCES else ""
    query = " ".join((request.args.get("q") or "").split())[: forms.SEARCH_MAX]
    listing, today = services.public_listing(country, audience, query, current_language()), _today()
    upcoming = [snapshot for snapshot in listing.snapshots if snapshot.last_day >= today]
    past = [snapshot for snapshot in reversed(listing.snapshots) if snapshot.last_day < today]
    # The list shows exactly these snapshots (each immutable: its id and digest), split so: the same ones give the
    # same list. Answered before anything is rendered when the visitor has it already.
    shown = [_shown(snapshot) for snapshot in upcoming], [_shown(one) for one in past]
    etag = caching.make_etag("list", country, audience, query, shown)
    last_modified = caching.latest(today, listing.changed)
    unchanged = caching.not_modified(etag, last_modified)
    if unchanged is not None:
        return unchanged

    cards = _cards(listing.snapshots)
    response = make_response(
        render_template(
            "programme/index.html",
            search=request.args.get("q", ""),
            search_max=forms.SEARCH_MAX,
            country_options=forms.chosen(forms.country_options(), request.args.get("country")),
            audience_options=forms.chosen(forms.audience_options(), request.args.get("audience")),
            filtered=bool(country or audience or query),
            query=query,
            upcoming=[cards[snapshot.id] for snapshot in upcoming if snapshot.id in cards],
            past=[cards[snapshot.id] for snapshot in past if snapshot.id in cards],
            total=len(cards),
        )
    )
    return caching.cacheable(response, etag, last_modified)


# One training -------------------------------------------------------------------------------------------------


def _page_validators(found: services.PublicLookup, served: Served, variant: str) -> tuple[bool, str, Any]:
    snapshot = found.snapshot
    assert snapshot is not None
    today = _today()
    is_open = snapshot.last_day >= today
    translations = sorted((code, one.id, one.digest) for code, one in found.translations.items())
    etag = caching.make_etag(
        variant, snapshot.id, snapshot.digest, is_open, served.key, served.out_of_date, translations
    )
    # The page changes when it (or a translation) is published, and once more when the training is over.
    ended = snapshot.last_day + timedelta(days=1)
    last_modified = caching.latest(snapshot.published_at, found.changed, ended if ended <= today else None)
    return is_open, etag, last_modified


def _page_context(slug: str, found: services.PublicLookup, served: Served) -> dict[str, Any]:
    """What page.html and print.html show around the rendered training: its addresses and the language notes."""
    snapshot = found.snapshot
    assert snapshot is not None
    lang = served.content_language if served.translation else None
    return {
        "slug": slug,
        "canonical": _external("programme.public_page", slug=slug, lang=lang),
        "alternates": _alternates(slug, found),
        "served": served,
        "source_changed_at": snapshot.published_at,
        "source_url": url_for("programme.public_page", slug=slug, lang=SOURCE),
        "language_name": language_name(served.language),
        "source_language_name": language_name(SOURCE),
    }


@bp.get("/programme/<slug>")
@public
def public_page(slug: str):
    found, instead = _lookup_or_abort(slug)
    if instead is not None:
        return instead
    assert found is not None and found.snapshot is not None
    served = _served(found)
    is_open, etag, last_modified = _page_validators(found, served, "page")
    unchanged = caching.not_modified(etag, last_modified)
    if unchanged is not None:
        return unchanged

    response = make_response(
        render_template(
            "programme/page.html",
            training=_training_parts(found.snapshot, "page", is_open, served),
            **_page_context(slug, found, served),
        )
    )
    return caching.cacheable(response, etag, last_modified)


@bp.get("/programme/<slug>/print")
@public
def print_page(slug: str):
    found, instead = _lookup_or_abort(slug)
    if instead is not None:
        return instead
    assert found is not None and found.snapshot is not None
    served = _served(found)
    is_open, etag, last_modified = _page_validators(found, served, "print")
    unchanged = caching.not_modified(etag, last_modified)
    if unchanged is not None:
        return unchanged

    response = make_response(
        render_template(
            "programme/print.html",
            training=_training_parts(found.snapshot, "print", is_open, served),
            **_page_context(slug, found, served),
        )
    )
    return caching.cacheable(response, etag, last_modified)


def _calendar_response(body: bytes, filename: str, etag: str, last_modified: Any) -> Response:
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return caching.cacheable(response, etag, last_modified)


@bp.get("/programme/<slug>/calendar.ics")
@public
def page_calendar(slug: str):
    found, instead = _lookup_or_abort(slug)
    if instead is not None:
        return instead
    assert found is not None and found.snapshot is not None
    snapshot, served = found.snapshot, _served(found)
    etag = caching.make_etag("ics", snapshot.id, snapshot.digest, served.key)
    last_modified = caching.latest(snapshot.published_at, found.changed if served.translation else None)
    unchanged = caching.not_modified(etag, last_modified)
    if unchanged is not None:
        return unchanged
    content = snapshot.content
    if served.translation is not None:
        content = translated_content(content, served.translation.content)
    lang = served.content_language if served.translation else None
    body = training_calendar(snapshot, _external("programme.public_page", slug=slug, lang=lang), content)
    return _calendar_response(body, f"{slug}.ics", etag, last_modified)


@bp.get("/programme/calendar.ics")
@public
def calendar_feed():
    state = services.public_state()
    live = state.live
    etag = caching.make_etag("feed", live)
    last_modified = caching.latest(state.changed)
    unchanged = caching.not_modified(etag, last_modified)
    if unchanged is not None:
        return unchanged
    snapshots = services.published_trainings() if live else []
    body = feed_calendar(
        (snapshot, _external("programme.public_page", slug=snapshot.content["slug"])) for snapshot in snapshots
    )
    return _calendar_response(body, "protect-trainings.ics", etag, last_modified)


@bp.get("/sitemap.xml")
@public
def sitemap():
    """The public pages; a page with translations as each of its language versions, each naming all of them
    (hreflang alternates, as in the pages' heads)."""
    state = services.public_state()
    live = state.live
    translated = services.live_translation_languages(state.translations) if live else {}
    etag = caching.make_etag("sitemap", live, sorted(translated.items()))
    last_modified = caching.latest(state.changed)
    unchanged = caching.not_modified(etag, last_modified)
    if unchanged is not None:
        return unchanged
    snapshots = services.published_trainings() if live else []
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]

    def url(loc: str, modified: Any = None, alternates: list[tuple[str, str]] | None = None) -> None:
        lastmod = f"<lastmod>{modified:%Y-%m-%d}</lastmod>" if modified else ""
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{code}" href="{escape(href)}"/>' for code, href in alternates or []
        )
        lines.append(f"  <url><loc>{escape(loc)}</loc>{lastmod}{links}</url>")

    url(_external("home.index"))
    url(_external("programme.index"), last_modified)
    for snapshot in snapshots:
        slug = snapshot.content["slug"]
        languages = translated.get(snapshot.page_id)
        if not languages:
            url(_external("programme.public_page", slug=slug), snapshot.published_at)
            continue
        alternates = [(code, _external("programme.public_page", slug=slug, lang=code)) for code in [SOURCE, *languages]]
        alternates.append(("x-default", _external("programme.public_page", slug=slug)))
        url(_external("programme.public_page", slug=slug), snapshot.published_at, alternates)
        for _code, href in alternates[:-1]:
            url(href, snapshot.published_at, alternates)
    lines.append("</urlset>")
    response = make_response("\n".join(lines) + "\n")
    response.mimetype = "application/xml"
    return caching.cacheable(response, etag, last_modified)


# What search engines may read: the public programme (and the About page, the sitemap, the styles it needs), not
# the members' workspace. The allows come first, so that crawlers that take the first match (not the longest
# one, RFC 9309) read the same; "$" ends a pattern (RFC 9309), so "/$" is the About page only.
ROBOTS = """\
# PROTECT Workspace: the public programme of trainings is open to search engines; the members' workspace is not.
User-agent: *
Allow: /$
Allow: /programme/
Allow: /sitemap.xml
Allow: /static/
Disallow: /

Sitemap: {sitemap}
"""


@bp.get("/robots.txt")
@public
def robots():
    response = make_response(ROBOTS.format(sitemap=_external("programme.sitemap")))
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# Register your interest ---------------------------------------------------------------------------------------


def _accepted_limit() -> str:
    return current_app.config.get("PROGRAMME_REGISTRATION_LIMIT", "5 per hour")


def _attempt_limit() -> str:
    return current_app.config.get("PROGRAMME_REGISTRATION_ATTEMPT_LIMIT", "30 per hour")


def _retention_days() -> int:
    return int(current_app.config.get("REGISTRATION_RETENTION_DAYS", 180))


def _registrations_limit() -> int:
    return int(current_app.config.get("PROGRAMME_REGISTRATIONS_PER_TRAINING", services.REGISTRATIONS_PER_TRAINING))


def _registration_page(
    snapshot: services.PublicSnapshot, form: RegistrationForm, status: int, error: str = ""
) -> Response:
    training = Training(snapshot.content, snapshot.version)
    response = make_response(
        render_template(
            "programme/register.html",
            training=training,
            form=form,
            is_open=not training.is_over(_today()),
            retention_days=_retention_days(),
            consent_text=services.consent_text(_retention_days()),
            error=error,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_many(_limit: RequestLimit) -> Response:
    found = services.public_lookup(request.view_args.get("slug", "") if request.view_args else "")
    message = gettext(
        "You have sent several registrations from this address in a short time. Wait an hour, then send it again."
    )
    if found is None or found.snapshot is None:
        return make_response(message, 429)
    return _registration_page(found.snapshot, RegistrationForm(), 429, message)


@bp.route("/programme/<slug>/register", methods=["GET", "POST"])
@public
@limiter.limit(
    _accepted_limit,
    methods=["POST"],
    key_func=get_remote_address,
    scope="programme-register",
    deduct_when=lambda response: response.status_code == 303,
    on_breach=_too_many,
)
@limiter.limit(
    _attempt_limit, methods=["POST"], key_func=get_remote_address, scope="programme-register-any", on_breach=_too_many
)
def register(slug: str):
    found, instead = _lookup_or_abort(slug)
    if instead is not None:
        return instead
    assert found is not None and found.snapshot is not None
    snapshot = found.snapshot
    training = Training(snapshot.content, snapshot.version)
    form = RegistrationForm()
    if request.method == "GET":
        return _registration_page(snapshot, form, 200)
    if training.is_over(_today()):
        message = gettext("“%(title)s” has taken place; registrations are closed.", title=training.title)
        return _registration_page(snapshot, form, 409, message)
    if form.website.data:
        # A bot filled in the field people never see: drop it, and answer as if it had worked.
        current_app.logger.info("Dropped a programme registration that filled the honeypot field")
        return _confirm(slug, training.title, services.new_reference())
    if form.validate_on_submit():
        try:
            registration = services.register_interest(
                snapshot,
                form.values(),
                retention_days=_retention_days(),
                today=_today(),
                limit=_registrations_limit(),
            )
        except RuleViolation as error:
            db.session.rollback()
            if error.field and hasattr(form, error.field):
                field = getattr(form, error.field)
                field.errors = [*field.errors, error.message]
                return _registration_page(snapshot, form, error.status)
            return _registration_page(snapshot, form, error.status, error.message)
        db.session.commit()
        return _confirm(slug, training.title, registration.reference)
    return _registration_page(snapshot, form, 422)


def _confirm(slug: str, title: str, reference: str) -> Response:
    session[CONFIRMATION_KEY] = {"slug": slug, "title": title, "reference": reference}
    return redirect(url_for("programme.registered", slug=slug), 303)


@bp.get("/programme/<slug>/registered")
@public
def registered(slug: str):
    confirmation = session.get(CONFIRMATION_KEY)
    if not confirmation or confirmation.get("slug") != slug:
        return redirect(url_for("programme.index"), 303)
    response = make_response(
        render_template(
            "programme/registered.html",
            slug=slug,
            title=confirmation["title"],
            reference=confirmation["reference"],
            retention_days=_retention_days(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# Releases: permanent addresses, the changelog and its feed ----------------------------------------------------


def _releases_or_abort(slug: str) -> releases.Releases:
    found = releases.releases_of(slug)
    if found is None:
        abort(404, gettext(NOT_FOUND))
    return found


def _withdrawn_response(found: releases.Releases) -> Response:
    page = found.page
    response = make_response(
        render_template("programme/withdrawn.html", withdrawn_at=page.withdrawn_at, reason=page.withdrawn_reason), 410
    )
    etag = caching.make_etag("withdrawn", page.slug, page.withdrawn_at)
    return caching.cacheable(response, etag, caching.latest(page.withdrawn_at))


@bp.get("/programme/<slug>/v<int:number>")
@public
def release(slug: str, number: int):
    """Exactly release ``number`` of the page, for good: what was approved and published then."""
    found = _releases_or_abort(slug)
    if not found.reachable:
        return _withdrawn_response(found)
    chosen = found.number(number)
    if chosen is None:
        abort(404, gettext("This page has no release with that number."))
    etag = caching.make_etag("release", chosen.snapshot_id, chosen.digest, str(get_locale()))
    unchanged = caching.not_modified(etag, caching.latest(chosen.published_at))
    if unchanged is not None:
        return unchanged
    snapshot = releases.public_snapshot(chosen)
    is_open = chosen.last_day >= _today()
    response = make_response(
        render_template(
            "programme/release.html",
            training=_training_parts(snapshot, "page", is_open),
            found=found,
            chosen=chosen,
            slug=slug,
            latest=found.releases[-1].number,
        )
    )
    return caching.cacheable(response, etag, caching.latest(chosen.published_at))


@bp.get("/programme/<slug>/changelog")
@public
def changelog(slug: str):
    found = _releases_or_abort(slug)
    if not found.reachable:
        return _withdrawn_response(found)
    latest = found.releases[-1]
    etag = caching.make_etag("changelog", latest.snapshot_id, latest.digest, str(get_locale()), found.withdrawn)
    unchanged = caching.not_modified(etag, caching.latest(latest.published_at))
    if unchanged is not None:
        return unchanged
    response = make_response(
        render_template("programme/changelog.html", found=found, changes=releases.changelog(found), slug=slug)
    )
    return caching.cacheable(response, etag, caching.latest(latest.published_at))


@bp.get("/programme/<slug>/releases.atom")
@public
def releases_feed(slug: str):
    found = _releases_or_abort(slug)
    if not found.reachable:
        return _withdrawn_response(found)
    latest = found.releases[-1]
    body = render_template(
        "programme/releases_atom.xml",
        found=found,
        feed_url=_external("programme.releases_feed", slug=slug),
        page_url=_external("programme.changelog", slug=slug),
        release_url=lambda number: _external("programme.release", slug=slug, number=number),
        iso=lambda value: value.replace(microsecond=0).isoformat() + "Z",
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    etag = caching.make_etag("feed", latest.snapshot_id, latest.digest, str(get_locale()))
    return caching.cacheable(response, etag, caching.latest(latest.published_at))
