"""The pages of a member's sign-in security: a forgotten password, the second step of signing in (a code or a
passkey), passkeys alone, the security page (second factors, e-mail address, events), re-authentication, and the
policy that keeps a moderator or administrator without a second factor on the set-up page."""

from __future__ import annotations

import json
import re

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_limiter import RequestLimit
from flask_login import current_user
from markupsafe import Markup

from protect.auth import security, services
from protect.auth.forms import (
    ConfirmForm,
    EmailForm,
    ForgotPasswordForm,
    PasskeyForm,
    PasswordCheckForm,
    SecondFactorForm,
    TotpConfirmForm,
)
from protect.auth.views import PENDING, bp, finish_sign_in, pending_user, recent_sign_in_required
from protect.core.database import writing
from protect.core.errors import RuleViolation, error_response
from protect.core.htmx import is_htmx, redirect_or_hx
from protect.core.permissions import public
from protect.core.security import safe_next
from protect.extensions import limiter

# All that a member who must set up a second factor may reach: an explicit list, public pages included (a
# public page that reads current_user, such as search, would otherwise show them members' content).
SET_UP_ENDPOINTS = frozenset(
    {
        "auth.security_page",
        "auth.reauth",
        "auth.totp_start",
        "auth.totp_setup",
        "auth.recovery_codes_file",
        "auth.passkey_options",
        "auth.passkey_add",
        "auth.login",
        "auth.logout",
        "home.language",
        "home.healthz",
        "static",
    }
)


@bp.before_app_request
def _second_factor_policy():
    """Deny by default, one step further: a moderator or administrator without a second factor, while the
    policy is on, reaches the set-up and nothing else, by any route (public ones too), htmx requests included."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in SET_UP_ENDPOINTS or not current_user.is_authenticated:
        return None
    if not security.must_set_up_second_factor(current_user):
        return None
    target = url_for("auth.security_page")
    message = gettext("Set up a second factor first: your role needs one to use the workspace.")
    if is_htmx():
        response = error_response(403, message)
        response.headers["HX-Redirect"] = target
        return response
    if request.method == "GET":
        flash(message, "warning")
    return redirect(target, 303)


def _password_check_limit() -> str:
    return current_app.config["PASSWORD_CHECK_LIMIT"]


def _member_key() -> str:
    return "member:" + str(getattr(current_user, "id", None))


def _password_check_breach(_limit: RequestLimit):
    return error_response(429, gettext("Too many attempts with your password. Wait a few minutes, then try again."))


# Every attempt counts (before it is checked), per account, for the four forms that ask the password again.
password_check_limit = limiter.shared_limit(
    _password_check_limit,
    scope="password-check",
    key_func=_member_key,
    methods=["POST"],
    on_breach=_password_check_breach,
)


# A forgotten password ---------------------------------------------------------------------------------------


def _forgot_limit() -> str:
    return current_app.config["FORGOT_PASSWORD_LIMIT"]


def _forgot_address_limit() -> str:
    return current_app.config["FORGOT_PASSWORD_ADDRESS_LIMIT"]


def _forgot_key() -> str:
    return "forgot:" + services.normalise_email(request.form.get("email", ""))


def _forgot_breach(_limit: RequestLimit):
    page = render_template(
        "auth/forgot.html",
        form=ForgotPasswordForm(),
        error=gettext("Too many requests for reset links. Wait an hour, then try again."),
    )
    return make_response(page, 429)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(_forgot_address_limit, methods=["POST"], scope="forgot-address", on_breach=_forgot_breach)
@limiter.limit(_forgot_limit, methods=["POST"], key_func=_forgot_key, scope="forgot-account", on_breach=_forgot_breach)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, request.remote_addr or "")
        # The same answer whether or not the address belongs to a member.
        return render_template("auth/forgot.html", form=None, sent_to=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


# The second step of signing in ------------------------------------------------------------------------------


def _second_factor_limit() -> str:
    return current_app.config["SECOND_FACTOR_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_LIMIT"]


def _pending_key() -> str:
    pending = session.get(PENDING)
    return "second-factor:" + str(pending.get("user") if isinstance(pending, dict) else "none")


def _failed(response) -> bool:
    return response.status_code == 401


def _code_breach(_limit: RequestLimit):
    page = render_template(
        "auth/second_factor.html",
        form=SecondFactorForm(),
        user=pending_user(),
        error=gettext("Too many wrong codes. Wait a few minutes, then try again."),
    )
    return make_response(page, 429)


@bp.route("/login/verify", methods=["GET", "POST"])
@public
@limiter.limit(
    _address_limit, methods=["POST"], scope="second-factor-address", deduct_when=_failed, on_breach=_code_breach
)
# Every attempt counts, before it is checked (an atomic hit in the limiter's storage): counting only failures,
# after the answer, let 40 simultaneous guesses all through before the first was counted.
@limiter.limit(
    _second_factor_limit,
    methods=["POST"],
    key_func=_pending_key,
    scope="second-factor-account",
    on_breach=_code_breach,
)
def second_factor():
    user = pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(gettext("Sign in again: the time to give the second factor ran out."), "info")
        return redirect(url_for("auth.login"), 303)
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            method = security.check_second_factor(user, form.code.data)
        except RuleViolation as error:
            form.code.data = ""
            return render_template("auth/second_factor.html", form=form, user=user, error=error.message), 401
        return redirect(finish_sign_in(user, method), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/second_factor.html", form=form, user=user), status


@bp.post("/login/passkey/options")
@public
@limiter.limit(_address_limit, scope="passkey-address")
def passkey_sign_in_options():
    """The challenge for navigator.credentials.get: the pending member's passkeys (second factor) or any."""
    user = pending_user()
    options, challenge = security.authentication_options(user)
    session["webauthn_sign_in"] = security.keep_challenge("sign_in", user, challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
@public
@limiter.limit(_address_limit, scope="passkey-address", deduct_when=_failed)
def passkey_sign_in():
    pending = pending_user()
    challenge = security.take_challenge(session.pop("webauthn_sign_in", None), "sign_in", pending)
    with writing():  # the challenge was taken in a transaction of its own; what follows writes again
        try:
            user = security.authenticate_passkey(request.get_data(as_text=True), challenge, pending)
        except RuleViolation as error:
            return {"error": error.message}, error.status
        return {"redirect": finish_sign_in(user, "password+passkey" if pending else "passkey")}


# Re-authentication ------------------------------------------------------------------------------------------


@bp.route("/profile/confirm-password", methods=["GET", "POST"])
@password_check_limit
def reauth():
    form = PasswordCheckForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        try:
            security.reauthenticate(current_user._get_current_object(), form.password.data)  # type: ignore[attr-defined]
        except RuleViolation as error:
            form.password.errors.append(error.message)
            return render_template("auth/reauth.html", form=form), 422
        return redirect(safe_next(form.next.data) or url_for("auth.security_page"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reauth.html", form=form), status


# The security page ------------------------------------------------------------------------------------------


def _security_context(**context) -> dict:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    totp = security.totp_of(user)
    return {
        "totp_on": totp is not None and totp.confirmed_at is not None,
        "codes_left": security.recovery_codes_left(user),
        "passkeys": security.passkeys_of(user),
        "events": security.security_events(user),
        "must_set_up": security.must_set_up_second_factor(user),
        "recent": security.recently_authenticated(user),
        "confirm": ConfirmForm(),
        "disable_form": context.pop("disable_form", None) or PasswordCheckForm(prefix="off"),
        "codes_form": context.pop("codes_form", None) or PasswordCheckForm(prefix="codes"),
        "email_form": context.pop("email_form", None) or EmailForm(prefix="email"),
        "passkey_form": PasskeyForm(prefix="passkey"),
        **context,
    }


@bp.get("/profile/security")
def security_page():
    return render_template("auth/security.html", **_security_context())


@bp.post("/profile/security/email")
@password_check_limit
def change_email():
    form = EmailForm(prefix="email")
    if form.validate_on_submit():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            old = services.change_email(user, form.password.data, form.email.data)
        except RuleViolation as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            flash(
                gettext("Your e-mail address is now %(email)s. A notice went to %(old)s.", email=user.email, old=old),
                "success",
            )
            return redirect(url_for("auth.security_page"), 303)
    form.password.data = ""
    return render_template("auth/security.html", **_security_context(email_form=form)), 422


# TOTP ---------------------------------------------------------------------------------------------------------


@bp.post("/profile/security/totp/start")
@recent_sign_in_required
def totp_start():
    try:
        security.begin_totp(current_user._get_current_object())  # type: ignore[attr-defined]
    except RuleViolation as error:
        return error_response(409, error.message)
    return redirect(url_for("auth.totp_setup"), 303)


def _totp_page(form: TotpConfirmForm, status: int = 200):
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    row = security.totp_of(user)
    if row is None or row.confirmed_at is not None:
        return redirect(url_for("auth.security_page"), 303)
    uri = security.totp_uri(user, row.secret)
    # The SVG is drawn by segno from the URI (our own markup; the title is our own text, escaped by segno).
    qr = Markup(security.qr_svg(uri, gettext("QR code to scan with your authenticator app")))  # noqa: S704
    secret = " ".join(re.findall(".{1,4}", row.secret))
    return render_template("auth/totp.html", form=form, qr=qr, secret=secret), status


@bp.route("/profile/security/totp", methods=["GET", "POST"])
@recent_sign_in_required
def totp_setup():
    form = TotpConfirmForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        try:
            codes = security.confirm_totp(user, form.code.data)
        except RuleViolation as error:
            if error.status == 409:
                return redirect(url_for("auth.security_page"), 303)
            form.code.errors.append(error.message)
            form.code.data = ""
            return _totp_page(form, 422)
        return render_template("auth/recovery_codes.html", codes=codes, first=True)
    return _totp_page(form, 422 if request.method == "POST" else 200)


@bp.post("/profile/security/totp/off")
@password_check_limit
def totp_off():
    form = PasswordCheckForm(prefix="off")
    if form.validate_on_submit():
        try:
            security.disable_totp(current_user._get_current_object(), form.password.data)  # type: ignore[attr-defined]
        except RuleViolation as error:
            if error.status == 409:
                return error_response(409, error.message)
            form.password.errors.append(error.message)
        else:
            flash(gettext("Two-factor sign-in with an authenticator app is off."), "success")
            return redirect(url_for("auth.security_page"), 303)
    return render_template("auth/security.html", **_security_context(disable_form=form)), 422


@bp.post("/profile/security/recovery-codes")
@password_check_limit
def recovery_codes():
    form = PasswordCheckForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = security.regenerate_recovery_codes(current_user._get_current_object(), form.password.data)  # type: ignore[attr-defined]
        except RuleViolation as error:
            if error.status == 409:
                return error_response(409, error.message)
            form.password.errors.append(error.message)
        else:
            return render_template("auth/recovery_codes.html", codes=codes, first=False)
    return render_template("auth/security.html", **_security_context(codes_form=form)), 422


_CODE = re.compile(r"^[a-z0-9]{5}-[a-z0-9]{5}$")


@bp.post("/profile/security/recovery-codes.txt")
def recovery_codes_file():
    """The codes just shown, as a file to keep: the page sends them back (they are stored only as hashes)."""
    codes = [code for code in request.form.getlist("code") if _CODE.match(code)][: security.RECOVERY_CODES]
    if not codes:
        return error_response(422, gettext("There are no codes to download."))
    lines = [gettext("PROTECT Workspace recovery codes for %(email)s", email=current_user.email), ""]
    lines += codes + ["", gettext("Each code works once, in place of the code from your app.")]
    response = make_response("\n".join(lines) + "\n")
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = 'attachment; filename="protect-recovery-codes.txt"'
    return response


# Passkeys -----------------------------------------------------------------------------------------------------


@bp.post("/profile/security/passkeys/options")
@recent_sign_in_required
def passkey_options():
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    options, challenge = security.registration_options(user)
    session["webauthn_register"] = security.keep_challenge("register", user, challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/profile/security/passkeys")
@recent_sign_in_required
def passkey_add():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        return {"error": gettext("The passkey's answer could not be read. Try again.")}, 400
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    challenge = security.take_challenge(session.pop("webauthn_register", None), "register", user)
    try:
        with writing():  # the challenge was taken in a transaction of its own
            passkey = security.register_passkey(user, json.dumps(data["credential"]), challenge, name)
    except RuleViolation as error:
        return {"error": error.message}, error.status
    flash(gettext("The passkey “%(name)s” is added.", name=passkey.name), "success")
    return {"redirect": url_for("auth.security_page")}


@bp.post("/profile/security/passkeys/<int:passkey_id>/remove")
@recent_sign_in_required
def passkey_remove(passkey_id: int):
    name = security.remove_passkey(current_user._get_current_object(), passkey_id)  # type: ignore[attr-defined]
    flash(gettext("The passkey “%(name)s” is removed.", name=name), "success")
    return redirect_or_hx(url_for("auth.security_page"))
