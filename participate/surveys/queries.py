"""Reads shared by the survey pages, the API, the open data and the proposal page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from participate import policy
from participate.extensions import db
from participate.models import Proposal, Survey, SurveyResponse, SurveyStatus
from participate.surveys.lifecycle import effective_status
from participate.timeutil import utcnow


def load(survey_id: int) -> Survey | None:
    return db.session.scalar(
        select(Survey)
        .options(selectinload(Survey.questions), selectinload(Survey.sections))
        .where(Survey.id == survey_id)
    )


def public_list() -> list[Survey]:
    """Open and closed surveys, newest first."""
    return list(
        db.session.scalars(
            select(Survey)
            .where(Survey.status != SurveyStatus.DRAFT)
            .order_by(Survey.opened_at.desc(), Survey.id.desc())
        )
    )


def drafts_for(user: Any) -> list[Survey]:
    """The drafts ``user`` builds: their agency's (all, for an admin)."""
    if not policy.can_create_survey(user):
        return []
    query = select(Survey).where(Survey.status == SurveyStatus.DRAFT)
    if not policy.is_admin(user):
        query = query.where(Survey.owner_agency_id == user.agency_id)
    return list(db.session.scalars(query.order_by(Survey.id.desc())))


def split_by_status(surveys: list[Survey]) -> tuple[list[Survey], list[Survey]]:
    now = utcnow()
    open_ = [s for s in surveys if effective_status(s, now) == SurveyStatus.OPEN]
    closed = [s for s in surveys if effective_status(s, now) == SurveyStatus.CLOSED]
    return open_, closed


def for_target(target_type: str, target_id: int) -> list[Survey]:
    """The public surveys attached to an item (a proposal, later a regulation...)."""
    return list(
        db.session.scalars(
            select(Survey)
            .where(
                Survey.target_type == target_type,
                Survey.target_id == target_id,
                Survey.status != SurveyStatus.DRAFT,
            )
            .order_by(Survey.id)
        )
    )


def target_of(survey: Survey) -> Proposal | None:
    """What the survey hangs on, if it is public."""
    if survey.target_type == "proposal" and survey.target_id:
        found = db.session.get(Proposal, survey.target_id)
        return found if found is not None and policy.is_public(found) else None
    return None


def respondent_count(survey_id: int) -> int:
    from sqlalchemy import func

    return int(
        db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id)
        )
        or 0
    )


def my_answers(user: Any, survey: Survey) -> dict[int, Any] | None:
    """A linked survey's saved answers of ``user`` (question id -> value), for the form to
    show them again; None when there are none (or the survey is unlinked)."""
    if survey.anonymous or not policy.is_authenticated(user):
        return None
    response = db.session.scalar(
        select(SurveyResponse)
        .options(selectinload(SurveyResponse.answers))
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user.id)
    )
    if response is None:
        return None
    return {a.question_id: (a.text if a.text is not None else a.value) for a in response.answers}


def visible_clause() -> Any:
    return or_(Survey.status == SurveyStatus.OPEN, Survey.status == SurveyStatus.CLOSED)
