"""Forms of the identity area: the mobile number, the code, a hold on a count."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class NumberForm(FlaskForm):
    number = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number.")), Length(max=32)],
        description=_l("A Taiwanese mobile number, such as 0912 345 678 or +886 912 345 678."),
    )
    submit = SubmitField(_l("Send me a code"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the six-digit code.")), Length(max=12)],
        description=_l("The six digits of the text message we sent you."),
    )
    submit = SubmitField(_l("Verify"))


class HoldForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the count is held"),
        validators=[DataRequired(_l("Say why the count is held.")), Length(max=2000)],
    )
    submit = SubmitField(_l("Hold the count"))


class ReleaseForm(FlaskForm):
    outcome = TextAreaField(
        _l("Outcome of the review (published)"),
        validators=[DataRequired(_l("Publish the outcome of the review.")), Length(max=4000)],
    )
    submit = SubmitField(_l("Release the count"))
