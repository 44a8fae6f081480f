"""Marshmallow schemas of the draft regulations API (``/api/v1/regulations``): they
serialise the responses, validate the query strings and become the OpenAPI components."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from participate.api.schemas import MAX_ID, Clock, Links, Meta, PageQuery

STATUSES = ("open", "closed", "responded", "promulgated")
CHANGES = ("new", "amended", "deleted")
DECISIONS = ("adopted", "partly", "not_adopted")


class RegulationQuery(PageQuery):
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "Effective status (an open draft past its period is closed)"},
    )
    agency = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Agency id"}
    )
    overdue = fields.Boolean(
        metadata={"description": "Only drafts whose response table is overdue"}
    )


class RegulationCommentQuery(PageQuery):
    article = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only the comments on this article (id)"},
    )


class Article(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    label = fields.String(
        required=True, metadata={"description": "The article label (條次), for example 第三條"}
    )
    change = fields.String(required=True, validate=validate.OneOf(CHANGES))
    proposed_text = fields.String(required=True)
    current_text = fields.String(required=True)
    explanation = fields.String(required=True)
    final_text = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "The promulgated wording; null until recorded"},
    )
    comment_count = fields.Integer(required=True)


class RegulationSummary(Schema):
    id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    title = fields.String(required=True)
    legal_basis = fields.String(required=True)
    unit = fields.String(required=True)
    summary = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    comment_ends_at = fields.DateTime(required=True)
    period_days = fields.Integer(required=True)
    short_period_reason = fields.String(
        required=True, metadata={"description": "Why the period is shorter than the default"}
    )
    days_left = fields.Integer(allow_none=True, required=True)
    response_due_at = fields.DateTime(required=True)
    responded_at = fields.DateTime(allow_none=True, required=True)
    response_clock = fields.Nested(Clock, allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    promulgated_on = fields.Date(allow_none=True, required=True)
    promulgation_reference = fields.String(required=True)
    comment_count = fields.Integer(required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)


class Regulation(RegulationSummary):
    articles = fields.List(fields.Nested(Article), required=True)


class RegulationPage(Schema):
    items = fields.List(fields.Nested(RegulationSummary), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class RegulationComment(Schema):
    id = fields.Integer(required=True)
    draft_id = fields.Integer(required=True)
    article_id = fields.Integer(allow_none=True, required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    agree = fields.Integer(required=True)
    disagree = fields.Integer(required=True)
    reply_count = fields.Integer(required=True)
    url = fields.String(required=True)


class RegulationCommentPage(Schema):
    items = fields.List(fields.Nested(RegulationComment), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class ResponseRow(Schema):
    position = fields.Integer(required=True)
    article_id = fields.Integer(allow_none=True, required=True)
    comment_ids = fields.List(fields.Integer(), required=True)
    summary = fields.String(required=True)
    decision = fields.String(allow_none=True, required=True, validate=validate.OneOf(DECISIONS))
    reasoning = fields.String(required=True)


class ResponseTable(Schema):
    draft_id = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    overall = fields.String(required=True)
    rows = fields.List(fields.Nested(ResponseRow), required=True)
