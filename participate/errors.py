"""Error pages in both languages, and JSON errors for the API and for fetch() callers."""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class RuleError(Exception):
    """An operation refused the action: the message is for the person, ``field`` names the
    form field it belongs to, ``fields`` holds several at once (field -> message), ``code``
    is the machine-readable reason of a JSON error (``"locked"``, ``"suspended"``...) when
    the status alone does not say it.

    Raising one marks the request as refused (:func:`participate.boundary.refused`), so the
    request boundary rolls back whatever the refused operation had flushed, even when a view
    catches the error to show the form again: a refusal never leaves half an action behind.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int = 400,
        fields: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.fields = dict(fields or {})
        self.code = code
        if has_app_context():
            g.refused = True


def wants_json() -> bool:
    """JSON for the API and for callers that prefer it to HTML (the site's fetch sends
    exactly ``Accept: application/json``: answered without parsing the header, as every
    vote asks)."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    path = req.path
    if path.startswith("/api/") or path == "/healthz":
        return True
    if req.headers.get("Accept") == "application/json":
        return True
    accept = req.accept_mimetypes
    best = accept.best_match(["application/json", "text/html"])
    return best == "application/json" and accept[best] > accept["text/html"]


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict | None = None,
    retry_after: int | None = None,
    plain: bool = False,
) -> Response:
    """The one shape of every error: JSON ``{"error": {...}}`` or the bilingual error page
    (``plain``: without the site's chrome, which reads the database)."""
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    elif plain:
        resp = Response(_plain_page(status, message), mimetype="text/html")
    else:
        try:
            page = render_template(
                "errors/error.html", status=status, message=message, retry_after=retry_after
            )
        except Exception:  # noqa: BLE001 - the page that reports an error must not fail
            # The full page runs the site's chrome (navigation, banners) and so the database;
            # when that is what failed, an exception here would leave the server's bare page.
            log.exception("the error page for %s failed; sending the plain one", status)
            page = _plain_page(status, message)
        resp = Response(page, mimetype="text/html")
    resp.status_code = status
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def _plain_page(status: int, message: str) -> str:
    """The error page without templates, chrome or database: status, message, a way home."""
    home = _("Back to the home page")
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{status}</title></head><body><h1>{status} · {escape(message)}</h1>"
        f'<p><a href="/">{escape(home)}</a></p></body></html>\n'
    )


# SQLSTATE classes that say the database cannot serve now, not that the statement was wrong:
# connection exceptions, operator intervention (shutdown, terminated, cannot connect now) and
# insufficient resources (too many connections, disk full).
_UNAVAILABLE_CLASSES = frozenset({"08", "57", "53"})
RETRY_AFTER_UNAVAILABLE = 10  # seconds: a restart or a fail-over, not a long outage


def database_unavailable(exc: BaseException) -> bool:
    """Did this fail because the database could not be reached (down, restarting, the
    connection cut, refusing connections), rather than because of what was asked?

    A lost race (a serialization failure, a unique key) or SQLite being busy is not: those
    keep their own answers (a 409 conflict at the commit)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if type(orig).__module__.startswith("sqlite3"):
        return False  # "database is locked" and the like: busy, answered as a conflict
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in _UNAVAILABLE_CLASSES
    # No SQLSTATE: the driver failed before the server answered (connection refused, the
    # server closed the connection, a timeout).
    return True


def unavailable_response() -> Response:
    """503 with Retry-After: the database cannot be reached. The page is the plain one: the
    full page would ask the same database for its navigation."""
    # Choosing the language may look at the signed-in person, who is loaded from the
    # database: when that load is what failed, answer as to someone not signed in.
    if has_request_context() and "_login_user" not in g:
        from flask import current_app

        g._login_user = current_app.login_manager.anonymous_user()
    try:
        code, message = _messages()[503]
    except Exception:  # noqa: BLE001 - the answer to an outage must not fail in its turn
        log.exception("translating the 503 message failed")
        code, message = "unavailable", "The service is briefly unavailable."
    return error_response(503, code, message, retry_after=RETRY_AFTER_UNAVAILABLE, plain=True)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request could not be understood.")),
        403: ("forbidden", _("You do not have permission to do that.")),
        404: ("not_found", _("We could not find that page.")),
        405: ("method_not_allowed", _("That action is not allowed here.")),
        409: ("conflict", _("That conflicts with the current state; reload and try again.")),
        413: ("too_large", _("What you sent is too large.")),
        429: ("rate_limited", _("Too many requests. Please wait and try again.")),
        500: ("server_error", _("Something went wrong on our side. It has been logged.")),
        503: (
            "unavailable",
            _("The service is briefly unavailable. Please try again in a few moments."),
        ),
    }


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        return error_response(
            400, "csrf", _("Your form expired or was not sent from this site. Please try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        code, message = _messages().get(status, ("error", exc.description or ""))
        retry_after = None
        if status == 429:
            limit = getattr(exc, "limit", None)
            retry_after = getattr(exc, "retry_after", None) or _retry_after(limit)
            if retry_after:
                message = _(
                    "Too many requests. Please try again in %(seconds)d seconds.",
                    seconds=retry_after,
                )
        custom = getattr(exc, "user_message", None)
        resp = error_response(status, code, custom or message, retry_after=retry_after)
        # The exception's own headers: Allow on a 405 (which RFC 9110 requires), for example.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                resp.headers.setdefault(name, value)
        return resp

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception) -> Response:
        from participate.extensions import db

        unavailable = database_unavailable(exc)
        if unavailable:
            log.error("database unavailable on %s: %s", request.path, exc.__class__.__name__)
        else:
            log.exception("unhandled error on %s", request.path)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - a broken connection must not break the error page
            log.exception("rollback after an unhandled error failed")
        if unavailable:
            return unavailable_response()
        code, message = _messages()[500]
        return error_response(500, code, message)


def _retry_after(limit: object) -> int | None:
    try:
        from flask_limiter import current_limiter

        window = current_limiter.current_limit
        if window is not None:
            import time

            return max(1, int(window.reset_at - time.time()))
    except Exception:  # noqa: BLE001, S110 - the page still works without the number
        pass
    return 60 if limit is not None else None
