from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from protect.core.forms import choices
from protect.core.i18n import LANGUAGES
from protect.core.permissions import ROLE_CHOICES
from protect.core.regions import COUNTRY_CHOICES, SECTOR_CHOICES, TIME_ZONE_CHOICES

EMAIL = [
    DataRequired(lazy_gettext("Enter an email address.")),
    Email(lazy_gettext("Enter a valid email address.")),
    Length(max=254),
]


class LoginForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Email"), validators=[DataRequired(lazy_gettext("Enter your email address.")), Length(max=254)]
    )
    password = PasswordField(
        lazy_gettext("Password"), validators=[DataRequired(lazy_gettext("Enter your password.")), Length(max=200)]
    )
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        lazy_gettext("Email"), validators=[DataRequired(lazy_gettext("Enter your email address.")), Length(max=254)]
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        lazy_gettext("Code"),
        validators=[DataRequired(lazy_gettext("Enter the code.")), Length(max=40)],
        description=lazy_gettext("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
    )


class TotpConfirmForm(FlaskForm):
    code = StringField(
        lazy_gettext("Code from the app"),
        validators=[DataRequired(lazy_gettext("Enter the code the app shows.")), Length(max=40)],
        description=lazy_gettext("6 digits; a new one every 30 seconds."),
    )


class PasswordCheckForm(FlaskForm):
    """The password asked again before a change to how the member signs in."""

    password = PasswordField(
        lazy_gettext("Your password"),
        validators=[DataRequired(lazy_gettext("Enter your password.")), Length(max=200)],
    )
    next = HiddenField()


class EmailForm(FlaskForm):
    email = EmailField(lazy_gettext("New e-mail address"), validators=EMAIL)
    password = PasswordField(
        lazy_gettext("Your password"),
        validators=[DataRequired(lazy_gettext("Enter your password.")), Length(max=200)],
    )


class PasskeyForm(FlaskForm):
    name = StringField(
        lazy_gettext("Name of the passkey"),
        validators=[Optional(), Length(max=80)],
        description=lazy_gettext("So that you know it again in the list, e.g. “work laptop” or “phone”."),
    )


class PolicyForm(FlaskForm):
    required = BooleanField(lazy_gettext("Moderators and administrators must use a second factor"))


class InviteForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=EMAIL)
    name = StringField(
        lazy_gettext("Name"),
        validators=[DataRequired(lazy_gettext("Enter the person's name.")), Length(max=120)],
        description=lazy_gettext("Used to greet them in the mail; they choose how others see their name."),
    )
    message = TextAreaField(
        lazy_gettext("Personal message"),
        validators=[Optional(), Length(max=2000)],
        description=lazy_gettext("Optional. It goes into the invitation mail as you write it."),
    )
    role = SelectField(lazy_gettext("Role"), choices=choices(ROLE_CHOICES), default="expert")
    country = SelectField(lazy_gettext("Country"), choices=choices(COUNTRY_CHOICES))
    sector = SelectField(lazy_gettext("Sector"), choices=choices(SECTOR_CHOICES))
    # The invitation e-mail's language (the person has no account yet to say theirs).
    language = SelectField(
        lazy_gettext("Language"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()],
        validate_choice=False,  # none or an unknown one: the administrator's own (auth.views.invite)
    )


class _NewPassword:
    password = PasswordField(
        lazy_gettext("New password"),
        validators=[DataRequired(lazy_gettext("Choose a password.")), Length(max=200)],
        description=lazy_gettext("At least 10 characters. A few unrelated words make a strong one."),
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[
            DataRequired(lazy_gettext("Repeat the password.")),
            EqualTo("password", lazy_gettext("The two passwords differ.")),
        ],
    )


class AcceptInvitationForm(_NewPassword, FlaskForm):
    display_name = StringField(
        lazy_gettext("Your name as others see it"),
        validators=[DataRequired(lazy_gettext("Enter your name.")), Length(max=120)],
    )
    organisation = StringField(lazy_gettext("Organisation"), validators=[Optional(), Length(max=200)])
    time_zone = SelectField(lazy_gettext("Time zone"), choices=choices(TIME_ZONE_CHOICES))


class ResetPasswordForm(_NewPassword, FlaskForm):
    pass


class ProfileForm(FlaskForm):
    display_name = StringField(
        lazy_gettext("Name"), validators=[DataRequired(lazy_gettext("Enter your name.")), Length(max=120)]
    )
    organisation = StringField(lazy_gettext("Organisation"), validators=[Optional(), Length(max=200)])
    country = SelectField(lazy_gettext("Country"), choices=choices(COUNTRY_CHOICES))
    sector = SelectField(lazy_gettext("Sector"), choices=choices(SECTOR_CHOICES))
    time_zone = SelectField(
        lazy_gettext("Time zone"),
        choices=choices(TIME_ZONE_CHOICES),
        description=lazy_gettext("Dates and times are shown to you in this zone."),
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
    current_password = PasswordField(
        lazy_gettext("Current password"), validators=[DataRequired(lazy_gettext("Enter your current password."))]
    )
    new_password = PasswordField(
        lazy_gettext("New password"),
        validators=[DataRequired(lazy_gettext("Choose a new password.")), Length(max=200)],
        description=lazy_gettext("At least 10 characters."),
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the new password"),
        validators=[
            DataRequired(lazy_gettext("Repeat the new password.")),
            EqualTo("new_password", lazy_gettext("The two passwords differ.")),
        ],
    )


class RoleForm(FlaskForm):
    role = SelectField(lazy_gettext("Role"), choices=choices(ROLE_CHOICES))


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""
