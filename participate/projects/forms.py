"""Forms for projects: publish, the deliberation, a progress report, questions and answers.

Lists a staff member enters as separate items (yearly budgets, indicators, milestones,
links) are one textarea with one item per line, as in the proposals area: it works
without JavaScript and on a phone, and the operation stores each line as its own row.
The parsers here turn the lines into the operation's input and report a line that does
not parse next to its field.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FloatField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from participate.auth.forms import strip
from participate.models import MilestoneState
from participate.projects.lifecycle import COUNTIES, MILESTONE_LABELS

_AMOUNT = re.compile(r"^\d{1,16}$")
_YEAR_LINE = re.compile(r"^(\d{4})\s*[:：]?\s*(.+)$")
_DATE_LINE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s*[:：]?\s*(.+)$")


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def parse_amount(value: str | None) -> int | None:
    """Whole New Taiwan dollars, with or without thousands separators (full-width too)."""
    raw = unicodedata.normalize("NFKC", value or "").replace(",", "").replace(" ", "")
    raw = raw.removeprefix("NT$").removesuffix("元")
    return int(raw) if _AMOUNT.match(raw) else None


def parse_budgets(value: str | None) -> dict[int, int]:
    """``2026: 1,200,000`` per line -> {2026: 1200000}; ValueError names the bad line."""
    out: dict[int, int] = {}
    for line in lines(unicodedata.normalize("NFKC", value or "")):
        match = _YEAR_LINE.match(line)
        amount = parse_amount(match.group(2)) if match else None
        if match is None or amount is None or int(match.group(1)) in out:
            raise ValueError(line)
        out[int(match.group(1))] = amount
    return out


def parse_kpis(value: str | None) -> list[tuple[str, float, str]]:
    """``name | target | unit`` per line (unit optional) -> [(name, target, unit)]."""
    out = []
    for line in lines(value):
        parts = [p.strip() for p in re.split(r"[|｜]", line)]
        if len(parts) not in (2, 3) or not parts[0]:
            raise ValueError(line)
        try:
            target = float(unicodedata.normalize("NFKC", parts[1]).replace(",", ""))
        except ValueError:
            raise ValueError(line) from None
        out.append((parts[0], target, parts[2] if len(parts) == 3 else ""))
    return out


def parse_milestones(value: str | None) -> list[tuple[date, str]]:
    """``YYYY-MM-DD title`` per line -> [(date, title)]."""
    out = []
    for line in lines(value):
        match = _DATE_LINE.match(unicodedata.normalize("NFKC", line))
        if match is None:
            raise ValueError(line)
        try:
            day = date.fromisoformat("-".join(f"{int(p):02d}" for p in match.group(1).split("-")))
        except ValueError:
            raise ValueError(line) from None
        out.append((day, match.group(2).strip()))
    return out


def _checked(parser: Any, message: Any) -> Any:
    def check(form: FlaskForm, field: Any) -> None:
        try:
            parser(field.data)
        except ValueError as exc:
            raise ValidationError(str(message) % {"line": str(exc)[:80]}) from None

    return check


def check_amount(form: FlaskForm, field: Any) -> None:
    if parse_amount(field.data) is None:
        raise ValidationError(_l("Give a whole amount in New Taiwan dollars, like 1,200,000."))


def check_links(form: FlaskForm, field: Any) -> None:
    for item in lines(field.data):
        if not re.match(r"^https?://\S+$", item) or len(item) > 500:
            raise ValidationError(
                _l("“%(link)s” is not a web address starting with https://", link=item[:80])
            )


class ProjectForm(FlaskForm):
    name = StringField(
        _l("Project name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give the project its name.")),
            Length(min=5, max=120, message=_l("Use 5 to 120 characters.")),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write a short summary.")),
            Length(max=2000, message=_l("Use at most 2,000 characters.")),
        ],
    )
    goals = TextAreaField(
        _l("Goals"),
        filters=[strip],
        validators=[
            DataRequired(_l("Describe the goals.")),
            Length(max=5000, message=_l("Use at most 5,000 characters.")),
        ],
    )
    total_budget = StringField(_l("Total budget (NT$)"), filters=[strip], validators=[check_amount])
    budgets = TextAreaField(
        _l("Budget of each year (one per line)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give the budget of each year.")),
            _checked(parse_budgets, _l("Write “year: amount”, like “2026: 1,200,000”: %(line)s")),
        ],
    )
    starts_on = DateField(
        _l("Start date"), validators=[DataRequired(_l("Enter a valid date (YYYY-MM-DD)."))]
    )
    ends_on = DateField(
        _l("End date"), validators=[DataRequired(_l("Enter a valid date (YYYY-MM-DD)."))]
    )
    counties = SelectMultipleField(
        _l("Counties and cities"),
        choices=[SelectChoice(code, label) for code, label in COUNTIES.items()],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validate_choice=True,
    )
    kpis = TextAreaField(
        _l("Indicators and targets (one per line)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give at least one indicator with its target.")),
            _checked(parse_kpis, _l("Write “indicator | target | unit”: %(line)s")),
        ],
    )
    milestones = TextAreaField(
        _l("Milestones and planned dates (one per line)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Give at least one milestone with its planned date.")),
            _checked(parse_milestones, _l("Write “YYYY-MM-DD milestone”: %(line)s")),
        ],
    )
    links = TextAreaField(
        _l("Documents and links (optional, one per line)"),
        filters=[strip],
        validators=[check_links],
    )
    submit = SubmitField(_l("Publish the project"))


class DeliberationForm(FlaskForm):
    summary = TextAreaField(
        _l("What the public is asked to deliberate"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write a short summary.")),
            Length(max=500, message=_l("Use at most 500 characters.")),
        ],
    )
    questions = TextAreaField(
        _l("Questions to the public (one per line)"),
        filters=[strip],
        validators=[DataRequired(_l("Give at least one point, one per line."))],
    )
    closes_on = DateField(_l("Closing date (optional; default 60 days)"), validators=[Optional()])
    submit = SubmitField(_l("Open the deliberation"))


def progress_form(project: Any, formdata: Any = None) -> FlaskForm:
    """A progress report: the figures, then one group per milestone (state and date) and
    one field per indicator (its current value)."""

    class ProgressForm(FlaskForm):
        as_of = DateField(
            _l("Progress as of"), validators=[DataRequired(_l("Enter a valid date (YYYY-MM-DD)."))]
        )
        planned_percent = FloatField(
            _l("Planned progress (%)"),
            validators=[
                InputRequired(_l("Give a percentage between 0 and 100.")),
                NumberRange(0, 100, message=_l("Give a percentage between 0 and 100.")),
            ],
        )
        actual_percent = FloatField(
            _l("Actual progress (%)"),
            validators=[
                InputRequired(_l("Give a percentage between 0 and 100.")),
                NumberRange(0, 100, message=_l("Give a percentage between 0 and 100.")),
            ],
        )
        budget_executed = StringField(
            _l("Budget executed so far (NT$)"), filters=[strip], validators=[check_amount]
        )
        note = TextAreaField(
            _l("Notes (optional)"),
            filters=[strip],
            validators=[Length(max=5000, message=_l("Use at most 5,000 characters."))],
        )
        submit = SubmitField(_l("Publish the progress report"))

    choices = [SelectChoice(s.value, MILESTONE_LABELS[s.value]) for s in MilestoneState]
    for m in project.milestones:
        setattr(
            ProgressForm,
            f"milestone_{m.id}",
            RadioField(_l("State"), choices=choices, validators=[Optional()]),
        )
        setattr(
            ProgressForm, f"reached_{m.id}", DateField(_l("Reached on"), validators=[Optional()])
        )
        setattr(
            ProgressForm, f"new_date_{m.id}", DateField(_l("New date"), validators=[Optional()])
        )
    for k in project.kpis:
        setattr(
            ProgressForm, f"kpi_{k.id}", FloatField(_l("Current value"), validators=[Optional()])
        )
    return ProgressForm(formdata=formdata) if formdata is not None else ProgressForm()


class QuestionForm(FlaskForm):
    text = TextAreaField(
        _l("Your question"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write your question.")),
            Length(min=5, max=1000, message=_l("Use 5 to 1,000 characters.")),
        ],
    )
    submit = SubmitField(_l("Ask the agency"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Public answer"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write the answer.")),
            Length(max=5000, message=_l("Use at most 5,000 characters.")),
        ],
    )
    submit = SubmitField(_l("Publish the answer"))


class ConfirmForm(FlaskForm):
    """An empty form for one-button actions: follow, approve, complete, mark read."""

    submit = SubmitField(_l("Confirm"))
