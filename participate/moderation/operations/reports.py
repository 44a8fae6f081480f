"""Reporting a published proposal. Statements and replies are reported through the
discussion's ``report`` operation; all reports share one table, and both call
``moderation.queue.sync_reports`` explicitly once the report is written."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.models import Proposal, Report, ReportReason, User
from participate.moderation.content import content_discussion_id
from participate.moderation.queue import sync_reports
from participate.text import accept_text
from participate.timeutil import utcnow

TEXT_MAX = 1000


def report_proposal(
    user: User, proposal: Proposal, reason: str, text: str = "", now: datetime | None = None
) -> Report:
    """Flag a published proposal for the moderators; once per person."""
    now = now or utcnow()
    if not policy.can_report_proposal(user, proposal, now):
        refusal = policy.account_refusal(user, now)
        if refusal is not None and refusal.code == "suspended":
            raise RuleError(refusal.message, status=refusal.status, code=refusal.code)
        raise RuleError(_("Log in with a confirmed email address to report content."), status=403)
    try:
        reason_value = ReportReason(reason)
    except ValueError as exc:
        raise RuleError(_("Choose a reason."), field="reason") from exc
    text = accept_text(text, "text", multiline=True, required=False)
    if len(text) > TEXT_MAX:
        raise RuleError(_("Keep the explanation under 1000 characters."), field="text")
    exists = db.session.scalar(
        select(Report.id).where(
            Report.content_type == "proposal",
            Report.content_id == proposal.id,
            Report.reporter_id == user.id,
        )
    )
    if exists:
        raise RuleError(_("You have already reported this."), status=409)
    entry = Report(
        content_type="proposal",
        content_id=proposal.id,
        discussion_id=content_discussion_id(proposal),
        reporter_id=user.id,
        reason=reason_value,
        text=text,
        created_at=now,
    )
    try:
        with savepoint():  # the same person reporting twice at once
            db.session.add(entry)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(_("You have already reported this."), status=409) from exc
    audit.record(user, "report.create", "proposal", proposal.id, reason_value.value)
    sync_reports("proposal", proposal.id, now)
    return entry
