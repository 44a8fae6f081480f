"""The participant profile form: every question optional, asked with its purpose."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from participate.participants import population as pop


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    age_band = RadioField(_l("Age"), choices=[], validate_choice=False, default="")
    sex = RadioField(_l("Sex"), choices=[], validate_choice=False, default="")
    county = SelectField(_l("County or city where you live"), choices=[], validate_choice=False)
    groups = MultiCheckboxField(
        _l("Do you belong to any of these groups? (optional, any that apply)"),
        choices=[],
        validate_choice=False,
    )
    consent = BooleanField(_l("I agree that my answers are used for the purpose stated above."))
    submit = SubmitField(_l("Save my profile"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        skip = SelectChoice("", str(_l("I'd rather not say")))
        self.age_band.choices = [
            skip,
            *[SelectChoice(c, pop.age_label(c)) for c in pop.PROFILE_AGE_BANDS],
        ]
        self.sex.choices = [skip, *[SelectChoice(c, pop.sex_label(c)) for c in pop.PROFILE_SEXES]]
        locale = str(get_locale() or "zh_Hant_TW")
        self.county.choices = [
            skip,
            *[SelectChoice(c, pop.county_label(c, locale)) for c in pop.COUNTIES],
        ]
        self.groups.choices = [SelectChoice(c, pop.group_label(c)) for c in pop.IDENTITY_GROUPS]


class DeleteProfileForm(FlaskForm):
    submit = SubmitField(_l("Delete my profile"))
