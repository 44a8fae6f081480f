"""The opinion report joined to proposals and the discussion: staff link a response point to
the report's statements and the public page shows them; report links on the proposal,
discussion, dashboard and agency pages; the voting card routed by the report's priorities."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select

from participate.extensions import db
from participate.models import (
    AgencyResponse,
    Discussion,
    Proposal,
    ResponsePoint,
    Statement,
    User,
    Vote,
)
from participate.models.discussion import get_or_create_discussion
from participate.reports import scheduler
from tests import proposals_fixtures as fixtures
from tests import reports_fixtures as rf
from tests.proposals_fixtures import DAY, T0, freeze, make_endorsing, make_established

cast = fixtures.cast
req = fixtures.req


def _text(resp: Any) -> str:
    return resp.get_data(as_text=True)


def _field_error(html: str, field_id: str) -> str:
    m = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)<', html)
    return m.group(1) if m else ""


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _analyse(app: Any, discussion_id: int) -> None:
    with app.app_context():
        out = scheduler.run_analysis(discussion_id, "command", requeue=False)
        assert out.status == "succeeded"
        db.session.remove()


def _discussed(app: Any, proposal: Proposal, people: int = 24) -> rf.Camps:
    """The two-camps discussion of the report tests, attached to ``proposal`` and analysed."""
    discussion = get_or_create_discussion(proposal)
    items = [Statement(discussion_id=discussion.id, text=t) for t in rf.TEXTS]
    db.session.add_all(items)
    db.session.commit()
    pid, did, sids = proposal.id, discussion.id, [s.id for s in items]
    uids = rf.make_people(app, people)
    half = people // 2 + 2
    camps = rf.Camps(pid, did, sids, uids, uids[:half], uids[half:])
    rf.bulk_votes(app, did, rf.camp_votes(camps))
    _analyse(app, did)
    return camps


def _response_form(measures: list[int], publish: bool = True) -> dict[str, Any]:
    form: dict[str, Any] = {"overall": "整體回應：我們採納大部分建議。"}
    if publish:
        form["publish"] = "1"
    else:
        form["save"] = "1"
    for mid in measures:
        form[f"decision_{mid}"] = "adopted"
        form[f"reasoning_{mid}"] = "理由"
        form[f"unit_{mid}"] = "公路局"
    return form


def _choices(app: Any, proposal_id: int) -> list[Any]:
    from participate.reports.linkup import statement_choices

    with app.test_request_context():
        choices = statement_choices(db.session.get(Proposal, proposal_id))
        db.session.remove()
    return choices


# --- Response link-up -------------------------------------------------------------------------


def test_staff_link_statements_to_a_point_and_the_public_page_shows_them(
    app, client, login, cast, req
):
    p = make_established(app, cast)
    camps = _discussed(app, p)
    pid = p.id
    measures = [m.id for m in p.measures]
    freeze(app, T0 + 10 * DAY)
    db.session.remove()
    choices = _choices(app, pid)
    consensus = [c.id for c in choices if c.reason == "各群都同意"]
    group = [c.id for c in choices if c.reason.startswith("第 ")]
    assert consensus and group
    first, second = consensus[0], group[0]

    login(client, cast.staff)
    page = _text(client.get(f"/proposals/{pid}/response"))
    # One searchable list of the report's statements for the whole form, common ground
    # first; each point has a search field over it, not a copy of every statement.
    assert page.count('<datalist id="report-statements">') == 1
    assert page.count(f'<option value="#{first} ') == 1
    assert page.index(f'<option value="#{first} ') < page.index(f'<option value="#{second} ')
    for mid in measures:
        assert f'name="linked_{mid}" id="linked_{mid}-find" list="report-statements"' in page
        assert f'id="linked_{mid}-{first}"' not in page

    # A choice from the list arrives as "#id words…"; a ticked box as the id.
    form = _response_form(measures, publish=False)
    form[f"linked_{measures[0]}"] = [f"#{first} 任何文字", ""]
    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 302
    page = _text(client.get(f"/proposals/{pid}/response"))  # the draft shows it ticked
    assert f'id="linked_{measures[0]}-{first}" value="{first}" checked' in page
    assert f'id="linked_{measures[1]}-{first}"' not in page
    form[f"linked_{measures[0]}"] = [str(first), f"#{second} 另一則"]

    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 302
    form["publish"], form["save"], form["confirm"] = "1", "", "y"
    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 302
    with app.app_context():
        links = {
            pt.measure_id: pt.linked_statement_ids
            for pt in db.session.scalars(select(ResponsePoint))
        }
        db.session.remove()
    assert links == {measures[0]: [first, second], **{m: None for m in measures[1:]}}

    client.post("/auth/logout")
    html = _text(client.get(f"/proposals/{pid}"))
    point = re.search(rf'<li id="measure-{measures[0]}">(.*?)</li>\s*<li id="measure-', html, re.S)
    assert point, html
    block = point.group(1)
    assert "這一點回應了討論中的 2 則意見" in block
    for sid in (first, second):  # each links to its row in the report, with its vote shares
        assert f'href="/proposals/{pid}/report#s{sid}">#{sid}</a>' in block
    assert rf.TEXTS[8] in block or rf.TEXTS[9] in block  # a common-ground statement
    assert "% 同意" in block
    other = re.search(rf'<li id="measure-{measures[1]}">(.*?)</li>', html, re.S)
    assert other and "linked-statements" not in other.group(1)
    report = _text(client.get(f"/proposals/{pid}/report"))
    assert f'id="s{first}"' in report and f'id="s{second}"' in report
    assert camps.proposal_id == pid


def test_a_bogus_statement_id_is_refused_next_to_the_field_and_nothing_written(
    app, client, login, cast, req
):
    p = make_established(app, cast)
    camps = _discussed(app, p, people=12)
    pid, measures = p.id, [m.id for m in p.measures]
    newer = Statement(discussion_id=camps.discussion_id, text="分析之後才加入的意見")
    db.session.add(newer)
    other = make_endorsing(cast)
    stranger = Statement(discussion_id=get_or_create_discussion(other).id, text="別的提案的意見")
    db.session.add(stranger)
    db.session.commit()
    stranger_id, newer_id = stranger.id, newer.id
    freeze(app, T0 + 10 * DAY)
    db.session.remove()
    first = _choices(app, pid)[0].id
    login(client, cast.staff)

    for publish in (True, False):
        form = _response_form(measures, publish=publish)
        form[f"linked_{measures[1]}"] = [str(first), str(stranger_id)]
        resp = client.post(f"/proposals/{pid}/response", data=form)
        assert resp.status_code == 400
        html = _text(resp)
        assert f"#{stranger_id}" in _field_error(html, f"linked_{measures[1]}")
        assert "這些意見不屬於這場討論" in _field_error(html, f"linked_{measures[1]}")
        assert not _field_error(html, f"linked_{measures[0]}")
        assert f'href="#linked_{measures[1]}"' in html  # the error summary points at it
        assert _count(app, AgencyResponse) == 0 and _count(app, ResponsePoint) == 0

    form = _response_form(measures, publish=False)
    form[f"linked_{measures[0]}"] = "not-a-number"
    resp = client.post(f"/proposals/{pid}/response", data=form)
    assert resp.status_code == 400
    assert _field_error(_text(resp), f"linked_{measures[0]}")
    assert _count(app, AgencyResponse) == 0

    # A saved draft is left as it was when a later save names a bad id.
    form = _response_form(measures, publish=False)
    form[f"linked_{measures[0]}"] = [str(first)]
    assert client.post(f"/proposals/{pid}/response", data=form).status_code == 302
    form["overall"] = "改過的回應"
    form[f"linked_{measures[0]}"] = [str(first), str(stranger_id)]
    assert client.post(f"/proposals/{pid}/response", data=form).status_code == 400
    with app.app_context():
        response = db.session.scalar(select(AgencyResponse))
        assert response.overall == "整體回應：我們採納大部分建議。"
        by_measure = {pt.measure_id: pt.linked_statement_ids for pt in response.points}
        assert by_measure[measures[0]] == [first]
        db.session.remove()

    # A statement newer than the report is not offered but may be linked; once linked it
    # stays offered, ticked, so saving again keeps it.
    form = _response_form(measures, publish=False)
    form[f"linked_{measures[0]}"] = [str(first), str(newer_id)]
    assert client.post(f"/proposals/{pid}/response", data=form).status_code == 302
    page = _text(client.get(f"/proposals/{pid}/response"))
    assert f'id="linked_{measures[0]}-{newer_id}" value="{newer_id}" checked' in page
    assert "先前已連結" in page
    assert f'id="linked_{measures[1]}-{newer_id}"' not in page


# --- Links to the report -----------------------------------------------------------------------


def test_report_links_on_proposal_discussion_dashboard_and_agency_pages(
    app, client, login, cast, req
):
    p = make_established(app, cast)
    _discussed(app, p, people=12)
    bare = make_established(app, cast)
    pid, bare_id, slug = p.id, bare.id, cast.agency.slug
    # Acceptance opens the discussion; one without (older data) has no report to link.
    db.session.execute(delete(Discussion).where(Discussion.proposal_id == bare_id))
    db.session.commit()
    db.session.remove()
    link = f'href="/proposals/{pid}/report"'
    bare_link = f'href="/proposals/{bare_id}/report"'

    html = _text(client.get(f"/proposals/{pid}"))
    assert re.search(rf'<a class="report-link" {link}>意見報告</a>', html)
    assert bare_link not in _text(client.get(f"/proposals/{bare_id}"))
    assert link in _text(client.get(f"/proposals/{pid}/discussion"))
    agency = _text(client.get(f"/agencies/{slug}"))
    assert link in agency and bare_link not in agency

    login(client, cast.staff)
    dashboard = _text(client.get("/staff/"))
    assert dashboard.count(link) >= 2  # in "needs your action" and in the table
    assert bare_link not in dashboard
    assert client.get(f"/proposals/{pid}/report").status_code == 200


# --- The voting card with the report's routing priorities ---------------------------------------


def test_card_routed_by_report_priorities_never_offers_a_voted_statement(
    app, client, login, make_user
):
    from participate.reports.present import routing_priorities

    camps = rf.make_camps(app, people=16)
    _analyse(app, camps.discussion_id)
    with app.app_context():
        assert routing_priorities(camps.discussion_id)  # the card has priorities to use
        db.session.remove()
    voter = make_user()
    for sid in camps.statement_ids[:3]:  # some votes before the card
        rf.cast(app, voter.id, sid, 1)
    login(client, voter)
    voted = set(camps.statement_ids[:3])
    card_url = f"/proposals/{camps.proposal_id}/discussion/vote"
    for _ in range(len(camps.statement_ids)):
        html = _text(client.get(card_url))
        found = re.search(r'data-statement="(\d+)"', html)
        if found is None:
            break
        sid = int(found.group(1))
        assert sid not in voted
        resp = client.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"})
        assert resp.status_code == 302
        voted.add(sid)
    assert voted == set(camps.statement_ids)
    assert "您已對所有意見表態" in _text(client.get(card_url))
    with app.app_context():
        mine = db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.participant_id == voter.id)
        )
        assert mine == len(camps.statement_ids)
        assert db.session.get(User, voter.id) is not None
        db.session.remove()
