"""Marshmallow schemas: they serialise the API's responses, validate its input, and are the
source of the OpenAPI document's components."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from participate.models.discussion import STATEMENT_MAX_LENGTH
from participate.paging import MAX_PAGE, MAX_PER_PAGE
from participate.text import is_blank

KINDS = ("proposal", "consultation")
SEARCH_KINDS = ("proposal", "consultation", "statement", "response")
STATUSES = ("endorsing", "established", "lapsed", "responded", "open", "closed")
MAX_ID = 2147483647


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE


class PageQuery(_Query):
    # The same bounds the edge checks for every route (participate.paging).
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class ProposalQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    agency = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "Agency id"}
    )


class ConsultationQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("open", "closed", "responded")))
    agency = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class StatementQuery(PageQuery):
    order = fields.String(
        load_default="votes",
        validate=validate.OneOf(("votes", "newest", "oldest")),
        metadata={"description": "Most voted first (default), newest or oldest first"},
    )


# No control characters in a query argument: the edge refuses them for every route
# (participate.paging), and the document says so.
QUERY_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"


class SearchQuery(PageQuery):
    q = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=200), validate.Regexp(QUERY_PATTERN)],
    )
    kind = fields.String(validate=validate.OneOf(SEARCH_KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    agency = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ErrorBody(Schema):
    code = fields.String(
        required=True,
        metadata={
            "description": "Machine-readable reason: invalid, unauthorized, insufficient_scope, "
            "forbidden, locked, suspended, not_found, conflict, too_large, rate_limited, "
            "method_not_allowed"
        },
    )
    message = fields.String(
        required=True, metadata={"description": "For people, in the request's language"}
    )
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Parameter or body field → what is wrong with it"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class Links(Schema):
    self_ = fields.String(data_key="self", required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    next = fields.String(allow_none=True, required=True)
    prev = fields.String(allow_none=True, required=True)


class Meta(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class Agency(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    url = fields.String(required=True)


class AgencyPage(Schema):
    items = fields.List(fields.Nested(Agency), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class Clock(Schema):
    started_at = fields.DateTime(allow_none=True, required=True)
    due_at = fields.DateTime(allow_none=True, required=True)
    days_left = fields.Integer(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    overdue_days = fields.Integer(required=True)
    answered_at = fields.DateTime(allow_none=True, required=True)
    late_days = fields.Integer(required=True)


class Measure(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    text = fields.String(required=True)


class Proposal(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    status = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    problem = fields.String(required=True)
    benefits = fields.String(required=True)
    draft_text = fields.String(required=True)
    measures = fields.List(fields.Nested(Measure), required=True)
    owner_agency_id = fields.Integer(allow_none=True, required=True)
    proposed_agency_ids = fields.List(fields.Integer(), required=True)
    responsible_agency_ids = fields.List(fields.Integer(), required=True)
    endorsement_count = fields.Integer(required=True)
    endorsement_count_under_review = fields.Boolean(required=True)
    endorsement_threshold = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    opened_at = fields.DateTime(allow_none=True, required=True)
    deadline = fields.DateTime(allow_none=True, required=True)
    established_at = fields.DateTime(allow_none=True, required=True)
    ended_at = fields.DateTime(allow_none=True, required=True)
    responded_at = fields.DateTime(allow_none=True, required=True)
    response_clock = fields.Nested(Clock, allow_none=True, required=True)
    statement_count = fields.Integer(required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)


class ProposalPage(Schema):
    items = fields.List(fields.Nested(Proposal), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class Statement(Schema):
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    text = fields.String(required=True)
    is_seed = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    agree = fields.Integer(required=True)
    disagree = fields.Integer(required=True)
    pass_ = fields.Integer(data_key="pass", required=True)
    votes = fields.Integer(required=True)
    reply_count = fields.Integer(required=True)
    url = fields.String(required=True)


class StatementPage(Schema):
    items = fields.List(fields.Nested(Statement), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class ResponsePoint(Schema):
    measure_id = fields.Integer(required=True)
    measure_position = fields.Integer(required=True)
    measure_text = fields.String(required=True)
    decision = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "adopted, partly, not_adopted or under_study"},
    )
    reasoning = fields.String(required=True)
    responsible_unit = fields.String(required=True)
    follow_up_on = fields.Date(allow_none=True, required=True)
    linked_statement_ids = fields.List(fields.Integer(), required=True)


class Response(Schema):
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    agency_id = fields.Integer(allow_none=True, required=True)
    overall = fields.String(required=True)
    published_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    points = fields.List(fields.Nested(ResponsePoint), required=True)


class Analysis(Schema):
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    discussion_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    vote_count = fields.Integer(required=True)
    vote_events = fields.Integer(required=True)
    last_vote_at = fields.DateTime(allow_none=True, required=True)
    parameters = fields.Dict(required=True)
    result = fields.Dict(
        allow_none=True,
        required=True,
        metadata={"description": "Opinion groups, consensus and divisive statements"},
    )


class Statistics(Schema):
    proposals_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    consultations_by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True
    )
    endorsements = fields.Integer(required=True)
    statements = fields.Integer(required=True)
    votes = fields.Integer(required=True)
    participants = fields.Integer(required=True)
    responses_published = fields.Integer(required=True)
    responses_overdue = fields.Integer(required=True)
    agencies = fields.Integer(required=True)
    generated_at = fields.DateTime(required=True)


class SearchHit(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SEARCH_KINDS))
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(allow_none=True, required=True)
    title = fields.String(required=True)
    snippet_html = fields.String(
        required=True,
        metadata={"description": "Escaped text, matched words wrapped in mark elements"},
    )
    status = fields.String(required=True)
    agency_ids = fields.List(fields.Integer(), required=True)
    created_at = fields.DateTime(allow_none=True, required=True)
    updated_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)
    score = fields.Float(required=True)


class SearchPage(Schema):
    query = fields.String(required=True)
    tokens = fields.List(fields.String(), required=True)
    items = fields.List(fields.Nested(SearchHit), required=True)
    meta = fields.Nested(Meta, required=True)
    links = fields.Nested(Links, required=True)


class ApiIndex(Schema):
    version = fields.String(required=True)
    license = fields.String(required=True)
    openapi = fields.String(required=True)
    docs = fields.String(required=True)
    endpoints = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class VoteBody(Schema):
    class Meta:
        unknown = EXCLUDE  # other fields are ignored, as the view loads it

    value = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf(
            (1, -1, 0), error=_l("Choose agree (1), disagree (-1) or pass (0).")
        ),
        error_messages={
            "required": _l("Choose agree (1), disagree (-1) or pass (0)."),
            "null": _l("Choose agree (1), disagree (-1) or pass (0)."),
            "invalid": _l("Choose agree (1), disagree (-1) or pass (0)."),
        },
        metadata={"description": "agree = 1, disagree = -1, pass = 0"},
    )


class VoteResult(Schema):
    statement_id = fields.Integer(required=True)
    value = fields.Integer(required=True)
    previous = fields.Integer(allow_none=True, required=True)
    changed = fields.Boolean(required=True)
    agree = fields.Integer(required=True)
    disagree = fields.Integer(required=True)
    pass_ = fields.Integer(data_key="pass", required=True)


# No control character (C0 except tab, line feed and carriage return; DEL; C1), and at least
# one character that shows: not a space of any kind, nor one of the invisible characters
# participate.text.is_blank knows in the Basic Multilingual Plane (zero-width, bidi, fillers,
# the Braille blank, variation selectors, other format characters). The pattern is what the
# document promises; _statement_text checks the same, astral invisible characters included.
_CTRL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_INVISIBLE = (
    "\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f"
    "\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f"
    "\\u2800\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb"
)
TEXT_PATTERN = f"^[^{_CTRL}]*[^\\s{_CTRL}{_INVISIBLE}][^{_CTRL}]*$"
_CONTROL = re.compile(f"[{_CTRL}]")


def _statement_text(value: str) -> None:
    if _CONTROL.search(value):
        # The words of participate.text.accept_text, which the operation applies too.
        raise ValidationError(
            str(_l("Remove the control characters (such as NUL) from this text."))
        )
    if is_blank(value):
        raise ValidationError(str(_l("Write your statement first.")))


class StatementBody(Schema):
    class Meta:
        unknown = EXCLUDE

    text = fields.String(
        required=True,
        validate=[
            validate.Length(
                min=1,
                max=STATEMENT_MAX_LENGTH,
                error=_l("Write between 1 and 300 characters."),
            ),
            _statement_text,
        ],
        error_messages={
            "required": _l("Write your statement first."),
            "null": _l("Write your statement first."),
            "invalid": _l("Write your statement first."),
        },
        metadata={
            "description": "The statement, at most 300 characters, with something visible "
            "in it and no control characters",
            "pattern": TEXT_PATTERN,
        },
    )
