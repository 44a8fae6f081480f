"""Forms for proposals, review, extensions, responses and consultations.

Lists a citizen writes as separate points (measures, links, questions) are one textarea
with one point per line: it works without JavaScript and on a phone, and the rules store
each line as its own row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from participate.auth.forms import strip
from participate.models import Decision

MAX_POINTS = 10
MAX_POINT_LENGTH = 500


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def check_points(form: FlaskForm, field: Any) -> None:
    items = lines(field.data)
    if not items:
        raise ValidationError(_l("Give at least one point, one per line."))
    if len(items) > MAX_POINTS:
        raise ValidationError(_l("Give at most %(n)d points.", n=MAX_POINTS))
    if any(len(item) > MAX_POINT_LENGTH for item in items):
        raise ValidationError(_l("Each point can be at most %(n)d characters.", n=MAX_POINT_LENGTH))


def check_links(form: FlaskForm, field: Any) -> None:
    items = lines(field.data)
    if len(items) > MAX_POINTS:
        raise ValidationError(_l("Give at most %(n)d links.", n=MAX_POINTS))
    for item in items:
        parsed = urlparse(item)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(item) > 500:
            raise ValidationError(
                _l("“%(link)s” is not a web address starting with https://", link=item[:80])
            )


def check_agencies(form: FlaskForm, field: Any) -> None:
    most = current_app.config["MAX_PROPOSAL_AGENCIES"]
    if len(field.data or []) > most:
        raise ValidationError(_l("Choose at most %(n)d agencies.", n=most))


class ProposalForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give your proposal a title.")),
            Length(min=5, max=120, message=_l("Use 5 to 120 characters.")),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write a short summary.")),
            Length(max=500, message=_l("Use at most 500 characters.")),
        ],
    )
    problem = TextAreaField(
        _l("The problem"),
        filters=[strip],
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(max=5000, message=_l("Use at most 5,000 characters.")),
        ],
    )
    measures = TextAreaField(
        _l("Suggested measures (one per line)"), filters=[strip], validators=[check_points]
    )
    benefits = TextAreaField(
        _l("Expected benefits and impact"),
        filters=[strip],
        validators=[
            DataRequired(_l("Describe the expected benefits.")),
            Length(max=5000, message=_l("Use at most 5,000 characters.")),
        ],
    )
    links = TextAreaField(
        _l("Evidence and links (optional, one per line)"), filters=[strip], validators=[check_links]
    )
    agencies = SelectMultipleField(
        _l("Responsible agencies you propose (up to 3)"), coerce=int, validators=[check_agencies]
    )
    check = SubmitField(_l("Check for similar proposals"))
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit for review"))


class AssignForm(FlaskForm):
    agencies = SelectMultipleField(
        _l("Responsible agencies"),
        coerce=int,
        validators=[DataRequired(_l("Choose at least one agency.")), check_agencies],
    )
    submit = SubmitField(_l("Confirm and start the response clock"))


class ExtendForm(FlaskForm):
    new_due = DateField(
        _l("New due date"), validators=[DataRequired(_l("Enter a valid date (YYYY-MM-DD)."))]
    )
    reason = TextAreaField(
        _l("Reason (shown publicly)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give the reason for the extension.")),
            Length(max=2000, message=_l("Use at most 2,000 characters.")),
        ],
    )
    submit = SubmitField(_l("Extend the deadline"))


def decision_choices() -> list[SelectChoice]:
    from participate.proposals.lifecycle import DECISION_LABELS

    return [SelectChoice("", _l("Choose a decision"))] + [
        SelectChoice(d.value, lbl) for d, lbl in DECISION_LABELS.items()
    ]


def response_form(measures: list[Any], formdata: Any = None, obj: Any = None) -> FlaskForm:
    """A form with one group of fields per measure (decision, reasoning, unit, date, and
    the discussion statements the point answers)."""

    class ResponseForm(FlaskForm):
        overall = TextAreaField(
            _l("Overall answer"),
            filters=[strip],
            validators=[Length(max=20000, message=_l("Use at most 20,000 characters."))],
        )
        save = SubmitField(_l("Save draft"))
        # Publishing is final: the server refuses it unless this is ticked (no JavaScript
        # needed; the page may add a dialog on top).
        confirm = BooleanField(_l("I understand a published response cannot be changed"))
        publish = SubmitField(_l("Publish the response"))

    for m in measures:
        setattr(
            ResponseForm,
            f"decision_{m.id}",
            SelectField(_l("Decision"), choices=decision_choices(), validators=[Optional()]),
        )
        setattr(
            ResponseForm,
            f"reasoning_{m.id}",
            TextAreaField(
                _l("Reasoning"),
                filters=[strip],
                validators=[Length(max=10000, message=_l("Use at most 10,000 characters."))],
            ),
        )
        setattr(
            ResponseForm,
            f"unit_{m.id}",
            StringField(
                _l("Responsible unit"),
                filters=[strip],
                validators=[Length(max=120, message=_l("Use at most 120 characters."))],
            ),
        )
        setattr(
            ResponseForm,
            f"follow_up_{m.id}",
            DateField(
                _l("Follow-up date (optional)"),
                validators=[Optional()],
            ),
        )
        # Checkboxes drawn by templates/reports/_linkup.html from the latest report; the
        # ids are checked by the rule (any visible statement of this discussion), not here.
        setattr(
            ResponseForm,
            f"linked_{m.id}",
            SelectMultipleField(
                _l("Statements this point answers"), choices=[], validate_choice=False
            ),
        )
    form = ResponseForm(formdata=formdata) if formdata is not None else ResponseForm()
    if obj is not None and formdata is None:
        form.overall.data = obj.overall
        for p in obj.points:
            if hasattr(form, f"decision_{p.measure_id}"):
                form[f"decision_{p.measure_id}"].data = p.decision.value if p.decision else ""
                form[f"reasoning_{p.measure_id}"].data = p.reasoning
                form[f"unit_{p.measure_id}"].data = p.responsible_unit
                form[f"follow_up_{p.measure_id}"].data = p.follow_up_on
                form[f"linked_{p.measure_id}"].data = [str(i) for i in p.linked_statement_ids or []]
    return form


def valid_decision(value: str | None) -> str | None:
    return value if value in {d.value for d in Decision} else None


class ConsultationForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give the consultation a title.")),
            Length(min=5, max=120, message=_l("Use 5 to 120 characters.")),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write a short summary.")),
            Length(max=500, message=_l("Use at most 500 characters.")),
        ],
    )
    background = TextAreaField(
        _l("Background"),
        filters=[strip],
        validators=[
            DataRequired(_l("Describe the background.")),
            Length(max=10000, message=_l("Use at most 10,000 characters.")),
        ],
    )
    draft_text = TextAreaField(
        _l("The policy or draft regulation text"),
        filters=[strip],
        validators=[Length(max=50000, message=_l("Use at most 50,000 characters."))],
    )
    questions = TextAreaField(
        _l("Questions to the public (one per line)"), filters=[strip], validators=[check_points]
    )
    links = TextAreaField(
        _l("Attachments and links (optional, one per line)"),
        filters=[strip],
        validators=[check_links],
    )
    closes_on = DateField(
        _l("Closing date (optional; default 60 days)"),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Open the consultation"))


class ConfirmForm(FlaskForm):
    """An empty form for one-button actions: endorse, follow, close, mark read."""

    submit = SubmitField(_l("Confirm"))
