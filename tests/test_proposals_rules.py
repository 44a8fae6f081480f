"""The proposal lifecycle as a state machine, with frozen clocks, on the real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from participate import policy
from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    AuditLog,
    Endorsement,
    Follow,
    MailMessage,
    Notification,
    NotificationKind,
    Proposal,
    ProposalKind,
    ProposalStatus,
    ResponsePoint,
)
from participate.proposals import lifecycle, operations
from participate.proposals.notifications import unread_count
from participate.timeutil import TAIPEI, aware, taipei_today, utcnow
from tests import proposals_fixtures as fixtures
from tests.proposals_fixtures import (
    DAY,
    T0,
    freeze,
    full_points,
    make_consultation,
    make_draft,
    make_endorsing,
    make_established,
    make_in_review,
    proposal_input,
)

S = ProposalStatus

# Fixtures from the shared helper module, re-exported so pytest finds them here.
cast = fixtures.cast
req = fixtures.req


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- transitions


@pytest.mark.parametrize("kind", list(ProposalKind))
def test_transition_allows_exactly_the_listed_edges(req, kind):
    author = None
    for old in ProposalStatus:
        for new in ProposalStatus:
            p = Proposal(kind=kind, status=old, title="狀態測試", author_id=author)
            db.session.add(p)
            db.session.flush()
            allowed = new in lifecycle.ALLOWED[kind].get(old, frozenset())
            if allowed:
                lifecycle.transition(p, new, None, T0)
                assert p.status == new
            else:
                with pytest.raises(RuleError) as err:
                    lifecycle.transition(p, new, None, T0)
                assert err.value.status == 409
                assert p.status == old
            db.session.rollback()


def test_full_proposal_lifecycle(app, req, cast):
    freeze(app, T0)
    p = make_draft(cast)
    assert p.status == S.DRAFT
    assert [m.text for m in p.measures][0] == "訂定全國一致的待轉區設計準則"
    assert [a.id for a in p.proposed_agencies] == [cast.agency.id]

    with unit():
        operations.submit_proposal(cast.get("author"), p, T0)
    assert p.status == S.IN_REVIEW
    # 5 working days after Monday 2 March: Monday 9 March, end of that day in Taipei.
    assert p.review_due_at.astimezone(TAIPEI).date() == date(2026, 3, 9)

    with unit():
        operations.accept_proposal(cast.get("moderator"), p, T0 + DAY)
    assert p.status == S.ENDORSING
    deadline = p.deadline.astimezone(TAIPEI)
    assert deadline.date() == date(2026, 3, 3) + timedelta(days=60)
    assert (deadline.hour, deadline.minute) == (23, 59)
    from participate.models.discussion import Discussion

    assert db.session.scalar(select(Discussion).where(Discussion.proposal_id == p.id))

    app.config["ENDORSEMENT_THRESHOLD"] = 3
    with unit():
        r1 = operations.endorse(cast.get("citizen"), p.id, T0 + 2 * DAY)
    with unit():
        r2 = operations.endorse(cast.get("author"), p.id, T0 + 2 * DAY)  # own proposal: allowed
    assert (r1.count, r2.count, r2.established) == (1, 2, False)
    with unit():
        r3 = operations.endorse(cast.get("moderator"), p.id, T0 + 3 * DAY)
    assert r3.established and r3.count == 3
    db.session.refresh(p)
    assert p.status == S.ESTABLISHED
    assert p.endorsement_count == _count(Endorsement) == 3
    assert p.response_due_at is None  # the clock starts at assignment

    with unit():
        operations.assign_agencies(cast.get("moderator"), p, [cast.agency.id], T0 + 4 * DAY)
    assert p.response_due_at.astimezone(TAIPEI).date() == date(2026, 3, 6) + timedelta(days=60)
    clock = lifecycle.response_clock(p, T0 + 4 * DAY)
    assert clock.running and clock.days_left == 60 and not clock.overdue

    new_due = date(2026, 6, 30)
    with unit():
        operations.extend_response(cast.get("staff"), p, new_due, "需跨部會協調", T0 + 30 * DAY)
    assert p.response_due_at.astimezone(TAIPEI).date() == new_due
    assert [e.reason for e in p.extensions] == ["需跨部會協調"]

    answered = T0 + 40 * DAY
    with unit():
        operations.save_response(cast.get("staff"), p, "整體回應", full_points(p), True, answered)
    assert p.status == S.RESPONDED
    assert aware(p.response.published_at) == answered
    assert len(p.response.points) == 3
    clock = lifecycle.response_clock(p, answered)
    assert clock.answered_at == answered and not clock.running and clock.late_days == 0

    # The discussion stays open for 3 days after the response, then closes.
    assert lifecycle.discussion_is_open(p, answered + 3 * DAY - timedelta(seconds=1))
    assert not lifecycle.discussion_is_open(p, answered + 3 * DAY + timedelta(seconds=1))

    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {
        "proposal.create",
        "proposal.in_review",
        "proposal.endorsing",
        "proposal.established",
        "proposal.assign",
        "proposal.extend",
        "proposal.responded",
    } <= actions


def test_changes_requested_then_resubmitted(req, cast):
    p = make_in_review(cast)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.request_changes(cast.get("moderator"), p, "  ", T0)
    assert err.value.field == "message"
    with unit():
        operations.request_changes(cast.get("moderator"), p, "請補充資料來源", T0)
    assert p.status == S.CHANGES_REQUESTED and p.review_message == "請補充資料來源"
    with unit():
        operations.update_proposal(
            cast.get("author"), p, proposal_input(measures=["只剩一點"]), True, T0
        )
    assert p.status == S.IN_REVIEW
    assert [m.text for m in p.measures] == ["只剩一點"]


def test_reject_needs_a_published_reason(req, cast):
    p = make_in_review(cast)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.reject_proposal(cast.get("moderator"), p, "i-dont-like-it", "", T0)
    assert err.value.field == "reason"
    with unit():
        operations.reject_proposal(cast.get("moderator"), p, "in_court", "本案已進入訴訟", T0)
    assert p.status == S.REJECTED and p.rejection_reason.value == "in_court"
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "proposal.rejected"))
    assert log.reason == "in_court"


def test_only_moderators_review(req, cast):
    p = make_in_review(cast)
    for who in ("citizen", "author", "staff"):
        with pytest.raises(RuleError) as err:
            with unit():
                operations.accept_proposal(cast.get(who), p, T0)
        assert err.value.status == 403
    with unit():
        operations.accept_proposal(cast.get("admin"), p, T0)  # admins moderate too
    with pytest.raises(RuleError) as err:  # accepted twice: wrong state, not permission
        with unit():
            operations.accept_proposal(cast.get("moderator"), p, T0)
    assert err.value.status == 409


# --------------------------------------------------------------------------- endorsement


def test_endorse_twice_is_refused_and_count_unchanged(req, cast):
    p = make_endorsing(cast)
    with unit():
        operations.endorse(cast.get("citizen"), p.id, T0 + DAY)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.endorse(cast.get("citizen"), p.id, T0 + DAY)
    assert err.value.status == 409
    db.session.refresh(p)
    assert p.endorsement_count == 1 == _count(Endorsement)


def test_endorse_after_deadline_lapses_on_read_and_write(app, req, cast):
    p = make_endorsing(cast)
    with unit():
        operations.endorse(cast.get("citizen"), p.id, T0 + DAY)
    after = aware(p.deadline) + timedelta(seconds=1)
    # Correct on read even though no task has run: the stored status is still endorsing.
    assert p.status == S.ENDORSING
    assert lifecycle.effective_status(p, after) == S.LAPSED
    assert not policy.can_endorse(cast.get("moderator"), p, after)
    assert not lifecycle.discussion_is_open(p, after)
    lapsed_ids = db.session.scalars(
        select(Proposal.id).where(lifecycle.status_clause(S.LAPSED, after))
    ).all()
    assert lapsed_ids == [p.id]
    # The last second of the deadline still counts.
    assert lifecycle.effective_status(p, aware(p.deadline)) == S.ENDORSING
    with pytest.raises(RuleError) as err:
        with unit():
            operations.endorse(cast.get("moderator"), p.id, after)
    assert err.value.status == 409
    assert err.value.message == "附議期間已結束。"  # "The endorsement period has ended."
    # The refusal wrote nothing, not even the lapse: the sweep stores it (and notifies).
    db.session.expire_all()
    p = db.session.get(Proposal, p.id)
    assert p.status == S.ENDORSING and p.endorsement_count == 1 == _count(Endorsement)
    assert NotificationKind.LAPSED not in db.session.scalars(select(Notification.kind)).all()
    with unit():
        assert operations.sweep(after) == 1
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).status == S.LAPSED
    kinds = db.session.scalars(select(Notification.kind)).all()
    assert NotificationKind.LAPSED in kinds


def test_sweep_stores_lapse_and_close_and_notifies(app, req, cast):
    p = make_endorsing(cast)
    c = make_consultation(cast, days=10)
    later = T0 + 70 * DAY
    with unit():
        assert operations.sweep(later) == 2
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).status == S.LAPSED
    assert db.session.get(Proposal, c.id).status == S.CLOSED
    with unit():
        assert operations.sweep(later) == 0
    # Followers (the author, the staff who opened the consultation) were notified and mailed.
    notes = db.session.execute(select(Notification.user_id, Notification.kind)).all()
    assert (cast.author.id, NotificationKind.LAPSED) in notes
    assert (cast.staff.id, NotificationKind.CLOSED) in notes
    assert _count(MailMessage) >= 2


def test_periodic_task_stores_due_changes(app, req, cast):
    from participate.proposals.tasks import advance_lifecycles

    p = make_endorsing(cast)
    freeze(app, aware(p.deadline) + DAY)
    assert advance_lifecycles.call_local() == 1
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).status == S.LAPSED
    assert advance_lifecycles.call_local() == 0


def test_unverified_cannot_endorse_or_propose(req, cast):
    p = make_endorsing(cast)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.endorse(cast.get("unverified"), p.id, T0 + DAY)
    assert err.value.status == 403
    with pytest.raises(RuleError):
        with unit():
            operations.create_proposal(cast.get("unverified"), proposal_input(), False, T0)
    assert _count(Endorsement) == 0


def test_cannot_endorse_before_acceptance(req, cast):
    p = make_in_review(cast)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.endorse(cast.get("citizen"), p.id, T0)
    assert err.value.status == 409


def test_no_endorsement_after_established(app, req, cast):
    p = make_established(app, cast, assign=False)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.endorse(cast.get("moderator"), p.id, T0 + 3 * DAY)
    assert err.value.status == 409
    assert _count(Endorsement) == 2


def test_election_freeze_blocks_new_proposals_and_endorsements(app, req, cast):
    p = make_endorsing(cast)
    app.config["ELECTION_FREEZE_START"] = taipei_today(T0 + DAY)
    app.config["ELECTION_FREEZE_END"] = taipei_today(T0 + 5 * DAY)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.endorse(cast.get("citizen"), p.id, T0 + 2 * DAY)
    assert "election" in err.value.message.lower() or "選舉" in err.value.message
    with pytest.raises(RuleError):
        with unit():
            operations.create_proposal(cast.get("citizen"), proposal_input(), True, T0 + 2 * DAY)
    # Drafts are still allowed; after the freeze everything works again.
    with unit():
        operations.create_proposal(cast.get("citizen"), proposal_input(), False, T0 + 2 * DAY)
    with unit():
        operations.endorse(cast.get("citizen"), p.id, T0 + 6 * DAY)


# --------------------------------------------------------------------------- response


def test_respond_before_established_is_refused(req, cast):
    p = make_endorsing(cast)
    assert not policy.can_respond(cast.get("staff"), p, T0)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.save_response(cast.get("staff"), p, "答", full_points(p), True, T0)
    assert err.value.status == 403


def test_respond_before_assignment_is_refused(app, req, cast):
    p = make_established(app, cast, assign=False)
    with pytest.raises(RuleError):
        with unit():
            operations.save_response(
                cast.get("staff"), p, "答", full_points(p), False, T0 + 3 * DAY
            )


def test_respond_for_another_agency_is_refused(app, req, cast):
    p = make_established(app, cast)
    for who in ("other_staff", "citizen", "moderator"):
        with pytest.raises(RuleError) as err:
            with unit():
                operations.save_response(cast.get(who), p, "答", full_points(p), True, T0 + 5 * DAY)
        assert err.value.status == 403
        with pytest.raises(RuleError):
            with unit():
                operations.extend_response(cast.get(who), p, date(2026, 9, 1), "理由", T0 + 5 * DAY)
    assert p.response is None


def test_publish_with_a_point_missing_writes_nothing(app, req, cast):
    p = make_established(app, cast)
    points = full_points(p)
    points[1].decision = None
    points[2].reasoning = "  "
    with pytest.raises(RuleError) as err:
        with unit():
            operations.save_response(cast.get("staff"), p, "", points, True, T0 + 5 * DAY)
    fields = err.value.fields
    m = p.measures
    assert set(fields) == {"overall", f"decision_{m[1].id}", f"reasoning_{m[2].id}"}
    assert _count(ResponsePoint) == 0
    assert db.session.get(Proposal, p.id).status == S.ESTABLISHED


def test_draft_response_then_publish(app, req, cast):
    p = make_established(app, cast)
    partial = full_points(p)[:1]
    with unit():
        operations.save_response(cast.get("staff"), p, "", partial, False, T0 + 5 * DAY)
    assert p.status == S.ESTABLISHED and p.response.published_at is None
    assert lifecycle.response_clock(p, T0 + 5 * DAY).running
    with unit():
        operations.save_response(
            cast.get("staff"), p, "整體", full_points(p, "partly"), True, T0 + 6 * DAY
        )
    assert [pt.decision.value for pt in p.response.points] == ["partly"] * 3
    with pytest.raises(RuleError):  # published is final
        with unit():
            operations.save_response(
                cast.get("staff"), p, "再改", full_points(p), True, T0 + 7 * DAY
            )


def test_overdue_clock_and_late_answer(app, req, cast):
    p = make_established(app, cast)
    due = aware(p.response_due_at)
    clock = lifecycle.response_clock(p, due + 3 * DAY)
    assert clock.overdue and clock.overdue_days == 3
    with unit():
        operations.save_response(
            cast.get("staff"), p, "遲來的回應", full_points(p), True, due + 5 * DAY
        )
    clock = lifecycle.response_clock(p, due + 10 * DAY)
    assert not clock.overdue and clock.late_days == 5


def test_extension_must_move_the_date_later(app, req, cast):
    p = make_established(app, cast)
    due_day = p.response_due_at.astimezone(TAIPEI).date()
    for bad in (due_day, due_day - timedelta(days=3)):
        with pytest.raises(RuleError) as err:
            with unit():
                operations.extend_response(cast.get("staff"), p, bad, "理由", T0 + 5 * DAY)
        assert err.value.field == "new_due"
    with pytest.raises(RuleError) as err:
        with unit():
            operations.extend_response(
                cast.get("staff"), p, due_day + timedelta(days=9), " ", T0 + 5 * DAY
            )
    assert err.value.field == "reason"
    with unit():
        operations.extend_response(
            cast.get("staff"), p, due_day + timedelta(days=10), "一", T0 + 5 * DAY
        )
    with unit():
        operations.extend_response(
            cast.get("staff"), p, due_day + timedelta(days=20), "二", T0 + 6 * DAY
        )
    assert [e.reason for e in p.extensions] == ["一", "二"]
    notes = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == cast.author.id)
    ).all()
    assert notes.count(NotificationKind.EXTENDED) == 2


# --------------------------------------------------------------------------- consultations


def test_consultation_from_opening_to_conclusion(req, cast):
    c = make_consultation(cast, days=30)
    assert c.kind == ProposalKind.CONSULTATION and c.status == S.OPEN
    assert c.deadline.astimezone(TAIPEI).date() == date(2026, 4, 1)
    assert lifecycle.discussion_is_open(c, T0 + 29 * DAY)
    assert not policy.can_respond(cast.get("staff"), c, T0 + 10 * DAY)
    closed_at = aware(c.deadline) + timedelta(seconds=1)
    assert lifecycle.effective_status(c, closed_at) == S.CLOSED
    assert not lifecycle.discussion_is_open(c, closed_at)
    assert policy.can_respond(cast.get("staff"), c, closed_at)
    assert not policy.can_respond(cast.get("other_staff"), c, closed_at)
    with unit():
        operations.save_response(
            cast.get("staff"), c, "結論", full_points(c), True, closed_at + DAY
        )
    assert c.status == S.RESPONDED
    assert lifecycle.discussion_is_open(c, closed_at + 2 * DAY)
    assert not lifecycle.discussion_is_open(c, closed_at + 5 * DAY)


def test_consultation_default_60_days_and_early_close(req, cast):
    c = make_consultation(cast)
    assert c.deadline.astimezone(TAIPEI).date() == date(2026, 3, 2) + timedelta(days=60)
    with pytest.raises(RuleError):
        with unit():
            operations.close_consultation(cast.get("other_staff"), c, T0 + DAY)
    with unit():
        operations.close_consultation(cast.get("staff"), c, T0 + DAY)
    assert c.status == S.CLOSED


def test_only_agency_staff_open_consultations(req, cast):
    for who in ("citizen", "moderator"):
        with pytest.raises(RuleError):
            make_consultation_as(cast, who)
    with pytest.raises(RuleError) as err:
        with unit():
            operations.open_consultation(
                cast.get("staff"),
                operations.ConsultationInput(
                    "標題標題", "摘要", "背景", "", ["問題"], [], date(2026, 3, 1)
                ),
                T0,
            )
    assert err.value.field == "closes_on"


def make_consultation_as(cast, who):
    data = operations.ConsultationInput("標題標題", "摘要", "背景", "", ["問題"], [], None)
    return operations.open_consultation(cast.get(who), data, T0)


# --------------------------------------------------------------------------- permission matrix

PHASES = ["draft", "in_review", "endorsing", "lapsed", "unassigned", "assigned", "responded"]
ACTIVE = ["citizen", "author", "moderator", "staff", "other_staff", "admin"]
ROLES = ["anonymous", "unverified", *ACTIVE]


def _phase(app, cast, phase):
    """A proposal in ``phase`` and the moment to ask about it."""
    if phase == "draft":
        return make_draft(cast), T0
    if phase == "in_review":
        return make_in_review(cast), T0
    if phase in ("endorsing", "lapsed"):
        p = make_endorsing(cast)
        return p, (T0 + DAY if phase == "endorsing" else aware(p.deadline) + DAY)
    p = make_established(app, cast, assign=phase != "unassigned")
    if phase == "responded":
        with unit():
            operations.save_response(cast.get("staff"), p, "答", full_points(p), True, T0 + 5 * DAY)
    return p, T0 + 6 * DAY


class _Anonymous:
    is_authenticated = False
    id = None


EXPECTED = {
    "can_endorse": {(r, "endorsing") for r in ACTIVE},
    "can_review": {("moderator", "in_review"), ("admin", "in_review")},
    "can_edit": {("author", "draft")},
    "can_assign_agencies": {
        (r, ph) for r in ("moderator", "admin") for ph in ("unassigned", "assigned")
    },
    "can_extend": {("staff", "assigned"), ("admin", "assigned")},
    "can_respond": {("staff", "assigned"), ("admin", "assigned")},
}


@pytest.mark.parametrize("phase", PHASES)
def test_permission_matrix(app, req, cast, phase):
    p, now = _phase(app, cast, phase)
    for role in ROLES:
        user = _Anonymous() if role == "anonymous" else cast.get(role)
        for name, allowed in EXPECTED.items():
            got = getattr(policy, name)(user, p, now)
            assert got == ((role, phase) in allowed), (name, role, phase)
        visible = policy.can_view_proposal(user, p)
        assert visible == (
            phase not in ("draft", "in_review") or role in ("author", "moderator", "admin")
        ), (role, phase)


# --------------------------------------------------------------------------- follow & mail


def test_author_and_endorsers_follow_and_get_notified(app, req, cast):
    p = make_established(app, cast)
    followers = set(db.session.scalars(select(Follow.user_id).where(Follow.proposal_id == p.id)))
    assert followers == {cast.author.id, cast.citizen.id}
    kinds = db.session.execute(
        select(Notification.user_id, Notification.kind).where(Notification.proposal_id == p.id)
    ).all()
    assert (cast.citizen.id, NotificationKind.ESTABLISHED) in kinds
    assert (cast.author.id, NotificationKind.ESTABLISHED) in kinds
    mails = db.session.scalars(select(MailMessage.recipient)).all()
    assert cast.citizen.email in mails
    assert unread_count(cast.get("citizen")) >= 1
    with unit():
        operations.mark_all_read(cast.get("citizen"))
    assert unread_count(cast.get("citizen")) == 0


def test_digest_users_get_one_mail_a_day(app, req, cast):
    citizen = cast.get("citizen")
    citizen.email_digest = True
    db.session.commit()
    p = make_established(app, cast)
    assert cast.citizen.email not in db.session.scalars(select(MailMessage.recipient)).all()
    with unit():
        operations.extend_response(cast.get("staff"), p, date(2026, 9, 1), "延長", T0 + 5 * DAY)
    from participate.proposals.tasks import send_digests

    send_digests.call_local()
    mails = db.session.scalars(
        select(MailMessage).where(MailMessage.recipient == cast.citizen.email)
    ).all()
    assert len(mails) == 1
    assert p.title in mails[0].body
    send_digests.call_local()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(MailMessage.recipient == cast.citizen.email)
        )
        == 1
    )


def test_unfollow_stops_notifications(app, req, cast):
    p = make_endorsing(cast)
    with unit():
        operations.endorse(cast.get("citizen"), p.id, T0 + DAY)
    with unit():
        operations.unfollow(cast.get("citizen"), p)
    with unit():
        operations.sweep(aware(p.deadline) + DAY)
    users = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == NotificationKind.LAPSED)
    ).all()
    assert users == [cast.author.id]


# --------------------------------------------------------------------------- hooks & demo


def test_personal_data_and_deletion(app, req, cast):
    from participate.proposals.data import export_personal_data, on_account_deletion

    p = make_endorsing(cast)
    with unit():
        operations.endorse(cast.get("author"), p.id, T0 + DAY)
    key, data = export_personal_data(cast.get("author"))
    assert key == "proposals"
    assert data["proposals"][0]["title"] == p.title
    assert data["endorsements"][0]["proposal_id"] == p.id
    assert data["follows"][0]["proposal_id"] == p.id
    on_account_deletion(cast.get("author"))
    db.session.commit()
    assert _count(Follow) == 0
    assert db.session.get(Proposal, p.id).endorsement_count == 1 == _count(Endorsement)


def test_demo_seeder_is_honest_complete_and_idempotent(app, app_ctx):
    from participate.cli import seed_all as seed

    seed(lambda _msg: None)
    first = _count(Proposal), _count(Endorsement)
    seed(lambda _msg: None)
    assert (_count(Proposal), _count(Endorsement)) == first
    for p in db.session.scalars(select(Proposal)):
        rows = db.session.scalar(
            select(func.count()).select_from(Endorsement).where(Endorsement.proposal_id == p.id)
        )
        assert p.endorsement_count == rows, p.title
    now = utcnow()
    states = {lifecycle.effective_status(p, now) for p in db.session.scalars(select(Proposal))}
    assert states == set(ProposalStatus)
    clocks = [lifecycle.response_clock(p, now) for p in db.session.scalars(select(Proposal))]
    assert any(c and c.overdue for c in clocks)
    assert any(p.extensions for p in db.session.scalars(select(Proposal)))
    established = db.session.scalars(
        select(Proposal).where(Proposal.established_at.is_not(None))
    ).all()
    assert established and all(p.endorsement_count >= 5000 for p in established)
