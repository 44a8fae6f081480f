"""The permission matrix: every moderation action × every role → allowed or 403.

Roles: anonymous, citizen, the author of the content, agency staff of the agency that owns
the consultation and of another agency, moderator, admin. Agency staff may moderate their
own consultations only when MODERATION_AGENCY_STAFF is on (off by default), and never
proposals, accounts, banned words, appeals or the moderation log.
One test per (role, setting) walks through every action with fresh data for each, so a
refused action is also checked to have written nothing.
"""
# ruff: noqa: F811 - pytest fixtures imported from tests.moderation_fixtures

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from participate.extensions import db
from participate.models import (
    BannedTerm,
    ContentStatus,
    DiscussionModeration,
    ItemKind,
    ItemState,
    ModerationItem,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Report,
    ReportReason,
    Statement,
    ThreadLock,
    User,
)
from participate.models.discussion import get_or_create_discussion
from participate.timeutil import utcnow
from tests.moderation_fixtures import quick_login  # noqa: F401 - fixture

ROLES = ["anonymous", "citizen", "author", "staff_right", "staff_other", "moderator", "admin"]
CONTENT_ACTIONS = {
    "hide",
    "restore",
    "reject",
    "lock",
    "unlock",
    "bulk",
    "premoderation",
    "queue",
    "claim",
}
ACTIONS = [
    "queue",
    "claim",
    "hide",
    "restore",
    "reject",
    "bulk",
    "request_edit",
    "lock",
    "unlock",
    "premoderation",
    "suspend",
    "unsuspend",
    "terms",
    "audit",
    "appeal",
]


def expected(role: str, action: str, staff_may: bool) -> bool:
    if role in ("moderator", "admin"):
        return True
    if role == "staff_right" and staff_may:
        return action in CONTENT_ACTIONS
    return False


@dataclass
class World:
    agency_id: int
    other_agency_id: int
    author_id: int
    users: dict[str, Any]
    first_moderator_id: int


@pytest.fixture()
def login(quick_login: Any) -> Any:
    """Session login without argon2 (see moderation_fixtures.quick_login)."""
    return quick_login


def _client(app: Any) -> Any:
    from tests.conftest import CsrfClient

    app.test_client_class = CsrfClient
    return app.test_client()


def _consultation(agency_id: int) -> tuple[int, int]:
    proposal = Proposal(
        title="交通安全諮詢",
        kind=ProposalKind.CONSULTATION,
        status=ProposalStatus.OPEN,
        owner_agency_id=agency_id,
    )
    db.session.add(proposal)
    db.session.flush()
    discussion = get_or_create_discussion(proposal)
    return proposal.id, discussion.id


def _reported_statement(world: World, hidden: bool = False) -> tuple[int, int, int]:
    """A statement by the author in the right agency's consultation, with one report (its
    queue item opened as the report operation opens it)."""
    from participate.moderation.queue import sync_reports

    _pid, did = _consultation(world.agency_id)
    s = Statement(discussion_id=did, author_id=world.author_id, text="被檢舉的意見")
    if hidden:
        s.status = ContentStatus.HIDDEN
    db.session.add(s)
    db.session.flush()
    db.session.add(
        Report(
            content_type="statement",
            content_id=s.id,
            discussion_id=did,
            reporter_id=world.users["citizen"].id,
            reason=ReportReason.ABUSE,
        )
    )
    db.session.flush()
    sync_reports("statement", s.id)
    db.session.commit()
    item_id = db.session.scalar(
        select(ModerationItem.id).where(
            ModerationItem.content_id == s.id, ModerationItem.kind == ItemKind.REPORT
        )
    )
    return s.id, did, item_id


def _status(sid: int) -> ContentStatus:
    return db.session.scalar(select(Statement.status).where(Statement.id == sid))


def _item_open(item_id: int) -> bool:
    return db.session.scalar(select(ModerationItem.state).where(ModerationItem.id == item_id)) == (
        ItemState.OPEN
    )


# Each scenario: build data (in an app context) -> (method, url, form, effect_check).
Scenario = Callable[[World], tuple[str, str, dict[str, Any], Callable[[], bool]]]


def s_queue(world: World) -> Any:
    """Seeing the queue means seeing this consultation's reported statement in it (staff
    of another agency may open the page when the setting is on, but it stays empty)."""
    _reported_statement(world)
    return "GET", "/moderation/", {}, lambda: True


def s_hide(world: World) -> Any:
    sid, _did, item_id = _reported_statement(world)
    return (
        "POST",
        f"/moderation/items/{item_id}",
        {"action": "hide"},
        lambda: _status(sid) == ContentStatus.HIDDEN,
    )


def s_claim(world: World) -> Any:
    _sid, _did, item_id = _reported_statement(world)
    return (
        "POST",
        f"/moderation/items/{item_id}/claim",
        {},
        lambda: (
            db.session.scalar(
                select(ModerationItem.assigned_to_id).where(ModerationItem.id == item_id)
            )
            is not None
        ),
    )


def s_restore(world: World) -> Any:
    sid, _did, item_id = _reported_statement(world, hidden=True)
    return (
        "POST",
        f"/moderation/items/{item_id}",
        {"action": "restore"},
        lambda: _status(sid) == ContentStatus.VISIBLE,
    )


def s_reject(world: World) -> Any:
    sid, _did, item_id = _reported_statement(world)
    return (
        "POST",
        f"/moderation/items/{item_id}",
        {"action": "reject", "reason": "abusive", "message": "用語不當"},
        lambda: _status(sid) == ContentStatus.HIDDEN and not _item_open(item_id),
    )


def s_bulk(world: World) -> Any:
    sid, _did, item_id = _reported_statement(world)
    return (
        "POST",
        "/moderation/bulk",
        {"items": [str(item_id)], "action": "hide"},
        lambda: _status(sid) == ContentStatus.HIDDEN,
    )


def s_request_edit(world: World) -> Any:
    from participate.moderation.queue import open_proposal_review

    proposal = Proposal(
        title="待審提案",
        kind=ProposalKind.PROPOSAL,
        status=ProposalStatus.IN_REVIEW,
        author_id=world.author_id,
        submitted_at=utcnow(),
    )
    db.session.add(proposal)
    db.session.flush()
    open_proposal_review(proposal)  # as submitting does
    db.session.commit()
    pid = proposal.id
    item_id = db.session.scalar(
        select(ModerationItem.id).where(
            ModerationItem.kind == ItemKind.PROPOSAL, ModerationItem.content_id == pid
        )
    )
    return (
        "POST",
        f"/moderation/items/{item_id}",
        {"action": "request_edit", "message": "請補充"},
        lambda: (
            db.session.scalar(select(Proposal.status).where(Proposal.id == pid))
            == ProposalStatus.CHANGES_REQUESTED
        ),
    )


def s_lock(world: World) -> Any:
    _pid, did = _consultation(world.agency_id)
    db.session.commit()
    return (
        "POST",
        f"/moderation/discussions/{did}/lock",
        {"reason": "洗版"},
        lambda: (
            db.session.scalar(
                select(func.count()).select_from(ThreadLock).where(ThreadLock.discussion_id == did)
            )
            == 1
        ),
    )


def s_unlock(world: World) -> Any:
    _pid, did = _consultation(world.agency_id)
    entry = ThreadLock(discussion_id=did, reason="x")
    db.session.add(entry)
    db.session.commit()
    lock_id = entry.id
    return (
        "POST",
        f"/moderation/locks/{lock_id}/delete",
        {},
        lambda: db.session.get(ThreadLock, lock_id) is None,
    )


def s_premoderation(world: World) -> Any:
    _pid, did = _consultation(world.agency_id)
    db.session.commit()
    return (
        "POST",
        f"/moderation/discussions/{did}/premoderation",
        {"enabled": "y"},
        lambda: bool(
            db.session.scalar(
                select(DiscussionModeration.premoderation).where(
                    DiscussionModeration.discussion_id == did
                )
            )
        ),
    )


def _new_citizen(suspended: bool = False) -> int:
    user = User(display_name="目標", role="citizen", email=None)
    if suspended:
        user.suspended_until = utcnow() + timedelta(days=5)
    db.session.add(user)
    db.session.commit()
    return user.id


def _suspended(uid: int) -> bool:
    db.session.expire_all()
    return db.session.get(User, uid).is_suspended()


def s_suspend(world: World) -> Any:
    uid = _new_citizen()
    return (
        "POST",
        f"/moderation/users/{uid}/suspend",
        {"days": "3", "reason": "abusive"},
        lambda: _suspended(uid),
    )


def s_unsuspend(world: World) -> Any:
    uid = _new_citizen(suspended=True)
    return "POST", f"/moderation/users/{uid}/unsuspend", {}, lambda: not _suspended(uid)


def s_terms(world: World) -> Any:
    word = f"禁語{utcnow().timestamp()}"
    return (
        "POST",
        "/moderation/terms",
        {"term": word, "action": "hold"},
        lambda: db.session.scalar(select(BannedTerm.id).where(BannedTerm.term == word)) is not None,
    )


def s_audit(world: World) -> Any:
    return "GET", "/moderation/audit", {}, lambda: True


def s_appeal(world: World) -> Any:
    sid, _did, item_id = _reported_statement(world, hidden=True)
    decided = db.session.get(ModerationItem, item_id)
    decided.state = ItemState.RESOLVED
    decided.decision = "hide"
    decided.decided_by_id = world.first_moderator_id
    appeal = ModerationItem(
        kind=ItemKind.APPEAL,
        content_type="statement",
        content_id=sid,
        discussion_id=decided.discussion_id,
        subject_user_id=world.author_id,
        reason="appeal",
        detail={"text": "請重新考慮"},
        excluded_moderator_id=world.first_moderator_id,
        appeal_of_id=decided.id,
    )
    db.session.add(appeal)
    db.session.commit()
    appeal_id = appeal.id
    return (
        "POST",
        f"/moderation/items/{appeal_id}",
        {"action": "overturn"},
        lambda: _status(sid) == ContentStatus.VISIBLE,
    )


SCENARIOS: dict[str, Any] = {name: globals()[f"s_{name}"] for name in ACTIONS}


@pytest.mark.parametrize("staff_may", [False, True], ids=["staff-off", "staff-on"])
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(app, make_user, make_agency, login, role, staff_may):
    app.config["MODERATION_AGENCY_STAFF"] = staff_may
    agency = make_agency()
    other = make_agency()
    users = {
        "citizen": make_user(),
        "author": make_user(name="作者"),
        "staff_right": make_user(role="agency_staff", agency=agency),
        "staff_other": make_user(role="agency_staff", agency=other),
        "moderator": make_user(role="moderator"),
        "admin": make_user(role="admin"),
    }
    first_moderator = make_user(role="moderator")
    world = World(agency.id, other.id, users["author"].id, users, first_moderator.id)
    client = _client(app)
    if role != "anonymous":
        login(client, users[role])
    outcomes = {}
    for action in ACTIONS:
        with app.app_context():
            method, url, data, effect = SCENARIOS[action](world)
        if action == "queue":
            resp = client.get(url)
            if resp.status_code == 200 and "被檢舉的意見" not in resp.get_data(as_text=True):
                resp.status_code = 403  # the page opened, but without this item: refused
        elif method == "GET":
            resp = client.get(url)
        else:
            resp = client.post(url, data=data)
        allowed = expected(role, action, staff_may)
        with app.app_context():
            happened = effect()
        if allowed:
            ok = resp.status_code in (200, 302) and happened
        else:
            denied_status = resp.status_code == 403 or (
                role == "anonymous"
                and method == "GET"
                and resp.status_code == 302
                and "/auth/login" in resp.headers["Location"]
            )
            ok = denied_status and (method == "GET" or not happened)
        outcomes[action] = (ok, resp.status_code, allowed)
    wrong = {
        a: (code, "should allow" if allowed else "should refuse")
        for a, (ok, code, allowed) in outcomes.items()
        if not ok
    }
    assert not wrong, wrong
