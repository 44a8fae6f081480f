"""``/api/v1/surveys``: the public surveys, one survey with its questions, and its
aggregated results (once closed), on the v1 blueprint and in the OpenAPI document.

The results are :mod:`participate.surveys.results` as the page shows them: a count under 5
(or one that would reveal one) is ``null``, a question answered by fewer than 5 people has
``answered: null`` and no options. No single response is ever served.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields
from sqlalchemy import select

from participate import policy
from participate.api import schemas as s
from participate.api.openapi import operation
from participate.api.v1 import (
    _args,
    _json,
    _not_found,
    _page_links,
    _paginate,
    _with_link_header,
    bp,
)
from participate.models import Survey, SurveyStatus
from participate.surveys import queries, results
from participate.surveys.lifecycle import effective_status
from participate.timeutil import aware, utcnow


class SurveyQuestionSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    section = fields.String(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    help = fields.String(required=True)
    required = fields.Boolean(required=True)
    options = fields.List(fields.String(), required=True)
    min_value = fields.Float(allow_none=True, required=True)
    max_value = fields.Float(allow_none=True, required=True)
    show_if_question_id = fields.Integer(allow_none=True, required=True)
    show_if_options = fields.List(fields.Integer(), required=True)


class SurveySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    method = fields.String(required=True)
    status = fields.String(required=True)
    answers_unlinked = fields.Boolean(required=True)
    agency_id = fields.Integer(allow_none=True, required=True)
    target_type = fields.String(allow_none=True, required=True)
    target_id = fields.Integer(allow_none=True, required=True)
    opened_at = fields.DateTime(allow_none=True, required=True)
    closes_at = fields.DateTime(allow_none=True, required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)
    results_url = fields.String(allow_none=True, required=True)


class SurveyDetailSchema(SurveySchema):
    questions = fields.List(fields.Nested(SurveyQuestionSchema), required=True)


class SurveyPageSchema(Schema):
    items = fields.List(fields.Nested(SurveySchema), required=True)
    meta = fields.Nested(s.Meta, required=True)
    links = fields.Nested(s.Links, required=True)


class ShareSchema(Schema):
    value = fields.Float(required=True)
    ci95_low = fields.Float(required=True)
    ci95_high = fields.Float(required=True)
    n = fields.Float(required=True, metadata={"description": "(Effective) number of people"})


class OptionResultSchema(Schema):
    label = fields.String(required=True)
    count = fields.Integer(allow_none=True, required=True, metadata={"description": "null: <5"})
    share = fields.Nested(ShareSchema, allow_none=True, required=True)
    weighted = fields.Nested(ShareSchema, allow_none=True, required=True)


class QuestionResultSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    answered = fields.Integer(allow_none=True, required=True, metadata={"description": "null: <5"})
    options = fields.List(fields.Nested(OptionResultSchema), required=True)
    first_choice = fields.List(fields.Nested(OptionResultSchema), required=True)
    mean = fields.Float(allow_none=True, required=True)
    median = fields.Float(allow_none=True, required=True)
    weighted_mean = fields.Float(allow_none=True, required=True)
    keywords = fields.List(fields.String(), required=True)


class WeightingSchema(Schema):
    available = fields.Boolean(required=True)
    weighted = fields.Integer(required=True)
    effective_n = fields.Float(required=True)
    converged = fields.Boolean(required=True)
    method = fields.String(required=True)


class SurveyResultsSchema(Schema):
    survey_id = fields.Integer(required=True)
    respondents = fields.Integer(required=True)
    with_profile = fields.Integer(allow_none=True, required=True)
    weighting = fields.Nested(WeightingSchema, required=True)
    questions = fields.List(fields.Nested(QuestionResultSchema), required=True)


def survey_dict(survey: Survey) -> dict[str, Any]:
    status = effective_status(survey, utcnow())
    return {
        "id": survey.id,
        "title": survey.title,
        "description": survey.description or "",
        "method": survey.method or "",
        "status": status.value,
        "answers_unlinked": bool(survey.anonymous),
        "agency_id": survey.owner_agency_id,
        "target_type": survey.target_type,
        "target_id": survey.target_id,
        "opened_at": aware(survey.opened_at),
        "closes_at": aware(survey.closes_at),
        "closed_at": aware(survey.closed_at) if status == SurveyStatus.CLOSED else None,
        "url": f"/surveys/{survey.id}",
        "results_url": f"/api/v1/surveys/{survey.id}/results"
        if status == SurveyStatus.CLOSED
        else None,
    }


def _public_survey(survey_id: int) -> Survey:
    found = queries.load(survey_id) if 0 < survey_id <= s.MAX_ID else None
    if found is None or found.status == SurveyStatus.DRAFT:
        raise _not_found()
    return found


@bp.get("/surveys")
@operation(
    "Surveys (open and closed), newest first",
    tags=["surveys"],
    query=s.PageQuery,
    response=SurveyPageSchema,
)
def surveys() -> Response:
    a = _args(s.PageQuery)
    q = select(Survey).where(queries.visible_clause()).order_by(Survey.id.desc())
    items, meta, pages = _paginate(q, a["page"], a["per_page"])
    links = _page_links(".surveys", a["page"], pages)
    payload = {"items": [survey_dict(x) for x in items], "meta": meta, "links": links}
    return _with_link_header(_json(payload, SurveyPageSchema()), links)


@bp.get("/surveys/<int:survey_id>")
@operation(
    "One survey with its sections and questions",
    tags=["surveys"],
    response=SurveyDetailSchema,
    errors=(404,),
)
def survey(survey_id: int) -> Response:
    """Skip logic: a question with ``show_if_question_id`` is asked only when the answer to
    that question includes one of ``show_if_options`` (option indexes from 0)."""
    found = _public_survey(survey_id)
    sections = {sec.id: sec.title for sec in found.sections}
    questions = sorted(found.questions, key=lambda q: q.position)
    payload = survey_dict(found)
    payload["questions"] = [
        {
            "id": q.id,
            "number": n,
            "section": sections.get(q.section_id, ""),
            "kind": q.kind.value,
            "text": q.text,
            "help": q.help or "",
            "required": bool(q.required),
            "options": results.option_labels(q),
            "min_value": q.min_value,
            "max_value": q.max_value,
            "show_if_question_id": q.show_if_question_id,
            "show_if_options": list(q.show_if_options or []),
        }
        for n, q in enumerate(questions, start=1)
    ]
    return _json(payload, SurveyDetailSchema(), last_modified=found.updated_at)


def _share(value: Any) -> dict[str, float] | None:
    if value is None:
        return None
    return {"value": value.value, "ci95_low": value.low, "ci95_high": value.high, "n": value.n}


def _option(o: results.OptionResult) -> dict[str, Any]:
    return {
        "label": o.label,
        "count": o.count,
        "share": _share(o.share),
        "weighted": _share(o.weighted),
    }


@bp.get("/surveys/<int:survey_id>/results")
@operation(
    "A closed survey's aggregated results (counts under 5 are null)",
    tags=["surveys"],
    response=SurveyResultsSchema,
    errors=(404,),
)
def survey_results(survey_id: int) -> Response:
    """Counts, shares with 95% Wilson intervals, and the same weighted to Taiwan's
    population (raking on age band x sex and region, weights trimmed to [0.2, 5])."""
    found = _public_survey(survey_id)
    if not policy.can_view_results(None, found):
        raise _not_found()
    r = results.compute(found, with_crosstabs=False)
    w = r.weighting
    payload = {
        "survey_id": found.id,
        "respondents": r.respondents,
        "with_profile": r.representation.profiled,
        "weighting": {
            "available": w.available,
            "weighted": w.n,
            "effective_n": round(w.effective_n, 3),
            "converged": w.converged,
            "method": "raking on age band x sex and region; weights trimmed to [0.2, 5]",
        },
        "questions": [
            {
                "id": q.question.id,
                "number": q.number,
                "kind": q.question.kind.value,
                "text": q.question.text,
                "answered": q.answered if q.shown else None,
                "options": [_option(o) for o in q.options] if q.shown else [],
                "first_choice": [_option(o) for o in q.first_choice] if q.shown else [],
                "mean": q.numbers.mean if q.numbers else None,
                "median": q.numbers.median if q.numbers else None,
                "weighted_mean": q.numbers.weighted_mean if q.numbers else None,
                "keywords": list(q.keywords) if q.shown else [],
            }
            for q in r.questions
        ],
    }
    return _json(payload, SurveyResultsSchema())
