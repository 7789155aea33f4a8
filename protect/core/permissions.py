"""Roles and the rules that say who may do what. Every view checks on the server; templates only hide."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_babel import lazy_gettext
from flask_login import current_user

from protect.extensions import login_manager

ROLES: tuple[str, ...] = ("expert", "moderator", "admin")
# Shown in the reader's language (lazy strings: ``str()`` one where a plain string is needed).
ROLE_LABELS = {
    "expert": lazy_gettext("Expert"),
    "moderator": lazy_gettext("Moderator"),
    "admin": lazy_gettext("Administrator"),
}
ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ROLES]
_RANK = {role: rank for rank, role in enumerate(ROLES)}

Rule = Callable[[Any, Any], bool]
_rules: dict[str, Rule] = {}


def _resolved(user: Any) -> Any:
    """The member behind Flask-Login's ``current_user`` proxy: each attribute read through the proxy looks
    the member up again (a save read it about thirty times)."""
    return current_user._get_current_object() if user is current_user else user


def has_role(user: Any, role: str) -> bool:
    """True when ``user`` is signed in, active and holds ``role`` or a higher one."""
    user = _resolved(user)
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "active", False):
        return False
    return _RANK.get(user.role, -1) >= _RANK[role]


def role_required(role: str) -> Callable:
    """View decorator: anonymous users are sent to sign in, signed-in users without ``role`` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user._get_current_object()
            if not user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(user, role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.protect_min_role = role  # type: ignore[attr-defined]  # read by the route x role test
        return wrapped

    return decorator


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the rule for ``action``: ``@rule("programme.publish") def _(user, obj): ...``."""

    def decorator(func: Rule) -> Rule:
        _rules[action] = func
        return func

    return decorator


def can(user: Any, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (to ``obj``)? Unknown actions are refused."""
    user = _resolved(user)
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "active", False):
        return False
    check = _rules.get(action)
    return bool(check and check(user, obj))


def require(action: str, obj: Any = None) -> None:
    """Abort with 403 unless the current user may do ``action``."""
    if not can(current_user, action, obj):
        abort(403)


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in. Every other view requires a signed-in, active user."""
    view.protect_public = True  # type: ignore[attr-defined]
    return view
