"""Major projects under public oversight, end to end on the real database (SQLite, and
PostgreSQL with ``PARTICIPATE_TEST_BACKEND=postgresql``): the agency's pages and the
public's, through the test client with CSRF, on a frozen clock; what the operations wrote
(rows, audit entries, notifications, mail in the dev outbox), the ranked list and its
filters, ``/api/v1/projects``, the open-data tables, personal data and the demo."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from participate.boundary import unit
from participate.extensions import db
from participate.models import (
    AuditLog,
    BannedTerm,
    MailMessage,
    ProgressReport,
    Project,
    ProjectFollow,
    ProjectNotification,
    ProjectNotificationKind,
    ProjectQuestion,
    ProjectStatus,
    Proposal,
    ProposalKind,
    QuestionStatus,
    User,
)
from participate.projects import operations

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in Taipei
DAY = timedelta(days=1)


@dataclass
class World:
    agency: Any
    other_agency: Any
    staff: Any
    other_staff: Any
    citizen: Any
    follower: Any
    moderator: Any
    admin: Any

    def get(self, name: str) -> User:
        return db.session.get(User, getattr(self, name).id)


@pytest.fixture()
def world(app, make_user, make_agency) -> World:
    app.config["FROZEN_NOW"] = T0
    agency = make_agency(slug="motc", name_zh="交通部", name_en="Ministry of Transportation")
    other = make_agency(slug="mohw", name_zh="衛生福利部", name_en="Ministry of Health")
    return World(
        agency=agency,
        other_agency=other,
        staff=make_user(role="agency_staff", agency=agency, name="交通部承辦"),
        other_staff=make_user(role="agency_staff", agency=other, name="衛福部承辦"),
        citizen=make_user(name="市民甲"),
        follower=make_user(name="追蹤者"),
        moderator=make_user(role="moderator", name="審核員"),
        admin=make_user(role="admin", name="管理員"),
    )


def project_input(**kw: Any) -> operations.ProjectInput:
    data: dict[str, Any] = {
        "name": "花東鐵路雙軌電氣化計畫",
        "summary": "花東鐵路全線雙軌化。",
        "goals": "縮短行車時間。",
        "total_budget": 2_000_000,
        "budgets": {2026: 800_000, 2027: 1_200_000},
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2027, 12, 31),
        "counties": ["HUA", "TTT"],
        "kpis": [operations.KpiInput("雙軌化里程", "公里", 155.0)],
        "milestones": [
            operations.MilestoneInput("第一標段開工", date(2026, 9, 30)),
            operations.MilestoneInput("完成綜合規劃", date(2026, 3, 31)),
        ],
        "links": ["https://example.tw/plan.pdf"],
    }
    data.update(kw)
    return operations.ProjectInput(**data)


def publish(app, world: World, staff: str = "staff", approve: bool = False, **kw: Any) -> int:
    with app.app_context():
        with unit():
            p = operations.publish_project(world.get(staff), project_input(**kw), T0)
            if approve:
                operations.approve_project(world.get(staff), p, T0)
            pid = p.id
        db.session.remove()
    return pid


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


# --------------------------------------------------------------------------- publish


PROJECT_FORM = {
    "name": "偏鄉長照據點擴充計畫",
    "summary": "新設長照據點。",
    "goals": "據點涵蓋率達九成。",
    "starts_on": "2026-04-01",
    "ends_on": "2028-12-31",
    "total_budget": "1,500,000",
    "budgets": "2026: 300,000\n2027：600,000\n2028: 600,000",
    "counties": ["NAN", "TTT"],
    "kpis": "新設據點 | 120 | 處\n涵蓋率｜90｜%",
    "milestones": "2026-06-30 完成需求盤點\n2027-03-31 首批據點開辦",
    "links": "https://example.tw/care.pdf",
}


def test_staff_publish_a_project_through_the_form(app, client, login, world):
    login(client, world.staff)
    resp = client.post("/projects/new", data=PROJECT_FORM)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        p = db.session.scalar(select(Project))
        assert resp.headers["Location"].endswith(f"/projects/{p.id}")
        assert (p.agency_id, p.author_id, p.status) == (
            world.agency.id,
            world.staff.id,
            ProjectStatus.PLANNING,
        )
        assert p.total_budget == 1_500_000
        assert [(b.year, b.amount) for b in p.budgets] == [
            (2026, 300_000),
            (2027, 600_000),
            (2028, 600_000),
        ]
        assert p.county_codes == ["NAN", "TTT"]
        assert [(k.name, k.target, k.unit) for k in p.kpis] == [
            ("新設據點", 120.0, "處"),
            ("涵蓋率", 90.0, "%"),
        ]
        assert [(m.title, m.planned_on) for m in p.milestones] == [
            ("完成需求盤點", date(2026, 6, 30)),
            ("首批據點開辦", date(2027, 3, 31)),
        ]
        assert _count(AuditLog, AuditLog.action == "project.publish") == 1
        assert _count(ProjectFollow, ProjectFollow.user_id == world.staff.id) == 1
        pid = p.id
    html = _page(client, f"/projects/{pid}")
    assert "偏鄉長照據點擴充計畫" in html and "南投縣、臺東縣" in html
    assert "新臺幣 1,500,000 元" in html


def test_a_refused_project_shows_its_errors_beside_the_fields_and_writes_nothing(
    app, client, login, world
):
    login(client, world.staff)
    resp = client.post("/projects/new", data={**PROJECT_FORM, "total_budget": "1,600,000"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'id="budgets-error"' in html and "各年度經費的合計必須等於總經費" in html
    resp = client.post("/projects/new", data={**PROJECT_FORM, "kpis": "只有名稱"})
    assert resp.status_code == 400
    assert "只有名稱" in resp.get_data(as_text=True)  # the line that did not parse
    resp = client.post(
        "/projects/new", data={**PROJECT_FORM, "milestones": "2030-01-01 期程外的查核點"}
    )
    assert resp.status_code == 400
    assert "每個查核點都需要名稱，以及計畫期程內的日期" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(Project) == 0
        assert _count(AuditLog, AuditLog.action == "project.publish") == 0


def test_only_agency_staff_publish(client, login, world):
    assert client.get("/projects/new").status_code == 302  # to the login page
    login(client, world.citizen)
    assert client.get("/projects/new").status_code == 403
    assert client.post("/projects/new", data=PROJECT_FORM).status_code == 403


# --------------------------------------------------------------------------- questions


def test_citizen_asks_and_the_agency_answers_in_public(app, client, login, world):
    pid = publish(app, world)
    login(client, world.citizen)
    resp = client.post(f"/projects/{pid}/questions", data={"text": "施工期間的替代接駁怎麼安排？"})
    assert resp.status_code == 302
    with app.app_context():
        q = db.session.scalar(select(ProjectQuestion))
        assert q.status == QuestionStatus.VISIBLE and q.author_id == world.citizen.id
        assert _count(ProjectFollow, ProjectFollow.user_id == world.citizen.id) == 1
        qid = q.id
    app.config["FROZEN_NOW"] = T0 + 3 * DAY
    html = _page(client, f"/projects/{pid}")
    assert "1 則提問尚未回覆" in html and "最久的已等待 3 天" in html

    # Staff of another agency cannot answer: refused, nothing stored.
    other = app.test_client()
    login(other, world.other_staff)
    resp = other.post(
        f"/projects/questions/{qid}/answer", data={f"q{qid}-answer": "不是我們的計畫"}
    )
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(ProjectQuestion, qid).answered_at is None

    staff = app.test_client()
    login(staff, world.staff)
    assert f'name="q{qid}-answer"' in _page(staff, f"/projects/{pid}")
    answer = "施工期間將加開接駁公車。"
    resp = staff.post(f"/projects/questions/{qid}/answer", data={f"q{qid}-answer": answer})
    assert resp.status_code == 302
    with app.app_context():
        q = db.session.get(ProjectQuestion, qid)
        assert q.answer == answer and q.answer_agency_id == world.agency.id
        note = db.session.scalar(select(ProjectNotification))
        assert (note.user_id, note.kind) == (world.citizen.id, ProjectNotificationKind.ANSWERED)
        assert note.emailed_at is not None  # mailed after the commit, by the Huey task
        mail = db.session.scalar(
            select(MailMessage).where(MailMessage.recipient == world.citizen.email)
        )
        assert "機關已回覆您對「花東鐵路雙軌電氣化計畫」的提問" in mail.subject
    html = _page(app.test_client(), f"/projects/{pid}")
    assert answer in html and "0 則提問尚未回覆" in html
    # A second answer is refused.
    resp = staff.post(f"/projects/questions/{qid}/answer", data={f"q{qid}-answer": "再答一次"})
    assert resp.status_code == 302  # back to the page, with the refusal as a message
    with app.app_context():
        assert db.session.get(ProjectQuestion, qid).answer == answer


def test_screening_holds_a_question_until_a_moderator_publishes_it(app, client, login, world):
    pid = publish(app, world)
    with app.app_context(), unit():
        db.session.add(BannedTerm(term="可疑字", action="hold"))
        db.session.add(BannedTerm(term="禁用字", action="reject"))
    login(client, world.citizen)
    resp = client.post(f"/projects/{pid}/questions", data={"text": "這是禁用字的提問"})
    assert resp.status_code == 400
    assert "您的內容包含本站不允許的詞語。" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(ProjectQuestion) == 0
    resp = client.post(f"/projects/{pid}/questions", data={"text": "這是可疑字的提問"})
    assert resp.status_code == 302
    with app.app_context():
        q = db.session.scalar(select(ProjectQuestion))
        assert q.status == QuestionStatus.HELD and q.held_reason == "banned_term"
        qid = q.id
    assert "這是可疑字的提問" not in _page(app.test_client(), f"/projects/{pid}")
    assert "等待審核" in _page(client, f"/projects/{pid}")  # the asker sees it is waiting
    mod = app.test_client()
    login(mod, world.moderator)
    assert "這是可疑字的提問" in _page(mod, "/projects/questions/held")
    resp = mod.post(f"/projects/questions/{qid}/moderate", data={"action": "publish"})
    assert resp.status_code == 302
    assert "這是可疑字的提問" in _page(app.test_client(), f"/projects/{pid}")
    with app.app_context():
        assert _count(AuditLog, AuditLog.action == "project.question.publish") == 1
    # Citizens do not moderate.
    assert (
        client.post(f"/projects/questions/{qid}/moderate", data={"action": "hide"}).status_code
        == 403
    )


# --------------------------------------------------------------------------- progress


def _progress_form(app, pid: int, **kw: Any) -> dict[str, Any]:
    with app.app_context():
        p = db.session.get(Project, pid)
        first, second = p.milestones
        kpi = p.kpis[0]
        form = {
            "as_of": "2026-03-31",
            "planned_percent": "12.5",
            "actual_percent": "10",
            "budget_executed": "150,000",
            f"milestone_{first.id}": "reached",
            f"reached_{first.id}": "2026-03-28",
            f"milestone_{second.id}": "late",
            f"new_date_{second.id}": "2026-12-31",
            f"kpi_{kpi.id}": "12",
            "note": "第一季依計畫推動。",
        }
        db.session.remove()
    form.update(kw)
    return form


def test_progress_report_is_published_and_the_followers_are_notified(app, client, login, world):
    pid = publish(app, world, approve=True)
    digest = world.follower
    with app.app_context(), unit():
        db.session.get(User, digest.id).email_digest = True
        for who in (world.citizen, digest):
            operations.follow(db.session.get(User, who.id), db.session.get(Project, pid), T0)
    app.config["FROZEN_NOW"] = datetime(2026, 4, 2, 2, tzinfo=UTC)
    login(client, world.staff)
    assert client.get(f"/projects/{pid}/progress").status_code == 200
    resp = client.post(f"/projects/{pid}/progress", data=_progress_form(app, pid))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    with app.app_context():
        r = db.session.scalar(select(ProgressReport))
        assert (r.as_of, r.planned_percent, r.actual_percent) == (date(2026, 3, 31), 12.5, 10.0)
        # Planned to 31 March: 90 of 365 days of 2026's 800,000.
        assert r.budget_planned == round(800_000 * 90 / 365)
        assert r.budget_executed == 150_000
        p = db.session.get(Project, pid)
        first, second = p.milestones
        assert first.reached_on == date(2026, 3, 28) and second.expected_on == date(2026, 12, 31)
        assert p.kpis[0].current_value == 12.0
        notes = db.session.scalars(select(ProjectNotification)).all()
        assert sorted(n.user_id for n in notes) == sorted([world.citizen.id, digest.id])
        assert all(n.kind == ProjectNotificationKind.PROGRESS for n in notes)  # not the staff
        assert _count(MailMessage, MailMessage.recipient == world.citizen.email) == 1
        assert _count(MailMessage, MailMessage.recipient == digest.email) == 0  # waits

        from participate.projects.tasks import send_project_digests

        send_project_digests.call_local()
        mail = db.session.scalar(select(MailMessage).where(MailMessage.recipient == digest.email))
        assert "截至 2026-03-31" in mail.body
    html = _page(app.test_client(), f"/projects/{pid}")
    assert 'role="img" aria-labelledby="progress-chart-title progress-chart-desc"' in html
    assert '<th scope="row">2026-03-31</th><td>12.5%</td><td>10%</td>' in html
    assert "1 個查核點落後" in html  # the second, moved to a later date
    html = _page(app.test_client(), f"/api/v1/projects/{pid}")
    assert '"as_of":"2026-03-31"' in html


def test_a_refused_progress_report_writes_nothing(app, client, login, world):
    pid = publish(app, world, approve=True)
    with app.app_context(), unit():
        operations.follow(db.session.get(User, world.citizen.id), db.session.get(Project, pid), T0)
    app.config["FROZEN_NOW"] = datetime(2026, 10, 2, 2, tzinfo=UTC)
    login(client, world.staff)
    form = _progress_form(app, pid, as_of="2026-10-01")
    second = [k for k in form if k.startswith("milestone_")][1]
    form[second] = "on_time"  # planned 2026-09-30, already past on 2026-10-01
    resp = client.post(f"/projects/{pid}/progress", data=form)
    assert resp.status_code == 400
    assert "預定日期已過" in resp.get_data(as_text=True)
    future = _progress_form(app, pid, as_of="2026-10-05")
    assert client.post(f"/projects/{pid}/progress", data=future).status_code == 400
    with app.app_context():
        assert _count(ProgressReport) == 0 and _count(ProjectNotification) == 0
        assert all(m.reached_on is None for m in db.session.get(Project, pid).milestones)
    # Staff of another agency do not get the form at all.
    other = app.test_client()
    login(other, world.other_staff)
    assert other.get(f"/projects/{pid}/progress").status_code == 403


def test_reports_follow_each_other_in_time(app, world):
    pid = publish(app, world, approve=True)
    now = datetime(2026, 8, 1, 2, tzinfo=UTC)

    def report(as_of: date) -> None:
        # A request context: a refusal's message is translated for the person who acted.
        with app.test_request_context(), unit():
            p = db.session.get(Project, pid)
            first, second = p.milestones
            operations.report_progress(
                world.get("staff"),
                p,
                operations.ProgressInput(
                    as_of=as_of,
                    planned_percent=20,
                    actual_percent=20,
                    budget_executed=100,
                    milestones=[
                        operations.MilestoneProgress(
                            first.id, "reached", reached_on=date(2026, 3, 31)
                        ),
                        operations.MilestoneProgress(second.id, "on_time"),
                    ],
                    kpis={},
                ),
                now,
            )

    report(date(2026, 6, 30))
    from participate.errors import RuleError

    with pytest.raises(RuleError) as refused:
        report(date(2026, 6, 30))
    assert "as_of" in refused.value.fields
    with app.app_context():
        assert _count(ProgressReport) == 1


# --------------------------------------------------------------------------- deliberation


def test_deliberation_is_a_consultation_answered_before_approval(app, client, login, world):
    pid = publish(app, world)
    login(client, world.staff)
    resp = client.post(
        f"/projects/{pid}/deliberation",
        data={
            "summary": "核定前請大家討論。",
            "questions": "優先路段？\n施工期間的替代交通？",
            "closes_on": "2026-03-20",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        p = db.session.get(Project, pid)
        c = p.deliberation
        assert p.status == ProjectStatus.DELIBERATION
        assert (c.kind, c.owner_agency_id) == (ProposalKind.CONSULTATION, world.agency.id)
        assert c.title == "開放審議：花東鐵路雙軌電氣化計畫"
        assert [m.text for m in c.measures] == ["優先路段？", "施工期間的替代交通？"]
        assert f"/projects/{pid}" in c.evidence_links[0]
        cid, measures = c.id, [m.id for m in c.measures]
    html = _page(client, f"/projects/{pid}")
    assert f"/proposals/{cid}/discussion" in html
    # While it is open, approval is refused (409: the phase, not the person).
    resp = client.post(f"/projects/{pid}/approve", headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert "請先發布對審議意見的回應" in resp.json["error"]["message"]
    with app.app_context():
        assert db.session.get(Project, pid).status == ProjectStatus.DELIBERATION

    # After the closing date the agency answers point by point on the consultation's page.
    app.config["FROZEN_NOW"] = datetime(2026, 3, 21, 2, tzinfo=UTC)
    form = {"overall": "感謝參與。", "publish": "1", "confirm": "y"}
    for mid in measures:
        form[f"decision_{mid}"] = "adopted"
        form[f"reasoning_{mid}"] = "納入計畫。"
    resp = client.post(f"/proposals/{cid}/response", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    html = _page(app.test_client(), f"/projects/{pid}")
    assert "納入計畫。" in html and "感謝參與。" in html
    assert client.post(f"/projects/{pid}/approve").status_code == 302
    with app.app_context():
        p = db.session.get(Project, pid)
        assert p.status == ProjectStatus.UNDERWAY and p.approved_at is not None
        assert db.session.get(Proposal, cid).responded_at is not None
    # Only once.
    assert client.get(f"/projects/{pid}/deliberation").status_code == 403


# --------------------------------------------------------------------------- list and API


def _three_projects(app, world: World) -> tuple[int, int, int]:
    late = publish(app, world, approve=True, name="落後的計畫甲")
    quiet = publish(app, world, staff="other_staff", name="規劃中的計畫乙", counties=["TPE"])
    done = publish(app, world, approve=True, name="已完成的計畫丙", counties=[])
    with app.app_context(), unit():
        operations.complete_project(world.get("staff"), db.session.get(Project, done), T0)
    return late, quiet, done


def test_the_list_puts_what_needs_attention_first_and_filters(app, client, world):
    late, quiet, done = _three_projects(app, world)
    # 1 October: the late project's second milestone (30 September) has passed unreached,
    # and its first quarterly report is overdue.
    app.config["FROZEN_NOW"] = datetime(2026, 10, 1, 2, tzinfo=UTC)
    html = _page(client, "/projects/?sort=attention")
    assert html.index("落後的計畫甲") < html.index("規劃中的計畫乙")
    assert "2 個查核點落後" in html and "進度報告已逾期" in html
    assert "已完成的計畫丙" in html and "全國" in html
    html = _page(client, "/projects/?county=TPE")
    assert "規劃中的計畫乙" in html and "落後的計畫甲" not in html
    html = _page(client, "/projects/?agency=mohw")
    assert "規劃中的計畫乙" in html and "已完成的計畫丙" not in html
    html = _page(client, "/projects/?status=completed")
    assert "已完成的計畫丙" in html and "落後的計畫甲" not in html


def test_api_lists_projects_with_their_attention_and_history(app, client, world):
    late, quiet, done = _three_projects(app, world)
    app.config["FROZEN_NOW"] = datetime(2026, 10, 1, 2, tzinfo=UTC)
    body = client.get("/api/v1/projects").json
    assert [i["id"] for i in body["items"]][0] == late
    first = body["items"][0]
    assert first["attention"]["late_milestones"] == 2
    assert "report_overdue" in first["attention"]["reasons"]
    assert first["counties"] == ["HUA", "TTT"] and first["total_budget"] == 2_000_000
    assert body["meta"]["total"] == 3
    assert [i["id"] for i in client.get("/api/v1/projects?county=TPE").json["items"]] == [quiet]
    assert [i["id"] for i in client.get("/api/v1/projects?status=completed").json["items"]] == [
        done
    ]
    bad = client.get("/api/v1/projects?county=XXX")
    assert bad.status_code == 400 and "county" in bad.json["error"]["fields"]

    one = client.get(f"/api/v1/projects/{late}")
    assert one.status_code == 200 and one.headers["ETag"]
    detail = one.json
    assert [m["state"] for m in detail["milestones"]] == ["late", "late"]
    assert detail["kpis"][0]["target"] == 155.0 and detail["progress_history"] == []
    assert client.get("/api/v1/projects/999999").status_code == 404
    questions = client.get(f"/api/v1/projects/{late}/questions").json
    assert questions["unanswered"] == 0 and questions["items"] == []
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/projects", "/api/v1/projects/{project_id}"} <= set(spec["paths"])
    assert client.get("/api/v1/").json["endpoints"]["projects"] == "/api/v1/projects"


# --------------------------------------------------------------------------- open data


def test_the_progress_history_is_in_the_open_data_dumps(app, world, tmp_path):
    pid = publish(app, world, approve=True)
    with app.app_context(), unit():
        p = db.session.get(Project, pid)
        first, second = p.milestones
        operations.report_progress(
            world.get("staff"),
            p,
            operations.ProgressInput(
                as_of=date(2026, 3, 31),
                planned_percent=12.5,
                actual_percent=10,
                budget_executed=150_000,
                milestones=[
                    operations.MilestoneProgress(first.id, "reached", reached_on=date(2026, 3, 28)),
                    operations.MilestoneProgress(second.id, "on_time"),
                ],
                kpis={p.kpis[0].id: 12},
                note="第一季",
            ),
            datetime(2026, 4, 2, 2, tzinfo=UTC),
        )
    from participate.opendata.build import build

    with app.app_context():
        manifest = build(tmp_path / "dumps")
        db.session.remove()
    names = {f["name"] for f in manifest["files"]}
    assert {"projects.csv", "project-progress.csv", "project-progress-excel.csv"} <= names
    raw = (tmp_path / "dumps" / "project-progress-excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert (rows[0]["project_id"], rows[0]["as_of"], rows[0]["actual_percent"]) == (
        str(pid),
        "2026-03-31",
        "10.0",
    )
    assert rows[0]["milestones_reached"] == "1"
    kpis = (tmp_path / "dumps" / "project-kpis.csv").read_text(encoding="utf-8")
    assert "雙軌化里程" in kpis and "12.0" in kpis


# --------------------------------------------------------------------------- personal data


def test_personal_data_export_and_account_deletion(app, client, login, world):
    from participate.account.operations import delete_own_account
    from participate.account.queries import personal_data
    from tests.conftest import PASSWORD

    pid = publish(app, world)
    with app.app_context(), unit():
        citizen = world.get("citizen")
        operations.ask_question(citizen, db.session.get(Project, pid), "經費如何分配？", T0)
    with app.app_context():
        data = personal_data(world.get("citizen"))
        assert data["projects"]["questions"][0]["text"] == "經費如何分配？"
        assert data["projects"]["follows"][0]["project_id"] == pid
        with unit():
            delete_own_account(world.get("citizen"), PASSWORD)
        assert _count(ProjectFollow, ProjectFollow.user_id == world.citizen.id) == 0
        assert _count(ProjectQuestion) == 1  # the question stays, its author erased
    assert "已刪除的使用者" in _page(client, f"/projects/{pid}")


# --------------------------------------------------------------------------- demo


def test_demo_projects_are_in_four_phases_and_one_is_late(app):
    from participate.cli import seed_all
    from participate.projects import queries

    app.config.pop("FROZEN_NOW", None)
    with app.app_context():
        seed_all(lambda _line: None)
        projects = db.session.scalars(select(Project)).all()
        assert {p.status for p in projects} == set(ProjectStatus)
        from participate.timeutil import utcnow

        items = queries.ranked(queries.ListFilter(), utcnow())
        top = items[0]
        assert top.project.name == "花東鐵路雙軌電氣化提速計畫"
        assert top.attention.late_milestones >= 1 and top.attention.budget_far
        assert top.attention.unanswered == 2
        assert len(top.project.reports) >= 4
        db.session.remove()
