"""The audit log in words: each action and each kind of item as people read them.

The log keeps its codes (``moderation.reject``, ``statement``); the API and the filters use
them. The audit pages show these labels; a status change reads in the words of the
lifecycle that made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from participate.projects.lifecycle import STATUS_LABELS as PROJECT_STATUS
from participate.proposals.lifecycle import STATUS_LABELS as PROPOSAL_STATUS
from participate.regulations.lifecycle import STATUS_LABELS as REGULATION_STATUS

ACTION_LABELS: dict[str, Any] = {
    "account.delete": _l("Deleted their account"),
    "agency.create": _l("Created an agency"),
    "analysis.requested": _l("Asked for a new analysis"),
    "api_token.create": _l("Created an API token"),
    "api_token.revoke": _l("Revoked an API token"),
    "discussion.import_polis": _l("Imported a Pol.is conversation"),
    "moderation.alert": _l("Moderation queue alert"),
    "moderation.appeal": _l("Filed an appeal"),
    "moderation.appeal_uphold": _l("Appeal reviewed: the decision stands"),
    "moderation.appeal_overturn": _l("Appeal accepted: the decision was reversed"),
    "moderation.approve": _l("Accepted a proposal"),
    "moderation.auto_hide": _l("Hidden automatically after reports"),
    "moderation.claim": _l("Took a moderation item"),
    "moderation.dismiss": _l("Dismissed the reports"),
    "moderation.hide": _l("Hid content"),
    "moderation.lock": _l("Locked a discussion"),
    "moderation.premoderation_off": _l("Turned pre-moderation off"),
    "moderation.premoderation_on": _l("Turned pre-moderation on"),
    "moderation.reject": _l("Removed with a published reason"),
    "moderation.release": _l("Released a moderation item"),
    "moderation.request_edit": _l("Asked the author for changes"),
    "moderation.resolve": _l("Closed a moderation item"),
    "moderation.restore": _l("Restored content"),
    "moderation.suspend": _l("Suspended an account"),
    "moderation.term_add": _l("Added a banned word"),
    "moderation.term_remove": _l("Removed a banned word"),
    "moderation.unlock": _l("Unlocked a discussion"),
    "moderation.unsuspend": _l("Lifted a suspension"),
    "profile.delete": _l("Deleted their participant profile"),
    "profile.save": _l("Saved their participant profile"),
    "project.answer": _l("Answered a question on a project"),
    "project.ask": _l("Asked a question on a project"),
    "project.progress": _l("Reported a project's progress"),
    "project.publish": _l("Published a project"),
    "project.question.hide": _l("Hid a question on a project"),
    "project.question.publish": _l("Published a question on a project"),
    "proposal.assign": _l("Assigned agencies to a proposal"),
    "proposal.create": _l("Created a proposal"),
    "proposal.edit": _l("Edited a proposal"),
    "proposal.extend": _l("Extended a response deadline"),
    "proposal.open": _l("Opened a consultation"),
    "reg_comment.delete": _l("Deleted a comment on a draft regulation"),
    "reg_comment.post": _l("Commented on a draft regulation"),
    "reg_comment.status": _l("Changed whether a comment is shown"),
    "regulation.article_add": _l("Added an article to a draft regulation"),
    "regulation.article_edit": _l("Edited an article of a draft regulation"),
    "regulation.article_remove": _l("Removed an article from a draft regulation"),
    "regulation.articles_paste": _l("Pasted the articles of a draft regulation"),
    "regulation.create": _l("Created a draft regulation"),
    "regulation.response_save": _l("Saved the response to comments"),
    "regulation.update": _l("Edited a draft regulation"),
    "reply.delete": _l("Deleted a reply"),
    "reply.edit": _l("Edited a reply"),
    "reply.post": _l("Posted a reply"),
    "reply.status": _l("Changed whether a reply is shown"),
    "report.create": _l("Reported content"),
    "response.save": _l("Saved an agency response"),
    "role.change": _l("Changed a role"),
    "statement.delete": _l("Deleted a statement"),
    "statement.post": _l("Posted a statement"),
    "statement.status": _l("Changed whether a statement is shown"),
    "survey.change_response": _l("Changed a survey answer"),
    "survey.close": _l("Closed a survey"),
    "survey.create": _l("Created a survey"),
    "survey.open": _l("Opened a survey"),
    "survey.question": _l("Saved a survey question"),
    "survey.question_delete": _l("Deleted a survey question"),
    "survey.respond": _l("Answered a survey"),
    "survey.section": _l("Saved a survey section"),
    "survey.update": _l("Edited a survey"),
}

TARGET_LABELS: dict[str, Any] = {
    "agency": _l("Agency"),
    "api_token": _l("API token"),
    "banned_term": _l("Banned word"),
    "discussion": _l("Discussion"),
    "project": _l("Project"),
    "project_question": _l("Question on a project"),
    "proposal": _l("Proposal"),
    "queue": _l("Moderation queue"),
    "reg_comment": _l("Comment on a draft regulation"),
    "regulation": _l("Draft regulation"),
    "reply": _l("Reply"),
    "site": _l("Site"),
    "statement": _l("Statement"),
    "survey": _l("Survey"),
    "user": _l("Account"),
}


def _status_labels(area: str) -> dict[str, Any]:
    """A lifecycle's status words, from the area that owns them."""
    table = {
        "proposal": PROPOSAL_STATUS,
        "project": PROJECT_STATUS,
        "regulation": REGULATION_STATUS,
    }.get(area, {})
    return {k.value: v for k, v in table.items()}


def action_label(code: str | None) -> str:
    """An audit action in the reader's language: its label, a status change in the words
    of the lifecycle that made it ("Status changed to: Responded"), or, for a code no one
    has named yet, a generic phrase (never the code itself)."""
    if not code:
        return ""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    area, _sep, rest = code.partition(".")
    status = _status_labels(area).get(rest)
    if status is not None:
        return _("%(item)s status changed to: %(status)s", item=target_label(area), status=status)
    return _("Other action on: %(item)s", item=target_label(area))


def target_label(kind: str | None, ident: int | None = None) -> str:
    """What an audit entry is about: "Statement #123" in the reader's language."""
    if not kind:
        return ""
    label = TARGET_LABELS.get(kind)
    name = str(label) if label is not None else _("Other item")
    return name if ident is None else _("%(item)s #%(id)s", item=name, id=ident)


def action_choices(codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(code, label) for an audit page's filter, by label: a person picks words, the
    query gets the code. ``codes`` limits them (the moderation log's own actions)."""
    wanted = ACTION_LABELS if codes is None else [c for c in codes if c in ACTION_LABELS]
    return sorted(((c, str(ACTION_LABELS[c])) for c in wanted), key=lambda pair: pair[1])


def moderation_actions() -> list[str]:
    """The codes the moderation log shows: decisions, reports and visibility changes."""
    return [
        c
        for c in ACTION_LABELS
        if c.startswith("moderation.") or c == "report.create" or c.endswith(".status")
    ]
