"""The moderation blueprint and what its view modules share: labels, the answers to a
refusal, and the link to the content an item is about.

The pages are split by what they serve (``queue_views``: the queue and decisions;
``account_views``: accounts, notices, appeals, reporting a proposal; ``site_views``:
discussions' locks and pre-moderation, banned words, the logs). ``views.init_app`` loads
them all and registers the blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from participate.errors import RuleError, error_response
from participate.extensions import db
from participate.models import ItemKind, Reply
from participate.models.regulations import COMMENT_CONTENT_TYPE

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


def write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def kind_labels() -> dict[str, str]:
    return {
        ItemKind.REPORT.value: _("Reported"),
        ItemKind.HELD.value: _("Held for review"),
        ItemKind.PROPOSAL.value: _("Proposal in review"),
        ItemKind.ACCOUNT.value: _("Flagged account"),
        ItemKind.APPEAL.value: _("Appeal"),
    }


def type_labels() -> dict[str, str]:
    return {
        "statement": _("Statement"),
        "reply": _("Reply"),
        "proposal": _("Proposal"),
        "user": _("Account"),
        "discussion": _("Discussion"),
        COMMENT_CONTENT_TYPE: _("Comment on a draft regulation"),
    }


def denied(message: str | None = None) -> Response:
    return error_response(403, "forbidden", message or _("You do not have permission to do that."))


def login_or_denied() -> Response:
    if not current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path))
    return denied()


def rule_error(exc: RuleError, back: str) -> Response:
    """A refused operation: the error page for 403/404, else the message on ``back``."""
    if exc.status in (403, 404):
        code = exc.code or ("forbidden" if exc.status == 403 else "not_found")
        return error_response(exc.status, code, exc.message)
    flash(exc.message, "error")
    return redirect(back)


def field_error(form: Any, exc: RuleError) -> bool:
    """Put the error next to its field when the form has it; False when it has not."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
        return True
    return False


def content_url(content_type: str, content_id: int, obj: Any = None) -> str | None:
    """Where the content of an item is read on the site (None when it has no page)."""
    if content_type == "statement":
        return url_for("discussion.thread", statement_id=content_id)
    if content_type == "reply":
        obj = obj or db.session.get(Reply, content_id)
        if obj is None:
            return None
        return url_for(
            "discussion.thread", statement_id=obj.statement_id, _anchor=f"reply-{obj.id}"
        )
    if content_type == "proposal" and "proposals.show" in current_app.view_functions:
        return url_for("proposals.show", proposal_id=content_id)
    if content_type == "user":
        return url_for("moderation.user", user_id=content_id)
    if content_type == COMMENT_CONTENT_TYPE and "regulations.comment" in current_app.view_functions:
        return url_for("regulations.comment", comment_id=content_id)
    return None
