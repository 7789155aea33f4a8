from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from protect.core.forms import choices
from protect.core.i18n import LANGUAGES
from protect.core.permissions import ROLE_CHOICES
from protect.core.regions import COUNTRY_CHOICES, SECTOR_CHOICES, TIME_ZONE_CHOICES

EMAIL = [DataRequired("Enter an email address."), Email("Enter a valid email address."), Length(max=254)]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=200)])
    next = HiddenField()


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    role = SelectField("Role", choices=choices(ROLE_CHOICES), default="expert")
    country = SelectField("Country", choices=choices(COUNTRY_CHOICES))
    sector = SelectField("Sector", choices=choices(SECTOR_CHOICES))


class _NewPassword:
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a password."), Length(max=200)],
        description="At least 10 characters. A few unrelated words make a strong one.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
    )


class AcceptInvitationForm(_NewPassword, FlaskForm):
    display_name = StringField(
        "Your name as others see it", validators=[DataRequired("Enter your name."), Length(max=120)]
    )
    organisation = StringField("Organisation", validators=[Optional(), Length(max=200)])
    time_zone = SelectField("Time zone", choices=choices(TIME_ZONE_CHOICES))


class ResetPasswordForm(_NewPassword, FlaskForm):
    pass


class ProfileForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=200)])
    country = SelectField("Country", choices=choices(COUNTRY_CHOICES))
    sector = SelectField("Sector", choices=choices(SECTOR_CHOICES))
    time_zone = SelectField(
        "Time zone", choices=choices(TIME_ZONE_CHOICES), description="Dates and times are shown to you in this zone."
    )
    language = SelectField(
        lazy_gettext("Language"),
        # Each language in its own name, marked as such for screen readers.
        choices=[
            SelectChoice("", lazy_gettext("The language of your browser")),
            *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()),
        ],
        description=lazy_gettext("The workspace speaks to you in this language, in its e-mails too."),
        filters=[lambda value: value or ""],  # no choice yet (None), or a form from before the field: the browser's
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=200)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("new_password", "The two passwords differ.")],
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=choices(ROLE_CHOICES))


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""
