"""The access policy as one matrix: role x lifecycle phase x action.

Every cell is written out by hand below (``Y`` allowed, ``.`` refused), from the rules as
the platform states them, not computed from the code: a change to any predicate that moves
a cell fails here and shows which role, phase and action moved. The objects are built in
memory (no database), so the whole matrix costs milliseconds.

Roles, in column order:
  anon        not logged in
  unverified  logged in, email not confirmed
  citizen     a confirmed citizen
  author      the citizen who wrote the proposal
  suspended   a confirmed citizen, suspended
  moderator
  admin
  staff_a     staff of agency A (responsible in the phases marked "(A)")
  staff_b     staff of another agency
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask_login import AnonymousUserMixin

from participate import policy
from participate.models import (
    Agency,
    Discussion,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Role,
    User,
)

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ROLES = (
    "anon",
    "unverified",
    "citizen",
    "author",
    "suspended",
    "moderator",
    "admin",
    "staff_a",
    "staff_b",
)
AGENCY_A, AGENCY_B = 1, 2
S = ProposalStatus
P = ProposalKind


@pytest.fixture(autouse=True)
def _roles_only(app):
    """This matrix is about roles and phases, with accounts that exist only in memory:
    endorsing and proposing need a confirmed email here. The identity levels (a verified
    mobile number by default) have their own matrix, tests/test_identity_policy.py."""
    app.config["IDENTITY_LEVELS"] = {
        **app.config["IDENTITY_LEVELS"],
        "endorse": "email",
        "propose": "email",
    }


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
    # Staff here stand for a session that gave the second factor (tests/test_mfa.py
    # covers the staff who did not).
    user.second_factor_verified = True  # type: ignore[attr-defined]
    return user


def users() -> dict[str, Any]:
    return {
        "anon": AnonymousUserMixin(),
        "unverified": _user(2, Role.CITIZEN, verified=False),
        "citizen": _user(3, Role.CITIZEN),
        "author": _user(4, Role.CITIZEN),
        "suspended": _user(5, Role.CITIZEN, suspended_until=datetime(2999, 12, 31, tzinfo=UTC)),
        "moderator": _user(6, Role.MODERATOR),
        "admin": _user(7, Role.ADMIN),
        "staff_a": _user(8, Role.AGENCY_STAFF, agency_id=AGENCY_A),
        "staff_b": _user(9, Role.AGENCY_STAFF, agency_id=AGENCY_B),
    }


def _proposal(kind: ProposalKind, status: ProposalStatus, agency_a: bool = False, **kw: Any):
    p = Proposal(
        id=100,
        kind=kind,
        status=status,
        title="t",
        author_id=4 if kind == P.PROPOSAL else 8,
        owner_agency_id=AGENCY_A if kind == P.CONSULTATION else None,
        deadline=kw.pop("deadline", None),
        response_due_at=kw.pop("response_due_at", None),
        responded_at=kw.pop("responded_at", None),
    )
    p.responsible_agencies = (
        [Agency(id=AGENCY_A, slug="a", name_zh="甲", name_en="A")] if (agency_a) else []
    )
    return p


# phase -> the proposal in that phase
PHASES: dict[str, Any] = {
    "draft": lambda: _proposal(P.PROPOSAL, S.DRAFT),
    "in_review": lambda: _proposal(P.PROPOSAL, S.IN_REVIEW),
    "changes_requested": lambda: _proposal(P.PROPOSAL, S.CHANGES_REQUESTED),
    "rejected": lambda: _proposal(P.PROPOSAL, S.REJECTED),
    "endorsing": lambda: _proposal(P.PROPOSAL, S.ENDORSING, deadline=NOW + 10 * DAY),
    # stored as endorsing, but its deadline passed: effectively lapsed
    "endorsing_past_deadline": lambda: _proposal(P.PROPOSAL, S.ENDORSING, deadline=NOW - DAY),
    "established_unassigned": lambda: _proposal(P.PROPOSAL, S.ESTABLISHED),
    "established (A)": lambda: _proposal(
        P.PROPOSAL, S.ESTABLISHED, agency_a=True, response_due_at=NOW + 30 * DAY
    ),
    "lapsed": lambda: _proposal(P.PROPOSAL, S.LAPSED, deadline=NOW - 5 * DAY),
    # answered yesterday: the discussion stays open for the reaction window (3 days)
    "responded_recently (A)": lambda: _proposal(
        P.PROPOSAL, S.RESPONDED, agency_a=True, responded_at=NOW - DAY
    ),
    "responded_long_ago (A)": lambda: _proposal(
        P.PROPOSAL, S.RESPONDED, agency_a=True, responded_at=NOW - 30 * DAY
    ),
    "consultation_open (A)": lambda: _proposal(
        P.CONSULTATION, S.OPEN, agency_a=True, deadline=NOW + 10 * DAY
    ),
    # stored as open, its closing date passed: effectively closed
    "consultation_past_deadline (A)": lambda: _proposal(
        P.CONSULTATION, S.OPEN, agency_a=True, deadline=NOW - DAY
    ),
    "consultation_closed (A)": lambda: _proposal(
        P.CONSULTATION, S.CLOSED, agency_a=True, deadline=NOW - DAY
    ),
    "consultation_responded (A)": lambda: _proposal(
        P.CONSULTATION, S.RESPONDED, agency_a=True, responded_at=NOW - 30 * DAY
    ),
}


def _discussion(p: Proposal) -> Discussion:
    return Discussion(id=None, proposal=p)


ACTIONS: dict[str, Any] = {
    "view": lambda u, p: policy.can_view_proposal(u, p),
    "edit": lambda u, p: policy.can_edit(u, p, NOW),
    "submit": lambda u, p: policy.can_submit(u, p, NOW),
    "review": lambda u, p: policy.can_review(u, p, NOW),
    "endorse": lambda u, p: policy.can_endorse(u, p, NOW),
    "assign": lambda u, p: policy.can_assign_agencies(u, p, NOW),
    "extend": lambda u, p: policy.can_extend(u, p, NOW),
    "respond": lambda u, p: policy.can_respond(u, p, NOW),
    "close": lambda u, p: policy.can_close_consultation(u, p, NOW),
    "follow": lambda u, p: policy.can_follow(u, p, NOW),
    "report": lambda u, p: policy.can_report_proposal(u, p, NOW),
    "post_or_vote": lambda u, p: policy.participation_problem(u, _discussion(p), NOW) is None,
    "add_seed": lambda u, p: policy.can_add_seed(u, _discussion(p), NOW),
    "moderate": lambda u, p: policy.can_moderate(u, _discussion(p)),
    "reanalyse": lambda u, p: policy.can_reanalyse(u, p),
    "export_report_data": lambda u, p: policy.can_export(u, p),
    "view_report": lambda u, p: policy.can_view_report(u, p),
}

#                                   a u c a s m a s s
#                                   n n i u u o d t t
#                                   o v t t s d m a b
NONE = "........."
PUBLIC = "YYYYYYYYY"
HIDDEN = "...Y.YY.."  # the author and the moderators
MODERATORS = ".....YY.."
MOD_AND_A = ".....YYY."
ACTING_A = "......YY."  # staff of A, and admins once an agency is responsible
PARTICIPANTS = "..YY.YYYY"  # confirmed, not suspended
FOLLOWERS = ".YYY.YYYY"  # logged in, not suspended

EXPECTED: dict[str, dict[str, str]] = {
    "view": {
        "draft": HIDDEN,
        "in_review": HIDDEN,
        "changes_requested": HIDDEN,
        "rejected": HIDDEN,
        "*": PUBLIC,
    },
    "edit": {"draft": "...Y.....", "changes_requested": "...Y.....", "*": NONE},
    "submit": {"draft": "...Y.....", "changes_requested": "...Y.....", "*": NONE},
    "review": {"in_review": MODERATORS, "*": NONE},
    "endorse": {"endorsing": PARTICIPANTS, "*": NONE},
    "assign": {"established_unassigned": MODERATORS, "established (A)": MODERATORS, "*": NONE},
    "extend": {"established (A)": ACTING_A, "*": NONE},
    "respond": {
        "established (A)": ACTING_A,
        "consultation_past_deadline (A)": ACTING_A,
        "consultation_closed (A)": ACTING_A,
        "*": NONE,
    },
    "close": {"consultation_open (A)": ACTING_A, "*": NONE},
    "follow": {
        "draft": NONE,
        "in_review": NONE,
        "changes_requested": NONE,
        "rejected": NONE,
        "*": FOLLOWERS,
    },
    "report": {
        "draft": NONE,
        "in_review": NONE,
        "changes_requested": NONE,
        "rejected": NONE,
        "*": PARTICIPANTS,
    },
    "post_or_vote": {
        "endorsing": PARTICIPANTS,
        "established_unassigned": PARTICIPANTS,
        "established (A)": PARTICIPANTS,
        "responded_recently (A)": PARTICIPANTS,
        "consultation_open (A)": PARTICIPANTS,
        "*": NONE,
    },
    # seeds: moderators anywhere, staff where their agency is responsible
    "add_seed": {"*(A)": MOD_AND_A, "*": MODERATORS},
    # agency staff moderate only consultations of their agency (the site allows it here)
    "moderate": {"consultation*": MOD_AND_A, "*": MODERATORS},
    "reanalyse": {"*(A)": MOD_AND_A, "*": MODERATORS},
    # the data behind a report: staff of a responsible agency, not of any agency
    "export_report_data": {"*(A)": MOD_AND_A, "*": MODERATORS},
    "view_report": {
        "draft": HIDDEN,
        "in_review": HIDDEN,
        "changes_requested": HIDDEN,
        "rejected": HIDDEN,
        "*": PUBLIC,
    },
}


def expected_row(action: str, phase: str) -> str:
    table = EXPECTED[action]
    if phase in table:
        return table[phase]
    if "*(A)" in table and phase.endswith("(A)"):
        return table["*(A)"]
    if "consultation*" in table and phase.startswith("consultation"):
        return table["consultation*"]
    return table["*"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_policy_matrix(app, action):
    app.config["MODERATION_AGENCY_STAFF"] = True
    people = users()
    wrong = []
    with app.test_request_context():
        for phase, build in PHASES.items():
            row = "".join("Y" if ACTIONS[action](people[role], build()) else "." for role in ROLES)
            want = expected_row(action, phase)
            if row != want:
                wrong.append(f"{phase:32} expected {want} got {row}")
    assert not wrong, f"{action}:\n  " + "\n  ".join(wrong) + f"\n  roles: {' '.join(ROLES)}"


def test_agency_staff_do_not_moderate_when_the_site_does_not_allow_it(app):
    app.config["MODERATION_AGENCY_STAFF"] = False
    people = users()
    with app.test_request_context():
        consultation = PHASES["consultation_open (A)"]()
        assert not policy.can_moderate(people["staff_a"], _discussion(consultation))
        assert policy.can_moderate(people["moderator"], _discussion(consultation))
        assert not policy.can_see_queue(people["staff_a"])


def test_the_election_freeze_stops_proposing_and_endorsing_only(app):
    from datetime import date

    app.config["ELECTION_FREEZE_START"] = date(2026, 5, 20)
    app.config["ELECTION_FREEZE_END"] = date(2026, 6, 10)
    people = users()
    with app.test_request_context():
        endorsing = PHASES["endorsing"]()
        draft = PHASES["draft"]()
        assert not policy.can_endorse(people["citizen"], endorsing, NOW)
        assert not policy.can_propose(people["citizen"], NOW)
        assert not policy.can_submit(people["author"], draft, NOW)
        assert policy.can_edit(people["author"], draft, NOW)  # drafts may still be edited
        assert policy.participation_problem(people["citizen"], _discussion(endorsing), NOW) is None
        after = NOW + 15 * DAY
        assert policy.can_propose(people["citizen"], after)


ROLE_ACTIONS: dict[str, tuple[Any, str]] = {
    #                                                        a u c a s m a s s
    "propose": (lambda u: policy.can_propose(u, NOW), "..YY.YYYY"),
    "open_consultation": (lambda u: policy.can_open_consultation(u, NOW), ".......YY"),
    "see_queue": (lambda u: policy.can_see_queue(u), ".....YYYY"),
    "suspend": (lambda u: policy.can_suspend(u), MODERATORS),
    "manage_banned_words": (lambda u: policy.can_manage_site(u), MODERATORS),
    "manage_roles": (lambda u: policy.can_manage_roles(u), "......Y.."),
    "manage_agencies": (lambda u: policy.can_manage_agencies(u), "......Y.."),
    "make_api_token": (lambda u: policy.can_make_api_token(u), PARTICIPANTS),
    "report_content": (lambda u: policy.can_report(u, NOW), PARTICIPANTS),
}


@pytest.mark.parametrize("action", sorted(ROLE_ACTIONS))
def test_role_actions(app, action):
    app.config["MODERATION_AGENCY_STAFF"] = True
    people = users()
    check, want = ROLE_ACTIONS[action]
    with app.test_request_context():
        row = "".join("Y" if check(people[role]) else "." for role in ROLES)
    assert row == want, f"{action}: expected {want} got {row} (roles: {' '.join(ROLES)})"


def test_agencies_of_a_consultation_include_its_owner_and_assigned_agencies(app):
    with app.test_request_context():
        consultation = PHASES["consultation_open (A)"]()
        consultation.responsible_agencies = [Agency(id=AGENCY_B, slug="b", name_zh="乙")]
        assert policy.agencies_of(consultation) == {AGENCY_A, AGENCY_B}
        people = users()
        assert policy.can_close_consultation(people["staff_b"], consultation, NOW)
        proposal = PHASES["endorsing"]()
        proposal.owner_agency_id = AGENCY_B  # never set on proposals; ignored if it were
        assert policy.agencies_of(proposal) == set()
