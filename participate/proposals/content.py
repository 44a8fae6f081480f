"""What people write into a proposal, a consultation and a response, as the operations
accept it (:mod:`participate.proposals.operations` calls these before writing anything
else): every text through :func:`participate.text.accept_text` (no control character,
something visible, a refusal next to its field), the one-per-line lists (measures,
questions, links), the agencies chosen. Helpers of the operations; no policy, no audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlparse

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participate.errors import RuleError
from participate.extensions import db
from participate.models import Agency, Proposal, ProposalMeasure
from participate.proposals.lifecycle import MAX_MEASURES, cfg
from participate.text import Message, accept_into, accept_lines, accept_text


@dataclass
class ProposalInput:
    title: str
    summary: str
    problem: str
    measures: list[str]
    benefits: str
    evidence_links: list[str]
    agency_ids: list[int]


def agencies(ids: Iterable[int]) -> list[Agency]:
    ids = list(dict.fromkeys(ids))
    if len(ids) > cfg("MAX_PROPOSAL_AGENCIES"):
        raise RuleError(
            _("Choose at most %(n)d agencies.", n=cfg("MAX_PROPOSAL_AGENCIES")), field="agencies"
        )
    found = list(db.session.scalars(select(Agency).where(Agency.id.in_(ids)))) if ids else []
    if len(found) != len(ids):
        raise RuleError(_("Choose agencies from the list."), field="agencies")
    return sorted(found, key=lambda a: a.id)


def links(items: Iterable[str]) -> list[str]:
    """The links of a one-per-line field: only http(s) ones are stored (they become
    ``href``s on a public page)."""
    out = []
    for item in accept_lines(list(items), "links"):
        parsed = urlparse(item)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(item) > 500:
            raise RuleError(_("Links must be web addresses starting with https://"), field="links")
        out.append(item)
    return out


def set_measures(
    proposal: Proposal, texts: Sequence[str], field: str = "measures", empty: Message | None = None
) -> None:
    """The proposal's measures (a consultation's questions), one per line, kept in order:
    existing rows are rewritten in place, extra ones removed."""
    empty = empty or _l("Give at least one suggested measure.")
    texts = accept_lines(list(texts), field, required=True, empty=empty)
    if len(texts) > MAX_MEASURES:
        raise RuleError(_("Give at most %(n)d points.", n=MAX_MEASURES), field=field)
    current = list(proposal.measures)
    for i, text in enumerate(texts):
        if i < len(current):
            current[i].text = text
        else:
            proposal.measures.append(ProposalMeasure(position=i + 1, text=text))
    for extra in current[len(texts) :]:
        proposal.measures.remove(extra)


def apply_proposal(proposal: Proposal, data: ProposalInput) -> None:
    """The proposal's text, each field accepted (``text.accept_text``) before any is set."""
    fields = {
        "title": accept_text(data.title, "title", empty=_l("Give your proposal a title.")),
        "summary": accept_text(
            data.summary, "summary", multiline=True, empty=_l("Write a short summary.")
        ),
        "problem": accept_text(
            data.problem, "problem", multiline=True, empty=_l("Describe the problem.")
        ),
        "benefits": accept_text(
            data.benefits, "benefits", multiline=True, empty=_l("Describe the expected benefits.")
        ),
    }
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.evidence_links = links(data.evidence_links)
    proposal.proposed_agencies = agencies(data.agency_ids)
    set_measures(proposal, data.measures)


@dataclass
class ConsultationInput:
    title: str
    summary: str
    background: str
    draft_text: str
    questions: list[str]
    links: list[str]
    closes_on: date | None


def consultation_text(data: ConsultationInput) -> dict[str, str]:
    """A consultation's texts as the Proposal columns they are stored in, each accepted."""
    return {
        "title": accept_text(data.title, "title", empty=_l("Give the consultation a title.")),
        "summary": accept_text(
            data.summary, "summary", multiline=True, empty=_l("Write a short summary.")
        ),
        "problem": accept_text(
            data.background, "background", multiline=True, empty=_l("Describe the background.")
        ),
        "draft_text": accept_text(data.draft_text, "draft_text", multiline=True, required=False),
    }


@dataclass
class PointInput:
    measure_id: int
    decision: str | None
    reasoning: str
    responsible_unit: str
    follow_up_on: date | None
    # Discussion statement ids as submitted (strings from the form); None keeps the links
    # the point already has.
    linked_statement_ids: Sequence[Any] | None = None


def accept_response_text(
    overall: str, by_measure: dict[int, PointInput]
) -> tuple[str, dict[int, PointInput], dict[str, str]]:
    """The response's texts accepted one by one (``text.accept_text``, all optional until
    publishing): the cleaned overall answer and points, and the refusals per field."""
    refused: dict[str, str] = {}
    points = {
        mid: replace(
            p,
            reasoning=accept_into(
                refused, p.reasoning, f"reasoning_{mid}", multiline=True, required=False
            ),
            responsible_unit=accept_into(
                refused, p.responsible_unit, f"unit_{mid}", required=False
            ),
        )
        for mid, p in by_measure.items()
    }
    overall = accept_into(refused, overall, "overall", multiline=True, required=False)
    return overall, points, refused
