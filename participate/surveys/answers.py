"""What a person's answers mean for a questionnaire: which questions are asked (skip logic)
and whether each answer is valid. Pure: questions and raw values in, clean values and
errors out; the response operation and the form both use it.

Raw values as the form sends them: an option index as text (single choice, Likert), a list
of them (multiple choice), one rank per option (``{option index: "1".."k" or ""}``,
ranking), a number as text, or text.

**Skip logic**: a question with ``show_if_question_id`` is asked only when the answer to
that earlier question includes one of ``show_if_options``; a question whose condition
rests on a question that was itself skipped is skipped too. Answers to skipped questions
are dropped, and a skipped required question is not required.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _

from participate.errors import RuleError
from participate.models import QuestionKind, SurveyQuestion
from participate.text import accept_text

K = QuestionKind
TEXT_MAX = 500
LIKERT_POINTS = 5
CHOICE_KINDS = (K.SINGLE, K.MULTIPLE, K.LIKERT)


def option_count(question: SurveyQuestion) -> int:
    return LIKERT_POINTS if question.kind == K.LIKERT else len(question.options or [])


def chosen(value: Any) -> set[int]:
    """The option indexes a clean answer includes (for skip conditions)."""
    if value is None:
        return set()
    if isinstance(value, list):
        return {int(v) for v in value}
    if isinstance(value, int):
        return {value}
    return set()


def asked(questions: Sequence[SurveyQuestion], values: Mapping[int, Any]) -> set[int]:
    """Ids of the questions asked, given the clean answers so far (in question order)."""
    shown: set[int] = set()
    for q in questions:
        cond = q.show_if_question_id
        if cond is None:
            shown.add(q.id)
            continue
        if cond in shown and chosen(values.get(cond)) & set(q.show_if_options or []):
            shown.add(q.id)
    return shown


def _index(raw: Any, count: int) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < count else None


def clean_one(question: SurveyQuestion, raw: Any) -> tuple[Any, str | None]:
    """(clean value or None for "not answered", error message or None)."""
    kind = question.kind
    count = option_count(question)
    if kind in (K.SINGLE, K.LIKERT):
        if raw in (None, ""):
            return None, None
        value = _index(raw, count)
        return (value, None) if value is not None else (None, _("Choose one of the options."))
    if kind == K.MULTIPLE:
        items = [r for r in (raw or []) if r not in (None, "")]
        if not items:
            return None, None
        values = [_index(r, count) for r in items]
        if any(v is None for v in values):
            return None, _("Choose among the options.")
        return sorted({int(v) for v in values if v is not None}), None
    if kind == K.RANKING:
        ranks: dict[int, int] = {}
        for key, r in (raw or {}).items():
            if r in (None, ""):
                continue
            option = _index(key, count)
            rank = _index(r, count + 1)
            if option is None or rank is None or rank < 1:
                return None, _("Give each option a different rank.")
            ranks[option] = rank
        if not ranks:
            return None, None
        if len(ranks) != count or sorted(ranks.values()) != list(range(1, count + 1)):
            return None, _("Give each option a different rank, from 1 to %(n)d.", n=count)
        return [o for o, _r in sorted(ranks.items(), key=lambda kv: kv[1])], None
    if kind == K.NUMBER:
        text = str(raw or "").strip().replace(",", "")
        if not text:
            return None, None
        try:
            number = float(text)
        except ValueError:
            return None, _("Write a number.")
        if not math.isfinite(number):
            return None, _("Write a number.")
        low, high = question.min_value, question.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            return None, _(
                "Write a number from %(low)s to %(high)s.",
                low=_fmt(low) if low is not None else "−∞",
                high=_fmt(high) if high is not None else "∞",
            )
        return (int(number) if number.is_integer() else number), None
    try:  # no control character, something visible (or nothing: no answer)
        text = accept_text(str(raw or ""), "answer", multiline=True, required=False)
    except RuleError as exc:
        return None, exc.message
    if not text:
        return None, None
    if len(text) > TEXT_MAX:
        return None, _("Keep your answer under %(n)d characters.", n=TEXT_MAX)
    return text, None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def clean(
    questions: Sequence[SurveyQuestion], raw: Mapping[int, Any]
) -> tuple[dict[int, Any], dict[int, str]]:
    """Clean answers to the questions asked, and errors by question id (a required
    question asked but not answered is an error; answers to skipped questions are
    dropped)."""
    values: dict[int, Any] = {}
    errors: dict[int, str] = {}
    shown: set[int] = set()
    for q in questions:
        cond = q.show_if_question_id
        if cond is not None and not (
            cond in shown and chosen(values.get(cond)) & set(q.show_if_options or [])
        ):
            continue
        shown.add(q.id)
        value, error = clean_one(q, raw.get(q.id))
        if error:
            errors[q.id] = error
        elif value is None and q.required:
            errors[q.id] = _("This question needs an answer.")
        elif value is not None:
            values[q.id] = value
    return values, errors
