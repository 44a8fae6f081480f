"""Home, language switch, privacy notice, health check and the development outbox."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_login import current_user
from sqlalchemy import select, text

from participate.account import operations as account_operations
from participate.auth.signin import safe_next as _safe_next
from participate.extensions import db
from participate.i18n import LOCALES
from participate.models import MailMessage

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> str:
    return render_template("main/index.html")


@bp.route("/privacy")
def privacy() -> str:
    return render_template("main/privacy.html")


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code: str) -> Response:
    """The language switch.

    POST is the form in every page's header (CSRF-checked like every form; it works
    without JavaScript): it switches this browser's session and, for a logged-in account,
    the stored preference its mail and next visits use. GET (a shared link) switches the
    session only: a link on another site must not change anyone's account.
    """
    if code not in LOCALES:
        abort(404)
    session["lang"] = code
    if request.method == "POST" and current_user.is_authenticated:
        account_operations.set_locale(current_user, code)
    return redirect(_safe_next(request.form.get("next") or request.args.get("next")))


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    from participate.jobs import queue_status

    result: dict = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        result["database"] = {"ok": True, "dialect": db.engine.dialect.name}
    except Exception as exc:  # noqa: BLE001 - healthz reports, never raises
        db.session.rollback()
        result["database"] = {"ok": False, "error": str(exc)[:200]}
        result["status"] = "error"
    try:
        result["queue"] = queue_status()
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        result["queue"] = {"ok": False, "error": str(exc)[:200]}
    if not result["queue"].get("ok"):
        result["status"] = "error"
    return jsonify(result), 200 if result["status"] == "ok" else 503


@bp.route("/dev/outbox")
def outbox() -> str:
    if not current_app.config["DEV_OUTBOX"]:
        abort(404)
    messages = db.session.scalars(
        select(MailMessage).order_by(MailMessage.id.desc()).limit(100)
    ).all()
    return render_template("main/outbox.html", messages=messages)


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico regardless of the <link>; answer instead of a 404."""
    return redirect("/static/favicon.svg", code=301)


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    app.register_blueprint(bp)
