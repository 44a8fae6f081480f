from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from participate.auth.forms import check_password_strength, display_name_ok, strip


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter a display name.")), Length(max=40), display_name_ok],
    )
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("zh_Hant_TW", "繁體中文"), SelectChoice("en", "English")],
    )
    email_digest = BooleanField(_l("Send me one daily digest instead of an email per event"))
    submit = SubmitField(_l("Save"))


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a password.")), check_password_strength],
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Change password"))


class DeleteForm(FlaskForm):
    password = PasswordField(
        _l("Your password, to confirm"), validators=[DataRequired(_l("Enter your password."))]
    )
    confirm = BooleanField(
        _l("I understand that this cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))
