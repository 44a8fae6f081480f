# ruff: noqa: E501 - demo prose in Chinese reads better unwrapped
"""Personal-data export, account deletion and the demo data of the projects area.

The demo goes through the area's own operations (publish, deliberation, approval,
progress reports, answers), back-dated, so every figure on the demo pages is one the
operations would have produced: four projects, one in each phase, one of them late
(a milestone past its planned date, budget execution far below plan, unanswered
questions). Idempotent: a project is looked up by its name before it is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select

from participate.extensions import db
from participate.models import (
    MilestoneState,
    Project,
    ProjectFollow,
    ProjectNotification,
    ProjectQuestion,
    QuestionStatus,
    User,
)
from participate.projects import operations
from participate.projects.lifecycle import planned_budget_to
from participate.timeutil import TAIPEI, taipei_today, utcnow


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_personal_data(user: User) -> tuple[str, Any]:
    questions = db.session.scalars(
        select(ProjectQuestion)
        .where(ProjectQuestion.author_id == user.id)
        .order_by(ProjectQuestion.id)
    ).all()
    follows = db.session.execute(
        select(ProjectFollow.project_id, Project.name, ProjectFollow.created_at)
        .join(Project, Project.id == ProjectFollow.project_id)
        .where(ProjectFollow.user_id == user.id)
        .order_by(ProjectFollow.id)
    ).all()
    notifications = db.session.scalars(
        select(ProjectNotification)
        .where(ProjectNotification.user_id == user.id)
        .order_by(ProjectNotification.id)
    ).all()
    return "projects", {
        "questions": [
            {
                "id": q.id,
                "project_id": q.project_id,
                "text": q.text,
                "status": q.status.value,
                "asked_at": _iso(q.created_at),
                "answer": q.answer,
                "answered_at": _iso(q.answered_at),
            }
            for q in questions
        ],
        "follows": [
            {"project_id": pid, "name": name, "since": _iso(at)} for pid, name, at in follows
        ],
        "notifications": [
            {"kind": n.kind.value, "project_id": n.project_id, "at": _iso(n.created_at)}
            for n in notifications
        ],
    }


def on_account_deletion(user: User) -> None:
    """Follows and notifications are personal and go; questions stay (the agency's public
    answers refer to them) and show the erased account as a deleted user."""
    db.session.execute(delete(ProjectFollow).where(ProjectFollow.user_id == user.id))
    db.session.execute(delete(ProjectNotification).where(ProjectNotification.user_id == user.id))


# --------------------------------------------------------------------------- demo data


def _at(day: date, hour: int = 10) -> datetime:
    """10:00 in Taipei on ``day``, as the aware UTC datetime operations take."""
    return datetime.combine(day, time(hour), tzinfo=TAIPEI).astimezone(UTC)


@dataclass(frozen=True)
class DemoMilestone:
    title: str
    planned: date
    reached: date | None = None
    new_date: date | None = None  # the announced later date, when it is late
    announced: date | None = None  # from when reports say it is late


def _state(m: DemoMilestone, as_of: date) -> operations.MilestoneProgress:
    """What a report as of ``as_of`` says about a demo milestone."""
    if m.reached is not None and m.reached <= as_of:
        return operations.MilestoneProgress(0, MilestoneState.REACHED.value, reached_on=m.reached)
    if m.new_date is not None and m.announced is not None and as_of >= m.announced:
        return operations.MilestoneProgress(0, MilestoneState.LATE.value, new_date=m.new_date)
    if m.planned >= as_of:
        return operations.MilestoneProgress(0, MilestoneState.ON_TIME.value)
    return operations.MilestoneProgress(
        0, MilestoneState.LATE.value, new_date=m.reached or as_of + timedelta(days=30)
    )


def _publish(
    staff: User, name: str, spec: dict[str, Any], milestones: list[DemoMilestone], at: datetime
) -> Project | None:
    if db.session.scalar(select(Project.id).where(Project.name == name)) is not None:
        return None
    data = operations.ProjectInput(
        name=name,
        summary=spec["summary"],
        goals=spec["goals"],
        total_budget=sum(spec["budgets"].values()),
        budgets=spec["budgets"],
        starts_on=spec["starts_on"],
        ends_on=spec["ends_on"],
        counties=spec["counties"],
        kpis=[operations.KpiInput(n, u, t) for n, t, u in spec["kpis"]],
        milestones=[operations.MilestoneInput(m.title, m.planned) for m in milestones],
        links=spec.get("links", []),
    )
    return operations.publish_project(staff, data, at)


def _reports(
    staff: User,
    project: Project,
    milestones: list[DemoMilestone],
    rows: list[tuple[date, float, float, float, list[float], str]],
) -> None:
    """Progress reports: (as of, planned %, actual %, execution ratio, KPI values, note)."""
    by_title = {m.title: m for m in milestones}
    for as_of, planned, actual, ratio, values, note in rows:
        states = []
        for m in project.milestones:
            state = _state(by_title[m.title], as_of)
            state.milestone_id = m.id
            states.append(state)
        executed = round(planned_budget_to(project, as_of) * ratio)
        operations.report_progress(
            staff,
            project,
            operations.ProgressInput(
                as_of=as_of,
                planned_percent=planned,
                actual_percent=actual,
                budget_executed=executed,
                milestones=states,
                kpis={k.id: v for k, v in zip(project.kpis, values, strict=True)},
                note=note,
            ),
            _at(as_of + timedelta(days=7)),
        )


def _question(
    project: Project,
    author: User,
    text: str,
    asked: date,
    staff: User | None = None,
    answer: str = "",
    answered: date | None = None,
) -> None:
    q = ProjectQuestion(
        project_id=project.id,
        author_id=author.id,
        text=text,
        status=QuestionStatus.VISIBLE,
        created_at=_at(asked, 21),
    )
    db.session.add(q)
    db.session.flush()
    if staff is not None and answered is not None:
        q.project = project
        operations.answer_question(staff, q, answer, _at(answered, 15))


def _railway(staff: User, citizen: User, today: date) -> Project | None:
    """Under way and late: a milestone past its date, spending far below plan."""
    start = date(today.year - 2, 1, 1)
    end = date(today.year + 2, 12, 31)
    milestones = [
        DemoMilestone(
            "完成綜合規劃核定", start + timedelta(days=90), reached=start + timedelta(days=85)
        ),
        DemoMilestone(
            "第一標段開工", start + timedelta(days=240), reached=start + timedelta(days=270)
        ),
        DemoMilestone(
            "花蓮—壽豐段雙軌通車",
            today - timedelta(days=60),
            new_date=today + timedelta(days=150),
            announced=today - timedelta(days=150),
        ),
        DemoMilestone("全線電氣化完工", end - timedelta(days=180)),
    ]
    spec = {
        "summary": "花東鐵路全線雙軌化並提升電氣化設備，縮短臺北到臺東的行車時間，改善東部居民往返西部的交通。",
        "goals": "一、花蓮至臺東全線雙軌化。\n二、臺北—臺東最快行車時間縮短至三小時三十分。\n三、尖峰時段班次準點率達百分之九十五。",
        "budgets": {
            start.year: 4_000_000_000,
            start.year + 1: 9_000_000_000,
            start.year + 2: 12_000_000_000,
            start.year + 3: 13_000_000_000,
            start.year + 4: 10_000_000_000,
        },
        "starts_on": start,
        "ends_on": end,
        "counties": ["HUA", "TTT"],
        "kpis": [
            ("臺北—臺東最快行車時間", 210.0, "分鐘"),
            ("雙軌化完成里程", 155.0, "公里"),
            ("尖峰班次準點率", 95.0, "%"),
        ],
        "links": ["https://www.motc.gov.tw/"],
    }
    project = _publish(
        staff, "花東鐵路雙軌電氣化提速計畫", spec, milestones, _at(start - timedelta(days=20))
    )
    if project is None:
        return None
    operations.approve_project(staff, project, _at(start + timedelta(days=10)))
    dates: list[date] = []
    day = today - timedelta(days=20)
    while day >= start + timedelta(days=91):  # quarterly since approval
        dates.insert(0, day)
        day -= timedelta(days=91)
    rows = []
    for i, as_of in enumerate(dates):
        share = (i + 1) / len(dates)
        planned = round(46 * share, 1)
        actual = round(planned * (0.95 - 0.12 * share), 1)
        ratio = 0.95 - 0.31 * share  # spending falls behind plan: 64 % at the latest report
        values = [round(240 - 8 * share), round(90 * share), round(86 + 4 * share)]
        late = as_of >= today - timedelta(days=150)
        note = (
            "花蓮—壽豐段因用地取得與路線變更環評延宕，雙軌通車延至新日期；已調整施工時程。"
            if late
            else "各標段依計畫施工。"
        )
        rows.append((as_of, planned, actual, ratio, values, note))
    _reports(staff, project, milestones, rows)
    _question(
        project,
        citizen,
        "花蓮—壽豐段延後通車，施工期間的替代接駁怎麼安排？",
        today - timedelta(days=70),
        staff,
        "施工期間將於壽豐、志學兩站加開接駁公車，班次與時刻表公布於本部網站，並於車站公告。",
        today - timedelta(days=62),
    )
    _question(
        project,
        citizen,
        "預算執行率偏低的原因是什麼？會不會影響全線完工的日期？",
        today - timedelta(days=40),
    )
    _question(project, citizen, "完工後臺東站的轉乘動線會改善嗎？", today - timedelta(days=5))
    return project


def _longterm_care(staff: User, citizen: User, today: date) -> Project | None:
    """Planning, with its deliberation open now."""
    start = today + timedelta(days=120)
    end = date(start.year + 3, 12, 31)
    milestones = [
        DemoMilestone("完成偏鄉需求盤點", start + timedelta(days=90)),
        DemoMilestone("首批三十處據點開辦", start + timedelta(days=365)),
        DemoMilestone("全部一百二十處據點開辦", end - timedelta(days=90)),
    ]
    budgets = {y: 500_000_000 for y in range(start.year, end.year + 1)}
    spec = {
        "summary": "在偏遠鄉鎮新設一百二十處長期照顧服務據點，提供日間照顧、共餐與交通接送，讓長輩就近得到照顧。",
        "goals": "一、偏鄉長照據點涵蓋率達百分之九十。\n二、服務使用人數倍增。\n三、培訓在地照顧服務員。",
        "budgets": budgets,
        "starts_on": start,
        "ends_on": end,
        "counties": ["NAN", "PIF", "HUA", "TTT"],
        "kpis": [
            ("新設長照據點", 120.0, "處"),
            ("偏鄉據點涵蓋率", 90.0, "%"),
            ("培訓在地照顧服務員", 600.0, "人"),
        ],
        "links": ["https://www.mohw.gov.tw/"],
    }
    project = _publish(
        staff, "偏鄉長照服務據點擴充計畫", spec, milestones, _at(today - timedelta(days=20))
    )
    if project is None:
        return None
    operations.open_deliberation(
        staff,
        project,
        operations.DeliberationInput(
            summary="計畫核定前，請大家一起討論據點設置的優先順序與服務內容。",
            questions=[
                "據點應優先設在哪些鄉鎮？",
                "交通接送服務應如何規劃？",
                "如何留住在地照顧人力？",
            ],
            closes_on=today + timedelta(days=30),
        ),
        _at(today - timedelta(days=15)),
    )
    _question(project, citizen, "據點的營運經費在計畫結束後由誰負擔？", today - timedelta(days=3))
    return project


def _electric_buses(staff: User, citizen: User, today: date) -> Project | None:
    """Deliberated, answered point by point, approved, carried out and completed."""
    from participate.proposals.operations import PointInput, save_response

    start = date(today.year - 3, 1, 1)
    end = today - timedelta(days=45)
    span = (end - start).days
    milestones = [
        DemoMilestone(
            title,
            start + timedelta(days=span * (i + 1) // 5),
            reached=start + timedelta(days=span * (i + 1) // 5 - 5),
        )
        for i, title in enumerate(
            [
                "公告補助作業要點",
                "首批三百輛電動客運上路",
                "充電站建置完成",
                "累計一千輛電動客運上路",
            ]
        )
    ]
    budgets: dict[int, int] = {}
    for year in range(start.year, end.year + 1):
        budgets[year] = 1_500_000_000
    spec = {
        "summary": "補助國道客運業者汰換柴油車為電動大客車，並建置場站充電設施，減少空氣污染與碳排放。",
        "goals": "一、國道客運電動車輛達一千輛。\n二、每年減少二氧化碳排放十萬公噸。",
        "budgets": budgets,
        "starts_on": start,
        "ends_on": end,
        "counties": [],
        "kpis": [("電動國道客運車輛", 1000.0, "輛"), ("年減碳量", 100000.0, "公噸")],
        "links": ["https://www.motc.gov.tw/"],
    }
    project = _publish(
        staff, "國道客運電動化補助計畫", spec, milestones, _at(start - timedelta(days=150))
    )
    if project is None:
        return None
    consultation = operations.open_deliberation(
        staff,
        project,
        operations.DeliberationInput(
            summary="補助電動客運的方式與優先路線，請大家提供意見。",
            questions=["補助應優先給哪些路線？", "充電站設在哪裡最合適？"],
            closes_on=start - timedelta(days=80),
        ),
        _at(start - timedelta(days=140)),
    )
    measures = list(consultation.measures)
    save_response(
        staff,
        consultation,
        "感謝各界參與討論。我們依討論結果調整補助優先順序，並公開充電站選址原則。",
        [
            PointInput(
                measures[0].id,
                "adopted",
                "優先補助旅運量大、行經空品不良地區的路線。",
                "公路局",
                None,
            ),
            PointInput(
                measures[1].id, "partly", "以客運場站為主，服務區充電站另案評估。", "公路局", None
            ),
        ],
        True,
        _at(start - timedelta(days=60)),
    )
    operations.approve_project(staff, project, _at(start - timedelta(days=30)))
    rows = []
    dates: list[date] = []
    day = end
    while day >= start + timedelta(days=60):  # quarterly, the last one on the end date
        dates.insert(0, day)
        day -= timedelta(days=91)
    for i, as_of in enumerate(dates):
        share = (i + 1) / len(dates)
        final = i == len(dates) - 1
        planned = round(100 * (as_of - start).days / span, 1)
        actual = 100.0 if final else max(0.0, round(planned - 2, 1))
        values = [round(1000 * share), round(100000 * share)]
        rows.append(
            (
                as_of,
                planned,
                actual,
                0.97,
                values,
                "計畫全部完成，結案。" if final else "依計畫執行。",
            )
        )
    _reports(staff, project, milestones, rows)
    operations.complete_project(staff, project, _at(end + timedelta(days=10)))
    _question(
        project,
        citizen,
        "電動客運的電池回收怎麼處理？",
        end - timedelta(days=120),
        staff,
        "電池由車廠依契約回收，並優先作為儲能設備再利用。",
        end - timedelta(days=110),
    )
    return project


def _suhua(staff: User, today: date) -> Project | None:
    """Just published: planning, no deliberation yet."""
    start = date(today.year + 1, 1, 1)
    end = date(today.year + 4, 12, 31)
    spec = {
        "summary": "改善臺9線蘇花公路的邊坡防護與避車空間，設置即時路況告警，減少落石與事故造成的中斷。",
        "goals": "一、蘇花公路因災封閉時數減半。\n二、重大事故件數下降三成。",
        "budgets": {y: 800_000_000 for y in range(start.year, end.year + 1)},
        "starts_on": start,
        "ends_on": end,
        "counties": ["ILA", "HUA"],
        "kpis": [("年封閉時數", 60.0, "小時"), ("完成邊坡防護", 42.0, "處")],
    }
    milestones = [
        DemoMilestone("完成邊坡風險評估", start + timedelta(days=120)),
        DemoMilestone("即時告警系統上線", start + timedelta(days=500)),
        DemoMilestone("邊坡防護工程完工", end - timedelta(days=60)),
    ]
    return _publish(
        staff, "臺9線蘇花公路安全提升計畫", spec, milestones, _at(today - timedelta(days=2))
    )


def seed_demo(echo: Callable[[str], None] = print) -> None:
    """Four demo projects, one in each phase (``participate.cli.seed_all`` runs this after
    the accounts). Writes and flushes only; the command commits."""
    staff = db.session.scalar(select(User).where(User.email == "staff@demo.participate.tw"))
    staff_mohw = db.session.scalar(
        select(User).where(User.email == "staff-mohw@demo.participate.tw")
    )
    citizen = db.session.scalar(select(User).where(User.email == "citizen@demo.participate.tw"))
    if staff is None or staff_mohw is None or citizen is None:
        return
    today = taipei_today(utcnow())
    made = [
        p
        for p in (
            _railway(staff, citizen, today),
            _longterm_care(staff_mohw, citizen, today),
            _electric_buses(staff, citizen, today),
            _suhua(staff, today),
        )
        if p is not None
    ]
    for p in made:  # the demo citizen follows them from now on (no back-dated notices)
        operations.follow(citizen, p)
    db.session.flush()
    echo(f"projects: {len(made)} demo projects added")
