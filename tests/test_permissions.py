"""Who may do what (core/permissions.py), from the refused side first: nobody, an anonymous visitor, a
deactivated member, a member with a role the app does not know, an object that is not a member at all.

These are the module's own tests for `make mutation` (docs/mutation.md): they call the rules directly, in a
request where a member is signed in when one is needed, without going through any feature's pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin, current_user, login_user
from werkzeug.exceptions import Forbidden

from protect.auth.services import start_session
from protect.core import permissions
from protect.core.permissions import ROLES, can, has_role, public, require, role_required, rule
from protect.extensions import db
from tests.factories import make_user

ANYONE = "test.anyone"  # a rule that lets every signed-in, active member through
OWNER = "test.owner"  # a rule that looks at the member and the object


@pytest.fixture(autouse=True)
def _test_rules() -> Iterator[None]:
    """Two rules registered for these tests only (registering is part of what is tested)."""
    saved = dict(permissions._rules)
    rule(ANYONE)(lambda _user, _obj: True)
    rule(OWNER)(lambda user, obj: obj is not None and obj.owner_id == user.id)
    yield
    permissions._rules.clear()
    permissions._rules.update(saved)


@contextmanager
def signed_in(app: Flask, user) -> Iterator[None]:
    """A request in which ``user`` is signed in, with the server-side session every sign-in has."""
    start_session(user)
    db.session.commit()
    with app.test_request_context("/"):
        login_user(user)
        yield


def member(role: str = "expert", **overrides: object) -> SimpleNamespace:
    """A stand-in with exactly the attributes the rules read."""
    return SimpleNamespace(**{"id": 7, "role": role, "is_authenticated": True, "active": True, **overrides})


# has_role -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_holds_itself_and_every_lower_role_and_no_higher_one(role):
    rank = ROLES.index(role)
    for asked in ROLES:
        assert has_role(member(role), asked) is (ROLES.index(asked) <= rank), f"{role} asked for {asked}"


@pytest.mark.parametrize("role", ROLES)
def test_nobody_holds_no_role(role):
    assert has_role(None, role) is False


@pytest.mark.parametrize("role", ROLES)
def test_an_anonymous_visitor_holds_no_role(role):
    assert has_role(AnonymousUserMixin(), role) is False


@pytest.mark.parametrize("role", ROLES)
def test_a_deactivated_member_holds_no_role_not_even_an_administrator(role):
    assert has_role(member("admin", active=False), role) is False


@pytest.mark.parametrize("role", ROLES)
def test_a_member_who_is_not_signed_in_holds_no_role(role):
    assert has_role(member("admin", is_authenticated=False), role) is False


@pytest.mark.parametrize("unknown", ["superuser", "", None, "Admin"])
@pytest.mark.parametrize("role", ROLES)
def test_an_unknown_role_holds_no_role_not_even_the_lowest(unknown, role):
    assert has_role(member(unknown), role) is False


@pytest.mark.parametrize("missing", ["is_authenticated", "active"])
def test_an_object_without_the_signed_in_or_active_mark_is_refused(missing):
    stranger = member("admin")
    delattr(stranger, missing)
    assert has_role(stranger, "expert") is False
    assert can(stranger, ANYONE) is False


def test_asking_for_a_role_that_does_not_exist_is_a_programming_error():
    with pytest.raises(KeyError):
        has_role(member("admin"), "owner")


def test_real_members_from_the_database(app: Flask):
    expert, admin, gone = make_user("expert"), make_user("admin"), make_user("admin", active=False)
    assert has_role(expert, "expert") and not has_role(expert, "moderator")
    assert has_role(admin, "admin")
    assert not has_role(gone, "expert")
    assert can(admin, ANYONE) and not can(gone, ANYONE)


# The signed-in member through Flask-Login's proxy ---------------------------------------------------------


def test_the_current_user_proxy_is_judged_as_the_member_behind_it(app: Flask):
    moderator = make_user("moderator")
    with signed_in(app, moderator):
        assert has_role(current_user, "moderator") is True
        assert has_role(current_user, "admin") is False
        assert can(current_user, ANYONE) is True
        assert can(current_user, OWNER, SimpleNamespace(owner_id=moderator.id)) is True
        # Another member passed in while someone is signed in is judged as themself, not as the signed-in one.
        assert has_role(member("expert"), "moderator") is False
        assert can(None, ANYONE) is False


def test_a_rule_is_given_the_member_not_flask_logins_proxy(app: Flask):
    """Rules may keep or compare the member they are given: they get the member itself, whose attributes are
    plain reads (each read through ``current_user`` looks the member up again)."""
    expert = make_user("expert")
    given = []
    rule("test.spy")(lambda user, _obj: given.append(user) or True)
    with signed_in(app, expert):
        assert can(current_user, "test.spy") is True
        assert permissions._resolved(current_user) is current_user._get_current_object()
    assert len(given) == 1
    assert given[0] is expert
    assert type(given[0]) is type(expert)


def test_the_anonymous_current_user_may_do_nothing(app: Flask):
    with app.test_request_context("/"):
        assert has_role(current_user, "expert") is False
        assert can(current_user, ANYONE) is False


# can and rule -------------------------------------------------------------------------------------------


def test_a_registered_rule_decides_for_a_signed_in_active_member():
    owner = member("expert", id=3)
    assert can(owner, OWNER, SimpleNamespace(owner_id=3)) is True
    assert can(owner, OWNER, SimpleNamespace(owner_id=4)) is False
    assert can(owner, OWNER) is False  # the object defaults to None


def test_rule_returns_the_function_it_registers():
    def decide(_user, _obj):
        return True

    assert rule("test.returned")(decide) is decide
    assert permissions._rules["test.returned"] is decide


def test_can_answers_a_plain_boolean_whatever_the_rule_returns():
    rule("test.truthy")(lambda _user, _obj: "yes")
    rule("test.falsy")(lambda _user, _obj: [])
    assert can(member(), "test.truthy") is True
    assert can(member(), "test.falsy") is False


@pytest.mark.parametrize("action", ["test.unknown", "", "TEST.ANYONE"])
def test_an_unknown_action_is_refused_even_to_an_administrator(action):
    assert can(member("admin"), action) is False


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(None, id="nobody"),
        pytest.param(AnonymousUserMixin(), id="anonymous"),
        pytest.param(member("admin", active=False), id="deactivated"),
        pytest.param(member("admin", is_authenticated=False), id="not-signed-in"),
    ],
)
def test_can_refuses_before_asking_the_rule(who):
    asked = []
    rule("test.spy")(lambda user, obj: asked.append(user) or True)
    assert can(who, "test.spy") is False
    assert can(who, ANYONE) is False
    assert asked == []


def test_an_unknown_role_is_left_to_the_rule():
    # can() itself does not rank roles: a rule that lets every active member through lets this one through.
    assert can(member("superuser"), ANYONE) is True


# require, role_required, public -------------------------------------------------------------------------


def test_require_lets_an_allowed_member_through_and_refuses_others_with_403(app: Flask):
    expert = make_user("expert")
    with signed_in(app, expert):
        assert require(OWNER, SimpleNamespace(owner_id=expert.id)) is None
        with pytest.raises(Forbidden):
            require(OWNER, SimpleNamespace(owner_id=expert.id + 1))
        with pytest.raises(Forbidden):
            require("test.unknown")


def test_require_refuses_an_anonymous_visitor_with_403(app: Flask):
    with app.test_request_context("/"), pytest.raises(Forbidden):
        require(ANYONE)


def _moderators_only():
    @role_required("moderator")
    def view(value: int, *, twice: bool = False) -> str:
        """A moderator's page."""
        return f"page {value * (2 if twice else 1)}"

    return view


def test_role_required_serves_the_role_and_higher_ones_with_the_views_arguments(app: Flask):
    view = _moderators_only()
    for role in ("moderator", "admin"):
        with signed_in(app, make_user(role)):
            assert view(4, twice=True) == "page 8"


def test_role_required_refuses_a_lower_role_with_403(app: Flask):
    view = _moderators_only()
    with signed_in(app, make_user("expert")), pytest.raises(Forbidden):
        view(1)


def test_role_required_sends_an_anonymous_visitor_to_sign_in(app: Flask):
    view = _moderators_only()
    with app.test_request_context("/somewhere"):
        response = view(1)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_role_required_keeps_the_views_name_and_marks_its_minimum_role():
    view = _moderators_only()
    assert view.__name__ == "view"
    assert view.__doc__ == "A moderator's page."
    assert view.protect_min_role == "moderator"
    assert role_required("admin")(lambda: None).protect_min_role == "admin"


def test_public_marks_the_view_and_returns_it():
    def page() -> str:
        return "open to all"

    assert public(page) is page
    assert page.protect_public is True
    assert page() == "open to all"


def test_the_roles_and_their_labels(app):
    assert ROLES == ("expert", "moderator", "admin")
    with app.test_request_context():  # the labels are in the reader's language: English without a request's
        assert permissions.ROLE_CHOICES == [
            ("expert", "Expert"),
            ("moderator", "Moderator"),
            ("admin", "Administrator"),
        ]
