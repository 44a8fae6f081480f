"""Text that enters is clean or refused next to its field, everywhere (issue 13).

One row per text field of every form that writes (the site's, moderation's, the admin's,
the account's) and of the API's one text write: a NUL (PostgreSQL refused it, a 500 there;
SQLite stored it), a value made only of zero-width characters, and for display names a
bidi override each get an error on that field, and the whole database is unchanged. The
rule lives in the operations (``participate.text.accept_text``), so it holds for the site,
the API and the command line alike; some fields' own form validators answer first (an
email address, the agency's short name), and the table says which message each gets.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from participate.boundary import unit
from participate.extensions import db
from participate.timeutil import taipei_today
from tests import moderation_fixtures, proposals_fixtures
from tests.proposals_fixtures import Cast, make_endorsing, make_established

# Fixtures from the shared helper modules, re-exported so pytest finds them here.
cast = proposals_fixtures.cast
quick_login = moderation_fixtures.quick_login

NUL = "待轉區\x00改善"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # five characters, none visible
BIDI = "\u202enimda"  # drawn as "admin"

CONTROL = "Remove the control characters (such as NUL) from this text."
INVISIBLE = "Nothing in this text can be seen: write something visible, or leave it empty."
NAME = (
    "A name cannot contain invisible characters or characters that change the direction "
    "of the text."
)
BAD_EMAIL = "Enter a valid email address."
NAME_CHARS = "Display names cannot contain < > \" ' & or control characters."
SLUG = "Use only letters, digits and hyphens."
NOT_A_LINK = "is not a web address starting with https://"
AMOUNT = "Give a whole amount in New Taiwan dollars, like 1,200,000."


@dataclass
class World:
    """Everything the forms act on, made through the real operations."""

    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """A text field: who fills it in, where, with which other (valid) fields, and what
    each hostile value gets (None: not a name, no bidi case)."""

    name: str
    who: str | None
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    field: str
    nul: str
    zero_width: str
    bidi: str | None = None


def _future(days: int) -> str:
    from participate.timeutil import taipei_today

    return (taipei_today() + timedelta(days=days)).isoformat()


def _proposal_form(**kw: str) -> dict[str, Any]:
    return {
        "title": "改善機車待轉區的設計",
        "summary": "待轉區設在車流中間，很危險。",
        "problem": "許多路口的待轉區設計不良。",
        "measures": "訂定設計準則\n公布事故熱點",
        "benefits": "減少機車事故。",
        "links": "https://example.tw/data",
        "save": "1",
        **kw,
    }


def _consultation_form(**kw: str) -> dict[str, Any]:
    return {
        "title": "道路交通安全基本法草案",
        "summary": "請提供意見。",
        "background": "交通事故死亡人數居高不下。",
        "draft_text": "第一條　為保障用路人生命安全，特制定本法。",
        "questions": "應優先保護哪些用路人？",
        "links": "",
        "closes_on": _future(30),
        **kw,
    }


def _project_form(**kw: str) -> dict[str, Any]:
    from participate.timeutil import taipei_today

    year = taipei_today().year
    return {
        "name": "偏鄉長照據點擴充計畫",
        "summary": "新設長照據點。",
        "goals": "據點涵蓋率達九成。",
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year + 1}-12-31",
        "total_budget": "1,500,000",
        "budgets": f"{year}: 500,000\n{year + 1}: 1,000,000",
        "counties": "TTT",
        "kpis": "新設據點 | 120 | 處",
        "milestones": f"{year + 1}-06-30 首批據點開辦",
        "links": "https://example.tw/care.pdf",
        **kw,
    }


def _progress_form(w: World) -> dict[str, Any]:
    from participate.timeutil import taipei_today

    return {
        "as_of": taipei_today().isoformat(),
        "planned_percent": "12.5",
        "actual_percent": "10",
        "budget_executed": "150,000",
        f"milestone_{w.ids['project_milestone']}": "on_time",
        "note": "第一季依計畫推動。",
    }


def _response_form(w: World) -> dict[str, Any]:
    m = w.ids["measure"]
    return {
        "overall": "本部將研議。",
        f"decision_{m}": "under_study",
        f"reasoning_{m}": "需要跨部會協調。",
        f"unit_{m}": "公路局",
        f"follow_up_{m}": "",
        "save": "1",
    }


ROWS: list[Row] = [
    # --- accounts -------------------------------------------------------------------------
    Row(
        "register: email",
        None,
        lambda w: "/auth/register",
        lambda w: {
            "email": "new@example.tw",
            "display_name": "新朋友",
            "password": "correct-horse-battery",
            "confirm": "correct-horse-battery",
            "accept_privacy": "y",
        },
        "email",
        BAD_EMAIL,
        BAD_EMAIL,
    ),
    Row(
        "register: display name",
        None,
        lambda w: "/auth/register",
        lambda w: {
            "email": "new@example.tw",
            "display_name": "新朋友",
            "password": "correct-horse-battery",
            "confirm": "correct-horse-battery",
            "accept_privacy": "y",
        },
        "display_name",
        NAME_CHARS,
        NAME,
        NAME,
    ),
    Row(
        "log in: email",
        None,
        lambda w: "/auth/login",
        lambda w: {"email": w.users["citizen"].email, "password": "correct-horse-battery"},
        "email",
        CONTROL,
        "Enter your email address.",
    ),
    Row(
        "forgotten password: email",
        None,
        lambda w: "/auth/forgot",
        lambda w: {"email": w.users["citizen"].email},
        "email",
        BAD_EMAIL,
        BAD_EMAIL,
    ),
    Row(
        "profile: display name",
        "citizen",
        lambda w: "/account/",
        lambda w: {"display_name": "市民乙", "locale": "en"},
        "display_name",
        NAME_CHARS,
        NAME,
        NAME,
    ),
    Row(
        "API token: name",
        "citizen",
        lambda w: "/account/tokens/",
        lambda w: {"name": "我的程式", "scopes": "vote"},
        "name",
        CONTROL,
        "Give the token a name.",
    ),
    # --- admin ----------------------------------------------------------------------------
    Row(
        "agency: short name",
        "admin",
        lambda w: "/admin/agencies",
        lambda w: {"slug": "moi", "name_zh": "內政部", "name_en": "Ministry of the Interior"},
        "slug",
        SLUG,
        SLUG,
    ),
    Row(
        "agency: Chinese name",
        "admin",
        lambda w: "/admin/agencies",
        lambda w: {"slug": "moi", "name_zh": "內政部", "name_en": "Ministry of the Interior"},
        "name_zh",
        CONTROL,
        NAME,
        NAME,
    ),
    Row(
        "agency: English name",
        "admin",
        lambda w: "/admin/agencies",
        lambda w: {"slug": "moi", "name_zh": "內政部", "name_en": "Ministry of the Interior"},
        "name_en",
        CONTROL,
        NAME,
        NAME,
    ),
    # --- discussion -----------------------------------------------------------------------
    Row(
        "statement",
        "citizen",
        lambda w: f"/proposals/{w.ids['proposal']}/discussion/statements",
        lambda w: {"text": "路口應該加裝行人專用號誌", "confirmed": "1"},
        "text",
        CONTROL,
        "Write your statement first.",
    ),
    Row(
        "reply",
        "citizen",
        lambda w: f"/discussion/statements/{w.ids['statement']}/replies",
        lambda w: {"body": "同意，尤其是學校附近。"},
        "body",
        CONTROL,
        "Write your reply first.",
    ),
    Row(
        "reply, edited",
        "citizen",
        lambda w: f"/discussion/replies/{w.ids['reply']}/edit",
        lambda w: {"body": "同意，尤其是學校附近的路口。"},
        "body",
        CONTROL,
        "Write your reply first.",
    ),
    Row(
        "report a statement: explanation",
        "citizen",
        lambda w: f"/discussion/report/statement/{w.ids['statement']}",
        lambda w: {"reason": "spam", "text": "廣告"},
        "text",
        CONTROL,
        INVISIBLE,
    ),
    # --- moderation -----------------------------------------------------------------------
    Row(
        "moderation decision: message",
        "moderator",
        lambda w: f"/moderation/items/{w.ids['item']}",
        lambda w: {"action": "dismiss", "reason": "", "message": "沒有問題。"},
        "message",
        CONTROL,
        INVISIBLE,
    ),
    Row(
        "proposal review: changes asked",
        "moderator",
        lambda w: f"/moderation/items/{w.ids['review_item']}",
        lambda w: {"action": "request_edit", "reason": "", "message": "請補充資料。"},
        "message",
        CONTROL,
        INVISIBLE,
    ),
    Row(
        "suspension: message",
        "moderator",
        lambda w: f"/moderation/users/{w.users['citizen'].id}/suspend",
        lambda w: {"days": "3", "reason": "abusive", "message": "請注意用語。"},
        "message",
        CONTROL,
        INVISIBLE,
    ),
    Row(
        "lock: reason",
        "moderator",
        lambda w: f"/moderation/discussions/{w.ids['discussion']}/lock",
        lambda w: {"statement_id": "", "reason": "洗版"},
        "reason",
        CONTROL,
        INVISIBLE,
    ),
    Row(
        "banned word",
        "moderator",
        lambda w: "/moderation/terms",
        lambda w: {"term": "詐騙", "action": "hold"},
        "term",
        CONTROL,
        "Enter a word or pattern (at most 200 characters).",
    ),
    Row(
        "appeal",
        "author",
        lambda w: f"/moderation/notices/{w.ids['notice']}/appeal",
        lambda w: {"text": "這則意見沒有違規。"},
        "text",
        CONTROL,
        "Explain why the decision should be reconsidered.",
    ),
    Row(
        "report a proposal: explanation",
        "citizen",
        lambda w: f"/moderation/report/proposal/{w.ids['proposal']}",
        lambda w: {"reason": "spam", "text": "重複"},
        "text",
        CONTROL,
        INVISIBLE,
    ),
    # --- proposals ------------------------------------------------------------------------
    *[
        Row(
            f"new proposal: {name}",
            "citizen",
            lambda w: "/proposals/new",
            lambda w: _proposal_form(),
            name,
            CONTROL,
            empty,
        )
        for name, empty in (
            ("title", "Give your proposal a title."),
            ("summary", "Write a short summary."),
            ("problem", "Describe the problem."),
            ("measures", INVISIBLE),
            ("benefits", "Describe the expected benefits."),
            ("links", NOT_A_LINK),
        )
    ],
    Row(
        "edited draft: title",
        "author",
        lambda w: f"/proposals/{w.ids['draft']}/edit",
        lambda w: _proposal_form(),
        "title",
        CONTROL,
        "Give your proposal a title.",
    ),
    Row(
        "response deadline extension: reason",
        "staff",
        lambda w: f"/proposals/{w.ids['established']}/extend",
        lambda w: {"new_due": _future(120), "reason": "需要跨部會協調。"},
        "reason",
        CONTROL,
        "Give the reason for the extension.",
    ),
    *[
        Row(
            f"agency response: {label}",
            "staff",
            lambda w: f"/proposals/{w.ids['established']}/response",
            _response_form,
            name,
            CONTROL,
            INVISIBLE,
        )
        for label, name in (
            ("overall answer", "overall"),
            ("reasoning of a point", "reasoning_{measure}"),
            ("responsible unit", "unit_{measure}"),
        )
    ],
    *[
        Row(
            f"new consultation: {name}",
            "staff",
            lambda w: "/consultations/new",
            lambda w: _consultation_form(),
            name,
            CONTROL,
            empty,
        )
        for name, empty in (
            ("title", "Give the consultation a title."),
            ("summary", "Write a short summary."),
            ("background", "Describe the background."),
            ("draft_text", INVISIBLE),
            ("questions", INVISIBLE),
            ("links", NOT_A_LINK),
        )
    ],
    # --- major projects -------------------------------------------------------------------
    *[
        Row(
            f"new project: {name}",
            "staff",
            lambda w: "/projects/new",
            lambda w: _project_form(),
            name,
            nul,
            zero_width,
        )
        for name, nul, zero_width in (
            ("name", CONTROL, "Use 5 to 120 characters."),
            ("summary", CONTROL, "Write a short summary."),
            ("goals", CONTROL, "Describe the goals."),
            ("total_budget", AMOUNT, AMOUNT),
            ("budgets", "Write “year: amount”", "Write “year: amount”"),
            ("kpis", CONTROL, INVISIBLE),
            ("milestones", CONTROL, INVISIBLE),
            ("links", CONTROL, NOT_A_LINK),
        )
    ],
    Row(
        "project deliberation: summary",
        "staff",
        lambda w: f"/projects/{w.ids['project']}/deliberation",
        lambda w: {"summary": "請提供意見。", "questions": "應優先在哪些鄉鎮設點？"},
        "summary",
        CONTROL,
        "Write a short summary.",
    ),
    Row(
        "project deliberation: questions",
        "staff",
        lambda w: f"/projects/{w.ids['project']}/deliberation",
        lambda w: {"summary": "請提供意見。", "questions": "應優先在哪些鄉鎮設點？"},
        "questions",
        CONTROL,
        INVISIBLE,
    ),
    Row(
        "project progress: budget executed",
        "staff",
        lambda w: f"/projects/{w.ids['underway']}/progress",
        _progress_form,
        "budget_executed",
        AMOUNT,
        AMOUNT,
    ),
    Row(
        "project progress: note",
        "staff",
        lambda w: f"/projects/{w.ids['underway']}/progress",
        _progress_form,
        "note",
        CONTROL,
        INVISIBLE,
    ),
    Row(
        "project question",
        "citizen",
        lambda w: f"/projects/{w.ids['project']}/questions",
        lambda w: {"text": "施工期間的替代接駁怎麼安排？"},
        "text",
        CONTROL,
        "Write your question (at least 5 characters).",
    ),
]


@pytest.fixture()
def world(app: Flask, cast: Cast) -> World:
    from participate.discussion import operations as discussion_ops
    from participate.models import Discussion, ModerationItem, ModerationNotice, Statement
    from participate.moderation import operations as moderation_ops
    from participate.timeutil import utcnow
    from tests.proposals_fixtures import make_draft, make_in_review

    w = World(users={name: getattr(cast, name) for name in ("citizen", "author", "moderator")})
    w.users |= {"staff": cast.staff, "admin": cast.admin}
    now = utcnow() - timedelta(minutes=1)
    with app.test_request_context():
        proposal = make_endorsing(cast, now)
        w.ids["proposal"] = proposal.id
        w.ids["discussion"] = db.session.scalar(
            db.select(Discussion.id).where(Discussion.proposal_id == proposal.id)
        )
        with unit():
            discussion = db.session.get(Discussion, w.ids["discussion"])
            first = discussion_ops.post_statement(cast.get("author"), discussion, "待轉區太小")
            second = discussion_ops.post_statement(cast.get("author"), discussion, "號誌太短了")
        w.ids["statement"], hidden = first.item.id, second.item.id
        with unit():
            statement = db.session.get(Statement, w.ids["statement"])
            w.ids["reply"] = discussion_ops.reply(cast.get("citizen"), statement, "同意").item.id
            discussion_ops.report(cast.get("moderator"), statement, "spam", "")
            discussion_ops.report(cast.get("citizen"), db.session.get(Statement, hidden), "abuse")
        items = db.session.scalars(db.select(ModerationItem).order_by(ModerationItem.id)).all()
        w.ids["item"], second_item = items[-2].id, items[-1].id
        with unit():
            moderation_ops.hide(
                cast.get("moderator"), db.session.get(ModerationItem, second_item), "abusive"
            )
        w.ids["notice"] = db.session.scalar(
            db.select(ModerationNotice.id).where(ModerationNotice.user_id == cast.author.id)
        )
        in_review = make_in_review(cast, now, title="公車站牌增設遮雨棚")
        w.ids["review_item"] = db.session.scalar(
            db.select(ModerationItem.id).where(
                ModerationItem.content_type == "proposal",
                ModerationItem.content_id == in_review.id,
            )
        )
        w.ids["draft"] = make_draft(cast, now, title="人行道淨空計畫").id
        established = make_established(app, cast, now)
        w.ids["established"] = established.id
        w.ids["measure"] = established.measures[0].id
        _projects(w, cast)
    assert all(w.ids.values()), w.ids
    return w


def _projects(w: World, cast: Cast) -> None:
    """A project in planning (its deliberation, a question to answer) and one under way
    (its progress report), published by the staff of agency A."""
    from participate.projects import operations as projects_ops
    from participate.timeutil import taipei_today

    today = taipei_today()
    data = projects_ops.ProjectInput(
        name="花東鐵路雙軌電氣化計畫",
        summary="花東鐵路全線雙軌化。",
        goals="縮短行車時間。",
        total_budget=2_000,
        budgets={today.year: 1_000, today.year + 1: 1_000},
        starts_on=today.replace(month=1, day=1),
        ends_on=today.replace(year=today.year + 1, month=12, day=31),
        counties=["HUA"],
        kpis=[projects_ops.KpiInput("雙軌化里程", "公里", 155.0)],
        milestones=[projects_ops.MilestoneInput("全線通車", today + timedelta(days=300))],
    )
    with unit():
        planning = projects_ops.publish_project(cast.get("staff"), data)
        underway = projects_ops.publish_project(cast.get("staff"), data)
        projects_ops.approve_project(cast.get("staff"), underway)
        question = projects_ops.ask_question(cast.get("citizen"), planning, "何時開始施工？")
    w.ids |= {
        "project": planning.id,
        "underway": underway.id,
        "project_milestone": underway.milestones[0].id,
        "question": question.question.id,
    }


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what "nothing is written" is checked against."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(table.select()).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
        db.session.remove()
        return out


def _field_errors(page: str, field_id: str) -> str:
    found = re.search(
        rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S
    )
    return html.unescape(found.group(1)) if found else ""


def _client(app: Flask, client: Any, login: Callable[..., Any], who: str | None, w: World) -> Any:
    if who is not None:
        login(client, w.users[who])
    client.get("/lang/en")  # the messages below are the English ones
    return client


# How a value sits in a line of a one-item-per-line field (the rest of the line parses).
LINE_OF = {
    "measures": "{}",
    "questions": "{}",
    "links": "{}",
    "kpis": "{} | 10 | 處",
    "milestones": "{year}-06-30 {}",
}


def _cases(row: Row) -> list[tuple[str, str, str]]:
    cases = [("NUL", NUL, row.nul), ("zero-width only", ZERO_WIDTH, row.zero_width)]
    if row.bidi is not None:
        cases.append(("bidi override", BIDI, row.bidi))
    return cases


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_every_text_field_refuses_hostile_text_next_to_it(
    app, client, world: World, quick_login, row: Row
):
    client = _client(app, client, quick_login, row.who, world)
    name = row.field.format(measure=world.ids["measure"])
    got = {}
    for label, value, expected in _cases(row):
        data = {**row.data(world), name: value}
        if row.field in LINE_OF:  # one item per line: one more line, holding the value
            line = LINE_OF[row.field].format(value, year=taipei_today().year + 1)
            if row.field == "links" and label == "NUL":
                line = "https://example.tw/a\x00b"  # a web address, with a NUL in it
            data[name] = (row.data(world)[name] + "\n" + line).strip()
        before = snapshot(app)
        resp = client.post(row.url(world), data=data)
        page = resp.get_data(as_text=True)
        assert resp.status_code < 500, (row.name, label, resp.status_code)
        message = _field_errors(page, name)
        got[label] = message
        assert expected in message, (row.name, label, resp.status_code, message or page[:3000])
        assert snapshot(app) == before, (row.name, label, "something was written")
    # The same form with its valid values still goes through (the rows are not vacuous).
    before = snapshot(app)
    ok = client.post(row.url(world), data=row.data(world))
    assert ok.status_code in (200, 201, 302), (row.name, ok.status_code)
    if row.who is not None or row.name.startswith("register"):
        assert snapshot(app) != before, (row.name, "the valid form wrote nothing")


def test_the_api_refuses_hostile_statements_with_field_errors(app, client, world: World):
    """The API's one text write, through the same operation: JSON errors with ``fields``."""
    from participate.api.tokens import create_token
    from participate.models import User

    with app.app_context(), unit():
        _row, secret = create_token(
            db.session.get(User, world.users["citizen"].id), "t", ["statements:write"]
        )
    url = f"/api/v1/proposals/{world.ids['proposal']}/statements"
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    for value, message in (
        (NUL, None),  # the schema's pattern refuses it first
        ("\x01\x7f", None),
        ("\ud800 lone surrogate", CONTROL),
        (ZERO_WIDTH, "Write your statement first."),
        ("\u3164\u2800\u200b", "Write your statement first."),
    ):
        before = snapshot(app)
        body = json.dumps({"text": value})  # \\ud800 stays an escape, as a client sends it
        resp = client.post(
            url, data=body, content_type="application/json", headers=headers, csrf=False
        )
        assert resp.status_code == 400, (value, resp.status_code)
        error = resp.get_json()["error"]
        assert set(error) == {"code", "message", "fields"} and error["fields"]["text"]
        if message:
            assert error["fields"]["text"] == [message]
        assert snapshot(app) == before
    ok = client.post(url, json={"text": "公車應該更準時"}, headers=headers, csrf=False)
    assert ok.status_code == 201, ok.get_json()


def test_the_bulk_decision_refuses_a_hostile_message(app, client, world: World, quick_login):
    """The bulk form sits in the queue page: its refusal comes back at the top of it."""
    client = _client(app, client, quick_login, "moderator", world)
    for value, message in ((NUL, CONTROL), (ZERO_WIDTH, INVISIBLE)):
        before = snapshot(app)
        resp = client.post(
            "/moderation/bulk",
            data={"items": str(world.ids["item"]), "action": "dismiss", "message": value},
            follow_redirects=True,
        )
        assert resp.status_code == 200
        assert message in html.unescape(resp.get_data(as_text=True))
        assert snapshot(app) == before


def test_the_agencys_answer_refuses_a_hostile_text(app, client, world: World, quick_login):
    """The answer form sits under each question of the project's page: its refusal comes
    back at the top of that page."""
    client = _client(app, client, quick_login, "staff", world)
    qid = world.ids["question"]
    for value, message in ((NUL, CONTROL), (ZERO_WIDTH, "Write the answer.")):
        before = snapshot(app)
        resp = client.post(
            f"/projects/questions/{qid}/answer",
            data={f"q{qid}-answer": value},
            follow_redirects=True,
        )
        assert resp.status_code == 200
        assert message in html.unescape(resp.get_data(as_text=True))
        assert snapshot(app) == before
    ok = client.post(f"/projects/questions/{qid}/answer", data={f"q{qid}-answer": "明年第一季。"})
    assert ok.status_code == 302


def test_operations_refuse_hostile_text_whatever_calls_them(app, world: World):
    """The command line, imports and scripts call the operations too: the rule is there."""
    from participate.auth import operations as auth_ops
    from participate.errors import RuleError
    from participate.models import User

    with app.test_request_context():
        for email, name, field_name in (
            ("root@example.tw", BIDI, "name"),
            ("root@example.tw", ZERO_WIDTH, "name"),
            ("root\x00@example.tw", "管理員", "email"),
        ):
            with pytest.raises(RuleError) as refused, unit():
                auth_ops.create_admin(email, name, "correct-horse-battery")
            assert refused.value.field == field_name
        with pytest.raises(RuleError) as refused, unit():
            auth_ops.register_user("x@example.tw", "  王\u200b小明 ", "correct-horse-battery")
        assert refused.value.field == "display_name"
        with unit():
            user = auth_ops.register_user("y@example.tw", " 王　小明 ", "correct-horse-battery")
        assert db.session.get(User, user.id).display_name == "王 小明"


def test_create_admin_command_says_what_is_wrong(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "root@example.tw", "--name", BIDI, "--password", "x" * 12]
    )
    assert result.exit_code != 0, result.output
    assert "name" in result.output and "Traceback" not in result.output, result.output


# The form each row fills in (the bulk form has its own test above).
FORM_OF_ROW = {
    "register: email": "auth.RegisterForm",
    "register: display name": "auth.RegisterForm",
    "log in: email": "auth.LoginForm",
    "forgotten password: email": "auth.ForgotForm",
    "profile: display name": "account.ProfileForm",
    "API token: name": "api.TokenForm",
    "agency: short name": "admin.AgencyForm",
    "agency: Chinese name": "admin.AgencyForm",
    "agency: English name": "admin.AgencyForm",
    "statement": "discussion.StatementForm",
    "reply": "discussion.ReplyForm",
    "reply, edited": "discussion.EditReplyForm",
    "report a statement: explanation": "discussion.ReportForm",
    "moderation decision: message": "moderation.DecisionForm",
    "proposal review: changes asked": "moderation.DecisionForm",
    "suspension: message": "moderation.SuspendForm",
    "lock: reason": "moderation.LockForm",
    "banned word": "moderation.TermForm",
    "appeal": "moderation.AppealForm",
    "report a proposal: explanation": "moderation.ProposalReportForm",
    "edited draft: title": "proposals.ProposalForm",
    "response deadline extension: reason": "proposals.ExtendForm",
}
# Text fields that are not text people write for others to read, or are tried elsewhere.
NOT_TEXT = {
    ("discussion.VoteForm", "value"): "a vote: agree, disagree or pass, parsed as a number",
    ("moderation.BulkForm", "message"): "tested above (the form sits in the queue page)",
    ("projects.AnswerForm", "answer"): "tested above (the form sits in the project's page)",
    ("auth.CodeForm", "code"): "a one-time code, compared and never stored (tests/test_mfa.py)",
    ("auth.SetupForm", "code"): "a one-time code, compared and never stored (tests/test_mfa.py)",
    ("auth.ResetForm", "reason"): "tried in tests/test_mfa.py (the admin's reset)",
    ("identity.NumberForm", "number"): "a phone number, parsed to digits (tests/test_identity.py)",
    ("identity.CodeForm", "code"): "six digits, parsed (tests/test_identity.py)",
    ("identity.HoldForm", "reason"): "text.accept_text, tests/test_identity.py (hold text)",
    ("identity.ReleaseForm", "outcome"): "text.accept_text, tests/test_identity.py (hold text)",
}


def _form_of(row: Row) -> str:
    for prefix, form in (
        ("new proposal", "proposals.ProposalForm"),
        ("agency response", "proposals.ResponseForm"),
        ("new consultation", "proposals.ConsultationForm"),
        ("new project", "projects.ProjectForm"),
        ("project deliberation", "projects.DeliberationForm"),
        ("project progress", "projects.ProgressForm"),
        ("project question", "projects.QuestionForm"),
    ):
        if row.name.startswith(prefix):
            return form
    return FORM_OF_ROW[row.name]


def test_the_table_covers_every_text_field_of_every_form(app):
    """Every text field of every form class in the app is a row of the table (or is named
    in NOT_TEXT with the reason): a form or a field added later fails here until it is."""
    import importlib
    import pkgutil
    from types import SimpleNamespace

    from flask_wtf import FlaskForm
    from wtforms import HiddenField, PasswordField, StringField

    import participate
    from participate.proposals.forms import response_form

    for module in pkgutil.walk_packages(participate.__path__, "participate."):
        importlib.import_module(module.name)
    with app.test_request_context():
        response_form([SimpleNamespace(id=1)])  # the response form's class is made per call

    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    wanted = set()
    for form in subclasses(FlaskForm):
        if not form.__module__.startswith("participate."):
            continue
        for name in dir(form):
            unbound = getattr(form, name)
            kind = getattr(unbound, "field_class", None)
            if kind is None or not issubclass(kind, StringField):
                continue
            if issubclass(kind, PasswordField | HiddenField):
                continue  # passwords are hashed, never shown; hidden fields carry ids
            # Fields made per measure (reasoning_12) stand for all of theirs.
            area = form.__module__.split(".")[1]
            wanted.add((f"{area}.{form.__name__}", re.sub(r"_\d+$", "_{measure}", name)))
    from tests import test_text_input_areas as areas  # regulations and surveys

    covered = {(_form_of(row), row.field) for row in ROWS} | set(NOT_TEXT)
    covered |= areas.COVERED | set(areas.NOT_TEXT)
    assert len(wanted) >= 35, sorted(wanted)
    assert wanted <= covered, sorted(wanted - covered)
