"""Page numbers and other numeric query arguments, checked at the edge once for every route
(issue 13): generated from the app's URL map, so a list added later is covered. Runs on
SQLite and PostgreSQL (PostgreSQL is where an out-of-range OFFSET or a NUL in a parameter
used to be a 500)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from participate import paging  # noqa
from participate.extensions import db
from participate.security import MAX_ID
from tests.search_fixtures import Corpus, corpus_fixture  # noqa: F401 - fixture

_ARG = re.compile(r"<(?:(?P<conv>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")

# What a hostile or careless client puts in ?page= (and ?per_page=).
BAD_PAGES = (
    str(10**20),
    str(2**63),
    str(2**31),
    str(paging.MAX_PAGE + 1),
    "-1",
    "0",
    "abc",
    "1\x00",
    "\x00",
    "１２",  # full-width digits: int() reads them, the edge does not
    "١٢",  # Arabic-Indic digits
    "1e3",
    " 1",
    "0x10",
    "9" * 5000,
)


def _objects(app: Flask, corpus: Corpus, admin: Any) -> dict[str, Any]:
    """Real rows for every kind of id a GET route takes, so each route reaches its view
    (and its paging) instead of stopping at a 404."""
    from participate.boundary import unit
    from participate.discussion import operations as discussion_ops
    from participate.models import Discussion, ModerationItem, Proposal, Statement, User
    from participate.timeutil import utcnow

    with app.app_context(), unit():
        user = db.session.get(User, admin.id)
        # An endorsing proposal has its deadline (the corpus leaves it out).
        db.session.get(Proposal, corpus.ids["P1"]).deadline = utcnow() + timedelta(days=30)
        statement = db.session.get(Statement, corpus.ids["S1"])
        reply = discussion_ops.reply(user, statement, "同意，待轉區要改。").item
        discussion_ops.report(user, statement, "spam", "")
        db.session.flush()
        item_id = db.session.scalar(db.select(db.func.max(ModerationItem.id)))
        discussion_id = db.session.scalar(
            db.select(Discussion.id).where(Discussion.proposal_id == corpus.ids["P1"])
        )
        reply_id = reply.id
        project_id, question_id = _project(corpus.agencies["motc"], user)
    return {
        "project_id": project_id,
        "question_id": question_id,
        "proposal_id": corpus.ids["P1"],
        "statement_id": corpus.ids["S1"],
        "reply_id": reply_id,
        "item_id": item_id,
        "discussion_id": discussion_id,
        "user_id": admin.id,
        "agency_id": corpus.agencies["motc"],
        "slug": "motc",
        "code": "en",
        "kind": "statement",
    }


def _project(agency_id: int, asker: Any) -> tuple[int, int]:
    """A major project of the agency, published by its staff, with a question on it."""
    from participate.models import Role, User
    from participate.projects import operations
    from participate.timeutil import taipei_today, utcnow
    from tests.conftest import enrol_staff

    staff = User(
        email="staff@motc.example.tw",
        display_name="交通部承辦",
        role=Role.AGENCY_STAFF,
        agency_id=agency_id,
        email_verified_at=utcnow(),
        privacy_accepted_at=utcnow(),
    )
    db.session.add(staff)
    db.session.flush()
    enrol_staff(staff)  # staff act with their second factor
    today = taipei_today()
    project = operations.publish_project(
        staff,
        operations.ProjectInput(
            name="花東鐵路雙軌電氣化計畫",
            summary="花東鐵路全線雙軌化。",
            goals="縮短行車時間。",
            total_budget=1_000,
            budgets={today.year: 1_000},
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=12, day=31),
            counties=["HUA"],
            kpis=[operations.KpiInput("雙軌化里程", "公里", 155.0)],
            milestones=[operations.MilestoneInput("全線通車", today.replace(month=12, day=31))],
        ),
    )
    question = operations.ask_question(asker, project, "何時開始施工？").question
    return project.id, question.id


def _path(rule: Rule, objects: dict[str, Any]) -> str:
    def value(m: re.Match[str]) -> str:
        if m["conv"] == "any":
            return m["args"].split(",")[0].strip().strip("'\"")
        return str(objects.get(m["name"], 1))

    return _ARG.sub(value, rule.rule)


def _get_routes(app: Flask) -> list[Rule]:
    skip = {"static", "api.opendata.download", "main.set_language", "auth.verify", "auth.reset"}
    return [
        r
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or set()) and r.endpoint not in skip
    ]


def test_every_get_route_survives_bad_page_numbers(app, client, corpus: Corpus, login, make_user):
    """Every GET route, logged in as an admin (who passes every permission check that could
    answer first), with each bad ?page= and ?per_page=: never a server error, and a bad
    number is a 400 (with the field named, in JSON on the API) wherever it is refused."""
    admin = make_user(role="admin")
    objects = _objects(app, corpus, admin)
    login(client, admin)
    routes = _get_routes(app)
    assert len(routes) >= 50, [r.rule for r in routes]
    baseline: dict[str, int] = {}
    failures: dict[str, int] = {}
    refused = 0
    for rule in routes:
        path = _path(rule, objects)
        baseline[path] = client.get(path).status_code
        for name in ("page", "per_page"):
            for bad in BAD_PAGES:
                resp = client.get(path, query_string={name: bad})
                if resp.status_code >= 500:
                    failures[f"{path}?{name}={bad[:20]!r}"] = resp.status_code
                if resp.status_code == 400:
                    refused += 1
                    if path.startswith("/api/"):
                        error = resp.get_json()["error"]
                        assert set(error) == {"code", "message", "fields"}, path
                        assert name in error["fields"], (path, error)
    assert not failures, failures
    assert all(status < 500 for status in baseline.values()), baseline
    # Not vacuous: the lists reached their views, and the bad numbers were refused.
    served = {p for p, status in baseline.items() if status == 200}
    assert len(served) >= 40, {p: s for p, s in baseline.items() if s != 200}
    for listing in (
        "/admin/users",
        "/admin/audit",
        "/proposals/",
        "/moderation/",
        "/moderation/audit",
        f"/proposals/{objects['proposal_id']}/discussion",
        f"/discussion/statements/{objects['statement_id']}",
        "/api/v1/proposals",
        "/search",
    ):
        assert listing in served, listing
    assert refused >= len(routes) * len(BAD_PAGES)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users",
        "/admin/audit",
        "/proposals/",
        "/moderation/",
        "/moderation/audit",
        "/api/v1/proposals",
    ],
)
def test_a_bad_page_is_a_400_that_names_the_parameter(app, client, login, make_user, path):
    login(client, make_user(role="admin"))
    resp = client.get(path, query_string={"page": str(10**20)})
    assert resp.status_code == 400
    if path.startswith("/api/"):
        assert "page" in resp.get_json()["error"]["fields"]
    else:
        # The page names the parameter, in the reader's language.
        assert "「page」必須是 1 到 500 的整數。" in resp.get_data(as_text=True)
    # And the good numbers still page.
    assert client.get(path, query_string={"page": "2"}).status_code == 200
    assert client.get(path, query_string={"page": str(paging.MAX_PAGE)}).status_code == 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1),
        ("1", 1),
        ("7", 7),
        (str(paging.MAX_PAGE), paging.MAX_PAGE),
    ],
)
def test_page_arg_reads_the_checked_page(app, raw: str | None, expected: int):
    query = {} if raw is None else {"page": raw}
    with app.test_request_context("/", query_string=query):
        assert paging.page_arg() == expected


@pytest.mark.parametrize(
    "raw", [str(paging.MAX_PAGE + 1), "0", "-1", "x", "１", "1\x00", str(10**20), "", " 2"]
)
def test_the_edge_refuses_what_page_arg_would_not_read(app, raw: str):
    with app.test_request_context("/", query_string={"page": raw}):
        assert "page" in paging.query_problems()


def test_id_args_are_bounded(app):
    with app.test_request_context("/", query_string={"discussion": str(MAX_ID + 1)}):
        assert paging.id_arg("discussion") is None
    with app.test_request_context("/", query_string={"discussion": str(MAX_ID)}):
        assert paging.id_arg("discussion") == MAX_ID
    for bad in ("0", "-3", "abc", "1\x00", "１２", "007"):
        with app.test_request_context("/", query_string={"discussion": bad}):
            assert paging.id_arg("discussion") is None, bad


def test_nul_in_any_query_argument_is_refused_at_the_edge(
    app, client, corpus: Corpus, login, make_user
):
    """A NUL in a text argument (search, filters) used to reach PostgreSQL, which refuses
    it in a parameter: a 500. Refused for every route before any view runs."""
    login(client, make_user(role="admin"))
    similar = f"/proposals/{corpus.ids['P1']}/discussion/similar.json"
    for path, name in (
        (similar, "text"),
        ("/search", "q"),
        ("/api/v1/search", "q"),
        ("/admin/users", "q"),
        ("/admin/audit", "action"),
        ("/moderation/audit", "action"),
        ("/proposals/", "agency"),
        ("/moderation/", "kind"),
    ):
        # The page's script asks for JSON, as an API client does.
        headers = {"Accept": "application/json"} if path.endswith(".json") else {}
        resp = client.get(path, query_string={name: "a\x00b"}, headers=headers)
        assert resp.status_code == 400, (path, resp.status_code)
        if path.startswith("/api/") or path.endswith(".json"):
            assert name in resp.get_json()["error"]["fields"]
    # Tabs and line breaks are text, not control characters: a typed statement keeps them.
    typed = client.get(similar, query_string={"text": "待轉區\n應該\t移到路口內側"})
    assert typed.status_code == 200 and "similar" in typed.get_json()


def test_text_segments_with_control_characters_are_not_routed(app, client, login, make_user):
    """``<slug>``, ``<token>``, ``<code>`` and ``<path:...>`` never carry a control character
    to a view (a NUL in ``/agencies/<slug>`` was a 500 on PostgreSQL): 404 from routing."""
    from werkzeug.exceptions import NotFound

    login(client, make_user(role="admin"))
    adapter = app.url_map.bind("localhost")
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
        and any(m["conv"] in (None, "string", "path") for m in _ARG.finditer(r.rule))
    ]
    assert len(rules) >= 5, [r.rule for r in rules]
    for rule in rules:
        for bad in ("a\x00b", "\x01", "x\x7fy", "\x9b"):
            path = _ARG.sub(
                lambda m, bad=bad: bad if m["conv"] in (None, "string", "path") else "1",
                rule.rule,
            )
            with pytest.raises(NotFound):
                adapter.match(path, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])
            assert client.get(path).status_code in (404, 405), path
        # Ordinary text is still routed.
        ok = _ARG.sub(lambda m: "motc" if m["conv"] != "int" else "1", rule.rule)
        assert adapter.match(ok, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])
