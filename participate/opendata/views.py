"""The downloads page ``/opendata/`` and the files it lists."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, render_template, send_from_directory
from flask_babel import gettext as _

from participate.opendata.build import LICENSE_URL, dumps_dir, load_manifest

bp = Blueprint("opendata", __name__, url_prefix="/opendata")

_TYPES = {".csv": "text/csv; charset=utf-8", ".zip": "application/zip", ".json": "application/json"}


@bp.route("/")
def index() -> str:
    manifest = load_manifest()
    generated = datetime.fromisoformat(manifest["generated_at"]) if manifest else None
    return render_template(
        "opendata/index.html",
        manifest=manifest,
        generated=generated,
        license_name=_("Open Government Data License, version 1.0 (Taiwan)"),
        license_url=LICENSE_URL,
    )


@bp.route("/<path:name>")
def download(name: str) -> Response:
    """Only files the manifest lists (plus the manifest and the license) are served."""
    manifest = load_manifest()
    listed = {f["name"] for f in (manifest or {}).get("files", [])}
    if name not in listed | {"manifest.json", "LICENSE.txt"}:
        abort(404)
    suffix = "." + name.rsplit(".", 1)[-1]
    resp = send_from_directory(
        dumps_dir(),
        name,
        mimetype=_TYPES.get(suffix, "text/plain; charset=utf-8"),
        as_attachment=suffix in (".csv", ".zip"),
        download_name=name.replace("/", "-"),
        max_age=3600,
    )
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
