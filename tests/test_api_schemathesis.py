"""schemathesis drives every documented API operation in-process (WSGI), reads and writes,
with data that fits the OpenAPI document and data that does not: no server error, every
status documented, every body matching its schema (the error shape included). Runs on
SQLite and PostgreSQL.

The writes run for real: a personal API token with the write scopes, and most generated
cases aim at statements that exist (an open consultation's, a closed one's, a hidden one, a
locked thread) rather than at random ids, which would only ever meet a 404. Other cases
carry a token without the scope, a revoked one, a confirmed account's that was suspended
since, or none. Deterministic (``derandomize``), with a bounded number of examples per
operation and mode.

(One test looping over the operations: schemathesis' ``from_fixture`` loader does not work
with pytest 9, and the app is a session fixture, so the schema cannot be loaded at import.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from participate.extensions import db
from tests.reports_fixtures import make_camps, make_proposal
from tests.search_fixtures import Corpus, corpus_fixture  # noqa: F401 - fixture

# Examples per read or write operation and mode; PARTICIPATE_SCHEMATHESIS_SCALE=10 for a
# deeper run by hand (the default keeps both databases together within a minute or two).
SCALE = int(os.environ.get("PARTICIPATE_SCHEMATHESIS_SCALE", "1"))
READS = 25 * SCALE
# Ids at and past the edge of what the id columns hold, in every id path parameter: an
# out-of-range id once answered 405 (not 404) where another method shared the path.
EDGE_IDS = [2**31 - 1, 2**31, 4198846980, 9999999999, 2**63, 10**20]
WRITES = 60 * SCALE


@dataclass
class World:
    """What the cases aim at: tokens by name, and ids that exist."""

    tokens: dict[str, str] = field(default_factory=dict)
    statement_ids: list[int] = field(default_factory=list)
    proposal_ids: list[int] = field(default_factory=list)
    closed_hidden_locked: list[int] = field(default_factory=list)  # statement ids
    agency_ids: list[int] = field(default_factory=list)


def _token(app: Flask, user_id: int, scopes: list[str], revoke: bool = False) -> str:
    from participate.api.tokens import create_token, revoke_token
    from participate.boundary import unit
    from participate.models import User

    with app.app_context(), unit():
        user = db.session.get(User, user_id)
        row, secret = create_token(user, "schemathesis", scopes)
        if revoke:
            revoke_token(user, row.id)
    return secret


@pytest.fixture()
def world(app: Flask, corpus: Corpus, make_user: Any) -> World:
    """The search corpus (proposals of every status, a published response), an open
    consultation with voters and a finished analysis, a closed consultation, a hidden
    statement and a locked thread."""
    from participate.models import (
        ContentStatus,
        Proposal,
        ProposalStatus,
        Statement,
        ThreadLock,
        User,
    )
    from participate.reports import scheduler
    from participate.timeutil import utcnow

    camps = make_camps(app, people=12)
    with app.app_context():
        outcome = scheduler.run_analysis(camps.discussion_id, "command", requeue=False)
        assert outcome.status == "succeeded", outcome
    closed_id, closed_discussion = make_proposal(app, "已結束的諮詢")
    with app.app_context():
        db.session.get(Proposal, closed_id).status = ProposalStatus.CLOSED
        extra = [
            Statement(discussion_id=closed_discussion, text="結束後不能再表態"),
            Statement(discussion_id=camps.discussion_id, text="藏起來的意見"),
            Statement(discussion_id=camps.discussion_id, text="被鎖住的討論串"),
        ]
        extra[1].status = ContentStatus.HIDDEN
        db.session.add_all(extra)
        db.session.flush()
        db.session.add(ThreadLock(discussion_id=camps.discussion_id, statement_id=extra[2].id))
        db.session.commit()
        extra_ids = [s.id for s in extra]

    person = make_user()
    suspended = make_user()
    w = World()
    w.tokens["full"] = _token(app, person.id, ["vote", "statements:write"])
    w.tokens["vote only"] = _token(app, person.id, ["vote"])
    w.tokens["write only"] = _token(app, person.id, ["statements:write"])
    w.tokens["revoked"] = _token(app, person.id, ["vote", "statements:write"], revoke=True)
    w.tokens["suspended"] = _token(app, suspended.id, ["vote", "statements:write"])
    with app.app_context():
        db.session.get(User, suspended.id).suspended_until = utcnow() + timedelta(days=7)
        db.session.commit()
    w.statement_ids = [*camps.statement_ids, *extra_ids, corpus.ids["S1"], corpus.ids["S3"]]
    w.closed_hidden_locked = extra_ids
    w.agency_ids = sorted(corpus.agencies.values())
    w.proposal_ids = [camps.proposal_id, closed_id, corpus.ids["C3"], corpus.ids["P5"]]
    w.proposal_ids += [corpus.ids["P1"], corpus.ids["P4"]]
    return w


def _auth(world: World) -> st.SearchStrategy[dict[str, str]]:
    """Mostly the token with every scope, sometimes another one or none at all."""
    full = {"Authorization": f"Bearer {world.tokens['full']}"}
    others = [{"Authorization": f"Bearer {t}"} for k, t in world.tokens.items() if k != "full"]
    return st.one_of(
        st.just(full),
        st.just(full),
        st.just(full),
        st.sampled_from([*others, {}, {"Authorization": "Bearer pt_unknown"}]),
    )


def _cases(operation: Any, mode: GenerationMode, world: World) -> st.SearchStrategy[Any]:
    """Generated cases; for an operation on a statement or a proposal, most of them aim at
    one that exists."""
    generated = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    ids = {
        "statement_id": [*world.statement_ids, *EDGE_IDS],
        "proposal_id": [*world.proposal_ids, *EDGE_IDS],
        "agency_id": [*world.agency_ids, *EDGE_IDS],
        "project_id": EDGE_IDS,  # real projects: tests/test_projects_api_schemathesis.py
    }
    aimed = [
        operation.as_strategy(generation_mode=mode, path_parameters={name: value})
        for name in names & ids.keys()
        for value in ids[name]
    ]
    if not aimed or mode is GenerationMode.NEGATIVE:
        return generated if not aimed else st.one_of(generated, *aimed)
    return st.one_of(*aimed, generated)


def test_api_conforms_to_its_openapi_document(app: Flask, world: World) -> None:
    from participate.extensions import limiter

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    operations = writes = 0
    limiter.enabled = False  # 429 has its own test; here it would hide everything else
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            write = operation.method.upper() != "GET"
            writes += write
            negatable = any(
                len(group) for group in (operation.path_parameters, operation.query)
            ) or bool(operation.body)
            modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * negatable
            for mode in modes:

                @given(case=_cases(operation, mode, world), headers=_auth(world))
                @settings(
                    max_examples=WRITES if write else READS,
                    derandomize=True,
                    deadline=None,
                    database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: Any, headers: dict[str, str]) -> None:
                    response = case.call_and_validate(headers=headers)
                    seen.add((case.method.upper(), case.path, response.status_code))

                try:
                    run()
                except Exception as exc:  # noqa: BLE001 - collect every operation's failure
                    failures.append(f"{operation.method.upper()} {operation.path} {mode}: {exc}")
    finally:
        limiter.enabled = True
    assert operations >= 12 and writes == 2
    assert not failures, "\n\n".join(failures)
    by_operation: dict[str, set[int]] = {}
    for method, path, code in seen:
        by_operation.setdefault(f"{method} {path}", set()).add(code)
    for label, codes in sorted(by_operation.items()):
        print(label, sorted(codes))
    # The writes really ran: each answered success, bad input and every kind of refusal.
    vote = by_operation["POST /api/v1/statements/{statement_id}/vote"]
    assert {200, 400, 401, 403, 404} <= vote, sorted(vote)
    post = by_operation["POST /api/v1/proposals/{proposal_id}/statements"]
    assert {201, 400, 401, 403, 404} <= post, sorted(post)


def _operation(schema: Any, method: str, path: str) -> Any:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    raise AssertionError(f"{method} {path} is not in the document")


VOTE = "/api/v1/statements/{statement_id}/vote"
POST = "/api/v1/proposals/{proposal_id}/statements"
WRITE_STATUSES = {"400", "401", "403", "404", "409", "413", "429"}


def test_write_operations_document_every_status_and_the_error_shape(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = spec["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"code", "message", "fields"}
    for path, ok in ((VOTE, "200"), (POST, "201")):
        op = spec["paths"][path]["post"]
        assert set(op["responses"]) == {ok, *WRITE_STATUSES}, path
        for status in WRITE_STATUSES:
            ref = op["responses"][status]["$ref"]
            response = spec["components"]["responses"][ref.rsplit("/", 1)[1]]
            assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
        assert op["security"] == [{"token": []}] and op["x-scope"]
        assert op["requestBody"]["required"] is True
    assert "Retry-After" in spec["components"]["responses"]["E429"]["headers"]
    assert "WWW-Authenticate" in spec["components"]["responses"]["E401"]["headers"]


def test_every_status_of_the_writes_is_produced_and_conforms(app: Flask, world: World) -> None:
    """Each status the document lists for a write, produced on purpose through
    schemathesis, which checks that it is documented and that the body and the headers
    match (the error shape included): the random cases above reach most but not all."""
    from participate.extensions import limiter
    from participate.security import MAX_ID

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    vote, post = _operation(schema, "POST", VOTE), _operation(schema, "POST", POST)

    def bearer(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens[name]}"}

    open_sid, (closed_sid, hidden_sid, locked_sid) = (
        world.statement_ids[0],
        world.closed_hidden_locked,
    )
    open_pid, closed_pid = world.proposal_ids[0], world.proposal_ids[1]
    in_review = world.proposal_ids[-1]
    huge = "x" * 2_000_000
    cases: list[tuple[Any, dict[str, Any], Any, dict[str, str], int, str]] = [
        (vote, {"statement_id": open_sid}, {"value": 1}, bearer("full"), 200, ""),
        (vote, {"statement_id": open_sid}, {"value": 5}, bearer("full"), 400, "invalid"),
        (vote, {"statement_id": open_sid}, {}, bearer("full"), 400, "invalid"),
        (vote, {"statement_id": open_sid}, [1], bearer("full"), 400, "invalid"),
        (vote, {"statement_id": open_sid}, {"value": 1}, {}, 401, "unauthorized"),
        (vote, {"statement_id": open_sid}, {"value": 1}, bearer("revoked"), 401, "unauthorized"),
        (
            vote,
            {"statement_id": open_sid},
            {"value": 1},
            bearer("write only"),
            403,
            "insufficient_scope",
        ),
        (vote, {"statement_id": open_sid}, {"value": 1}, bearer("suspended"), 403, "suspended"),
        (vote, {"statement_id": closed_sid}, {"value": 1}, bearer("full"), 403, "forbidden"),
        (vote, {"statement_id": locked_sid}, {"value": 1}, bearer("full"), 403, "locked"),
        (vote, {"statement_id": hidden_sid}, {"value": 1}, bearer("full"), 404, "not_found"),
        (vote, {"statement_id": MAX_ID}, {"value": 1}, bearer("full"), 404, "not_found"),
        (
            vote,
            {"statement_id": open_sid},
            {"value": 1, "pad": huge},
            bearer("full"),
            413,
            "too_large",
        ),
        (
            post,
            {"proposal_id": open_pid},
            {"text": "新的意見：多設置待轉區"},
            bearer("full"),
            201,
            "",
        ),
        (
            post,
            {"proposal_id": open_pid},
            {"text": "新的意見：多設置待轉區"},
            bearer("full"),
            409,
            "conflict",
        ),
        (post, {"proposal_id": open_pid}, {"text": "\u200b\u200d"}, bearer("full"), 400, "invalid"),
        (post, {"proposal_id": open_pid}, {"text": "a\x00b"}, bearer("full"), 400, "invalid"),
        (post, {"proposal_id": open_pid}, {"text": "長" * 301}, bearer("full"), 400, "invalid"),
        (post, {"proposal_id": open_pid}, {"text": 7}, bearer("full"), 400, "invalid"),
        (post, {"proposal_id": open_pid}, {"text": "x"}, {}, 401, "unauthorized"),
        (
            post,
            {"proposal_id": open_pid},
            {"text": "x"},
            bearer("vote only"),
            403,
            "insufficient_scope",
        ),
        (
            post,
            {"proposal_id": closed_pid},
            {"text": "晚到的意見"},
            bearer("full"),
            403,
            "forbidden",
        ),
        (post, {"proposal_id": in_review}, {"text": "審查中"}, bearer("full"), 404, "not_found"),
        (post, {"proposal_id": MAX_ID}, {"text": "x"}, bearer("full"), 404, "not_found"),
        (post, {"proposal_id": open_pid}, {"text": huge}, bearer("full"), 413, "too_large"),
    ]
    limiter.enabled = False
    try:
        for operation, path, body, headers, status, code in cases:
            case = operation.Case(path_parameters=path, body=body, media_type="application/json")
            response = case.call_and_validate(headers=headers)
            assert response.status_code == status, (path, body, response.text[:300])
            if code:
                assert response.json()["error"]["code"] == code, response.text[:300]
    finally:
        limiter.enabled = True

    # 429: the write limit per token, with Retry-After, in the error shape.
    app.config["API_WRITE_RATE_LIMIT"] = "2 per minute"
    limiter.reset()
    statuses = []
    for _ in range(3):
        case = vote.Case(
            path_parameters={"statement_id": open_sid},
            body={"value": -1},
            media_type="application/json",
        )
        response = case.call_and_validate(headers=bearer("full"))
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429], statuses
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["retry-after"][0]) >= 1  # checked against the document too


def test_unsupported_methods_answer_405_with_allow(app: Flask) -> None:
    """Each API path with a method it does not have: 405, the methods it has in ``Allow``
    (RFC 9110 requires it), the error shape."""
    client = app.test_client()
    for path, method, allowed in (
        ("/api/v1/statements/1/vote", "DELETE", "POST"),
        ("/api/v1/statements/1/vote", "GET", "POST"),
        ("/api/v1/proposals/1", "POST", "GET"),
        ("/api/v1/proposals", "PUT", "GET"),
    ):
        response = client.open(path, method=method)
        assert response.status_code == 405, (path, method)
        assert allowed in response.headers["Allow"], response.headers
        assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_regulations_api_conforms_with_drafts_in_every_phase(app: Any, make_user: Any) -> None:
    """The /regulations operations again, with data behind them: draft 1 has its response
    table published (comments, rows), draft 2 is open, draft 3 is being prepared (404)."""
    from datetime import timedelta

    from participate.boundary import unit
    from participate.extensions import db, limiter
    from participate.models import RegulationDraft, Role, User
    from participate.regulations import operations as ops
    from participate.regulations.queries import answerable_comments
    from participate.timeutil import utcnow

    agency_staff = make_user(role=Role.AGENCY_STAFF.value, agency=_agency(app))
    people = [make_user() for _ in range(2)]
    start = utcnow() - timedelta(days=90)
    table = "修正條文\t現行條文\t說明\n第一條　甲。\t第一條　乙。\t改。\n第二條　丙。\t\t增。\n"
    with app.test_request_context(), unit():
        staff = db.session.get(User, agency_staff.id)
        for n, (at, days) in enumerate(((start, 60), (utcnow(), 60), (None, 0))):
            draft = ops.create_draft(staff, ops.DraftInput(f"草案{n}", "", "", "說明"), now=at)
            ops.paste_articles(staff, draft, table, now=at)
            if at is None:
                continue
            ops.publish_draft(staff, draft, days, "", now=at)
            for i, person in enumerate(people):
                who = db.session.get(User, person.id)
                article = draft.articles[i % 2] if i else None
                ops.post_comment(who, draft, f"草案{n}第{i}則", article, now=at + timedelta(days=1))
    with app.test_request_context(), unit():
        first = db.session.get(RegulationDraft, 1)
        ids = [c.id for c in answerable_comments(first.id)]
        rows = [ops.RowInput([cid], "", "adopted", "採納。") for cid in ids]
        ops.save_response_table(db.session.get(User, agency_staff.id), first, "", rows, True)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: dict[tuple[str, int], int] = {}
    operations = 0
    limiter.enabled = False
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith("/api/v1/regulations"):
                continue
            operations += 1

            @given(case=operation.as_strategy())
            @settings(
                max_examples=READS,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                case.call_and_validate()

            try:
                run()
                # Random ids seldom hit the three drafts: ask for each of them too.
                if "{draft_id}" in operation.path:
                    for draft_id in (1, 2, 3):
                        response = operation.Case(
                            path_parameters={"draft_id": draft_id}
                        ).call_and_validate()
                        statuses[(operation.path, draft_id)] = response.status_code
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    finally:
        limiter.enabled = True
    assert operations == 4
    base = "/api/v1/regulations/{draft_id}"
    assert statuses == {
        **{(base + tail, 1): 200 for tail in ("", "/comments", "/responses")},
        **{(base + tail, 2): 200 for tail in ("", "/comments")},
        (base + "/responses", 2): 404,  # open: no response table yet
        **{(base + tail, 3): 404 for tail in ("", "/comments", "/responses")},  # preparing
    }
    assert not failures, "\n\n".join(failures)


def _agency(app: Any) -> int:
    from participate.boundary import unit
    from participate.demo import get_or_create_agency

    with app.app_context(), unit():
        return get_or_create_agency("motc", "交通部", "Ministry of Transportation").id
