"""Account forms: every field validated here so the page can show errors beside it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line)


def check_password_strength(form: FlaskForm, field: StringField) -> None:
    value = field.data or ""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(value) < minimum:
        raise ValidationError(_l("Use at least %(n)d characters.", n=minimum))
    if value.lower() in common_passwords() or len(set(value)) < 4:
        raise ValidationError(_l("This password is too common. Choose another."))


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def display_name_ok(form: FlaskForm, field: StringField) -> None:
    if not field.data or not field.data.strip():
        raise ValidationError(_l("Enter a display name."))
    if any(ch in field.data for ch in "<>\"'&") or any(ord(c) < 32 for c in field.data):
        raise ValidationError(_l("Display names cannot contain < > \" ' & or control characters."))


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(_l("Enter a valid email address."), check_deliverability=False),
            Length(max=254),
        ],
    )
    display_name = StringField(
        _l("Display name (shown publicly; a pseudonym is fine)"),
        filters=[strip],
        validators=[DataRequired(_l("Enter a display name.")), Length(max=40), display_name_ok],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter a password.")), check_password_strength]
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )
    accept_privacy = BooleanField(
        _l("I have read and accept the personal data collection notice."),
        validators=[DataRequired(_l("You must accept the notice to register."))],
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"), filters=[strip], validators=[DataRequired(_l("Enter your email address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me on this device"))
    submit = SubmitField(_l("Log in"))


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Email(_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    submit = SubmitField(_l("Send reset link"))


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a password.")), check_password_strength],
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Set new password"))


class ResendForm(FlaskForm):
    submit = SubmitField(_l("Send the verification email again"))
