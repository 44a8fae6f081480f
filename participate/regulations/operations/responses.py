"""After the comment period: the collated response table, then the promulgated text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Decision,
    RegulationComment,
    RegulationDraft,
    RegulationResponseRow,
    User,
)
from participate.models.regulations import ARTICLE_TEXT_MAX_LENGTH
from participate.regulations import queries
from participate.regulations.lifecycle import (
    DECISIONS,
    D,
    at,
    store_due_status,
    transition,
)
from participate.regulations.operations.common import (
    MAX_ID,
    ROW_TEXT_MAX,
    SEPARATORS,
    clean_line,
    clean_multiline,
    require_staff,
)
from participate.timeutil import taipei_today


@dataclass
class RowInput:
    """One row of the response table as submitted: the comment numbers it answers (strings
    or ints from a form, or one string "3, 5, 8"), the gist, the decision, the reasons."""

    comment_ids: Sequence[Any] | str
    summary: str
    decision: str | None
    reasoning: str


def _ids(raw: Sequence[Any] | str) -> list[int] | None:
    """Comment numbers from "3, 5、#8" or a list; None when something is not a number."""
    parts = SEPARATORS.split(raw) if isinstance(raw, str) else [str(x) for x in raw]
    out = set()
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not part.isdecimal() or len(part) > 10 or int(part) > MAX_ID:
            return None
        out.add(int(part))
    return sorted(out)


def _row_errors(
    rows: Sequence[RowInput], answerable: Mapping[int, RegulationComment], publish: bool
) -> tuple[dict[str, str], list[tuple[list[int], str, Decision | None, str]]]:
    """Field errors (``rows-<i>-<field>``, the form's names) and the cleaned rows."""
    errors: dict[str, str] = {}
    cleaned = []
    owner: dict[int, int] = {}
    for i, row in enumerate(rows):
        key = f"rows-{i}-"
        ids = _ids(row.comment_ids)
        summary = clean_multiline(row.summary, key + "summary", errors)
        reasoning = clean_multiline(row.reasoning, key + "reasoning", errors)
        if ids == [] and not (summary or reasoning or row.decision):
            continue  # an empty row of the form
        if ids is None:
            errors[key + "comment_ids"] = _("Give comment numbers separated by commas.")
            continue
        if not ids:
            errors[key + "comment_ids"] = _("Name the comments this row answers.")
        for cid in ids:
            if cid not in answerable:
                errors[key + "comment_ids"] = _(
                    "There is no comment #%(id)d to answer in this draft.", id=cid
                )
            elif cid in owner:
                errors[key + "comment_ids"] = _(
                    "Comment #%(id)d is already answered in row %(row)d.", id=cid, row=owner[cid]
                )
            else:
                owner[cid] = i + 1
        decision = None
        if row.decision:
            try:
                decision = Decision(row.decision)
            except ValueError:
                decision = None
            if decision not in DECISIONS:
                errors[key + "decision"] = _("Choose adopted, partly adopted or not adopted.")
        elif publish:
            errors[key + "decision"] = _("Choose a decision for this row.")
        if publish and not reasoning:
            errors[key + "reasoning"] = _("Explain the decision.")
        for name, value in (("summary", summary), ("reasoning", reasoning)):
            if len(value) > ROW_TEXT_MAX:
                errors[key + name] = _("Use at most %(n)d characters.", n=ROW_TEXT_MAX)
        cleaned.append((ids, summary, decision, reasoning))
    if publish:
        missing = [cid for cid in answerable if cid not in owner]
        if missing:
            errors["rows"] = _(
                "Every comment needs an answer; these are in no row: %(ids)s.",
                ids="、".join(f"#{cid}" for cid in missing[:20]),
            )
    return errors, cleaned


def save_response_table(
    staff: User,
    draft: RegulationDraft,
    overall: str,
    rows: Sequence[RowInput],
    publish: bool = False,
    now: datetime | None = None,
) -> list[RegulationResponseRow]:
    """Save the collated response table (it replaces the saved one), or publish it.

    Each row answers one comment or a group of them (numbers of visible comments that
    start a thread; a comment in one row only). Publishing needs every such comment in a
    row and each row's decision and reasons; it starts nothing new and stops the response
    clock. Problems come back as field errors and nothing is written."""
    now = at(now)
    require_staff(
        staff,
        draft,
        policy.can_respond_draft(staff, draft, now),
        lambda: _(
            "The response table is written after the comment period and until it is published."
        ),
    )
    store_due_status(draft, now)
    overall = clean_multiline(overall, "overall")
    answerable = {c.id: c for c in queries.answerable_comments(draft.id)}
    errors, cleaned = _row_errors(rows, answerable, publish)
    if len(overall) > ROW_TEXT_MAX:
        errors["overall"] = _("Use at most %(n)d characters.", n=ROW_TEXT_MAX)
    if errors:
        raise RuleError(
            errors.get("rows") or _("Some rows of the response table need attention."),
            fields=errors,
        )
    draft.response_rows.clear()
    db.session.flush()
    for position, (ids, summary, decision, reasoning) in enumerate(cleaned, start=1):
        articles = {answerable[cid].article_id for cid in ids}
        draft.response_rows.append(
            RegulationResponseRow(
                position=position,
                article_id=articles.pop() if len(articles) == 1 else None,
                comment_ids=ids,
                summary=summary,
                decision=decision,
                reasoning=reasoning,
            )
        )
    draft.response_overall = overall
    db.session.flush()
    audit.record(
        staff,
        "regulation.response_save",
        "regulation",
        draft.id,
        publish=publish,
        rows=len(cleaned),
    )
    if publish:
        transition(draft, D.RESPONDED, staff, now, rows=len(cleaned))
    return list(draft.response_rows)


def record_final_text(
    staff: User,
    draft: RegulationDraft,
    finals: Mapping[int, str],
    promulgated_on: date | None,
    reference: str = "",
    now: datetime | None = None,
) -> None:
    """Record the promulgated text, article by article (an article missing from ``finals``
    keeps its proposed text; an empty text means the article was dropped), with the date
    and the reference of the promulgation. The page then shows each article's changes."""
    now = at(now)
    require_staff(
        staff,
        draft,
        policy.can_record_final_text(staff, draft, now),
        lambda: _("The final text is recorded once the response table is published."),
    )
    errors: dict[str, str] = {}
    published = taipei_today(draft.published_at) if draft.published_at else None
    if promulgated_on is None:
        errors["promulgated_on"] = _("Give the date of promulgation.")
    elif promulgated_on > taipei_today(now) or (published and promulgated_on < published):
        errors["promulgated_on"] = _(
            "The date must be between the publication of the draft and today."
        )
    reference = clean_line(reference, "reference", errors)
    if len(reference) > 200:
        errors["reference"] = _("Use at most %(n)d characters.", n=200)
    texts = {}
    for article in draft.articles:
        text = clean_multiline(
            finals.get(article.id, article.proposed_text), f"final_{article.id}", errors
        )
        if len(text) > ARTICLE_TEXT_MAX_LENGTH:
            errors[f"final_{article.id}"] = _(
                "Use at most %(n)d characters.", n=ARTICLE_TEXT_MAX_LENGTH
            )
        texts[article.id] = text
    if errors:
        raise RuleError(next(iter(errors.values())), fields=errors)
    for article in draft.articles:
        article.final_text = texts[article.id]
    draft.promulgated_on = promulgated_on
    draft.promulgation_reference = reference
    db.session.flush()
    transition(
        draft,
        D.PROMULGATED,
        staff,
        now,
        promulgated_on=promulgated_on.isoformat() if promulgated_on else None,
    )
