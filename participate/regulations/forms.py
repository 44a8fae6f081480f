"""Forms of the draft regulations area (CSRF on every one through FlaskForm). The rules
themselves (lengths that matter, what a period or a row needs) are the operations'; the
forms keep the browser's limits and the labels."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participate.discussion.forms import report_reason_choices
from participate.models import ArticleChange
from participate.models.regulations import COMMENT_MAX_LENGTH
from participate.regulations.lifecycle import CHANGE_LABELS, DECISION_LABELS, DECISIONS


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class DraftForm(FlaskForm):
    title = StringField(
        _l("Title of the draft"),
        filters=[_strip],
        validators=[DataRequired(_l("Give the draft its title.")), Length(max=200)],
        render_kw={"maxlength": 200},
    )
    legal_basis = TextAreaField(
        _l("Legal basis"), filters=[_strip], validators=[Length(max=2000)], render_kw={"rows": 2}
    )
    unit = StringField(
        _l("Responsible unit"),
        filters=[_strip],
        validators=[Length(max=120)],
        render_kw={"maxlength": 120},
    )
    summary = TextAreaField(
        _l("General explanation"),
        filters=[_strip],
        validators=[DataRequired(_l("Write the general explanation of the draft."))],
        render_kw={"rows": 8},
    )
    submit = SubmitField(_l("Save the draft"))


def change_choices() -> list[tuple[str, str]]:
    return [(c.value, str(CHANGE_LABELS[c])) for c in ArticleChange]


class ArticleForm(FlaskForm):
    label = StringField(
        _l("Article number (e.g. 第三條)"),
        filters=[_strip],
        validators=[Length(max=40)],
        render_kw={"maxlength": 40},
    )
    change = SelectField(_l("Kind of change"), choices=[])
    proposed_text = TextAreaField(_l("Proposed text"), filters=[_strip], render_kw={"rows": 6})
    current_text = TextAreaField(_l("Current text"), filters=[_strip], render_kw={"rows": 6})
    explanation = TextAreaField(_l("Explanation"), filters=[_strip], render_kw={"rows": 4})
    submit = SubmitField(_l("Save the article"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.change.choices = change_choices()


class PasteForm(FlaskForm):
    text = TextAreaField(
        _l("The comparison table"),
        validators=[DataRequired(_l("Paste the comparison table first."))],
        render_kw={"rows": 16},
    )
    replace = BooleanField(_l("Replace the articles entered so far"))
    submit = SubmitField(_l("Add these articles"))


class PublishForm(FlaskForm):
    days = IntegerField(
        _l("Comment period in days"),
        validators=[
            DataRequired(_l("Give the length of the comment period in days.")),
            NumberRange(min=1, max=365),
        ],
    )
    reason = TextAreaField(
        _l("Reason for a shorter period"), filters=[_strip], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Publish for comment"))


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Write your comment first.")),
            Length(
                max=COMMENT_MAX_LENGTH, message=_l("A comment can have at most %(max)d characters.")
            ),
        ],
        render_kw={"rows": 5, "maxlength": COMMENT_MAX_LENGTH},
    )
    article_id = HiddenField(default="")
    submit = SubmitField(_l("Post comment"))


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your reply"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Write your reply first.")),
            Length(
                max=COMMENT_MAX_LENGTH, message=_l("A comment can have at most %(max)d characters.")
            ),
        ],
        render_kw={"rows": 4, "maxlength": COMMENT_MAX_LENGTH},
    )
    parent_id = HiddenField(default="")
    submit = SubmitField(_l("Post reply"))


class ConfirmForm(FlaskForm):
    """A button with nothing else to send (withdraw a comment)."""

    submit = SubmitField(_l("Withdraw"))


class ReportForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(_l("Choose a reason."))])
    text = TextAreaField(
        _l("Explanation (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Send report"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = report_reason_choices()


def decision_choices() -> list[tuple[str, str]]:
    return [("", str(_l("Choose…")))] + [(d.value, str(DECISION_LABELS[d])) for d in DECISIONS]


class RowForm(Form):
    """One row of the response table (a sub-form: the page's form carries the CSRF)."""

    comment_ids = StringField(_l("Comment numbers"), filters=[_strip])
    summary = TextAreaField(_l("Gist of the comments"), filters=[_strip], render_kw={"rows": 3})
    decision = SelectField(_l("Decision"), choices=[], validate_choice=False)
    reasoning = TextAreaField(_l("Reasons"), filters=[_strip], render_kw={"rows": 3})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = decision_choices()


class ResponseForm(FlaskForm):
    overall = TextAreaField(
        _l("Overall explanation (optional)"), filters=[_strip], render_kw={"rows": 4}
    )
    rows = FieldList(FormField(RowForm), min_entries=1, max_entries=500)
    save = SubmitField(_l("Save the draft table"))
    publish = SubmitField(_l("Publish the response table"))


class FinalTextForm(FlaskForm):
    promulgated_on = DateField(
        _l("Date of promulgation"), validators=[DataRequired(_l("Give the date of promulgation."))]
    )
    reference = StringField(
        _l("Reference (e.g. the order's number or the gazette)"),
        filters=[_strip],
        validators=[Length(max=200)],
        render_kw={"maxlength": 200},
    )
    submit = SubmitField(_l("Record the final text"))
