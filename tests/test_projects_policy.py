"""The projects policy as one matrix: role x project phase x action, on a frozen clock.

Every cell is written out by hand (``Y`` allowed, ``.`` refused), from the rules as the
platform states them: staff act only for their own agency, the deliberation is a
consultation of that agency (its response follows the consultation rules, including
admins), progress is reported while the project is under way, anyone confirmed may ask.
The objects are built in memory (no database). Further down: the lifecycle's clocks
(milestone states, the quarterly report, the budget planned to a date) at frozen dates.

Roles, in column order:
  anon        not logged in
  unverified  logged in, email not confirmed
  citizen     a confirmed citizen
  asker       the citizen who asked the question
  suspended   a confirmed citizen, suspended
  moderator
  admin
  staff_a     staff of agency A, which owns the project
  staff_b     staff of another agency
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask_login import AnonymousUserMixin

from participate import policy
from participate.models import (
    Agency,
    ProgressReport,
    Project,
    ProjectBudgetYear,
    ProjectMilestone,
    ProjectQuestion,
    ProjectStatus,
    Proposal,
    ProposalKind,
    ProposalStatus,
    QuestionStatus,
    Role,
    User,
)
from participate.projects import lifecycle

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Taipei
TODAY = date(2026, 6, 1)
DAY = timedelta(days=1)
ROLES = (
    "anon",
    "unverified",
    "citizen",
    "asker",
    "suspended",
    "moderator",
    "admin",
    "staff_a",
    "staff_b",
)
AGENCY_A, AGENCY_B = 1, 2
S = ProjectStatus


def _user(uid: int, role: Role, verified: bool = True, **kw: Any) -> User:
    user = User(
        id=uid,
        role=role,
        email=f"u{uid}@example.tw",
        display_name=f"u{uid}",
        email_verified_at=NOW - 30 * DAY if verified else None,
        deleted_at=None,
        suspended_until=kw.pop("suspended_until", None),
        agency_id=kw.pop("agency_id", None),
    )
    user.second_factor_verified = True  # staff here gave their second factor (test_mfa.py)
    return user


def users() -> dict[str, Any]:
    return {
        "anon": AnonymousUserMixin(),
        "unverified": _user(2, Role.CITIZEN, verified=False),
        "citizen": _user(3, Role.CITIZEN),
        "asker": _user(4, Role.CITIZEN),
        "suspended": _user(5, Role.CITIZEN, suspended_until=datetime(2999, 12, 31, tzinfo=UTC)),
        "moderator": _user(6, Role.MODERATOR),
        "admin": _user(7, Role.ADMIN),
        "staff_a": _user(8, Role.AGENCY_STAFF, agency_id=AGENCY_A),
        "staff_b": _user(9, Role.AGENCY_STAFF, agency_id=AGENCY_B),
    }


def _consultation(status: ProposalStatus, deadline: datetime) -> Proposal:
    c = Proposal(
        id=50,
        kind=ProposalKind.CONSULTATION,
        status=status,
        title="開放審議：測試計畫",
        author_id=8,
        owner_agency_id=AGENCY_A,
        deadline=deadline,
        responded_at=NOW - 2 * DAY if status == ProposalStatus.RESPONDED else None,
    )
    c.responsible_agencies = [Agency(id=AGENCY_A, slug="a", name_zh="甲", name_en="A")]
    return c


def _project(status: ProjectStatus, consultation: Proposal | None = None) -> Project:
    p = Project(
        id=100,
        agency_id=AGENCY_A,
        status=status,
        name="測試計畫",
        total_budget=1000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2028, 12, 31),
        deliberation_id=consultation.id if consultation is not None else None,
    )
    p.deliberation = consultation
    return p


# phase -> the project in that phase
PHASES: dict[str, Any] = {
    "planning": lambda: _project(S.PLANNING),
    "deliberation_open": lambda: _project(
        S.DELIBERATION, _consultation(ProposalStatus.OPEN, NOW + 10 * DAY)
    ),
    # stored as open, its closing date passed: effectively closed, waiting for the answer
    "deliberation_past_deadline": lambda: _project(
        S.DELIBERATION, _consultation(ProposalStatus.OPEN, NOW - DAY)
    ),
    "deliberation_answered": lambda: _project(
        S.DELIBERATION, _consultation(ProposalStatus.RESPONDED, NOW - 10 * DAY)
    ),
    "underway": lambda: _project(S.UNDERWAY),
    "completed": lambda: _project(S.COMPLETED),
}


def _question(project: Project, status: QuestionStatus = QuestionStatus.VISIBLE, **kw: Any):
    return ProjectQuestion(
        id=7, project=project, author_id=4, text="經費怎麼用？", status=status, **kw
    )


ACTIONS: dict[str, Any] = {
    "open_deliberation": lambda u, p: policy.can_open_deliberation(u, p, NOW),
    "approve": lambda u, p: policy.can_approve(u, p, NOW),
    "respond_deliberation": lambda u, p: (
        p.deliberation is not None and policy.can_respond(u, p.deliberation, NOW)
    ),
    "report_progress": lambda u, p: policy.can_report_progress(u, p, NOW),
    "complete": lambda u, p: policy.can_complete(u, p, NOW),
    "follow": lambda u, p: policy.can_follow_project(u, p, NOW),
    "ask": lambda u, p: policy.can_ask(u, p, NOW),
    "answer": lambda u, p: policy.can_answer(u, _question(p), NOW),
    "answer_again": lambda u, p: policy.can_answer(u, _question(p, answered_at=NOW), NOW),
    "answer_held": lambda u, p: policy.can_answer(u, _question(p, QuestionStatus.HELD), NOW),
    "moderate_question": lambda u, p: policy.can_moderate_question(u, _question(p), NOW),
    "view_held_question": lambda u, p: policy.can_view_question(
        u, _question(p, QuestionStatus.HELD)
    ),
    "view_question": lambda u, p: policy.can_view_question(u, _question(p)),
}

#                        a u c a s m a s s
#                        n n i s u o d t t
#                        o v t k s d m a b
NONE = "........."
ALL = "YYYYYYYYY"
STAFF_A = ".......Y."
ACTING_A = "......YY."  # the consultation's rules: staff of A, and admins
MODERATORS = ".....YY.."
PARTICIPANTS = "..YY.YYYY"  # confirmed, not suspended
FOLLOWERS = ".YYY.YYYY"  # logged in, not suspended
ASKER_AND_MODERATORS = "...Y.YY.."

EXPECTED: dict[str, dict[str, str]] = {
    "open_deliberation": {"planning": STAFF_A, "*": NONE},
    # straight from planning, or once the deliberation is answered point by point
    "approve": {"planning": STAFF_A, "deliberation_answered": STAFF_A, "*": NONE},
    "respond_deliberation": {"deliberation_past_deadline": ACTING_A, "*": NONE},
    "report_progress": {"underway": STAFF_A, "*": NONE},
    "complete": {"underway": STAFF_A, "*": NONE},
    "follow": {"*": FOLLOWERS},
    "ask": {"*": PARTICIPANTS},
    "answer": {"*": STAFF_A},
    "answer_again": {"*": NONE},
    "answer_held": {"*": NONE},
    "moderate_question": {"*": MODERATORS},
    "view_held_question": {"*": ASKER_AND_MODERATORS},
    "view_question": {"*": ALL},
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_projects_policy_matrix(app, action):
    people = users()
    wrong = []
    with app.test_request_context():
        for phase, build in PHASES.items():
            row = "".join("Y" if ACTIONS[action](people[role], build()) else "." for role in ROLES)
            table = EXPECTED[action]
            want = table.get(phase, table["*"])
            if row != want:
                wrong.append(f"{phase:28} expected {want} got {row}")
    assert not wrong, f"{action}:\n  " + "\n  ".join(wrong) + f"\n  roles: {' '.join(ROLES)}"


def test_only_agency_staff_publish_projects(app):
    people = users()
    with app.test_request_context():
        row = "".join("Y" if policy.can_publish_project(people[r], NOW) else "." for r in ROLES)
    assert row == ".......YY"


def test_the_deliberation_clock_decides_when_the_agency_answers_and_approves(app):
    """One deliberation closing on 2026-06-10 (Taipei), seen at three moments."""
    people = users()
    staff = people["staff_a"]
    closes = datetime(2026, 6, 10, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Taipei
    with app.test_request_context():
        project = _project(S.DELIBERATION, _consultation(ProposalStatus.OPEN, closes))
        consultation = project.deliberation
        before = closes - timedelta(seconds=1)
        after = closes + timedelta(seconds=1)
        assert not policy.can_respond(staff, consultation, before)
        assert policy.can_respond(staff, consultation, after)
        # Closed is not answered: approval waits for the published response.
        assert not policy.can_approve(staff, project, after)
        consultation.status = ProposalStatus.RESPONDED
        consultation.responded_at = after
        assert policy.can_approve(staff, project, after)
        assert not policy.can_approve(people["staff_b"], project, after)


def test_suspended_or_deleted_staff_do_not_act_for_their_agency(app):
    people = users()
    staff = people["staff_a"]
    with app.test_request_context():
        project = _project(S.UNDERWAY)
        assert policy.can_report_progress(staff, project, NOW)
        staff.suspended_until = NOW + DAY
        assert not policy.can_report_progress(staff, project, NOW)
        assert policy.can_report_progress(staff, project, NOW + 2 * DAY)  # suspension over
        staff.deleted_at = NOW
        assert not policy.acts_for_project(staff, project, NOW + 2 * DAY)


# --------------------------------------------------------------------------- the clocks


def _milestone(planned: date, expected: date | None = None, reached: date | None = None):
    return ProjectMilestone(
        title="m", position=1, planned_on=planned, expected_on=expected, reached_on=reached
    )


def test_milestone_states_on_frozen_dates():
    planned = date(2026, 6, 30)
    on_time = _milestone(planned)
    assert lifecycle.milestone_state(on_time, date(2026, 6, 30)) == "on_time"
    assert lifecycle.milestone_state(on_time, date(2026, 7, 1)) == "late"  # passed, unreached
    moved = _milestone(planned, expected=date(2026, 9, 30))
    assert lifecycle.milestone_state(moved, date(2026, 1, 1)) == "late"  # a new, later date
    assert lifecycle.milestone_state(_milestone(planned, reached=planned), TODAY) == "reached"
    assert (
        lifecycle.milestone_state(_milestone(planned, reached=date(2026, 7, 2)), TODAY)
        == "reached_late"
    )


def _budgeted() -> Project:
    p = _project(S.UNDERWAY)
    p.starts_on = date(2026, 7, 1)  # half of 2026 (184 days), then all of 2027
    p.ends_on = date(2027, 12, 31)
    p.budgets = [
        ProjectBudgetYear(year=2026, amount=184_000),
        ProjectBudgetYear(year=2027, amount=365_000),
    ]
    return p


def test_budget_planned_to_a_date_follows_the_yearly_budgets():
    p = _budgeted()
    assert lifecycle.planned_budget_to(p, date(2026, 6, 30)) == 0  # before the start
    assert lifecycle.planned_budget_to(p, date(2026, 7, 1)) == 1_000  # one day of 184
    assert lifecycle.planned_budget_to(p, date(2026, 12, 31)) == 184_000
    assert lifecycle.planned_budget_to(p, date(2027, 1, 10)) == 184_000 + 10_000
    assert lifecycle.planned_budget_to(p, date(2030, 1, 1)) == 549_000


def _report(as_of: date, planned: int, executed: int) -> ProgressReport:
    return ProgressReport(
        as_of=as_of,
        planned_percent=10.0,
        actual_percent=10.0,
        budget_planned=planned,
        budget_executed=executed,
    )


def test_attention_on_frozen_dates():
    p = _budgeted()
    p.approved_at = datetime(2026, 7, 1, 2, tzinfo=UTC)
    p.milestones = [_milestone(date(2026, 10, 1))]
    # No report yet: the first is due 92 days after approval.
    assert lifecycle.next_report_due(p) == date(2026, 10, 1)
    quiet = lifecycle.attention(p, date(2026, 10, 1))
    assert quiet.reasons == [] and quiet.score == 0
    late = lifecycle.attention(p, date(2026, 10, 3), unanswered=2, oldest_unanswered_days=9)
    assert late.late_milestones == 1 and late.report_overdue_days == 2
    assert late.reasons == ["late_milestones", "report_overdue", "unanswered"]
    assert late.score == 3 + 2 + 2
    # A report within plan (execution 90 %): nothing about the budget.
    p.reports = [_report(date(2026, 9, 30), 100_000, 90_000)]
    assert not lifecycle.attention(p, date(2026, 10, 1)).budget_far
    # Executed 79 % of plan: far from plan (20 % or more off), and so is 120 %.
    p.reports = [_report(date(2026, 9, 30), 100_000, 79_000)]
    assert lifecycle.attention(p, date(2026, 10, 1)).budget_far
    p.reports = [_report(date(2026, 9, 30), 100_000, 120_000)]
    assert lifecycle.attention(p, date(2026, 10, 1)).budget_far
    assert lifecycle.next_report_due(p) == date(2026, 12, 31)
    p.status = S.COMPLETED  # a completed project needs no report and has nothing late
    done = lifecycle.attention(p, date(2027, 6, 1))
    assert done.reasons == [] and lifecycle.next_report_due(p) is None
