"""schemathesis drives every documented API operation in-process (WSGI): no 500s, every
status documented, every body matching its schema. Runs on SQLite and PostgreSQL.

(One test looping over the operations: schemathesis' ``from_fixture`` loader does not work
with pytest 9, and the app is a session fixture, so the schema cannot be loaded at import.)
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.search_fixtures import corpus_fixture  # noqa: F401 - fixture

EXAMPLES = 20


def test_api_conforms_to_its_openapi_document(app: Any, corpus: Any, make_user: Any) -> None:
    """With a live token carrying every scope, so the write paths run for real too."""
    from participate.api.tokens import create_token
    from participate.boundary import unit
    from participate.extensions import db, limiter
    from participate.models import User

    person = make_user()
    with app.app_context(), unit():
        _token, secret = create_token(
            db.session.get(User, person.id), "schemathesis", ["vote", "statements:write"]
        )
    headers = {"Authorization": f"Bearer {secret}"}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    limiter.enabled = False
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                case.call_and_validate(headers=headers)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    finally:
        limiter.enabled = True
    assert operations >= 12
    assert not failures, "\n\n".join(failures)


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
                max_examples=EXAMPLES,
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
