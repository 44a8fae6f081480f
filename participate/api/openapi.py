"""The OpenAPI 3 document, generated from the view functions and their marshmallow schemas.

Why apispec + marshmallow rather than flask-smorest: smorest's ``Api`` must own the app
(it installs app-wide error handlers with its own error shape and registers blueprints
itself), while this app registers plain blueprints automatically and has one error shape
for the whole site. Here each API view carries an :func:`operation` description; the same
marshmallow schemas serialise the responses and validate the input, and apispec turns them
into the document, so the document cannot drift from the code.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

API_VERSION = "1.0.0"
ERROR_STATUSES = {
    400: "The request is invalid; `fields` says which parameter or body field and why "
    "(`code` `invalid`).",
    401: "A valid API token is required: none was sent, or it is unknown or revoked "
    "(`code` `unauthorized`).",
    403: "The token lacks the scope (`insufficient_scope`), or the rules do not allow this "
    "now: the discussion is closed, the account is suspended (`suspended`) or unconfirmed, "
    "the thread is locked by the moderators (`locked`), otherwise `forbidden`.",
    404: "No such item, or it is not public (`not_found`).",
    409: "It conflicts with the current state: a repeated or too frequent statement, or a "
    "concurrent change; reload and try again (`conflict`).",
    413: "The request body is larger than the server accepts (`too_large`).",
    429: "Too many requests; `Retry-After` says how many seconds to wait (`rate_limited`).",
}
# Headers an error response carries, by status.
ERROR_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": '`Bearer realm="participate"`',
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def operation(
    summary: str,
    *,
    tags: list[str],
    response: Any = None,
    query: Any = None,
    body: Any = None,
    errors: tuple[int, ...] = (),
    status: int = 200,
    description: str = "",
    scope: str | None = None,
    cacheable: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach the OpenAPI description of one endpoint to its view function."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn._apidoc = {  # type: ignore[attr-defined]
            "summary": summary,
            "tags": tags,
            "response": response,
            "query": query,
            "body": body,
            "errors": errors,
            "status": status,
            "description": description or inspect.cleandoc(fn.__doc__ or ""),
            "scope": scope,
            "cacheable": cacheable,
        }
        return fn

    return deco


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for conv, name in _CONVERTER.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if conv == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": 2147483647}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return _CONVERTER.sub(r"{\2}", rule), params


def build_spec(app: Flask, blueprint: str = "api.v1") -> dict[str, Any]:
    from participate.api import schemas

    spec = APISpec(
        title="participate open data API",
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Public proposals, consultations, discussion statements with vote counts, "
                "official responses point by point, opinion analyses, statistics, search, "
                "major projects under public oversight (milestones, indicators, progress "
                "history, questions and answers), and draft regulations open for comment "
                "(法規預告) with their comparison tables, comments and response tables. "
                "Data: Open Government Data License, version 1.0 (Taiwan); data imported from "
                "Pol.is keeps its CC BY 4.0 attribution. Reads need no key; writes need a "
                "personal API token (`Authorization: Bearer <token>`) with the right scope."
            ),
            "license": {
                "name": "Open Government Data License, version 1.0 (Taiwan)",
                "url": "https://data.gov.tw/license",
            },
        },
    )
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "Personal API token"}
    )
    for status, text in ERROR_STATUSES.items():
        response: dict[str, Any] = {
            "description": text,
            "content": {"application/json": {"schema": "Error"}},
        }
        if status in ERROR_HEADERS:
            response["headers"] = ERROR_HEADERS[status]
        spec.components.response(f"E{status}", response)
    prefix = blueprint + "."
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    for rule in rules:
        if not rule.endpoint.startswith(prefix):
            continue
        fn = app.view_functions[rule.endpoint]
        doc = getattr(fn, "_apidoc", None)
        if doc is None:
            continue
        path, path_params = _path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "summary": doc["summary"],
                "tags": doc["tags"],
                "operationId": rule.endpoint.removeprefix(prefix).replace(".", "_"),
                "parameters": list(path_params),
                "responses": {},
            }
            if doc["description"]:
                op["description"] = doc["description"]
            if doc["query"] is not None:
                op["parameters"].append({"in": "query", "schema": doc["query"]})
            if doc["body"] is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": doc["body"]}},
                }
            ok: dict[str, Any] = {"description": "Created" if doc["status"] == 201 else "OK"}
            if doc["response"] is not None:
                ok["content"] = {"application/json": {"schema": doc["response"]}}
            if method == "GET" and doc["cacheable"]:
                ok["headers"] = {
                    "ETag": {"schema": {"type": "string"}},
                    "Last-Modified": {"schema": {"type": "string"}},
                }
                op["responses"]["304"] = {"description": "Not modified (If-None-Match matched)"}
            op["responses"][str(doc["status"])] = ok
            errors = set(doc["errors"]) | {429}
            if doc["query"] is not None or doc["body"] is not None:
                errors.add(400)
            if doc["body"] is not None:
                errors.add(413)
            if doc["scope"]:
                errors |= {401, 403}
            for status in sorted(errors):
                op["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
            if doc["scope"]:
                op["security"] = [{"token": []}]
                op["x-scope"] = doc["scope"]
                op["description"] = (
                    op.get("description", "")
                    + f"\n\nRequires a token with the `{doc['scope']}` scope."
                ).strip()
            spec.path(path=path, operations={method.lower(): op})
    return spec.to_dict()
