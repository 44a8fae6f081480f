"""Turn the OpenAPI document into a simple structure the docs page renders (no JavaScript,
no CDN: the page must work offline and in any browser)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# The sections' headings (the OpenAPI tags stay codes) and where a parameter goes.
TAG_LABELS: dict[str, Any] = {
    "meta": _l("About the API"),
    "agencies": _l("Agencies"),
    "proposals": _l("Proposals and consultations"),
    "projects": _l("Major projects"),
    "discussion": _l("Discussions"),
    "responses": _l("Agency responses"),
    "regulations": _l("Draft regulations"),
    "search": _l("Search"),
    "surveys": _l("Surveys"),
}
PLACE_LABELS: dict[str, Any] = {"query": _l("query string"), "path": _l("path")}


def tag_label(tag: str) -> str:
    label = TAG_LABELS.get(tag)
    return str(label) if label is not None else _("Other endpoints")


def place_label(place: str) -> str:
    label = PLACE_LABELS.get(place)
    return str(label) if label is not None else place


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        found: Any = spec
        for p in parts:
            found = found[p]
        node = found
    return node


def _type(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(spec, schema) or {}
    t = schema.get("type", "object")
    if t == "array":
        return _type(spec, schema.get("items", {})) + "[]"
    if "format" in schema:
        t = f"{t} ({schema['format']})"
    if schema.get("nullable"):
        t += " | null"
    return t


def _fields(spec: dict[str, Any], schema: Any, depth: int = 0) -> list[dict[str, Any]]:
    schema = _resolve(spec, schema) or {}
    out: list[dict[str, Any]] = []
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        prop_r = _resolve(spec, prop) or {}
        out.append(
            {
                "name": name,
                "depth": depth,
                "type": _type(spec, prop),
                "required": name in required,
                "description": prop_r.get("description", ""),
                "enum": prop_r.get("enum") or [],
            }
        )
        inner = prop_r.get("items") if prop_r.get("type") == "array" else prop_r
        inner = _resolve(spec, inner) or {}
        if depth < 2 and inner.get("properties"):
            out.extend(_fields(spec, inner, depth + 1))
    return out


def document(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Sections by tag, each with its operations, parameters and response fields."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            params = []
            for p in op.get("parameters", []):
                sch = p.get("schema", {})
                params.append(
                    {
                        "name": p["name"],
                        "in": p["in"],
                        "type": _type(spec, sch),
                        "required": p.get("required", False),
                        "enum": sch.get("enum") or [],
                        "description": p.get("description", ""),
                    }
                )
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ok_status = next((c for c in op["responses"] if c.startswith("2")), "200")
            ok = op["responses"].get(ok_status, {})
            ok_schema = ok.get("content", {}).get("application/json", {}).get("schema")
            errors = [c for c in op["responses"] if c[0] in "45"]
            sections.setdefault(op["tags"][0], []).append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": _fields(spec, body.get("schema")) if body else [],
                    "status": ok_status,
                    "response": _fields(spec, ok_schema) if ok_schema else [],
                    "errors": errors,
                    "scope": op.get("x-scope"),
                }
            )
    return [{"tag": tag, "operations": ops} for tag, ops in sections.items()]
