"""One function per thing people do with surveys: staff create and edit a draft, add
sections and questions, open and close it; verified accounts answer (and, in a linked
survey, change their answers until the close).

Each asks the policy first, then writes, flushes and records the audit entry; none
commits (the request, job or command around it does). A refusal is a
:class:`participate.errors.RuleError` raised before anything is written.

**One response per account under concurrency.** The participation row (survey, account)
is unique: a first answer inserts it inside a savepoint, so of two simultaneous first
answers by one account exactly one inserts; the other finds the row and becomes a change
(linked survey) or a refusal (unlinked survey), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Proposal,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
    User,
)
from participate.models.surveys import MAX_RESPONSE_ID
from participate.participants.queries import profile_of
from participate.surveys import answers as answer_rules
from participate.surveys.lifecycle import transition
from participate.text import accept_lines, accept_text
from participate.timeutil import aware, taipei_today, utcnow

K = QuestionKind
TITLE_MAX = 160
OPTIONS_MAX = 20
OPTION_MAX = 200
QUESTIONS_MAX = 100
# What a survey can hang on; a draft regulation or a project adds its type here, with its
# lookup in ``_target``.
TARGET_TYPES = ("proposal",)


@dataclass(frozen=True)
class SurveyInput:
    title: str
    description: str = ""
    method: str = ""
    anonymous: bool = True
    closes_at: datetime | None = None
    target_type: str | None = None
    target_id: int | None = None


@dataclass(frozen=True)
class QuestionInput:
    kind: str
    text: str
    help: str = ""
    required: bool = True
    options: Sequence[str] = ()
    min_value: float | None = None
    max_value: float | None = None
    section_id: int | None = None
    show_if_question_id: int | None = None
    show_if_options: Sequence[int] = field(default_factory=tuple)


@dataclass(frozen=True)
class ResponseResult:
    response_id: int | None  # None for an unlinked response (its id is not handed out)
    changed: bool  # an earlier answer was replaced


# --- Building a survey ----------------------------------------------------------------------


def _text(
    value: str | None, field_name: str, limit: int, required: bool = False, multiline: bool = True
) -> str:
    text = accept_text(
        value,
        field_name,
        multiline=multiline,
        required=required,
        empty=_l("This field is required."),
    )
    if len(text) > limit:
        raise RuleError(_("Keep this under %(n)d characters.", n=limit), field=field_name)
    return text


def _target(
    user: User, survey: Survey, data: SurveyInput, now: datetime
) -> tuple[str | None, int | None]:
    if not data.target_type:
        return None, None
    if data.target_type not in TARGET_TYPES:
        raise RuleError(
            _("A survey can be attached to a proposal or consultation."), field="target"
        )
    target = db.session.get(Proposal, data.target_id) if data.target_id else None
    if target is None or not policy.is_public(target):
        raise RuleError(
            _("There is no public proposal or consultation with that number."), field="target"
        )
    if not policy.can_attach_survey(user, survey, target, now):
        raise RuleError(
            _(
                "You can attach a survey only to proposals and consultations "
                "your agency is responsible for."
            ),
            field="target",
            status=403,
        )
    return data.target_type, target.id


def _apply(user: User, survey: Survey, data: SurveyInput, now: datetime) -> None:
    survey.title = _text(data.title, "title", TITLE_MAX, required=True, multiline=False)
    survey.description = _text(data.description, "description", 5000)
    survey.method = _text(data.method, "method", 5000)
    survey.anonymous = bool(data.anonymous)
    closes = aware(data.closes_at)
    if closes is not None and closes <= now:
        raise RuleError(_("The closing time must be in the future."), field="closes_at")
    survey.closes_at = closes
    survey.target_type, survey.target_id = _target(user, survey, data, now)


def create_survey(user: User, data: SurveyInput, now: datetime | None = None) -> Survey:
    """A draft owned by the staff member's agency, with one (untitled) section."""
    now = now or utcnow()
    if not policy.can_create_survey(user, now):
        raise RuleError(_("Only agency staff can create surveys."), status=403)
    survey = Survey(
        owner_agency_id=user.agency_id,
        created_by_id=user.id,
        status=SurveyStatus.DRAFT,
        created_at=now,
        title="",
    )
    _apply(user, survey, data, now)
    survey.sections.append(SurveySection(position=1, title="", description=""))
    db.session.add(survey)
    db.session.flush()
    audit.record(user, "survey.create", "survey", survey.id)
    return survey


def update_survey(
    user: User, survey: Survey, data: SurveyInput, now: datetime | None = None
) -> None:
    now = now or utcnow()
    if not policy.can_edit_survey(user, survey, now):
        raise RuleError(_("Only a draft can be changed, by its agency."), status=403)
    _apply(user, survey, data, now)
    db.session.flush()
    audit.record(user, "survey.update", "survey", survey.id)


def add_section(user: User, survey: Survey, title: str, description: str = "") -> SurveySection:
    if not policy.can_edit_survey(user, survey):
        raise RuleError(_("Only a draft can be changed, by its agency."), status=403)
    section = SurveySection(
        survey_id=survey.id,
        position=max((s.position for s in survey.sections), default=0) + 1,
        title=_text(title, "title", TITLE_MAX, required=True),
        description=_text(description, "description", 2000),
    )
    survey.sections.append(section)
    db.session.flush()
    audit.record(user, "survey.section", "survey", survey.id, section_id=section.id)
    return section


def _options(kind: K, options: Sequence[str]) -> list[str]:
    if kind in (K.LIKERT, K.NUMBER, K.TEXT):
        return []
    cleaned = accept_lines([o or "" for o in options], "options")
    if len(cleaned) < 2:
        raise RuleError(_("Give at least two options, one per line."), field="options")
    if len(cleaned) > OPTIONS_MAX or any(len(o) > OPTION_MAX for o in cleaned):
        raise RuleError(
            _("At most %(n)d options of at most %(m)d characters.", n=OPTIONS_MAX, m=OPTION_MAX),
            field="options",
        )
    if len(set(cleaned)) != len(cleaned):
        raise RuleError(_("Each option must be different."), field="options")
    return cleaned


def add_question(user: User, survey: Survey, data: QuestionInput) -> SurveyQuestion:
    """A question at the end of its section (the last section by default). Skip logic may
    refer only to an earlier single-choice, multiple-choice or Likert question."""
    if not policy.can_edit_survey(user, survey):
        raise RuleError(_("Only a draft can be changed, by its agency."), status=403)
    try:
        kind = K(data.kind)
    except ValueError as exc:
        raise RuleError(_("Choose a kind of question."), field="kind") from exc
    if len(survey.questions) >= QUESTIONS_MAX:
        raise RuleError(_("A survey can have at most %(n)d questions.", n=QUESTIONS_MAX))
    sections = {s.id: s for s in survey.sections}
    section = sections.get(data.section_id) if data.section_id else survey.sections[-1]
    if section is None:
        raise RuleError(_("Choose a section of this survey."), field="section_id")
    options = _options(kind, data.options)
    low, high = data.min_value, data.max_value
    if kind == K.NUMBER and low is not None and high is not None and low > high:
        raise RuleError(_("The smallest number must not exceed the largest."), field="min_value")
    show_if_options: list[int] | None = None
    condition = None
    if data.show_if_question_id:
        condition = next((q for q in survey.questions if q.id == data.show_if_question_id), None)
        if condition is None or condition.kind not in answer_rules.CHOICE_KINDS:
            raise RuleError(
                _("Skip logic can only depend on an earlier choice or agreement question."),
                field="show_if_question_id",
            )
        count = answer_rules.option_count(condition)
        show_if_options = sorted({int(i) for i in data.show_if_options if 0 <= int(i) < count})
        if not show_if_options:
            raise RuleError(
                _("Choose the answers that show this question."), field="show_if_options"
            )
    # Questions are numbered through the survey in section order; a question added to an
    # earlier section moves the later ones down.
    ordered = sorted(survey.questions, key=lambda q: (q.section.position, q.position))
    before = [q for q in ordered if q.section.position <= section.position]
    position = len(before) + 1
    for q in sorted(ordered[len(before) :], key=lambda q: -q.position):
        q.position = q.position + 1 + QUESTIONS_MAX * 10  # out of the way of the unique key
    db.session.flush()
    for offset, q in enumerate(ordered[len(before) :]):
        q.position = position + 1 + offset
    question = SurveyQuestion(
        survey_id=survey.id,
        section_id=section.id,
        position=position,
        kind=kind,
        text=_text(data.text, "text", 1000, required=True),
        help=_text(data.help, "help", 1000),
        required=bool(data.required),
        options=options,
        min_value=low if kind == K.NUMBER else None,
        max_value=high if kind == K.NUMBER else None,
        show_if_question_id=condition.id if condition is not None else None,
        show_if_options=show_if_options,
    )
    db.session.add(question)
    db.session.flush()
    db.session.refresh(survey, ["questions"])
    audit.record(user, "survey.question", "survey", survey.id, question_id=question.id)
    return question


def delete_question(user: User, question: SurveyQuestion) -> None:
    survey = question.survey
    if not policy.can_edit_survey(user, survey):
        raise RuleError(_("Only a draft can be changed, by its agency."), status=403)
    if any(q.show_if_question_id == question.id for q in survey.questions):
        raise RuleError(_("Another question's skip logic depends on this one."), status=409)
    removed = question.position
    db.session.delete(question)
    db.session.flush()
    for q in sorted(survey.questions, key=lambda q: q.position):
        if q.position > removed:
            q.position -= 1
            db.session.flush()
    db.session.refresh(survey, ["questions"])
    audit.record(user, "survey.question_delete", "survey", survey.id)


def open_survey(user: User, survey: Survey, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not policy.can_open_survey(user, survey, now):
        if survey.status == SurveyStatus.DRAFT and policy.acts_for_survey(user, survey, now):
            raise RuleError(
                _("Add at least one question and the method statement before opening."),
                status=409,
            )
        raise RuleError(_("You cannot open this survey."), status=403)
    closes = aware(survey.closes_at)
    if closes is None or closes <= now:
        raise RuleError(_("Set a closing time in the future before opening."), status=409)
    transition(survey, SurveyStatus.OPEN, now)
    db.session.flush()
    audit.record(user, "survey.open", "survey", survey.id)


def close_survey(user: User, survey: Survey, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not policy.can_close_survey(user, survey, now):
        raise RuleError(_("You cannot close this survey."), status=403)
    transition(survey, SurveyStatus.CLOSED, now)
    db.session.flush()
    audit.record(user, "survey.close", "survey", survey.id)


# --- Answering ------------------------------------------------------------------------------


def _refuse(refusal: policy.Refusal) -> RuleError:
    return RuleError(refusal.message, status=refusal.status, code=refusal.code)


def _snapshot(response: SurveyResponse, user: User) -> None:
    profile = profile_of(user.id)
    response.age_band = profile.age_band if profile else None
    response.sex = profile.sex if profile else None
    response.county = profile.county if profile else None
    response.groups = ",".join(profile.groups) if profile else ""


def _write_answers(response: SurveyResponse, values: Mapping[int, Any]) -> None:
    for qid, value in values.items():
        text = value if isinstance(value, str) else None
        db.session.add(
            SurveyAnswer(
                response_id=response.id,
                question_id=qid,
                value=None if text is not None else value,
                text=text,
            )
        )


def new_response_id() -> int:
    """A random id: the order of responses says nothing about who answered when."""
    return secrets.randbelow(MAX_RESPONSE_ID) + 1


def _new_response(survey: Survey, user: User, now: datetime) -> SurveyResponse:
    """The response row under a random id; a collision (about one in 20,000 per answer
    with 100,000 responses stored) is retried with another id."""
    for _attempt in range(5):
        response = SurveyResponse(
            id=new_response_id(),
            survey_id=survey.id,
            user_id=None if survey.anonymous else user.id,
            submitted_on=taipei_today(now),
        )
        _snapshot(response, user)
        try:
            with savepoint():
                db.session.add(response)
                db.session.flush()
        except IntegrityError:
            continue
        return response
    raise RuleError(_("Your answers could not be saved; please send them again."), status=409)


def has_answered(user: Any, survey: Survey) -> bool:
    if not policy.is_authenticated(user):
        return False
    return (
        db.session.scalar(
            select(SurveyParticipation.id).where(
                SurveyParticipation.survey_id == survey.id, SurveyParticipation.user_id == user.id
            )
        )
        is not None
    )


def submit_response(
    user: User, survey: Survey, raw: Mapping[int, Any], now: datetime | None = None
) -> ResponseResult:
    """Answer ``survey`` (the questions asked, given the skip logic), or change the answers
    of a linked survey until it closes. Errors of single answers come back together in
    ``RuleError.fields`` (question id as text -> message)."""
    now = now or utcnow()
    refusal = policy.survey_refusal(user, survey, now)
    if refusal is not None:
        raise _refuse(refusal)
    questions = sorted(survey.questions, key=lambda q: q.position)
    values, errors = answer_rules.clean(questions, raw)
    if errors:
        raise RuleError(
            _("Some answers need your attention."),
            fields={str(qid): message for qid, message in errors.items()},
        )
    first = True
    try:
        with savepoint():  # two first answers at once: the unique key decides
            db.session.add(
                SurveyParticipation(survey_id=survey.id, user_id=user.id, created_at=now)
            )
            db.session.flush()
    except IntegrityError:
        first = False
    if first:
        response = _new_response(survey, user, now)
        _write_answers(response, values)
        db.session.flush()
        audit.record(user, "survey.respond", "survey", survey.id)
        return ResponseResult(None if survey.anonymous else response.id, False)
    if not policy.can_change_answers(user, survey, now):
        raise RuleError(
            _("You have already answered this survey; its answers cannot be changed."),
            status=409,
            code="answered",
        )
    query = select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user.id
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    response = db.session.scalar(query)
    if response is None:  # the first answer is still being written by another request
        raise RuleError(_("Your answers are being saved; reload in a moment."), status=409)
    db.session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response.id))
    response.updated_at = now
    _snapshot(response, user)
    db.session.flush()
    db.session.expire(response, ["answers"])
    _write_answers(response, values)
    db.session.flush()
    audit.record(user, "survey.change_response", "survey", survey.id)
    return ResponseResult(response.id, True)
