"""The survey rules as one matrix: role x survey phase x action, written out by hand (``Y``
allowed, ``.`` refused) from the rules as the platform states them, like tests/test_policy.py.

The survey belongs to agency A. Roles (column order) are those of tests/test_policy.py:
  anon, unverified, citizen, author (another citizen), suspended, moderator, admin,
  staff_a (the owning agency), staff_b (another agency).
"""

from __future__ import annotations

from typing import Any

import pytest

from participate import policy
from participate.models import QuestionKind, Survey, SurveyQuestion, SurveyStatus
from tests.test_policy import AGENCY_A, DAY, NOW, PHASES, ROLES, users

S = SurveyStatus


def _survey(status: SurveyStatus, ready: bool = True, anonymous: bool = True, **kw: Any) -> Survey:
    survey = Survey(
        id=1,
        title="t",
        status=status,
        anonymous=anonymous,
        owner_agency_id=AGENCY_A,
        method="每人一份" if ready else "",
        closes_at=kw.pop("closes_at", NOW + 10 * DAY),
    )
    survey.questions = (
        [SurveyQuestion(id=1, position=1, kind=QuestionKind.TEXT, text="q")] if ready else []
    )
    return survey


SURVEY_PHASES: dict[str, Any] = {
    "draft_empty": lambda: _survey(S.DRAFT, ready=False),
    "draft_ready": lambda: _survey(S.DRAFT),
    "open_unlinked": lambda: _survey(S.OPEN),
    "open_linked": lambda: _survey(S.OPEN, anonymous=False),
    # stored as open, its closing time passed: effectively closed
    "open_past_close": lambda: _survey(S.OPEN, anonymous=False, closes_at=NOW - DAY),
    "closed": lambda: _survey(S.CLOSED, closes_at=NOW - DAY),
}

ACTIONS: dict[str, Any] = {
    "view": lambda u, s: policy.can_view_survey(u, s),
    "edit": lambda u, s: policy.can_edit_survey(u, s, NOW),
    "open": lambda u, s: policy.can_open_survey(u, s, NOW),
    "close": lambda u, s: policy.can_close_survey(u, s, NOW),
    "answer": lambda u, s: policy.can_answer_survey(u, s, NOW),
    "change_answers": lambda u, s: policy.can_change_answers(u, s, NOW),
    "view_results": lambda u, s: policy.can_view_results(u, s, NOW),
    "export": lambda u, s: policy.can_export_survey(u, s, NOW),
}

#                        a u c a s m a s s
#                        n n i u u o d t t
#                        o v t t s d m a b
NONE = "........."
PUBLIC = "YYYYYYYYY"
BUILDERS = "......YY."  # the owning agency's staff, and admins
PARTICIPANTS = "..YY.YYYY"  # confirmed, not suspended

EXPECTED: dict[str, dict[str, str]] = {
    "view": {"draft_empty": BUILDERS, "draft_ready": BUILDERS, "*": PUBLIC},
    "edit": {"draft_empty": BUILDERS, "draft_ready": BUILDERS, "*": NONE},
    # a draft needs a question and a method statement to open
    "open": {"draft_ready": BUILDERS, "*": NONE},
    "close": {"open_unlinked": BUILDERS, "open_linked": BUILDERS, "*": NONE},
    "answer": {"open_unlinked": PARTICIPANTS, "open_linked": PARTICIPANTS, "*": NONE},
    # only linked answers can be changed, and only until the close
    "change_answers": {"open_linked": PARTICIPANTS, "*": NONE},
    # results are public once closed; while open only its agency sees them
    "view_results": {
        "open_unlinked": BUILDERS,
        "open_linked": BUILDERS,
        "open_past_close": PUBLIC,
        "closed": PUBLIC,
        "*": NONE,
    },
    "export": {
        "open_unlinked": BUILDERS,
        "open_linked": BUILDERS,
        "open_past_close": PUBLIC,
        "closed": PUBLIC,
        "*": NONE,
    },
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_survey_policy_matrix(app, action):
    people = users()
    wrong = []
    with app.test_request_context():
        for phase, build in SURVEY_PHASES.items():
            row = "".join("Y" if ACTIONS[action](people[r], build()) else "." for r in ROLES)
            want = EXPECTED[action].get(phase, EXPECTED[action]["*"])
            if row != want:
                wrong.append(f"{phase:18} expected {want} got {row}")
    assert not wrong, f"{action}:\n  " + "\n  ".join(wrong) + f"\n  roles: {' '.join(ROLES)}"


ROLE_ACTIONS: dict[str, tuple[Any, str]] = {
    #                                                         a u c a s m a s s
    "create_survey": (lambda u: policy.can_create_survey(u, NOW), "......YYY"),
    # the profile is about the person: suspended accounts may keep theirs
    "keep_profile": (lambda u: policy.can_keep_profile(u), "..YYYYYYY"),
    "delete_profile": (lambda u: policy.can_delete_profile(u), ".YYYYYYYY"),
}


@pytest.mark.parametrize("action", sorted(ROLE_ACTIONS))
def test_survey_role_actions(app, action):
    people = users()
    check, want = ROLE_ACTIONS[action]
    with app.test_request_context():
        row = "".join("Y" if check(people[r]) else "." for r in ROLES)
    assert row == want, f"{action}: expected {want} got {row} (roles: {' '.join(ROLES)})"


def test_attaching_needs_the_target_too(app):
    """Staff of A attach A's draft to a proposal A is responsible for, not to another one;
    admins to any; staff of B to nothing of A's."""
    people = users()
    with app.test_request_context():
        draft = SURVEY_PHASES["draft_ready"]()
        ours = PHASES["established (A)"]()
        theirs = PHASES["established_unassigned"]()
        row = "".join(
            "Y" if policy.can_attach_survey(people[r], draft, ours, NOW) else "." for r in ROLES
        )
        assert row == BUILDERS
        assert not policy.can_attach_survey(people["staff_a"], draft, theirs, NOW)
        assert policy.can_attach_survey(people["admin"], draft, theirs, NOW)
        opened = SURVEY_PHASES["open_linked"]()
        assert not policy.can_attach_survey(people["staff_a"], opened, ours, NOW)
