"""Forms of the moderation area (CSRF through FlaskForm on every one)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participate.moderation.labels import EXCLUSION_REASONS, REPORT_REASONS


def reason_choices(blank: bool = True) -> list[SelectChoice]:
    first = [SelectChoice("", _l("— choose a reason —"))] if blank else []
    return first + [SelectChoice(k, v) for k, v in EXCLUSION_REASONS.items()]


ACTION_LABELS: dict[str, Any] = {
    "hide": _l("Hide"),
    "restore": _l("Restore (show)"),
    "reject": _l("Reject with a published reason"),
    "dismiss": _l("Dismiss (no action)"),
    "approve": _l("Accept the proposal"),
    "request_edit": _l("Ask the author for changes"),
    "suspend": _l("Suspend the account"),
    "uphold": _l("Uphold the decision"),
    "overturn": _l("Overturn the decision"),
}


class DecisionForm(FlaskForm):
    action = SelectField(_l("Decision"), choices=[], validate_choice=True)
    reason = SelectField(_l("Reason"), choices=[], validate_choice=False)
    message = TextAreaField(
        _l("Message to the author (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Decide"))


class BulkForm(FlaskForm):
    items = SelectMultipleField(_l("Selected items"), choices=[], coerce=int, validate_choice=False)
    action = SelectField(
        _l("Decision for the selected items"),
        choices=[
            SelectChoice("hide", _l("Hide")),
            SelectChoice("restore", _l("Restore (show)")),
            SelectChoice("reject", _l("Reject with a published reason")),
            SelectChoice("dismiss", _l("Dismiss (no action)")),
        ],
    )
    reason = SelectField(_l("Reason"), choices=[], validate_choice=False)
    message = TextAreaField(
        _l("Message to the authors (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Apply to selected"))


class SuspendForm(FlaskForm):
    days = IntegerField(
        _l("Days (leave empty for a permanent suspension)"),
        validators=[Optional(), NumberRange(min=1, max=3650)],
    )
    reason = SelectField(_l("Reason"), choices=[], validators=[DataRequired()])
    message = TextAreaField(
        _l("Message to the person (optional)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Suspend"))


class SimpleForm(FlaskForm):
    """A button-only POST (unsuspend, unlock, remove, mark read): CSRF only."""

    submit = SubmitField(_l("Confirm"))


class LockForm(FlaskForm):
    statement_id = IntegerField(
        _l("Statement number (empty: the whole discussion)"), validators=[Optional()]
    )
    reason = StringField(
        _l("Reason (shown to moderators)"), validators=[Optional(), Length(max=64)]
    )
    submit = SubmitField(_l("Lock"))


class PremoderationForm(FlaskForm):
    enabled = BooleanField(_l("New statements wait for a moderator's approval"))
    submit = SubmitField(_l("Save"))


class TermForm(FlaskForm):
    term = StringField(
        _l("Word or pattern"),
        validators=[DataRequired(_l("Enter a word or pattern.")), Length(max=200)],
    )
    is_regex = BooleanField(_l("Regular expression"))
    action = SelectField(
        _l("What happens"),
        choices=[
            SelectChoice("hold", _l("Hold for review")),
            SelectChoice("reject", _l("Reject at once")),
        ],
    )
    submit = SubmitField(_l("Add"))


class AppealForm(FlaskForm):
    text = TextAreaField(
        _l("Why should the decision be reconsidered?"),
        validators=[
            DataRequired(_l("Explain why the decision should be reconsidered.")),
            Length(max=2000),
        ],
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("Send appeal"))


class ProposalReportForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice(k, v) for k, v in REPORT_REASONS.items()],
    )
    text = TextAreaField(
        _l("Explanation (optional)"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Report"))
