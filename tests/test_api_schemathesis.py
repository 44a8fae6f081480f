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
