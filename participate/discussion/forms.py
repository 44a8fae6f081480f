"""Forms of the discussion area (CSRF on every one of them through FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from participate.models.discussion import REPLY_MAX_LENGTH, STATEMENT_MAX_LENGTH, ReportReason

# The vote's one field, as the buttons send it (words) or as scripts do (numbers).
VOTE_WORDS = {"agree": 1, "disagree": -1, "pass": 0, "1": 1, "-1": -1, "0": 0}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class StatementForm(FlaskForm):
    text = TextAreaField(
        _l("Your statement"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Write your statement first.")),
            Length(
                max=STATEMENT_MAX_LENGTH,
                message=_l("A statement can have at most %(max)d characters."),
            ),
        ],
        render_kw={"maxlength": STATEMENT_MAX_LENGTH, "rows": 3},
    )
    seed = BooleanField(_l("Seed statement (shown to everyone first)"))
    # Set after the participant has seen the similar statements and still wants to post.
    confirmed = HiddenField(default="")
    submit = SubmitField(_l("Post statement"))


def _reply_body(rows: int) -> TextAreaField:
    """The reply text field, shared by writing and editing so their limits cannot drift."""
    return TextAreaField(
        _l("Your reply"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Write your reply first.")),
            Length(
                max=REPLY_MAX_LENGTH, message=_l("A reply can have at most %(max)d characters.")
            ),
        ],
        render_kw={"rows": rows},
    )


class ReplyForm(FlaskForm):
    body = _reply_body(rows=4)
    parent_id = HiddenField(default="")
    submit = SubmitField(_l("Post reply"))


class EditReplyForm(FlaskForm):
    body = _reply_body(rows=6)
    submit = SubmitField(_l("Save changes"))


class VoteForm(FlaskForm):
    value = StringField(validators=[DataRequired()])
    next = HiddenField(default="")


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete"))


def report_reason_choices() -> list[tuple[str, str]]:
    labels = {
        ReportReason.SPAM: _l("Spam or advertising"),
        ReportReason.ABUSE: _l("Abusive, threatening or discriminatory"),
        ReportReason.OFF_TOPIC: _l("Off topic"),
        ReportReason.PERSONAL_DATA: _l("Reveals someone's personal data"),
        ReportReason.MISINFORMATION: _l("False or misleading information"),
        ReportReason.OTHER: _l("Something else"),
    }
    return [(r.value, str(labels[r])) for r in ReportReason]


class ReportForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(_l("Choose a reason."))])
    text = TextAreaField(
        _l("Explanation (optional)"),
        filters=[_strip],
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Send report"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = report_reason_choices()
