"""What the operations of the area share: the staff check and text cleaning."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from participate import policy
from participate.errors import RuleError
from participate.models import RegulationDraft
from participate.text import clean_text

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


def clean_line(value: str | None) -> str:
    return clean_text(value, multiline=False).strip()


def clean_multiline(value: str | None) -> str:
    return clean_text(value, multiline=True).strip()


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
