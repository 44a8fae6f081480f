"""schemathesis drives the projects operations of ``/api/v1`` in-process (WSGI) over the demo
projects (four phases, progress histories, answered and unanswered questions): no 500s,
every status documented, every body matching its schema. The generated cases rarely hit
an existing id, so every existing project is also called explicitly with generated query
strings. Runs on SQLite and PostgreSQL. (The whole document is also driven by
tests/test_api_schemathesis.py.)"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

EXAMPLES = 30


def test_projects_api_conforms_to_its_openapi_document(app: Any) -> None:
    from participate.cli import seed_all
    from participate.extensions import db, limiter
    from participate.models import Project

    with app.app_context():
        seed_all(lambda _line: None)
        ids = list(db.session.scalars(select(Project.id).order_by(Project.id)))
        db.session.remove()
    assert len(ids) >= 3

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(
        path_regex="/projects"
    )
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
                if "project_id" in (case.path_parameters or {}):
                    # Half the cases on a real project, half on whatever was generated.
                    if case.path_parameters["project_id"] % 2:
                        case.path_parameters["project_id"] = ids[
                            case.path_parameters["project_id"] % len(ids)
                        ]
                case.call_and_validate()

            try:
                run()
                for pid in ids if "{project_id}" in operation.path else []:
                    operation.Case(path_parameters={"project_id": pid}).call_and_validate()
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    finally:
        limiter.enabled = True
    assert operations == 3
    assert not failures, "\n\n".join(failures)
