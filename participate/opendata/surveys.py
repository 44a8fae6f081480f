"""The surveys in the open-data dumps: the list of surveys and the aggregated results of
the closed ones, under the same small-cell rule as the pages (a count under 5 is "<5")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from participate.extensions import db
from participate.models import Survey, SurveyStatus
from participate.surveys import exports, results
from participate.surveys.lifecycle import effective_status
from participate.timeutil import aware, utcnow

SURVEY_HEADER = [
    "id",
    "title",
    "status",
    "agency_id",
    "answers_unlinked",
    "target_type",
    "target_id",
    "opened_at",
    "closes_at",
    "respondents",
    "method",
    "url",
]


def _iso(value: Any) -> str:
    value = aware(value)
    return value.isoformat() if value else ""


def tables() -> list[tuple[str, list[str], Iterator[list[Any]] | list[list[Any]], str]]:
    """(file stem, header, rows, description) for :func:`participate.opendata.build.build`."""
    now = utcnow()
    surveys = list(
        db.session.scalars(
            select(Survey).where(Survey.status != SurveyStatus.DRAFT).order_by(Survey.id)
        )
    )
    listed: list[list[Any]] = []
    result_rows: list[list[Any]] = []
    for survey in surveys:
        status = effective_status(survey, now)
        r = results.compute(survey, with_texts=False) if status == SurveyStatus.CLOSED else None
        listed.append(
            [
                survey.id,
                survey.title,
                status.value,
                survey.owner_agency_id or "",
                "true" if survey.anonymous else "false",
                survey.target_type or "",
                survey.target_id or "",
                _iso(survey.opened_at),
                _iso(survey.closes_at),
                r.respondents if r is not None else "",
                survey.method,
                f"/surveys/{survey.id}",
            ]
        )
        if r is not None:
            result_rows.extend(exports.rows(r))
    return [
        ("surveys", SURVEY_HEADER, listed, "Surveys (open and closed)"),
        (
            "survey-results",
            exports.HEADER,
            result_rows,
            "Aggregated results of closed surveys (counts under 5 shown as <5)",
        ),
    ]
