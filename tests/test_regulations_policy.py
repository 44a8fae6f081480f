"""The draft regulations policy as one matrix: role x phase x action, with the clock frozen.

Written out by hand like tests/test_policy.py (``Y`` allowed, ``.`` refused), from the rules
as the issue states them: staff act only for their own agency (admins act for any), the
comment period is enforced by the policy to the second, the response table is written
after the period and before it is published, the final text after that. The cast of users
is test_policy's (``author`` wrote the comment the comment actions are about; ``staff_a``
works for the agency that owns the draft). Objects in memory, no database.

Roles, in column order: anon unverified citizen author suspended moderator admin staff_a staff_b
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from participate import policy
from participate.models import (
    ContentStatus,
    DraftStatus,
    RegulationComment,
    RegulationDraft,
)
from participate.regulations import lifecycle
from tests.test_policy import AGENCY_A, DAY, NOW, ROLES, users

D = DraftStatus
SECOND = timedelta(seconds=1)


def _draft(status: DraftStatus, **kw: Any) -> RegulationDraft:
    published = kw.pop("published_at", None if status == D.PREPARING else NOW - 10 * DAY)
    ends = kw.pop("comment_ends_at", None if published is None else NOW + 50 * DAY)
    return RegulationDraft(
        id=200,
        agency_id=AGENCY_A,
        author_id=8,
        status=status,
        title="t",
        published_at=published,
        comment_ends_at=ends,
        period_days=60,
        response_due_at=kw.pop("response_due_at", None if ends is None else ends + 30 * DAY),
        responded_at=kw.pop("responded_at", None),
        promulgated_at=kw.pop("promulgated_at", None),
    )


# phase -> the draft in that phase (owned by agency A)
PHASES: dict[str, Any] = {
    "preparing": lambda: _draft(D.PREPARING),
    "open": lambda: _draft(D.OPEN),
    # the period's last second: still open
    "open_last_second": lambda: _draft(D.OPEN, comment_ends_at=NOW),
    # published with a start still ahead (a clock set back): not open yet
    "open_not_started": lambda: _draft(D.OPEN, published_at=NOW + SECOND),
    # stored open, its period ended a second ago: effectively closed
    "open_past_end": lambda: _draft(D.OPEN, comment_ends_at=NOW - SECOND),
    "closed": lambda: _draft(D.CLOSED, published_at=NOW - 70 * DAY, comment_ends_at=NOW - DAY),
    # stored open, the period and the response deadline long past: closed and overdue
    "closed_overdue": lambda: _draft(
        D.OPEN, published_at=NOW - 100 * DAY, comment_ends_at=NOW - 40 * DAY
    ),
    "responded": lambda: _draft(
        D.RESPONDED,
        published_at=NOW - 100 * DAY,
        comment_ends_at=NOW - 40 * DAY,
        responded_at=NOW - 20 * DAY,
    ),
    "promulgated": lambda: _draft(
        D.PROMULGATED,
        published_at=NOW - 100 * DAY,
        comment_ends_at=NOW - 40 * DAY,
        responded_at=NOW - 20 * DAY,
        promulgated_at=NOW - DAY,
    ),
}


def _comment(draft: RegulationDraft, status: ContentStatus = ContentStatus.VISIBLE):
    return RegulationComment(
        id=300, draft_id=draft.id, draft=draft, author_id=4, status=status, body="意見"
    )


ACTIONS: dict[str, Any] = {
    "view": lambda u, d: policy.can_view_draft(u, d),
    "edit": lambda u, d: policy.can_edit_draft(u, d, NOW),
    "publish": lambda u, d: policy.can_publish_draft(u, d, NOW),
    "comment": lambda u, d: policy.can_comment(u, d, NOW),
    "reply": lambda u, d: policy.can_reply_comment(u, _comment(d), NOW),
    "reply_to_hidden": lambda u, d: policy.can_reply_comment(
        u, _comment(d, ContentStatus.HIDDEN), NOW
    ),
    "vote": lambda u, d: policy.can_vote_comment(u, _comment(d), NOW),
    "withdraw": lambda u, d: policy.can_delete_comment(u, _comment(d), NOW),
    "view_comment": lambda u, d: policy.can_view_comment(u, _comment(d)),
    "view_hidden_comment": lambda u, d: policy.can_view_comment(
        u, _comment(d, ContentStatus.HIDDEN)
    ),
    "respond": lambda u, d: policy.can_respond_draft(u, d, NOW),
    "record_final_text": lambda u, d: policy.can_record_final_text(u, d, NOW),
    "export": lambda u, d: policy.can_export_comments(u, d),
}

#                                   a u c a s m a s s
#                                   n n i u u o d t t
#                                   o v t t s d m a b
NONE = "........."
PUBLIC = "YYYYYYYYY"
MODERATORS = ".....YY.."
ACTING_A = "......YY."  # staff of the owning agency, and admins
PARTICIPANTS = "..YY.YYYY"  # confirmed, not suspended
OTHERS = "..Y..YYYY"  # participants other than the comment's author
OPEN = ("open", "open_last_second")
AFTER_PERIOD = ("open_past_end", "closed", "closed_overdue")

EXPECTED: dict[str, dict[str, str]] = {
    "view": {"preparing": ACTING_A, "*": PUBLIC},
    "edit": {"preparing": ACTING_A, "*": NONE},
    "publish": {"preparing": ACTING_A, "*": NONE},
    "comment": {**dict.fromkeys(OPEN, PARTICIPANTS), "*": NONE},
    "reply": {**dict.fromkeys(OPEN, PARTICIPANTS), "*": NONE},
    "reply_to_hidden": {"*": NONE},
    "vote": {**dict.fromkeys(OPEN, OTHERS), "*": NONE},
    "withdraw": {**dict.fromkeys(OPEN, "...Y....."), "*": NONE},
    "view_comment": {"preparing": ACTING_A, "*": PUBLIC},
    # a draft being prepared is not the moderators' to read
    "view_hidden_comment": {"preparing": "......Y..", "*": MODERATORS},
    "respond": {**dict.fromkeys(AFTER_PERIOD, ACTING_A), "*": NONE},
    "record_final_text": {"responded": ACTING_A, "*": NONE},
    "export": {"preparing": NONE, "*": PUBLIC},
}


def expected_row(action: str, phase: str) -> str:
    table = EXPECTED[action]
    return table.get(phase, table["*"])


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_regulations_policy_matrix(app, action):
    people = users()
    wrong = []
    with app.test_request_context():
        for phase, build in PHASES.items():
            row = "".join("Y" if ACTIONS[action](people[role], build()) else "." for role in ROLES)
            want = expected_row(action, phase)
            if row != want:
                wrong.append(f"{phase:20} expected {want} got {row}")
    assert not wrong, f"{action}:\n  " + "\n  ".join(wrong) + f"\n  roles: {' '.join(ROLES)}"


ROLE_ACTIONS: dict[str, tuple[Any, str]] = {
    #                                                           a u c a s m a s s
    "create_draft": (lambda u: policy.can_create_draft(u, NOW), ".......YY"),
    "report_comment": (lambda u: policy.can_report_comment(u, NOW), PARTICIPANTS),
    "moderate_comments": (lambda u: policy.can_moderate_comments(u), MODERATORS),
}


@pytest.mark.parametrize("action", sorted(ROLE_ACTIONS))
def test_regulations_role_actions(app, action):
    people = users()
    check, want = ROLE_ACTIONS[action]
    with app.test_request_context():
        row = "".join("Y" if check(people[role]) else "." for role in ROLES)
    assert row == want, f"{action}: expected {want} got {row} (roles: {' '.join(ROLES)})"


def test_the_comment_refusal_says_why_in_order_period_then_account(app):
    people = users()
    with app.test_request_context():
        closed = PHASES["open_past_end"]()
        opened = PHASES["open"]()
        assert policy.comment_refusal(people["citizen"], closed, NOW).code == "closed"
        assert policy.comment_refusal(people["anon"], closed, NOW).code == "closed"
        assert policy.comment_refusal(people["anon"], opened, NOW).code == "login_required"
        assert policy.comment_refusal(people["anon"], opened, NOW).status == 401
        assert policy.comment_refusal(people["unverified"], opened, NOW).code == "unverified"
        assert policy.comment_refusal(people["suspended"], opened, NOW).code == "suspended"
        assert policy.comment_refusal(people["citizen"], opened, NOW) is None


def test_the_period_is_open_to_its_last_second_on_a_frozen_clock(app):
    """The policy takes ``now``: the same draft is open at its end and closed a
    microsecond later, whatever the real clock says."""
    people = users()
    with app.test_request_context():
        draft = PHASES["open"]()
        ends = draft.comment_ends_at
        assert policy.can_comment(people["citizen"], draft, ends)
        assert not policy.can_comment(people["citizen"], draft, ends + timedelta(microseconds=1))
        assert not policy.can_comment(people["citizen"], draft, draft.published_at - SECOND)
        assert lifecycle.effective_status(draft, ends) == D.OPEN
        assert lifecycle.effective_status(draft, ends + SECOND) == D.CLOSED
        assert not policy.can_respond_draft(people["staff_a"], draft, ends)
        assert policy.can_respond_draft(people["staff_a"], draft, ends + SECOND)


def test_the_response_clock_and_the_overdue_flag_on_a_frozen_clock(app):
    with app.test_request_context():
        draft = PHASES["closed"]()
        due = draft.response_due_at
        assert lifecycle.response_clock(PHASES["open"](), NOW) is None  # not before the end
        clock = lifecycle.response_clock(draft, NOW)
        assert clock.due_at == due and clock.days_left == 29 and not clock.overdue
        at_due = lifecycle.response_clock(draft, due)
        assert at_due.days_left == 0 and not at_due.overdue and not lifecycle.is_overdue(draft, due)
        late = lifecycle.response_clock(draft, due + 3 * DAY)
        assert late.overdue and late.overdue_days == 3 and lifecycle.is_overdue(draft, due + DAY)
        draft.responded_at = due + 2 * DAY
        draft.status = D.RESPONDED
        answered = lifecycle.response_clock(draft, due + 10 * DAY)
        assert not answered.overdue and answered.late_days == 2 and answered.days_left is None


def test_a_period_shorter_than_the_default_needs_a_reason(app):
    with app.test_request_context():
        assert lifecycle.period_problem(60, "") is None
        assert lifecycle.period_problem(90, "") is None
        assert lifecycle.period_problem(30, "")[0] == "reason"
        assert lifecycle.period_problem(30, "配合施行日期") is None
        assert lifecycle.period_problem(6, "急迫")[0] == "days"  # below the minimum (7)
        assert lifecycle.period_problem(366, "")[0] == "days"
        assert lifecycle.period_problem(None, "")[0] == "days"
        app.config["REGULATION_COMMENT_DAYS"] = 30
        assert lifecycle.period_problem(30, "") is None
