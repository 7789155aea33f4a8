"""A member's second factors (an authenticator app, recovery codes, passkeys), re-authentication, the policy that
moderators and administrators need a second factor, and the security page's events: the rules, without HTTP.

- TOTP (RFC 6238, ``pyotp``): 30-second steps, one step of tolerance either side; a code counts once
  (``TotpCredential.last_step``, raised by compare-and-set, so two requests with one code cannot both pass).
- Recovery codes: ten, single-use, stored as hashes; shown once.
- Passkeys: the ``webauthn`` library does the ceremonies; the relying party is ``PROTECT_BASE_URL``'s host. A
  challenge waits on the server (``WebAuthnChallenge``), is taken once, for its purpose and member, within
  ``CHALLENGE_MINUTES``; the signature counter only rises (compare-and-set).
- Re-authentication: ``UserSession.authenticated_at``, set at sign-in and when the password is asked again.
Nothing secret (a secret, a code, a challenge) goes into the audit log or a mail.
"""

from __future__ import annotations

import hmac
import io
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pyotp
import segno
from flask import current_app, g, has_request_context, render_template, request
from flask_babel import force_locale, gettext
from sqlalchemy import delete, func, select, update
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from protect.auth.models import (
    Passkey,
    RecoveryCode,
    SiteSetting,
    TotpCredential,
    User,
    UserSession,
    WebAuthnChallenge,
    hash_token,
)
from protect.core import audit
from protect.core import mail as core_mail
from protect.core.audit import AuditEvent
from protect.core.database import utcnow, writing
from protect.core.errors import RuleViolation
from protect.core.i18n import N_, babel_locale, language_code
from protect.core.mail import mail_configured
from protect.extensions import db

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
PASSKEY_NAME_MAX = 80
CHALLENGE_MINUTES = 5
POLICY_KEY = "require_second_factor"
POLICY_ROLES = ("moderator", "admin")

# The events a member's security page lists (the audit log keeps them for administrators too).
SECURITY_ACTIONS = (
    "user.signed_in",
    "user.signed_in_new_browser",
    "user.signed_out_everywhere",
    "user.password_changed",
    "user.password_reset",
    "user.reset_requested",
    "user.reset_link",
    "user.email_changed",
    "user.totp_enabled",
    "user.totp_disabled",
    "user.recovery_codes_made",
    "user.recovery_code_used",
    "user.passkey_added",
    "user.passkey_removed",
    "user.second_factor_refused",
    "user.password_refused",
    "user.second_factors_removed",
)


# The policy -------------------------------------------------------------------------------------------------


# The administrators' choice, read with the signed-in member in the request's one statement (auth.views.load_user).
POLICY_VALUE = (
    select(SiteSetting.value).where(SiteSetting.key == POLICY_KEY).scalar_subquery().label("second_factor_policy")
)


def remember_policy(value: Any) -> None:
    g.protect_second_factor_policy = (value,)


def second_factor_required() -> bool:
    """Whether moderators and administrators must have a second factor: the administrators' choice, or the
    configuration's default (REQUIRE_SECOND_FACTOR) until they made one."""
    if has_request_context() and "protect_second_factor_policy" in g:
        (value,) = g.protect_second_factor_policy
    else:
        value = db.session.execute(select(POLICY_VALUE)).scalar_one_or_none()
    return bool(current_app.config["REQUIRE_SECOND_FACTOR"] if value is None else value)


def set_second_factor_required(actor: User, required: bool) -> None:
    row = db.session.get(SiteSetting, POLICY_KEY)
    if row is None:
        db.session.add(SiteSetting(key=POLICY_KEY, value=required, updated_by_id=actor.id))
    else:
        row.value, row.updated_at, row.updated_by_id = required, utcnow(), actor.id
    audit.record(
        actor,
        "settings.second_factor_policy",
        None,
        summary=N_("required a second factor of moderators and administrators")
        if required
        else N_("no longer requires a second factor of moderators and administrators"),
        audience="admin",
    )
    db.session.commit()


def must_set_up_second_factor(user: Any) -> bool:
    """A moderator or administrator without a second factor while the policy is on: they may do nothing but
    set one up (auth.views._second_factor_policy)."""
    return (
        getattr(user, "role", None) in POLICY_ROLES
        and not getattr(user, "second_factor", True)
        and second_factor_required()
    )


def lock_factors(user: User) -> None:
    """Every change of a member's second factors begins by locking their row (SELECT ... FOR UPDATE; SQLite's
    writing transaction holds the whole database already): two changes at once (the app turned off while a
    passkey is removed) take turns, so ``users.second_factor`` is computed from what the other one committed."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update()).first()
    db.session.refresh(user, ["second_factor"])  # as the other change left it


def _refresh_second_factor(user: User) -> None:
    """Keep ``users.second_factor`` true exactly when the member has a confirmed TOTP app or a passkey."""
    has = db.session.execute(
        select(
            select(TotpCredential.user_id)
            .where(TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None))
            .exists()
            | select(Passkey.id).where(Passkey.user_id == user.id).exists()
        )
    ).scalar_one()
    if user.second_factor != bool(has):
        user.second_factor = bool(has)


# Re-authentication ------------------------------------------------------------------------------------------


def recently_authenticated(user: User) -> bool:
    if user.session_id is None:
        return False
    at = db.session.execute(
        select(UserSession.authenticated_at).where(UserSession.id == user.session_id)
    ).scalar_one_or_none()
    return at is not None and utcnow() - at <= timedelta(minutes=current_app.config["REAUTH_MINUTES"])


def reauthenticate(user: User, password: str) -> None:
    """The member typed their password again: this session may change their sign-in for REAUTH_MINUTES."""
    check_password(user, password)
    db.session.execute(update(UserSession).where(UserSession.id == user.session_id).values(authenticated_at=utcnow()))
    db.session.commit()


def check_password(user: User, password: str, field: str = "password") -> None:
    """The password asked again by a signed-in member; a wrong one is noted on their security page (and in
    the audit log: a stolen session guessing it shows there). The attempts are limited in the views."""
    if password and user.check_password(password):
        return
    db.session.rollback()
    with writing():
        audit.record(
            user,
            "user.password_refused",
            user,
            summary=N_("typed a wrong password to confirm a change"),
            audience="admin",
        )
        db.session.commit()
    raise RuleViolation(gettext("Your password is not correct."), field=field, status=422)


# Mail about the account -------------------------------------------------------------------------------------

NOTICES = {
    "password_changed": N_("The password of your account was changed."),
    "password_reset": N_("A new password was set for your account with a reset link."),
    "email_changed": N_("The e-mail address of your account was changed to %(email)s."),
    "totp_enabled": N_("Two-factor sign-in with an authenticator app was turned on for your account."),
    "totp_disabled": N_("Two-factor sign-in with an authenticator app was turned off for your account."),
    "recovery_codes_made": N_("New recovery codes were made for your account; the old ones no longer work."),
    "passkey_added": N_("A passkey named “%(name)s” was added to your account."),
    "passkey_removed": N_("The passkey named “%(name)s” was removed from your account."),
    "second_factors_removed": N_(
        "An administrator removed the second factors of your account (authenticator app, passkeys, recovery codes)."
    ),
}


def mail_language(code: str | None) -> str:
    return language_code(code) or "en"


def render_mail(template: str, language: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) of ``auth/mail/<template>.txt|.html`` in ``language``: the text template's first
    line is the subject, the rest the plain-text body."""
    with force_locale(babel_locale(language)):
        text = render_template(f"auth/mail/{template}.txt", language=language, **context)
        html = render_template(f"auth/mail/{template}.html", language=language, **context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n"), html


def queue_mail(template: str, *, to_address: str, user_id: int | None, language: str, **context: Any) -> None:
    """An account mail in the outbox, in the current transaction (notifications.mailer delivers it). Without a
    mail server nothing is queued: nothing would ever send it (the administrators' pages show links instead)."""
    if not mail_configured():
        return
    subject, text, html = render_mail(template, language, **context)
    core_mail.queue_mail(  # the notifications feature's outbox (it registers it: core.mail)
        to_address=to_address,
        user_id=user_id,
        language=language,
        kind=f"account.{template}",
        subject=subject,
        text=text,
        html=html,
    )


def send_notice(user: User, what: str, *, to_address: str | None = None, **params: Any) -> None:
    """Tell the member (at ``to_address``: the old address after a change) that something about their sign-in
    changed, so that a change they did not make does not go unnoticed."""
    queue_mail(
        "notice",
        to_address=to_address or user.email,
        user_id=user.id,
        language=mail_language(user.language),
        user=user,
        what=NOTICES[what],
        params=params,
        when=utcnow(),
    )


# TOTP ---------------------------------------------------------------------------------------------------------


def totp_of(user: User) -> TotpCredential | None:
    return db.session.get(TotpCredential, user.id)


def begin_totp(user: User) -> str:
    """A new secret for the member to scan (replacing one never confirmed). Returns it."""
    lock_factors(user)
    row = totp_of(user)
    if row is not None and row.confirmed_at is not None:
        raise RuleViolation(gettext("Two-factor sign-in is on already. Turn it off first to use another app."))
    secret = pyotp.random_base32()
    if row is None:
        db.session.add(TotpCredential(user_id=user.id, secret=secret))
    else:
        row.secret, row.created_at, row.last_step = secret, utcnow(), None
    db.session.commit()
    return secret


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="PROTECT Workspace")


def qr_svg(data: str, title: str) -> str:
    """The QR code of ``data`` as an SVG element (drawn on the server; no script, no image request)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=5, border=4, xmldecl=False, svgns=True, nl=False, title=title, svgclass="qr-code"
    )
    return out.getvalue().decode()


def _matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The 30-second step whose code ``code`` is, within one step either side of now; None if none."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _use_step(user_id: int, step: int) -> bool:
    """Compare-and-set: the step is used now unless it (or a later one) was used already."""
    return (
        db.session.execute(
            update(TotpCredential)
            .where(
                TotpCredential.user_id == user_id,
                (TotpCredential.last_step.is_(None)) | (TotpCredential.last_step < step),
            )
            .values(last_step=step)
        ).rowcount
        == 1
    )


def confirm_totp(user: User, code: str) -> list[str]:
    """The member typed a code from the app they scanned: two-factor sign-in is on. Returns the new recovery
    codes (shown once)."""
    lock_factors(user)
    row = totp_of(user)
    if row is None or row.confirmed_at is not None:
        raise RuleViolation(gettext("Start the set-up again: scan a new code."), status=409)
    step = _matching_step(row.secret, code)
    if step is None or not _use_step(user.id, step):
        raise RuleViolation(
            gettext("This code is not right. Check the time on your phone and type the newest code."),
            field="code",
            status=422,
        )
    row.confirmed_at = utcnow()
    _refresh_second_factor(user)
    codes = _new_recovery_codes(user)
    audit.record(user, "user.totp_enabled", user, summary=N_("turned on two-factor sign-in"), audience="admin")
    send_notice(user, "totp_enabled")
    db.session.commit()
    return codes


def disable_totp(user: User, password: str) -> None:
    check_password(user, password)
    lock_factors(user)
    row = totp_of(user)
    if row is None or row.confirmed_at is None:
        raise RuleViolation(gettext("Two-factor sign-in with an app is not on."), status=409)
    db.session.delete(row)
    db.session.flush()
    _refresh_second_factor(user)
    if not db.session.execute(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)).first():
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(user, "user.totp_disabled", user, summary=N_("turned off two-factor sign-in"), audience="admin")
    send_notice(user, "totp_disabled")
    db.session.commit()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_token(raw)))
    return codes


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    check_password(user, password)
    lock_factors(user)
    if not user.second_factor:
        raise RuleViolation(gettext("Recovery codes come with a second factor: set one up first."), status=409)
    codes = _new_recovery_codes(user)
    audit.record(user, "user.recovery_codes_made", user, summary=N_("made new recovery codes"), audience="admin")
    send_notice(user, "recovery_codes_made")
    db.session.commit()
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def check_second_factor(user: User, code: str) -> str:
    """The code typed at sign-in after the password: a TOTP code (each once) or a recovery code (each once).
    Returns which it was; RuleViolation (and a "refused" event) when it is neither."""
    row = totp_of(user)
    if row is not None and row.confirmed_at is not None:
        step = _matching_step(row.secret, code)
        if step is not None and _use_step(user.id, step):
            return "totp"
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(normalised) == 10:
        used = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == hash_token(normalised),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        ).rowcount
        if used == 1:
            audit.record(
                user,
                "user.recovery_code_used",
                user,
                summary=N_("signed in with a recovery code"),
                audience="admin",
            )
            return "recovery"
    db.session.rollback()
    audit.record(
        user, "user.second_factor_refused", user, summary=N_("typed a wrong second-factor code"), audience="admin"
    )
    db.session.commit()
    raise RuleViolation(gettext("This code is not right, or it was used already."), field="code", status=401)


# Passkeys ---------------------------------------------------------------------------------------------------


def relying_party() -> tuple[str, str]:
    """(RP id, origin): the host of PROTECT_BASE_URL (the address the request came in on if it is not set)."""
    base = current_app.config.get("BASE_URL") or request.host_url
    parts = urlsplit(base)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def passkeys_of(user: User) -> list[Passkey]:
    return list(
        db.session.execute(
            select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at, Passkey.id)
        ).scalars()
    )


def keep_challenge(purpose: str, user: User | None, challenge: str) -> str:
    """Store a ceremony's challenge on the server; returns the random id the browser's session keeps. (The session
    cookie is only signed: a copy of an old one would otherwise carry a challenge that can be answered again.)"""
    now = utcnow()
    challenge_id = secrets.token_urlsafe(32)
    db.session.commit()  # end a read begun earlier in the request: this write takes SQLite's lock at its start
    with writing():
        db.session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now))
        db.session.add(
            WebAuthnChallenge(
                id=challenge_id,
                challenge=challenge,
                purpose=purpose,
                user_id=user.id if user is not None else None,
                expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
            )
        )
        db.session.commit()
    return challenge_id


def take_challenge(challenge_id: Any, purpose: str, user: User | None) -> str | None:
    """The challenge kept under ``challenge_id`` for ``purpose`` and ``user``, removed in the same statement (of
    two requests with one id, one gets it), committed at once; None if there is none, or it is too old."""
    if not isinstance(challenge_id, str) or not challenge_id:
        return None
    owner = WebAuthnChallenge.user_id.is_(None) if user is None else WebAuthnChallenge.user_id == user.id
    db.session.commit()
    with writing():
        challenge = db.session.execute(
            delete(WebAuthnChallenge)
            .where(
                WebAuthnChallenge.id == challenge_id,
                WebAuthnChallenge.purpose == purpose,
                owner,
                WebAuthnChallenge.expires_at > utcnow(),
            )
            .returning(WebAuthnChallenge.challenge)
        ).scalar_one_or_none()
        db.session.commit()
    return challenge


def _advance_sign_count(passkey_id: int, new_count: int) -> bool:
    """Compare-and-set: the passkey's signature counter rises to ``new_count`` unless another request got there
    first (a cloned authenticator, or one answer sent twice). A counter of 0 means the authenticator keeps none."""
    statement = update(Passkey).where(Passkey.id == passkey_id).values(last_used_at=utcnow())
    if new_count > 0:
        statement = statement.where(Passkey.sign_count < new_count).values(sign_count=new_count)
    return db.session.execute(statement).rowcount == 1


def _user_handle(user: User) -> bytes:
    return f"protect-member-{user.id}".encode()


def registration_options(user: User) -> tuple[str, str]:
    """(options JSON for navigator.credentials.create, the challenge to keep in the session)."""
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["WEBAUTHN_RP_NAME"],
        user_name=user.email,
        user_id=_user_handle(user),
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_from_base64url(p.credential_id)) for p in passkeys_of(user)
        ],
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _from_base64url(value: str) -> bytes:
    return base64url_to_bytes(value)


def _credential_id(credential: str) -> str:
    try:
        value = json.loads(credential).get("id")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value or len(value) > 700:
        raise RuleViolation(gettext("The passkey's answer could not be read. Try again."), status=400)
    return value


def register_passkey(user: User, credential: str, challenge: str | None, name: str) -> Passkey:
    """A new passkey of the member (the security page then offers recovery codes if they have none)."""
    name = " ".join((name or "").split())[:PASSKEY_NAME_MAX] or gettext("Passkey")
    if not challenge:
        raise RuleViolation(gettext("The passkey set-up took too long or was interrupted. Try again."), status=400)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_from_base64url(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:  # every refusal the library has
        current_app.logger.info("Passkey registration refused for member %s: %s", user.id, error)
        raise RuleViolation(gettext("The passkey could not be added. Try again."), status=400) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    lock_factors(user)
    if db.session.execute(select(Passkey.id).where(Passkey.credential_id == credential_id)).first():
        raise RuleViolation(gettext("This passkey is registered already."), status=409)
    try:
        transports = json.loads(credential).get("response", {}).get("transports")
    except (ValueError, AttributeError):
        transports = None
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str)][:8] if isinstance(transports, list) else None,
        name=name,
    )
    db.session.add(passkey)
    db.session.flush()
    _refresh_second_factor(user)
    audit.record(
        user,
        "user.passkey_added",
        user,
        summary=N_("added a passkey “%(name)s”"),
        params={"name": name},
        audience="admin",
    )
    send_notice(user, "passkey_added", name=name)
    db.session.commit()
    return passkey


def remove_passkey(user: User, passkey_id: int) -> str:
    """Remove one of the member's passkeys; returns its name."""
    lock_factors(user)
    passkey = db.session.execute(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    ).scalar_one_or_none()
    if passkey is None:
        raise RuleViolation(gettext("There is no such passkey."), status=404)
    db.session.delete(passkey)
    db.session.flush()
    _refresh_second_factor(user)
    if not user.second_factor:
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        user,
        "user.passkey_removed",
        user,
        summary=N_("removed the passkey “%(name)s”"),
        params={"name": passkey.name},
        audience="admin",
    )
    name = passkey.name
    send_notice(user, "passkey_removed", name=name)
    db.session.commit()
    return name


def authentication_options(user: User | None) -> tuple[str, str]:
    """Options for navigator.credentials.get: ``user``'s passkeys (as the second factor), or any passkey of
    this site (signing in with a passkey alone: the browser offers those it holds)."""
    rp_id, _origin = relying_party()
    allow = (
        [PublicKeyCredentialDescriptor(id=_from_base64url(p.credential_id)) for p in passkeys_of(user)] if user else []
    )
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.PREFERRED if user else UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def authenticate_passkey(credential: str, challenge: str | None, user: User | None = None) -> User:
    """The member whose passkey signed ``challenge``; ``user``: it must be theirs (the second factor). Alone, the
    passkey must have verified its holder (a PIN or a fingerprint): it stands for the password and the code."""
    refused = RuleViolation(gettext("This passkey was not accepted. Try again, or use another way."), status=401)
    if not challenge:
        raise RuleViolation(gettext("The passkey sign-in took too long or was interrupted. Try again."), status=400)
    passkey = db.session.execute(
        select(Passkey).where(Passkey.credential_id == _credential_id(credential))
    ).scalar_one_or_none()
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise refused
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_from_base64url(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:  # every refusal the library has
        current_app.logger.info("Passkey sign-in refused for passkey %s: %s", passkey.id, error)
        raise refused from error
    owner = db.session.get(User, passkey.user_id)
    if owner is None or not owner.active:
        raise refused
    db.session.commit()
    with writing():
        advanced = _advance_sign_count(passkey.id, verified.new_sign_count)
        db.session.commit()
    if not advanced:
        raise refused
    return owner


def remove_second_factors(actor: User, user: User) -> None:
    """An administrator removes a member's app, passkeys and recovery codes (they lost them all): the member
    signs in with the password again and, if the policy holds them, sets up a new factor at once. Their
    sessions end, so that whoever holds a lost device's session loses it too."""
    lock_factors(user)
    _end_sessions(user)
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.second_factor = False
    audit.record(
        actor,
        "user.second_factors_removed",
        user,
        summary=N_("removed the second factors of %(name)s"),
        params={"name": user.display_name},
        audience="admin",
    )
    send_notice(user, "second_factors_removed")
    db.session.commit()


def _end_sessions(user: User) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason="second_factors_removed")
    )


# The security page --------------------------------------------------------------------------------------------


def security_events(user: User, limit: int = 50) -> list[AuditEvent]:
    """What happened to the member's sign-in, newest first: sign-ins, new browsers, changes of the password,
    the address and the second factors (never a code, a secret or a link: none is in the log)."""
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == User.__tablename__,
                AuditEvent.object_id == user.id,
                AuditEvent.action.in_(SECURITY_ACTIONS),
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
