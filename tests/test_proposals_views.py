"""Proposal pages through the test client: what people see, and bad input writing nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from participate.boundary import unit
from participate.extensions import db
from participate.models import (
    AgencyResponse,
    Endorsement,
    ItemKind,
    ItemState,
    ModerationItem,
    Proposal,
    ProposalStatus,
    ResponseExtension,
)
from participate.proposals import operations
from participate.timeutil import TAIPEI, aware
from tests import proposals_fixtures as fixtures
from tests.proposals_fixtures import (
    DAY,
    T0,
    freeze,
    make_consultation,
    make_endorsing,
    make_established,
    make_in_review,
)

S = ProposalStatus

# Fixtures from the shared helper module, re-exported so pytest finds them here.
cast = fixtures.cast
req = fixtures.req


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _field_error(html: str, field_id: str) -> str:
    m = re.search(rf'id="{field_id}-error">([^<]*)<', html)
    return m.group(1) if m else ""


GOOD = {
    "title": "改善機車待轉區的設計",
    "summary": "待轉區設在車流中間，很危險。",
    "problem": "許多路口的待轉區設計不良。",
    "measures": "訂定全國一致的設計準則\n\n檢討號誌時相\n",
    "benefits": "減少機車事故。",
    "links": "https://example.tw/a",
}


def test_new_proposal_bad_input_writes_nothing(app, client, login, cast):
    freeze(app, T0)
    login(client, cast.author)
    bad = {
        **GOOD,
        "title": "",
        "measures": "",
        "links": "not a link",
        "agencies": [cast.agency.id, cast.other_agency.id, 998, 999],
        "submit": "1",
    }
    resp = client.post("/proposals/new", data=bad)
    assert resp.status_code == 400
    html = _text(resp)
    assert _field_error(html, "title")
    assert _field_error(html, "measures")
    assert _field_error(html, "links")
    assert _field_error(html, "agencies")
    assert 'class="error-summary"' in html
    assert _count(app, Proposal) == 0


def test_write_submit_and_see_review_target(app, client, login, cast):
    freeze(app, T0)
    login(client, cast.author)
    resp = client.post("/proposals/new", data={**GOOD, "agencies": [cast.agency.id], "submit": "1"})
    assert resp.status_code == 302
    page = _text(client.get(resp.headers["Location"]))
    assert "改善機車待轉區的設計" in page
    assert "2026-03-09" in page  # 5 working days from Monday 2 March
    with app.app_context():
        p = db.session.scalar(select(Proposal))
        assert p.status == S.IN_REVIEW
        assert [m.text for m in p.measures] == ["訂定全國一致的設計準則", "檢討號誌時相"]
    # Not public while in review.
    client.post("/auth/logout")
    assert client.get(f"/proposals/{p.id}").status_code == 404


def test_similar_proposals_shown_before_submitting(app, client, login, cast, req):
    freeze(app, T0)
    make_endorsing(cast, title="機車待轉區全面改善")
    db.session.remove()
    login(client, cast.citizen)
    resp = client.post("/proposals/new", data={"title": "機車待轉區太危險", "check": "1"})
    assert resp.status_code == 200
    assert "機車待轉區全面改善" in _text(resp)
    assert _count(app, Proposal) == 1
    found = client.get("/proposals/similar?title=機車待轉區").get_json()
    assert [i["title"] for i in found["items"]] == ["機車待轉區全面改善"]


def _queue_item_id(pid: int) -> int:
    return db.session.scalar(
        select(ModerationItem.id).where(
            ModerationItem.content_type == "proposal",
            ModerationItem.content_id == pid,
            ModerationItem.kind == ItemKind.PROPOSAL,
            ModerationItem.state == ItemState.OPEN,
        )
    )


def test_review_in_the_moderation_queue_errors_and_accept(app, client, login, cast, req):
    from participate.models import Notification, NotificationKind

    freeze(app, T0)
    p = make_in_review(cast)
    pid = p.id
    item_id = _queue_item_id(pid)
    assert item_id is not None  # submitting opened the queue item, one only
    assert _count(app, ModerationItem) == 1
    db.session.remove()
    login(client, cast.moderator)
    # The old addresses lead to the queue, filtered to proposals, and to the item.
    resp = client.get("/proposals/review")
    assert resp.status_code == 302 and resp.headers["Location"] == "/moderation/?kind=proposal"
    assert "改善機車待轉區的設計" in _text(client.get(resp.headers["Location"]))
    resp = client.get(f"/proposals/{pid}/review")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/moderation/items/{item_id}"
    assert f'href="/proposals/{pid}/review"' in _text(client.get(f"/proposals/{pid}"))
    # A rejection needs a published reason, a request for changes a message.
    decide = f"/moderation/items/{item_id}"
    resp = client.post(decide, data={"action": "reject", "reason": ""})
    assert resp.status_code == 400
    assert _field_error(_text(resp), "reason")
    resp = client.post(decide, data={"action": "request_edit", "message": ""})
    assert resp.status_code == 400
    assert _field_error(_text(resp), "message")
    assert db.session.get(Proposal, pid).status == S.IN_REVIEW
    resp = client.post(decide, data={"action": "approve"})
    assert resp.status_code == 302
    db.session.expire_all()
    p = db.session.get(Proposal, pid)
    assert p.status == S.ENDORSING
    # The endorsement period starts at the decision: 60 days, to the end of a Taipei day.
    assert aware(p.deadline).astimezone(TAIPEI).date() == (T0 + 60 * DAY).date()
    notices = db.session.execute(
        select(Notification.user_id, Notification.kind).where(Notification.proposal_id == pid)
    ).all()
    assert notices == [(cast.author.id, NotificationKind.ACCEPTED)]
    assert _queue_item_id(pid) is None
    # Decided: the old address now says so, on the proposal's page.
    resp = client.get(f"/proposals/{pid}/review")
    assert resp.headers["Location"] == f"/proposals/{pid}"


def test_changes_requested_from_the_queue_reach_the_author(app, client, login, cast, req):
    from participate.models import MailMessage, Notification, NotificationKind

    freeze(app, T0)
    pid = make_in_review(cast).id
    item_id = _queue_item_id(pid)
    db.session.remove()
    login(client, cast.moderator)
    resp = client.post(
        f"/moderation/items/{item_id}", data={"action": "request_edit", "message": "請補充資料"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    p = db.session.get(Proposal, pid)
    assert (p.status, p.review_message) == (S.CHANGES_REQUESTED, "請補充資料")
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == cast.author.id)
    ).all()
    assert kinds == [NotificationKind.CHANGES_REQUESTED]
    assert db.session.scalar(
        select(func.count())
        .select_from(MailMessage)
        .where(MailMessage.recipient == cast.author.email)
    )
    # The author sees the message on the proposal and may resubmit: a new queue item.
    client.post("/auth/logout")
    login(client, cast.author)
    assert "請補充資料" in _text(client.get(f"/proposals/{pid}"))
    assert client.post(f"/proposals/{pid}/submit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, pid).status == S.IN_REVIEW
    assert _queue_item_id(pid) not in (None, item_id)


def test_citizen_cannot_review(app, client, login, cast, req):
    p = make_in_review(cast)
    pid = p.id
    item_id = _queue_item_id(pid)
    db.session.remove()
    login(client, cast.citizen)
    assert 'href="/proposals/assignments"' not in _text(client.get("/proposals/"))
    assert client.get("/proposals/assignments").status_code == 403
    assert client.get(f"/proposals/{pid}/review").status_code == 403
    assert client.get("/proposals/review", follow_redirects=True).status_code == 403
    resp = client.post(f"/moderation/items/{item_id}", data={"action": "approve"})
    assert resp.status_code == 403
    assert db.session.get(Proposal, pid).status == S.IN_REVIEW


def test_endorse_page_count_and_days_left(app, client, login, cast, req):
    freeze(app, T0 + DAY)
    p = make_endorsing(cast)
    pid = p.id
    db.session.remove()
    login(client, cast.citizen)
    page = _text(client.get(f"/proposals/{pid}"))
    assert f'action="/proposals/{pid}/endorse"' in page
    assert "59" in page  # accepted at T0, viewed a day later: 59 days left
    resp = client.post(f"/proposals/{pid}/endorse")
    assert resp.status_code == 302
    page = _text(client.get(f"/proposals/{pid}"))
    assert 'id="endorse-count">1<' in page
    # A second endorsement is refused with a message, as JSON for fetch callers too.
    resp = client.post(f"/proposals/{pid}/endorse", headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "rule"
    assert _count(app, Endorsement) == 1
    listing = _text(client.get("/proposals/"))
    assert re.search(r"\b1\b", listing.split("card proposal-card")[1])


def test_unverified_endorse_refused(app, client, login, cast, req):
    p = make_endorsing(cast)
    pid = p.id
    db.session.remove()
    login(client, cast.unverified)
    resp = client.post(f"/proposals/{pid}/endorse", headers={"Accept": "application/json"})
    assert resp.status_code == 403
    assert _count(app, Endorsement) == 0


def test_lapsed_shown_on_read_without_the_task(app, client, cast, req):
    p = make_endorsing(cast)
    pid, deadline = p.id, aware(p.deadline)
    db.session.remove()
    freeze(app, deadline + DAY)
    assert db.session.get(Proposal, pid).status == S.ENDORSING
    listing = client.get("/proposals/?status=lapsed")
    assert "改善機車待轉區的設計" in _text(listing)
    assert "改善機車待轉區的設計" not in _text(client.get("/proposals/?status=endorsing"))
    page = _text(client.get(f"/proposals/{pid}"))
    assert "status-lapsed" in page
    assert f'action="/proposals/{pid}/endorse"' not in page


def test_response_form_point_missing_then_publish(app, client, login, cast, req):
    p = make_established(app, cast)
    pid = p.id
    measures = [m.id for m in p.measures]
    freeze(app, T0 + 10 * DAY)
    db.session.remove()
    login(client, cast.other_staff)
    assert client.get(f"/proposals/{pid}/response").status_code == 403
    client.post("/auth/logout")
    login(client, cast.staff)
    form = {"overall": "整體回應", "publish": "1", "confirm": "y"}
    for i, mid in enumerate(measures):
        form[f"decision_{mid}"] = "adopted" if i else ""
        form[f"reasoning_{mid}"] = "理由"
        form[f"unit_{mid}"] = "公路局"
    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 400
    assert _field_error(_text(resp), f"decision_{measures[0]}")
    assert _count(app, AgencyResponse) == 0
    form[f"decision_{measures[0]}"] = "under_study"
    form[f"follow_up_{measures[0]}"] = "2026-09-30"
    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 302
    client.post("/auth/logout")
    page = _text(client.get(f"/proposals/{pid}"))
    assert "整體回應" in page
    assert "2026-09-30" in page
    assert "status-responded" in page


def test_extend_form_bad_input_and_public_log(app, client, login, cast, req):
    p = make_established(app, cast)
    pid = p.id
    due = aware(p.response_due_at).astimezone(TAIPEI).date()
    freeze(app, T0 + 10 * DAY)
    db.session.remove()
    login(client, cast.staff)
    resp = client.post(f"/proposals/{pid}/extend", data={"new_due": "tomorrow", "reason": ""})
    assert resp.status_code == 400
    html = _text(resp)
    assert _field_error(html, "new_due") and _field_error(html, "reason")
    resp = client.post(
        f"/proposals/{pid}/extend", data={"new_due": due.isoformat(), "reason": "需協調"}
    )
    assert resp.status_code == 400
    assert _field_error(_text(resp), "new_due")
    assert _count(app, ResponseExtension) == 0
    new_due = (due + timedelta(days=30)).isoformat()
    resp = client.post(f"/proposals/{pid}/extend", data={"new_due": new_due, "reason": "需協調"})
    assert resp.status_code == 302
    page = _text(client.get(f"/proposals/{pid}"))
    assert new_due in page and "需協調" in page


def test_consultation_form(app, client, login, cast):
    freeze(app, T0)
    login(client, cast.citizen)
    assert client.get("/consultations/new").status_code == 403
    client.post("/auth/logout")
    login(client, cast.staff)
    resp = client.post(
        "/consultations/new",
        data={"title": "短", "summary": "", "background": "", "questions": "", "closes_on": "x"},
    )
    assert resp.status_code == 400
    html = _text(resp)
    for field in ("title", "summary", "background", "questions", "closes_on"):
        assert _field_error(html, field), field
    assert _count(app, Proposal) == 0
    resp = client.post(
        "/consultations/new",
        data={
            "title": "公共運輸票價政策諮詢",
            "summary": "徵詢意見。",
            "background": "票價多年未調整。",
            "questions": "票價應如何訂定？\n優惠對象？",
            "closes_on": "2026-04-30",
        },
    )
    assert resp.status_code == 302
    page = _text(client.get(resp.headers["Location"]))
    assert "2026-04-30" in page and "status-open" in page


def test_agency_page_overdue_first_and_dashboard(app, client, login, cast, req):
    freeze(app, T0)
    on_time = make_established(app, cast)
    on_time.title = "準時的提案"
    late = make_established(app, cast, now=T0 - 80 * DAY)
    late.title = "逾期的提案"
    db.session.commit()
    db.session.remove()
    page = _text(client.get("/agencies/motc"))
    assert page.index("逾期的提案") < page.index("準時的提案")
    assert "is-overdue" in page
    stats = _text(client.get("/statistics"))
    assert "交通部" in stats
    login(client, cast.staff)
    dash = _text(client.get("/staff/"))
    assert "逾期的提案" in dash and "準時的提案" in dash


def test_notification_bell_counts_unread(app, client, login, cast, req):
    p = make_established(app, cast)
    pid = p.id
    db.session.remove()
    login(client, cast.citizen)
    page = _text(client.get("/proposals/"))
    assert 'class="badge bell-count"' in page
    notes = _text(client.get("/notifications"))
    assert f"/proposals/{pid}" in notes
    client.post("/notifications", data={})
    assert 'class="badge bell-count"' not in _text(client.get("/proposals/"))


def test_freeze_banner(app, client):
    from participate.timeutil import taipei_today

    today = taipei_today()
    app.config["ELECTION_FREEZE_START"] = today
    app.config["ELECTION_FREEZE_END"] = today + timedelta(days=3)
    page = _text(client.get("/proposals/"))
    assert "banner-warning" in page
    app.config["ELECTION_FREEZE_START"] = None
    assert "banner-warning" not in _text(client.get("/proposals/"))


def test_list_filters_and_sorting(app, client, cast, req):
    freeze(app, T0)
    a = make_endorsing(cast, title="第一個提案")
    b = make_endorsing(cast, title="第二個提案")
    with unit():
        operations.endorse(cast.get("citizen"), b.id, T0)
    make_consultation(cast)
    ids = (a.id, b.id)
    db.session.remove()
    html = _text(client.get("/proposals/?sort=endorsed&kind=proposal"))
    assert html.index("第二個提案") < html.index("第一個提案")
    assert "道路交通安全" not in html
    html = _text(client.get("/proposals/?kind=consultation"))
    assert "道路交通安全" in html and "第一個提案" not in html
    html = _text(client.get("/proposals/?agency=mohw"))
    assert "第一個提案" not in html
    assert client.get("/proposals/?page=99&sort=bogus").status_code == 200
    assert ids[0] != ids[1]


def test_proposal_page_links_to_its_discussion(app, client, cast, req):
    p = make_endorsing(cast)
    pid = p.id
    db.session.remove()
    html = _text(client.get(f"/proposals/{pid}"))
    with app.test_request_context():
        from flask import url_for

        target = url_for("discussion.show", proposal_id=pid)
    assert f'<a class="button" href="{target}">' in html
    assert client.get(target).status_code == 200


def test_personal_data_download_includes_proposals(app, client, login, cast, req):
    p = make_endorsing(cast)
    with unit():
        operations.endorse(cast.get("author"), p.id, T0)
    pid = p.id
    db.session.remove()
    login(client, cast.author)
    data = client.get("/account/data.json").get_json()
    assert data["proposals"]["endorsements"][0]["proposal_id"] == pid


def test_assign_form_requires_an_agency(app, client, login, cast, req):
    p = make_established(app, cast, assign=False)
    pid = p.id
    db.session.remove()
    login(client, cast.moderator)
    assert 'href="/proposals/assignments"' in _text(client.get("/proposals/"))  # the nav
    waiting = _text(client.get("/proposals/assignments"))
    assert f"/proposals/{pid}/assign" in waiting
    resp = client.post(f"/proposals/{pid}/assign", data={})
    assert resp.status_code == 400
    assert _field_error(_text(resp), "agencies")
    assert db.session.get(Proposal, pid).response_due_at is None
    resp = client.post(f"/proposals/{pid}/assign", data={"agencies": [cast.agency.id]})
    assert resp.status_code == 302
    assert db.session.get(Proposal, pid).response_due_at is not None


def _figures(html: str) -> dict[str, int]:
    """The statistics page's figures, by their ``data-figure`` names."""
    return {
        name: int(value.replace(",", ""))
        for name, value in re.findall(r'data-figure="([^"]+)">([\d,]+)<', html)
    }


def test_statistics_page_and_api_give_the_same_figures(app, client, cast, req):
    freeze(app, T0)
    fixtures.make_draft(cast)  # private work: counted nowhere
    make_in_review(cast)
    make_endorsing(cast)  # its 60 days run out before we look: lapsed on read
    make_established(app, cast)  # assigned, answer due after we look
    make_established(app, cast, now=T0 - 80 * DAY)  # assigned, answer overdue
    answered = make_established(app, cast, now=T0 - 40 * DAY)
    with unit():
        operations.save_response(
            cast.get("staff"), answered, "答", fixtures.full_points(answered), True, T0 - 30 * DAY
        )
    make_consultation(cast, days=10)  # closed on read
    db.session.remove()
    freeze(app, T0 + 61 * DAY)

    page = _figures(_text(client.get("/statistics")))
    api = client.get("/api/v1/statistics").get_json()
    expected_proposals = {"in_review": 1, "lapsed": 1, "established": 2, "responded": 1}
    assert api["proposals_by_status"] == expected_proposals
    assert api["consultations_by_status"] == {"closed": 1}
    assert (api["endorsements"], api["responses_overdue"], api["responses_published"]) == (6, 1, 1)
    from_page = {
        "proposals": {k.split(".")[1]: n for k, n in page.items() if k.startswith("proposals.")},
        "consultations": {
            k.split(".")[1]: n for k, n in page.items() if k.startswith("consultations.")
        },
    }
    assert from_page["proposals"] == api["proposals_by_status"]
    assert from_page["consultations"] == api["consultations_by_status"]
    assert page["endorsements"] == api["endorsements"]
    assert page["overdue"] == api["responses_overdue"]


def test_mail_queued_by_a_refused_request_is_never_sent(app, client, login, cast, req):
    from participate.models import MailMessage, Notification, NotificationKind

    freeze(app, T0)
    c = make_consultation(cast, days=10)
    with unit():
        operations.follow(cast.get("citizen"), c, T0)
    cid, measures = c.id, [m.id for m in c.measures]
    db.session.remove()
    freeze(app, T0 + 11 * DAY)  # closed on read; the sweep has not stored it
    login(client, cast.staff)
    # Publishing with nothing filled in: the operation first stores the closing (which
    # notifies the followers and queues their mail), then refuses the incomplete answer.
    resp = client.post(f"/proposals/{cid}/response", data={"overall": "", "publish": "1"})
    assert resp.status_code == 400
    html = _text(resp)
    assert _field_error(html, "overall") and _field_error(html, f"decision_{measures[0]}")

    def mailed() -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(MailMessage.recipient == cast.citizen.email)
        )

    # The refusal undid the closing, its notifications and the mail queued with them.
    db.session.remove()
    assert db.session.get(Proposal, cid).status == S.OPEN
    assert not db.session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.CLOSED)
    ).all()
    assert mailed() == 0
    # The sweep stores the closing later: that mail is sent, once.
    with unit():
        assert operations.sweep(T0 + 11 * DAY) == 1
    assert mailed() == 1
