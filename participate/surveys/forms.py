"""Forms of the survey builder (the answer form is built from the questions themselves)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("What the survey is about"), validators=[Length(max=5000)])
    method = TextAreaField(
        _l("Method statement (published): who may answer, the period, how results are weighted"),
        validators=[Length(max=5000)],
    )
    anonymous = RadioField(
        _l("How answers are stored"),
        choices=[
            SelectChoice("1", _l("Unlinked from the account (answers cannot be changed later)")),
            SelectChoice("0", _l("Linked to the account (answers can be changed until the close)")),
        ],
        default="1",
    )
    closes_on = DateField(_l("Closes at the end of (Taiwan time)"), validators=[Optional()])
    target_id = IntegerField(
        _l("Attach to proposal or consultation number (optional)"),
        validators=[Optional(), NumberRange(min=1, max=2147483647)],
    )
    submit = SubmitField(_l("Save"))


class SectionForm(FlaskForm):
    title = StringField(_l("Section title"), validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("Section introduction"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Add section"))


class QuestionForm(FlaskForm):
    kind = SelectField(
        _l("Kind of question"),
        choices=[
            SelectChoice("single", _l("Single choice")),
            SelectChoice("multiple", _l("Multiple choice")),
            SelectChoice("likert", _l("Agreement scale (5 points)")),
            SelectChoice("ranking", _l("Ranking")),
            SelectChoice("number", _l("Numeric answer")),
            SelectChoice("text", _l("Short text")),
        ],
    )
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=1000)])
    help = StringField(_l("Help text (optional)"), validators=[Length(max=1000)])
    options = TextAreaField(
        _l("Options, one per line (single choice, multiple choice, ranking)"),
        validators=[Length(max=5000)],
    )
    required = BooleanField(_l("An answer is required"), default=True)
    min_value = FloatField(_l("Smallest number allowed (optional)"), validators=[Optional()])
    max_value = FloatField(_l("Largest number allowed (optional)"), validators=[Optional()])
    section_id = SelectField(_l("Section"), choices=[], validate_choice=False)
    show_if_question_id = SelectField(
        _l("Ask only if an earlier question was answered with… (optional)"),
        choices=[],
        validate_choice=False,
    )
    show_if_options = StringField(
        _l("…one of these answers (their numbers, e.g. 1, 3)"), validators=[Length(max=100)]
    )
    submit = SubmitField(_l("Add question"))


class ActionForm(FlaskForm):
    """Only the CSRF token: open, close, delete and answer buttons."""
