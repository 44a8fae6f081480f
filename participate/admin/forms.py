from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from participate.auth.forms import strip


class AgencyForm(FlaskForm):
    slug = StringField(
        _l("Short name (letters, digits, hyphens)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter a short name.")),
            Length(max=64),
            Regexp(r"^[a-zA-Z0-9-]+$", message=_l("Use only letters, digits and hyphens.")),
        ],
    )
    name_zh = StringField(
        _l("Name in Chinese"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the Chinese name.")), Length(max=120)],
    )
    name_en = StringField(
        _l("Name in English"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the English name.")), Length(max=160)],
    )
    submit = SubmitField(_l("Create agency"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])
    agency = SelectField(_l("Agency (for agency staff)"), choices=[], coerce=str)
    submit = SubmitField(_l("Save role"))
