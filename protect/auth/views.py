from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext, refresh
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError

from protect.auth import members, security, services
from protect.auth.forms import (
    AcceptInvitationForm,
    ConfirmForm,
    InviteForm,
    LoginForm,
    PasswordForm,
    PolicyForm,
    ProfileForm,
    ResetPasswordForm,
    RoleForm,
)
from protect.auth.models import Invitation, User, UserSession, hash_token
from protect.core import changes
from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, redirect_or_hx, render_fragment
from protect.core.i18n import N_, current_language, language_code
from protect.core.mail import mail_configured
from protect.core.permissions import public, role_required
from protect.core.regions import country_time_zone
from protect.core.security import safe_next
from protect.extensions import db, limiter, login_manager

bp = Blueprint("auth", __name__)


# The signed-in member, their session, the change tokens (core.pagecache) and the second-factor policy
# (auth.security), in one statement per request.
_SESSION_ROW = (
    select(
        User,
        UserSession.id,
        UserSession.created_at,
        UserSession.last_seen_at,
        UserSession.ended_at,
        changes.ALL_STAMPS_TEXT,
        security.POLICY_VALUE,
    )
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """The member whose live session the cookie names, or None: the session ended (signed out, ended from the
    profile, password changed, account deactivated) or timed out (idle, or older than the absolute limit)."""
    if g.get("protect_database_unavailable"):  # the error page of a lost database is shown without a member
        return None
    found = db.session.execute(_SESSION_ROW, {"token_hash": hash_token(session_token)}).first()
    if found is None:
        return None
    user, session_id, created_at, last_seen_at, ended_at, stamps, policy = found
    now = utcnow()
    idle_since, started_since = services.session_limits(now)
    if ended_at is not None or not user.active or last_seen_at <= idle_since or created_at <= started_since:
        return None
    changes.remember(stamps)  # the change tokens, read in the same statement (core.pagecache)
    security.remember_policy(policy)
    user.session_token, user.session_id = session_token, session_id
    if (now - last_seen_at).total_seconds() >= current_app.config["SESSION_TOUCH_SECONDS"]:
        _touch(session_id, now)
    return user


def _touch(session_id: int, now) -> None:
    """Note that the session was seen (at most every SESSION_TOUCH_SECONDS, so a page view is not a write).
    In a transaction of its own, so it is kept whatever the request does, unless this request holds SQLite's
    write lock already (another connection would wait for it): then with the request's own commit."""
    statement = update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and connection.info.get("protect_deferred") is False:
        db.session.execute(statement)
        return
    try:
        with writing(), db.engine.begin() as other:
            other.execute(statement)
    except OperationalError:  # a busy database: the next request notes it
        current_app.logger.warning("Could not note that session %s was seen", session_id, exc_info=True)


def _client() -> tuple[str, str]:
    """The address and the browser of this request, as a new session records them."""
    return request.remote_addr or "", request.user_agent.string or ""


def _start_signed_in(user: User) -> None:
    """Put a session begun by a service (``user.get_id()`` is its token) into the cookie. Nothing of the
    browser's session from before the sign-in is kept (no fixation, a new CSRF token)."""
    session.clear()
    login_user(user, remember=False)


def _sign_out(reason: str = "signed_out") -> None:
    """End this session on the server (a copy of the cookie opens nothing afterwards), then in the browser."""
    if current_user.is_authenticated:
        services.end_current_session(current_user._get_current_object(), reason)  # type: ignore[attr-defined]
    logout_user()
    session.clear()


@login_manager.unauthorized_handler
def unauthorized():
    next_path = request.full_path.rstrip("?") if request.method == "GET" else None
    if request.headers.get("HX-Request") == "true":
        # A fragment request must not get the sign-in page swapped into it: send the whole page there.
        current = request.headers.get("HX-Current-URL", "")
        path = "/" + current.split("/", 3)[3] if current.count("/") >= 3 else None
        target = url_for("auth.login", next=safe_next(path))
        response = current_app.response_class("", 401)
        response.headers["HX-Redirect"] = target
        return response
    flash(gettext("Please sign in to continue."), "info")
    return redirect(url_for("auth.login", next=safe_next(next_path)))


# Sign-in ----------------------------------------------------------------------------------------------------

FAILED_SIGN_IN = N_("The email address or the password is not correct.")


def _login_breach(_limit: RequestLimit):
    form = LoginForm()
    form.password.data = ""
    page = render_template(
        "auth/login.html",
        form=form,
        error=gettext("Too many failed sign-in attempts. Wait a minute, then try again."),
    )
    return make_response(page, 429)


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_LIMIT"]


def _account_key() -> str:
    return "account:" + services.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    return response.status_code == 401


# Two limits: the account's (LOGIN_LIMIT, from any address: guessing one member's password) counts every
# attempt before it is checked (an atomic hit in the limiter's storage; counting failures after the answer let
# simultaneous guesses all through); the address's (LOGIN_ADDRESS_LIMIT, all accounts together: trying many)
# counts failures (401) only and is much higher, so that colleagues behind the same address are not locked out.
@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"], scope="login-address", deduct_when=_failed, on_breach=_login_breach)
@limiter.limit(
    _account_limit,
    methods=["POST"],
    key_func=_account_key,
    scope="login-account",
    on_breach=_login_breach,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None and not user.active:
            return render_template(
                "auth/login.html",
                form=form,
                error=gettext("This account is deactivated. Contact an administrator."),
            ), 403
        if user is None:
            form.password.data = ""
            return render_template("auth/login.html", form=form, error=gettext(FAILED_SIGN_IN)), 401
        target = safe_next(form.next.data) or url_for("home.dashboard")
        if user.second_factor:
            # No session yet: the password alone opens nothing. The browser's session (signed, ours) remembers
            # whose password was right, for PENDING_SIGN_IN_MINUTES, until the second factor is given.
            _start_pending(user, target)
            return redirect(url_for("auth.second_factor"), 303)
        if security.must_set_up_second_factor(user):
            target = url_for("auth.security_page")  # the only page open to them until they have one
        services.record_login(user, *_client())
        _start_signed_in(user)
        return redirect(target, 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


def recent_sign_in_required(view):
    """A change to how the member signs in needs a proof of who they are from the last REAUTH_MINUTES (the
    sign-in, or the password asked again): a stolen open session alone cannot take over the account."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        if security.recently_authenticated(user):
            return view(*args, **kwargs)
        if request.method == "GET":
            back = request.full_path.rstrip("?")
        else:  # back to the page the form was on (an administrator's People page), else the security page
            referrer = urlsplit(request.referrer or "")
            same_site = not referrer.netloc or referrer.netloc == request.host
            back = (referrer.path + (f"?{referrer.query}" if referrer.query else "")) if same_site else ""
            back = safe_next(back) or url_for("auth.security_page")
        target = url_for("auth.reauth", next=safe_next(back))
        if request.is_json:
            return {"error": gettext("Confirm your password first."), "redirect": target}, 401
        return redirect_or_hx(target)

    return wrapper


PENDING = "pending_sign_in"


def _start_pending(user: User, target: str) -> None:
    """The password (or a reset link) is done; the second factor is still to come. No server session yet."""
    session.clear()
    session[PENDING] = {"user": user.id, "at": time.time(), "next": target}


def pending_user() -> User | None:
    """The member whose password was right in this browser in the last PENDING_SIGN_IN_MINUTES, who still has
    to give their second factor; None when there is none (or it is too old)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if time.time() - float(pending.get("at", 0)) > current_app.config["PENDING_SIGN_IN_MINUTES"] * 60:
        return None
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or not user.second_factor:
        return None
    return user


def finish_sign_in(user: User, method: str) -> str:
    """The second step is done (or a passkey alone signed in): the session begins. Returns where to go."""
    pending = session.get(PENDING) or {}
    target = safe_next(pending.get("next") if isinstance(pending, dict) else None) or url_for("home.dashboard")
    services.record_login(user, *_client(), method=method)
    _start_signed_in(user)
    return target


@bp.post("/logout")
@public
def logout():
    ConfirmForm().validate_on_submit()  # CSRF is checked for every POST by CSRFProtect already
    _sign_out()
    flash(gettext("You are signed out."), "info")
    return redirect_or_hx(url_for("auth.login"))


# Invitations ------------------------------------------------------------------------------------------------


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    try:
        invitation = services.invitation_for(token)
    except services.LinkUnavailable as error:
        return error_response(error.status, error.message, gettext("Invitation not usable"))
    form = AcceptInvitationForm()
    if request.method == "GET":
        services.mark_invitation_opened(invitation)
        form.time_zone.data = country_time_zone(invitation.country)
        form.display_name.data = invitation.name or None
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                token,
                form.display_name.data,
                form.password.data,
                form.time_zone.data,
                form.organisation.data or "",
                client=_client(),
            )
        except services.LinkUnavailable as error:
            return error_response(error.status, error.message, gettext("Invitation not usable"))
        except RuleViolation as error:
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            _sign_out("replaced")  # whoever was signed in in this browser before
            _start_signed_in(user)
            flash(gettext("Welcome to PROTECT Workspace, %(name)s.", name=user.display_name), "success")
            return redirect(url_for("home.dashboard"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/accept.html", form=form, invitation=invitation), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        reset = services.reset_for(token)
    except services.LinkUnavailable as error:
        return error_response(error.status, error.message, gettext("Reset link not usable"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user, signed_in = services.use_password_reset(token, form.password.data, client=_client())
        except services.LinkUnavailable as error:
            return error_response(error.status, error.message, gettext("Reset link not usable"))
        except RuleViolation as error:
            form.password.errors.append(error.message)
        else:
            _sign_out("replaced")
            if not signed_in:
                # The link stood for the password only: the second factor is still asked, as at sign-in.
                _start_pending(user, url_for("home.dashboard"))
                flash(
                    gettext("Your new password is set. Give your second factor to sign in."),
                    "success",
                )
                return redirect(url_for("auth.second_factor"), 303)
            _start_signed_in(user)
            flash(gettext("Your new password is set. Every other session of your account has ended."), "success")
            return redirect(url_for("home.dashboard"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, reset=reset), status


# Profile ----------------------------------------------------------------------------------------------------


def _profile_context(**context) -> dict:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return {
        "sessions": services.active_sessions(user),
        "current_session_id": user.session_id,
        "confirm": ConfirmForm(),
        **context,
    }


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    password_form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            display_name=form.display_name.data,
            organisation=form.organisation.data or "",
            country=form.country.data,
            sector=form.sector.data,
            time_zone=form.time_zone.data,
            language=form.language.data or "",
        )
        refresh()  # the language may have changed: say it in the new one
        flash(gettext("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/profile.html", **_profile_context(form=form, password_form=password_form)), status


@bp.post("/profile/password")
def change_password():
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            services.change_password(
                user, password_form.current_password.data, password_form.new_password.data, *_client()
            )
        except RuleViolation as error:
            getattr(password_form, error.field or "new_password").errors.append(error.message)
        else:
            _start_signed_in(user)  # this browser continues in the new session; every other one has ended
            flash(gettext("Your password is changed. Every other session of your account has ended."), "success")
            return redirect(url_for("auth.profile"), 303)
    return render_template("auth/profile.html", **_profile_context(form=form, password_form=password_form)), 422


def _after_sessions_change(message: str):
    if is_htmx():
        return render_fragment("auth/profile.html", "sessions", **_profile_context(sessions_message=message))
    flash(message, "success")
    return redirect(url_for("auth.profile") + "#sessions-title", 303)


@bp.post("/profile/sessions/<int:session_id>/end")
def end_session(session_id: int):
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if session_id == user.session_id:
        _sign_out()
        flash(gettext("You are signed out."), "info")
        return redirect_or_hx(url_for("auth.login"))
    ended = services.end_session(user, session_id)  # another member's, or an ended one: 404
    if ended.ip_address:
        message = gettext(
            "The session of %(browser)s (%(address)s) has ended.", browser=ended.browser, address=ended.ip_address
        )
    else:
        message = gettext("The session of %(browser)s (unknown address) has ended.", browser=ended.browser)
    return _after_sessions_change(message)


@bp.post("/profile/sessions/end-others")
def end_other_sessions():
    count = services.sign_out_everywhere(current_user._get_current_object(), keep_current=True)  # type: ignore[attr-defined]
    if count == 0:
        return _after_sessions_change(gettext("There was no other session to end."))
    return _after_sessions_change(
        ngettext(
            "%(num)d other session ended. You are still signed in here.",
            "%(num)d other sessions ended. You are still signed in here.",
            count,
        )
    )


@bp.post("/profile/sign-out-everywhere")
def sign_out_everywhere():
    services.sign_out_everywhere(current_user._get_current_object())  # type: ignore[attr-defined]
    logout_user()
    session.clear()
    flash(gettext("You are signed out everywhere, in this browser too."), "info")
    return redirect_or_hx(url_for("auth.login"))


# Members ----------------------------------------------------------------------------------------------------


@bp.get("/members/<int:member_id>")
def member(member_id: int):
    """A member as the group sees them (where a mention leads): name, role, country, sector, organisation. Not
    the e-mail address. A deactivated member's page stays, marked, so that old mentions still lead somewhere."""
    person = db.get_or_404(User, member_id, description=gettext("There is no such member."))
    return render_template("auth/member.html", person=person)


@bp.get("/members/suggest")
def suggest_members():
    """The members to offer after "@" in a text (app.js asks as the member types): the options of a listbox."""
    text = request.args.get("q", "")
    found = [] if len(text) > members.QUERY_MAX else members.suggest(text, exclude=current_user.id)
    return render_fragment("auth/suggest.html", "options", found=found)


# Administration ---------------------------------------------------------------------------------------------


def _users_context() -> dict:
    users = db.session.execute(select(User).order_by(User.active.desc(), User.display_name)).scalars().all()
    invitations = (
        db.session.execute(
            select(Invitation)
            .where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.created_at.desc())
        )
        .scalars()
        .all()
    )
    policy = PolicyForm(required=security.second_factor_required())
    return {
        "users": users,
        "invitations": invitations,
        "role_form": RoleForm(),
        "confirm": ConfirmForm(),
        "policy_form": policy,
    }


@bp.get("/admin/users")
@role_required("admin")
def users():
    return render_template("auth/users.html", **_users_context())


def _row_response(user: User, error: str | None = None, status: int = 200):
    return render_fragment(
        "auth/users.html",
        "user_row",
        status=status,
        user=user,
        row_error=error,
        role_form=RoleForm(),
        confirm=ConfirmForm(),
    )


@bp.post("/admin/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    user = db.get_or_404(User, user_id, description=gettext("There is no such user."))
    form = RoleForm()
    if not form.validate_on_submit():
        return _after_admin_action(user, gettext("Choose expert, moderator or administrator."), 422)
    try:
        services.change_role(current_user, user, form.role.data)
    except RuleViolation as error:
        db.session.rollback()
        return _after_admin_action(user, error.message, error.status)
    return _after_admin_action(user, None, 200, gettext(NOW_ROLE[user.role], name=user.display_name))


@bp.post("/admin/users/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int):
    user = db.get_or_404(User, user_id, description=gettext("There is no such user."))
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):  # a malformed request must not deactivate anyone by default
        return _after_admin_action(user, gettext("Say whether to activate (1) or deactivate (0) the account."), 422)
    active = wanted == "1"
    try:
        services.set_active(current_user, user, active)
    except RuleViolation as error:
        db.session.rollback()
        return _after_admin_action(user, error.message, error.status)
    if active:
        done = gettext("The account of %(name)s is reactivated.", name=user.display_name)
    else:
        done = gettext("The account of %(name)s is deactivated.", name=user.display_name)
    return _after_admin_action(user, None, 200, done)


# What an administrator is told after changing a role: one whole message for each role.
NOW_ROLE = {
    "expert": N_("%(name)s is now an expert."),
    "moderator": N_("%(name)s is now a moderator."),
    "admin": N_("%(name)s is now an administrator."),
}


def _after_admin_action(user: User, error: str | None, status: int, done: str | None = None):
    db.session.refresh(user)
    if is_htmx():
        return _row_response(user, error, status)
    if error:
        flash(error, "error")
    elif done:
        flash(done, "success")
    return redirect(url_for("auth.users"), 303)


@bp.post("/admin/users/<int:user_id>/reset-link")
@role_required("admin")
@recent_sign_in_required
def reset_link(user_id: int):
    user = db.get_or_404(User, user_id, description=gettext("There is no such user."))
    if not user.active:
        return error_response(409, gettext("Reactivate the account before making a password reset link."))
    token = services.create_password_reset(current_user, user)  # mailed too (the outbox) when mail is set up
    link = services.external_url("auth.reset_password", token=token)
    return render_template(
        "auth/link_made.html",
        kind="reset",
        person=user,
        email=user.email,
        link=link,
        mailed=mail_configured(),
    )


@bp.route("/admin/invitations/new", methods=["GET", "POST"])
@role_required("admin")
def invite():
    form = InviteForm()
    if request.method == "GET":
        form.language.data = current_user.language or current_language()
    if form.validate_on_submit():
        # The invited person has no account yet: the e-mail is in the language the administrator chose for it.
        language = language_code(form.language.data) or current_user.language or current_language()
        try:
            invitation, token = services.create_invitation(
                current_user,
                form.email.data,
                form.role.data,
                form.country.data,
                form.sector.data,
                name=form.name.data or "",
                message=form.message.data or "",
                language=language,
            )
        except RuleViolation as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            return _invitation_link(invitation, token)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/invite.html", form=form), status


def _invitation_link(invitation: Invitation, token: str):
    """The page that shows a new invitation link (for a person without mail, or when none is set up)."""
    return render_template(
        "auth/link_made.html",
        kind="invitation",
        email=invitation.email,
        link=services.external_url("auth.accept_invitation", token=token),
        mailed=mail_configured(),  # then the mail is in the outbox (auth.services._mail_invitation)
        invitation=invitation,
    )


@bp.post("/admin/invitations/<int:invitation_id>/resend")
@role_required("admin")
def resend_invitation(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id, description=gettext("There is no such invitation."))
    try:
        token = services.resend_invitation(current_user, invitation)
    except RuleViolation as error:
        return error_response(error.status, error.message)
    return _invitation_link(invitation, token)


@bp.post("/admin/invitations/<int:invitation_id>/revoke")
@role_required("admin")
def revoke_invitation(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id, description=gettext("There is no such invitation."))
    try:
        services.revoke_invitation(current_user, invitation)
    except RuleViolation as error:
        return error_response(409, error.message)
    flash(gettext("The invitation of %(email)s is withdrawn.", email=invitation.email), "success")
    return redirect(url_for("auth.users"), 303)


@bp.post("/admin/users/<int:user_id>/second-factors/remove")
@role_required("admin")
@recent_sign_in_required
def remove_second_factors(user_id: int):
    user = db.get_or_404(User, user_id, description=gettext("There is no such user."))
    if not user.second_factor:
        return error_response(409, gettext("%(name)s has no second factor.", name=user.display_name))
    security.remove_second_factors(current_user, user)
    flash(
        gettext(
            "The second factors of %(name)s are removed and their sessions ended. They sign in with their password "
            "and set up a new one.",
            name=user.display_name,
        ),
        "success",
    )
    return redirect(url_for("auth.users"), 303)


@bp.post("/admin/second-factor-policy")
@role_required("admin")
@recent_sign_in_required
def second_factor_policy():
    form = PolicyForm()
    form.validate_on_submit()
    required = bool(form.required.data)
    security.set_second_factor_required(current_user, required)
    if required:
        flash(gettext("Moderators and administrators now need a second factor to use the workspace."), "success")
    else:
        flash(gettext("Moderators and administrators may now sign in with a password alone."), "success")
    return redirect(url_for("auth.users") + "#policy-title", 303)
