"""What the operations of the area share: the staff check and text cleaning."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from participate import policy
from participate.errors import RuleError
from participate.models import RegulationDraft
from participate.text import accept_into, accept_text

MAX_NESTING = 4
REPORT_TEXT_MAX = 1000
ROW_TEXT_MAX = 10000
MAX_ID = 2**31 - 1
SEPARATORS = re.compile(r"[\s,，、#＃]+")


def require(ok: bool, message: Callable[[], str] | None = None, status: int = 403) -> None:
    """Refuse unless ``ok``; ``message`` is called only then (translations need a request
    or a forced locale, which the demo data and the jobs do not always have)."""
    if not ok:
        text = message() if message else _("You do not have permission to do that.")
        raise RuleError(text, status=status)


def _accepted(
    value: str | None, field: str, errors: dict[str, str] | None, rules: dict[str, Any]
) -> str:
    rules.setdefault("required", False)
    if errors is None:
        return accept_text(value, field, **rules)
    return accept_into(errors, value, field, **rules)


def clean_line(
    value: str | None, field: str, errors: dict[str, str] | None = None, **rules: Any
) -> str:
    """A one-line text of ``field`` as stored (``text.accept_text``: no control character,
    something visible; optional unless ``required=True``): refused as a RuleError, or noted
    in ``errors`` when the caller reports every field at once."""
    return _accepted(value, field, errors, {**rules, "multiline": False})


def clean_multiline(
    value: str | None, field: str, errors: dict[str, str] | None = None, **rules: Any
) -> str:
    """:func:`clean_line` for a text of several lines."""
    return _accepted(value, field, errors, {**rules, "multiline": True})


def require_staff(
    staff: Any, draft: RegulationDraft, allowed: bool, wrong_phase: Callable[[], str]
) -> None:
    """403 for someone who does not act for the draft; 409 (``wrong_phase``) for its own
    staff when the draft is not in the phase the action needs."""
    if not policy.acts_for_draft(staff, draft):
        raise RuleError(_("Only staff of the agency that owns this draft can do that."), status=403)
    if not allowed:
        raise RuleError(wrong_phase(), status=409)


def preparing_only() -> str:
    return _("The draft can only be changed before it is published.")
