"""The opinion report: analysis runs and their bookkeeping, the debounce, stability between
versions, the report page, exports, permissions, the demo seeder and the catch-up task.

Analyses run synchronously here (``scheduler.run_analysis``, what the task calls); the real
consumer process is exercised in ``test_reports_worker.py``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, insert, select, update

from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Analysis,
    AnalysisState,
    AnalysisStatus,
    ContentStatus,
    Proposal,
    ProposalStatus,
    Statement,
    User,
    Vote,
    VoteHistory,
    WorkerHeartbeat,
)
from participate.reports import queries, scheduler
from participate.timeutil import aware, utcnow
from tests.reports_fixtures import cast, make_camps, make_people, make_proposal


def _run(app, discussion_id, trigger="command", **kw):
    with app.app_context():
        out = scheduler.run_analysis(discussion_id, trigger, requeue=False, **kw)
        db.session.remove()
        return out


def _analysis(app, analysis_id) -> dict:
    with app.app_context():
        row = db.session.get(Analysis, analysis_id)
        data = {
            "status": row.status,
            "version": row.version,
            "result": row.result,
            "error": row.error,
            "vote_count": row.vote_count,
            "last_vote_id": row.last_vote_id,
            "parameters": row.parameters,
            "timings": row.timings,
        }
        db.session.remove()
        return data


@pytest.fixture()
def camps(app):
    return make_camps(app, people=24)


# --- Runs and bookkeeping -------------------------------------------------------------------


def test_run_stores_a_versioned_row_with_watermark_and_two_groups(app, camps):
    out = _run(app, camps.discussion_id)
    assert out.status == "succeeded"
    row = _analysis(app, out.analysis_id)
    assert row["status"] == AnalysisStatus.SUCCEEDED and row["version"] == 1
    assert row["vote_count"] == 24 * 10
    with app.app_context():
        assert row["last_vote_id"] == db.session.scalar(select(func.max(VoteHistory.id)))
    result = row["result"]
    assert result["k"] == 2
    sizes = sorted(g["size"] for g in result["groups"])
    assert sizes == sorted([len(camps.camp_a), len(camps.camp_b)])
    members = {frozenset(g["members"]) for g in result["groups"]}
    assert members == {frozenset(camps.camp_a), frozenset(camps.camp_b)}
    assert result["platform"]["voters"] == 24
    assert row["parameters"]["nlp"]["max_groups"] == 5
    assert row["timings"]["total_s"] > 0


def test_second_analysis_with_one_more_vote_keeps_group_ids_and_orientation(app, camps):
    first = _analysis(app, _run(app, camps.discussion_id).analysis_id)["result"]
    newcomer = make_people(app, 1, "late")[0]
    cast(app, newcomer, camps.statement_ids[0], 1)
    second_out = _run(app, camps.discussion_id)
    second = _analysis(app, second_out.analysis_id)
    assert second["version"] == 2 and second["parameters"]["previous_version"] == 1
    second = second["result"]

    def by_id(result):
        return {g["id"]: set(g["members"]) for g in result["groups"]}

    old, new = by_id(first), by_id(second)
    assert old.keys() == new.keys()
    for gid, members in old.items():
        assert members <= new[gid]  # same people under the same number
    common = sorted(set(first["projection"]) & set(second["projection"]))
    a = np.array([first["projection"][p] for p in common])
    b = np.array([second["projection"][p] for p in common])
    for axis in (0, 1):
        assert np.corrcoef(a[:, axis], b[:, axis])[0, 1] > (0.9 if axis == 0 else 0.3)


def test_unchanged_input_makes_no_new_version_unless_forced(app, camps):
    _run(app, camps.discussion_id)
    with app.app_context():
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(requested_at=utcnow(), last_started_at=None)
        )
        db.session.commit()
    assert _run(app, camps.discussion_id, "catch-up").status == "unchanged"
    assert _run(app, camps.discussion_id, "staff").status == "succeeded"
    with app.app_context():
        assert db.session.scalar(select(func.max(Analysis.version))) == 2


def test_failed_run_records_error_and_keeps_the_previous_report(
    app, client, camps, make_user, login
):
    good = _run(app, camps.discussion_id)
    failed = _run(app, camps.discussion_id, "staff", params={"max_groups": 1})
    assert failed.status == "failed"
    row = _analysis(app, failed.analysis_id)
    assert row["status"] == AnalysisStatus.FAILED and row["result"] is None
    assert "max_groups must be an integer 2..9" in row["error"]
    with app.app_context():
        assert queries.latest_succeeded(camps.discussion_id).id == good.analysis_id
        state = db.session.get(AnalysisState, camps.discussion_id)
        assert state.failures == 1 and state.running_since is None
        assert state.requested_at is not None  # still wanted: the retry will run it
        # The back-off grows with each failure.
        assert scheduler.backoff(1) < scheduler.backoff(2) < scheduler.backoff(3)
        assert scheduler.earliest_run(state, utcnow()) > utcnow() + timedelta(seconds=20)

    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "第 1 群" in html and "max_groups" not in html
    login(client, make_user(role="moderator"))
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "max_groups must be an integer 2..9" in html
    assert "下方顯示的仍是第 1 版的報告" in html
    status = client.get(f"/proposals/{camps.proposal_id}/report/status.json").json
    assert status["last_failed"] is True and "max_groups" in status["last_error"]


def test_corrupt_votes_fail_the_run_with_a_clear_error(app, camps):
    with app.app_context():
        db.session.execute(
            insert(VoteHistory).values(
                discussion_id=camps.discussion_id,
                statement_id=camps.statement_ids[0],
                participant_id=camps.user_ids[0],
                value=7,
            )
        )
        db.session.commit()
    out = _run(app, camps.discussion_id)
    assert out.status == "failed" and "value other than -1, 0, 1" in out.error


# --- Debounce -------------------------------------------------------------------------------


def test_votes_schedule_one_task_and_one_run_at_a_time(app):
    camps = make_camps(app, people=8, via_rule=True)
    with app.app_context():
        state = db.session.get(AnalysisState, camps.discussion_id)
        # The 80 votes left exactly one scheduled slot and a request.
        assert state.scheduled_for is not None and state.requested_at is not None
        with unit():
            assert scheduler.request_analysis(camps.discussion_id) is False  # slot taken
        # A run in flight: nobody else may start, a forced run re-queues itself.
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(running_since=utcnow())
        )
        db.session.commit()
        assert scheduler.run_analysis(camps.discussion_id, "staff", requeue=False).status == "busy"
        # A dead run (older than the timeout) no longer blocks.
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(running_since=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
        out = scheduler.run_analysis(camps.discussion_id, "vote", requeue=False)
        assert out.status == "succeeded"
        # Right after a run, a vote-triggered run waits for the debounce.
        cast(app, camps.user_ids[0], camps.statement_ids[0], 0)
        out = scheduler.run_analysis(camps.discussion_id, "vote", requeue=False)
        assert out.status == "too_soon"
        started = db.session.get(AnalysisState, camps.discussion_id).last_started_at
        assert out.retry_at >= aware(started) + timedelta(seconds=29)
        db.session.remove()


def test_nothing_requested_means_no_run(app, camps):
    _run(app, camps.discussion_id)
    with app.app_context():
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(last_started_at=None)
        )
        db.session.commit()
    assert _run(app, camps.discussion_id, "vote").status == "nothing"


def test_catch_up_finds_missed_votes_and_dead_runs(app):
    proposal_id, discussion_id = make_proposal(app)
    people = make_people(app, 3)
    with app.app_context():
        s = Statement(discussion_id=discussion_id, text="計程車應該全面電動化")
        db.session.add(s)
        db.session.flush()
        # Votes written without the hook (a bulk import): nobody asked for an analysis.
        for uid in people:
            db.session.add(
                Vote(discussion_id=discussion_id, statement_id=s.id, participant_id=uid, value=1)
            )
            db.session.add(
                VoteHistory(
                    discussion_id=discussion_id, statement_id=s.id, participant_id=uid, value=1
                )
            )
        db.session.commit()
        assert db.session.get(AnalysisState, discussion_id) is None
        counts = scheduler.catch_up()
        assert counts["missed"] == 1
        assert db.session.get(AnalysisState, discussion_id).scheduled_for is not None

        # A run whose worker died: marked failed, and the work requested again.
        row = Analysis(
            discussion_id=discussion_id,
            version=1,
            status=AnalysisStatus.RUNNING,
            parameters={},
            timings={},
        )
        db.session.add(row)
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == discussion_id)
            .values(running_since=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
        counts = scheduler.catch_up()
        assert counts["dead"] == 1
        db.session.refresh(row)
        assert row.status == AnalysisStatus.FAILED and "worker stopped" in row.error
        db.session.remove()


# --- The page ------------------------------------------------------------------------------


def test_report_page_sections(app, client, camps, make_user, login):
    _run(app, camps.discussion_id)
    voter = camps.camp_a[0]
    from participate.auth.passwords import hash_password
    from tests.conftest import PASSWORD

    with app.app_context():
        user = db.session.get(User, voter)
        user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    resp = client.get(f"/proposals/{camps.proposal_id}/report")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for text in (
        "概覽",
        "給機關的摘要",
        "意見地圖",
        "以表格呈現意見地圖",
        "共識",
        "各群都同意",
        "意見群",
        "各群分歧最大之處",
        "大家拿不定主意之處",
        "所有意見",
        "第 1 群",
        "第 2 群",
    ):
        assert text in html, text
    assert '<title id="map-title">' in html and '<desc id="map-desc">' in html
    assert 'role="img"' in html
    # Consensus: the two statements everyone agreed with.
    consensus = html.split("各群都同意", 1)[1].split("各群都反對", 1)[0]
    assert "叫車平台的資料應該公開給主管機關以保障安全" in consensus
    # Plain-language division sentence with its numbers.
    assert "討論分歧明顯" in html
    # The summary links its statements.
    summary = html.split('id="summary-heading"', 1)[1].split('id="map-heading"', 1)[0]
    assert 'href="#s' in summary
    # Not logged in: no ring, no exports, no re-run button.
    assert 'class="you"' not in html and "立即重新分析" not in html and "report.csv" not in html

    login(client, user)
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert 'class="you"' in html and "您所在的群" in html


def test_english_report(app, client, camps):
    _run(app, camps.discussion_id)
    client.get("/lang/en")
    text = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "Opinion report" in text and "Group 1" in text and "Common ground" in text
    assert "The discussion is clearly divided" in text


def test_report_without_analysis_and_before_publication(app, client, make_user, login):
    proposal_id, _did = make_proposal(app)
    html = client.get(f"/proposals/{proposal_id}/report").get_data(as_text=True)
    assert "尚無分析" in html
    with app.app_context():
        db.session.get(Proposal, proposal_id).status = ProposalStatus.DRAFT
        db.session.commit()
    assert client.get(f"/proposals/{proposal_id}/report").status_code == 404
    assert client.get("/proposals/999999/report").status_code == 404


def test_hidden_statement_leaves_the_report_at_once(app, client, camps):
    _run(app, camps.discussion_id)
    target = camps.statement_ids[-1]
    with app.app_context():
        text = db.session.get(Statement, target).text
        db.session.get(Statement, target).status = ContentStatus.HIDDEN
        db.session.commit()
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert text not in html


def test_in_flight_state_is_shown_and_polled(app, client, camps):
    _run(app, camps.discussion_id)
    with app.app_context():
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(running_since=utcnow() - timedelta(seconds=12))
        )
        db.session.commit()
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "更新中：新的分析已在 12 秒前開始" in html
    assert "請稍後重新整理頁面查看" in html  # the no-JS hint
    status = client.get(f"/proposals/{camps.proposal_id}/report/status.json").json
    assert status["state"] == "running" and status["latest_version"] == 1
    assert "last_error" not in status  # diagnostics are for staff


# --- Permissions and re-analyse --------------------------------------------------------------


def test_reanalyse_is_for_the_agency_moderators_and_admins(
    app, client, camps, make_user, make_agency, login
):
    agency, other = make_agency(), make_agency()
    with app.app_context():
        db.session.get(Proposal, camps.proposal_id).owner_agency_id = agency.id
        db.session.commit()
    url = f"/proposals/{camps.proposal_id}/report/reanalyse"
    assert client.post(url).status_code == 401
    login(client, make_user())
    assert client.post(url).status_code == 403
    client = login(app.test_client(), make_user(role="agency_staff", agency=other))
    assert client.post(url).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Analysis)) == 0

    client = login(app.test_client(), make_user(role="agency_staff", agency=agency))
    resp = client.post(url)
    assert resp.status_code == 302
    with app.app_context():  # immediate mode: the task ran inside the request
        assert queries.latest_succeeded(camps.discussion_id) is not None
        assert db.session.scalar(
            select(func.count()).select_from(Analysis).where(Analysis.trigger == "staff")
        )
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "立即重新分析" in html and "最近的分析紀錄" in html
    # Without the CSRF token the form is refused.
    assert client.post(url, csrf=False).status_code == 400
    client = login(app.test_client(), make_user(role="moderator"))
    assert client.post(url, headers={"Accept": "application/json"}).status_code == 202


def test_stale_worker_banner_for_staff(app, client, camps, make_user, login):
    _run(app, camps.discussion_id)
    with app.app_context():
        db.session.execute(
            update(AnalysisState)
            .where(AnalysisState.discussion_id == camps.discussion_id)
            .values(requested_at=utcnow() - timedelta(minutes=10))
        )
        db.session.add(WorkerHeartbeat(name="gone:1", seen_at=utcnow() - timedelta(minutes=30)))
        db.session.commit()
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "意見分析已過時" not in html  # the public does not see it
    login(client, make_user(role="moderator"))
    html = client.get(f"/proposals/{camps.proposal_id}/report").get_data(as_text=True)
    assert "意見分析已過時：背景工作程式最後一次運作是在" in html
    assert "在它恢復運作前，新的投票不會被分析" in html


# --- Exports -------------------------------------------------------------------------------


def _responsible(app, proposal_id: int, agency) -> None:
    from participate.models import Agency, Proposal

    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.owner_agency_id = agency.id
        proposal.responsible_agencies = [db.session.get(Agency, agency.id)]
        db.session.commit()


def test_exports_are_for_the_responsible_agencies_and_moderators(
    app, client, camps, make_user, make_agency, login
):
    """``policy.can_export(user, proposal)``: staff of another agency see the public report
    but not its data; staff of a responsible agency and moderators download it."""
    _run(app, camps.discussion_id)
    pid = camps.proposal_id
    ours, theirs = make_agency(), make_agency()
    _responsible(app, pid, ours)
    for who, status in (
        (None, 403),
        (make_user(), 403),
        (make_user(role="agency_staff", agency=theirs), 403),
        (make_user(role="agency_staff", agency=ours), 200),
        (make_user(role="moderator"), 200),
        (make_user(role="admin"), 200),
    ):
        viewer = app.test_client()  # a browser of its own for each person
        if who is not None:
            login(viewer, who)
        for fmt in ("csv", "json"):
            assert viewer.get(f"/proposals/{pid}/report.{fmt}").status_code == status, (who, fmt)
        page = viewer.get(f"/proposals/{pid}/report").get_data(as_text=True)
        assert page.count(f"/proposals/{pid}/report.csv") == (1 if status == 200 else 0), who
        if status == 403:
            assert "負責這項提案的機關人員與審核員，還可以下載這份報告背後的資料。" in page


def test_csv_and_json_exports(app, client, camps, make_user, make_agency, login):
    _run(app, camps.discussion_id)
    pid = camps.proposal_id
    assert client.get(f"/proposals/{pid}/report.csv").status_code == 403
    agency = make_agency()
    _responsible(app, pid, agency)
    login(client, make_user(role="agency_staff", agency=agency))
    resp = client.get(f"/proposals/{pid}/report.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 10
    with app.app_context():
        counts = {
            s.id: (s.agree_count, s.disagree_count, s.pass_count)
            for s in db.session.scalars(
                select(Statement).where(Statement.discussion_id == camps.discussion_id)
            )
        }
    for row in rows:
        sid = int(row["statement_id"])
        assert (int(row["agree"]), int(row["disagree"]), int(row["pass"])) == counts[sid]
        grouped = sum(int(row[f"group_{n}_seen"]) for n in (1, 2))
        assert grouped == int(row["seen"])  # everyone here is in a group
    assert {r["consensus"] for r in rows} >= {"agree"}

    data = client.get(f"/proposals/{pid}/report.json").json
    assert data["analysis"]["version"] == 1 and len(data["statements"]) == 10
    assert [g["size"] for g in data["groups"]]
    assert len(data["map_points"]) == 24
    raw = json.dumps(data)
    # No participant identifier leaves in an export: no member lists, no keyed projection.
    assert '"members"' not in raw and '"projection"' not in raw
    assert all(len(p) == 3 and p[2] in (0, 1) for p in data["map_points"])


def test_printable_view_has_no_site_chrome(app, client, camps):
    _run(app, camps.discussion_id)
    html = client.get(f"/proposals/{camps.proposal_id}/report/print").get_data(as_text=True)
    assert "site-header" not in html and "main-nav" not in html and "<form" not in html
    assert "第 1 群" in html and "@page" not in html  # the A4 rule lives in reports.css


# --- Demo seeder -----------------------------------------------------------------------------


def test_demo_seeder_analyses_each_voted_discussion_once(app, camps):
    from participate.reports.demo import seed_analyses

    lines: list[str] = []
    with app.app_context():
        seed_analyses(lines.append)
        seed_analyses(lines.append)
        assert db.session.scalar(select(func.count()).select_from(Analysis)) == 1
        db.session.remove()
    assert len(lines) == 1 and "succeeded" in lines[0]


# --- Agency response link-up ------------------------------------------------------------------


def test_response_link_up_helpers(app, client, camps):
    from flask import render_template_string

    from participate.reports.linkup import (
        clean_linked_ids,
        linked_statements_for,
        statement_choices,
    )

    _run(app, camps.discussion_id)
    other_pid, other_did = make_proposal(app, "另一個提案")
    with app.test_request_context():
        stranger = Statement(discussion_id=other_did, text="別的討論的意見")
        db.session.add(stranger)
        db.session.commit()
        proposal = db.session.get(Proposal, camps.proposal_id)
        choices = statement_choices(proposal)
        assert choices and choices[0].reason == "各群都同意"  # common ground first
        assert {c.reason for c in choices} >= {"第 1 群", "第 2 群"}
        first, second = choices[0].id, choices[-1].id
        assert clean_linked_ids(proposal, [str(first), first, second]) == [first, second]
        with pytest.raises(RuleError) as err:
            clean_linked_ids(proposal, [first, stranger.id])
        assert err.value.field == "linked_statements" and f"#{stranger.id}" in err.value.message

        class Point:  # the proposals area's ResponsePoint has this attribute
            linked_statement_ids = [first, second]

        items = linked_statements_for(Point(), proposal)
        assert [i.id for i in items] == [first, second]
        assert items[0].reason == "各群都同意" and items[0].tally.seen == 24
        html = render_template_string(
            '{% from "reports/_linkup.html" import linked_statements, statement_options, '
            "statement_picker %}"
            "{{ linked_statements(linked_statements_for(point, proposal), proposal) }}"
            '{{ statement_options("report-statements", statement_choices(proposal)) }}'
            '{{ statement_picker("links", statement_choices(proposal), [first]) }}',
            point=Point(),
            proposal=proposal,
            first=first,
        )
        assert "這一點回應了討論中的 2 則意見" in html and f"#{first}" in html
        assert f'value="{first}" checked' in html  # linked: a ticked box
        assert f'<option value="#{first} ' in html  # and every offered one in the list
        assert 'list="report-statements"' in html
        assert f"/proposals/{camps.proposal_id}/report" in html
        db.session.remove()


# --- The map ------------------------------------------------------------------------------------


def _synthetic_result(n: int) -> dict:
    rng = np.random.default_rng(3)
    projection, members = {}, {0: [], 1: [], 2: []}
    for i in range(n):
        g = i % 3
        centre = [(-1.0, 0.0), (1.0, 0.5), (0.0, -1.0)][g]
        projection[str(i + 1)] = [float(centre[0] + rng.normal(0, 0.2)), float(centre[1])]
        if i % 10:  # every tenth person is not grouped
            members[g].append(i + 1)
    groups = [{"id": g, "members": m, "size": len(m)} for g, m in members.items()]
    return {"projection": projection, "groups": groups}


def test_map_svg_is_accessible_and_readable_without_colour():
    from participate.reports import svg

    assert len(set(svg.SHAPES)) == len(svg.SHAPES) == len(svg.PALETTE)
    small = svg.render_map(
        _synthetic_result(60), "意見地圖", "描述 <&>", {0: "1", 1: "2", 2: "3"}, viewer_id=5
    )
    text = str(small.svg)
    assert text.startswith("<svg") and 'role="img"' in text
    assert '<title id="map-title">意見地圖</title>' in text
    assert "描述 &lt;&amp;&gt;" in text  # escaped
    assert not small.binned and text.count("<use ") == 60
    for g in range(3):  # each group: its own marker definition and its number on the map
        assert f'id="m{g}"' in text and f">{g + 1}</text>" in text
    assert 'class="you"' in text and small.ungrouped == 6
    assert small.centres[0][0] < 0 < small.centres[1][0]  # left and right groups

    big = svg.render_map(_synthetic_result(1900), "t", "d", {0: "1", 1: "2", 2: "3"})
    assert big.binned and big.points == 1900
    assert str(big.svg).count("<use ") < 400 and len(str(big.svg)) < 40_000


def test_analyse_command(app, camps):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["analyse", "--proposal", str(camps.proposal_id)])
    assert result.exit_code == 0 and "succeeded" in result.output
    assert runner.invoke(args=["analyse"]).exit_code != 0
    result = runner.invoke(args=["analyse", "--all"])
    assert result.exit_code == 0 and f"discussion {camps.discussion_id}" in result.output


def test_report_of_a_tiny_and_an_empty_discussion(app, client):
    proposal_id, discussion_id = make_proposal(app, "很小的討論")
    assert _run(app, discussion_id).status == "succeeded"  # no votes at all
    html = client.get(f"/proposals/{proposal_id}/report").get_data(as_text=True)
    assert "投票還不夠，暫時無法繪製地圖" in html and "目前還分不出明顯的意見群" in html

    people = make_people(app, 3)
    with app.app_context():
        s = Statement(discussion_id=discussion_id, text="公車應該增加班次")
        db.session.add(s)
        db.session.commit()
        sid = s.id
        from tests.reports_fixtures import bulk_votes

    bulk_votes(app, discussion_id, [(u, sid, 1) for u in people])
    assert _run(app, discussion_id).status == "succeeded"
    resp = client.get(f"/proposals/{proposal_id}/report")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "公車應該增加班次" in html
    assert "目前還分不出明顯的意見群" in html


def test_routing_priorities_for_the_voting_card(app, camps):
    from participate.reports.present import routing_priorities

    with app.app_context():
        assert routing_priorities(camps.discussion_id) == {}
    _run(app, camps.discussion_id)
    with app.app_context():
        prio = routing_priorities(camps.discussion_id)
        db.session.remove()
    assert set(prio) == set(camps.statement_ids) and all(p >= 0 for p in prio.values())


# --- Reading the votes in bulk -----------------------------------------------------------------


def test_inputs_are_read_in_bulk_as_arrays_in_event_order(app, camps):
    """The worker's reader (COPY on PostgreSQL, the driver's cursor on SQLite) returns the
    same events, in the same order, as the ORM would, as int64 arrays; a changed vote keeps
    both events; without history the current votes are read, oldest change first."""
    from participate.reports import engine

    cast(app, camps.user_ids[0], camps.statement_ids[0], -1)  # a changed vote: one more event
    with app.app_context():
        inputs = engine.load_inputs(camps.discussion_id)
        expect = db.session.execute(
            select(
                VoteHistory.id,
                VoteHistory.participant_id,
                VoteHistory.statement_id,
                VoteHistory.value,
                VoteHistory.created_at,
            )
            .where(VoteHistory.discussion_id == camps.discussion_id)
            .order_by(VoteHistory.id)
        ).all()
        assert isinstance(inputs.participants, np.ndarray)
        assert inputs.participants.dtype == np.int64 and inputs.values.dtype == np.int64
        assert inputs.participants.tolist() == [e[1] for e in expect]
        assert inputs.statements.tolist() == [e[2] for e in expect]
        assert inputs.values.tolist() == [e[3] for e in expect]
        assert inputs.vote_events == len(expect) == len(camps.user_ids) * 10 + 1
        assert inputs.last_vote_id == expect[-1][0]
        assert aware(inputs.last_vote_at) == aware(expect[-1][4])
        assert inputs.values[-1] == -1

        # Without history (a bulk import that wrote only current votes)
        db.session.execute(
            VoteHistory.__table__.delete().where(VoteHistory.discussion_id == camps.discussion_id)
        )
        db.session.flush()
        current = engine.load_inputs(camps.discussion_id)
        votes = db.session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value)
            .where(Vote.discussion_id == camps.discussion_id)
            .order_by(Vote.updated_at, Vote.id)
        ).all()
        assert current.participants.tolist() == [v[0] for v in votes]
        assert current.values.tolist() == [v[2] for v in votes]
        db.session.rollback()


def test_inputs_of_a_discussion_without_votes_are_empty_arrays(app):
    from participate.reports import engine

    _, discussion_id = make_proposal(app)
    with app.app_context():
        inputs = engine.load_inputs(discussion_id)
        assert inputs.participants.shape == (0,) and inputs.vote_events == 0
        assert inputs.last_vote_id is None and inputs.last_vote_at is None
