"""Where a person goes to reach the identity level an action needs, and back.

A refusal for a missing level carries the code ``<step>_required`` (``email_required``,
``mobile_required``, ``gov_required``); :func:`step_url` is the page of that step, with
``?next=`` set to the page the person was on, so they come back there when it is done.
"""

from __future__ import annotations

from flask import url_for

STEP_CODES = ("email_required", "mobile_required", "gov_required")


def step_url(code: str, back: str) -> str:
    """The page of the step ``code`` names (a step or a refusal code), returning to ``back``."""
    step = code.removesuffix("_required")
    if step == "login":
        return url_for("auth.login", next=back)
    if step == "email":
        return url_for("auth.unverified", next=back)
    if step == "gov":
        return url_for("identity.gov", next=back)
    return url_for("identity.mobile", next=back)
