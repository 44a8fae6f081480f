"""Digital opinion surveys (數位化意向調查): questionnaires agencies build, the one response
each verified account may give, and the answers.

A survey may hang on another item (a proposal or consultation now; a draft regulation or a
project later) through a generic ``target_type`` + ``target_id``, or stand alone.

**One response per account, kept apart from the answers when the survey asks for it.**
:class:`SurveyParticipation` (survey, account) is unique: it is the guarantee. In a survey
whose answers are *unlinked* (``anonymous``), :class:`SurveyResponse` has no account and no
time of day, and its id is random, so neither a column nor the order of rows ties it to the
participation; such answers cannot be changed later (nothing says which response was
yours). In a *linked* survey the response carries the account and may be changed until the
close. Either way the response keeps a coarse copy of the respondent's profile (age band,
sex, county, groups) taken when answering, for the cross-tabs and the weighting.

Status changes go through :func:`participate.surveys.lifecycle.transition` only.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.models.core import Agency, enum_column
from participate.timeutil import utcnow

# Response ids are random (participate.surveys.operations.new_response_id), in the range of
# every other id column; on SQLite the INTEGER PRIMARY KEY is the rowid itself, so rows are
# even stored in that random order.
MAX_RESPONSE_ID = 2**31 - 1


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"  # one option
    MULTIPLE = "multiple"  # any number of options
    LIKERT = "likert"  # 5-point agreement scale
    RANKING = "ranking"  # the options in order of preference
    NUMBER = "number"
    TEXT = "text"  # a short text


class Survey(db.Model):
    __tablename__ = "survey"
    __table_args__ = (Index("ix_survey_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    # The published method statement: who may answer, the period, how results are weighted.
    method: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SurveyStatus] = mapped_column(
        enum_column(SurveyStatus), default=SurveyStatus.DRAFT, index=True
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    target_type: Mapped[str | None] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    owner_agency: Mapped[Agency | None] = relationship()
    sections: Mapped[list[SurveySection]] = relationship(
        back_populates="survey", order_by="SurveySection.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )


class SurveySection(db.Model):
    __tablename__ = "survey_section"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(160), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    survey: Mapped[Survey] = relationship(back_populates="sections")


class SurveyQuestion(db.Model):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(
        ForeignKey("survey_section.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    text: Mapped[str] = mapped_column(Text)
    help: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    # Skip logic: ask this question only when the answer to an earlier choice question
    # includes one of these option indexes.
    show_if_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_question.id", ondelete="SET NULL")
    )
    show_if_options: Mapped[list[int] | None] = mapped_column(JSON)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    section: Mapped[SurveySection] = relationship()


class SurveyParticipation(db.Model):
    """That an account has answered a survey (never what it answered, when unlinked)."""

    __tablename__ = "survey_participation"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyResponse(db.Model):
    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    # Only in a linked survey; None when the answers are unlinked from the account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    age_band: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(8))
    county: Mapped[str | None] = mapped_column(String(3))
    groups: Mapped[str] = mapped_column(String(64), default="")

    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class SurveyAnswer(db.Model):
    """One answer: ``value`` is an option index (single, Likert: 0..4), a list of indexes
    (multiple; ranking in order of preference) or a number; ``text`` a short text."""

    __tablename__ = "survey_answer"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_question.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[Any] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
