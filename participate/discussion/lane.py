"""The vote's lane: the site's JSON vote answered in front of Flask's request machinery.

Why: the vote is the busiest request a national consultation brings (issue 12: tens of
thousands of people within the hour). Its own work is one query, one policy question and
one CTE; Flask's request and response objects, the routing and every extension's before-
and after-request functions came on top: measured in one process, a vote cost 0.80 ms of
CPU through the view and 0.58 ms here (bench/votes.py: 15-19% more votes a second on
SQLite, 7-9% on PostgreSQL, and half the p99). So a WSGI layer in front of the app answers
the one request it is sure of, the vote the site's script sends, with the very parts the
view uses, in the view's order:

- who: the signed session cookie, read by the app's own session interface
  (:meth:`participate.signed.RememberingSessionInterface.load`);
- that the page asking is ours: the CSRF token, checked by the app's own CSRF protection
  (:meth:`participate.signed.RememberingCSRFProtect.good`, and over HTTPS the referrer);
- the person's vote budget: :func:`participate.ratelimit.enforce`, the same counter;
- :func:`queries.vote_context` and :func:`operations.vote`: the same one query, the same
  policy, the same writes;
- the boundary's commit and the outbox after it (:func:`participate.boundary.commit`);
- the view's JSON and the headers every response carries
  (:func:`participate.security.plain_headers`).

Anything else goes to the app unchanged, body included, and the view answers it: a form
post (it answers with a redirect), a visitor, a refusal (the view says why, in the
person's language), a spent budget, a statement that does not exist, a staff account (its
second factor lives in the session), a failed commit, a body the lane does not read. What
the lane hands over it has not written: its transaction is rolled back first, and a hit
within the budget that it counted is not counted again (``ratelimit.enforce`` counts a
request once, by its WSGI environment).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from participate import boundary, policy, ratelimit, security
from participate.auth.loader import parse_session_id
from participate.discussion import operations, queries
from participate.discussion.forms import VOTE_WORDS
from participate.errors import RuleError
from participate.extensions import csrf
from participate.signed import RememberingSessionInterface

log = logging.getLogger(__name__)

_PATH = re.compile(rf"/discussion/statements/({security.IdConverter.regex})/vote")
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
# A vote's body is a few dozen bytes (the value and the CSRF token); bigger ones are left
# to the app, which bounds them as it bounds every body.
MAX_BODY = 2048

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class VoteLane:
    """The WSGI layer; ``answered`` counts the votes it answered itself (the tests read
    it: a lane that quietly handed everything over would look correct)."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.answered = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match is not None:
                answer = self._vote(environ, int(match.group(1)))
                if answer is not None:
                    self.answered += 1
                    start_response("200 OK", answer[0])
                    return [answer[1]]
        return self.wsgi_app(environ, start_response)

    def _vote(self, environ: dict[str, Any], statement_id: int) -> tuple[list, bytes] | None:
        fields = _read_fields(environ, self.app)
        if fields is None:
            return None
        value = VOTE_WORDS.get(str(fields.get("value", "")).strip().lower())
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(
            self.app.config["SESSION_COOKIE_NAME"]
        )
        if value is None or not cookie:
            return None
        # The app's context, as Flask's request would have it: the one already pushed for
        # this app (a test, a command calling the app), else a new one for this vote. What
        # goes wrong unforeseen is the view's to answer too (its error pages, never a bare
        # 500 from here): before the writes nothing is written, and after the commit the
        # view finds the vote made and answers it unchanged.
        try:
            if has_app_context() and current_app._get_current_object() is self.app:  # type: ignore[attr-defined]
                return self._in_app(environ, statement_id, value, fields, cookie)
            with self.app.app_context():
                return self._in_app(environ, statement_id, value, fields, cookie)
        except Exception:  # noqa: BLE001 - handed over, and logged
            log.warning("the vote's lane handed over after an error", exc_info=True)
            return None

    def _in_app(
        self,
        environ: dict[str, Any],
        statement_id: int,
        value: int,
        fields: dict[str, Any],
        cookie: str,
    ) -> tuple[list, bytes] | None:
        app = self.app
        config = app.config
        session = app.session_interface.load(app, cookie)  # type: ignore[attr-defined]
        identity = parse_session_id(session.get("_user_id"))
        if identity is None:
            return None
        if config["TRUSTED_HOSTS"] and not _trusted_host(environ, config["TRUSTED_HOSTS"]):
            return None  # Flask answers 400 for a host it was told not to serve
        secure = environ.get("wsgi.url_scheme") == "https"
        if config["WTF_CSRF_ENABLED"] and config["WTF_CSRF_CHECK_DEFAULT"]:
            if not csrf.passes(
                _csrf_token(environ, fields, config),
                session.get(config["WTF_CSRF_FIELD_NAME"]),
                secure,
                environ.get("HTTP_REFERER"),
                get_host(environ),
            ):
                return None
        key = ratelimit.key_of_person(identity[0])
        try:
            ratelimit.enforce(config["VOTE_RATE_LIMIT"], "vote", key, environ)
        except ratelimit.Limited:
            return None  # the view asks too, finds the budget spent, and answers the 429
        try:
            context = queries.vote_context(statement_id, identity)
            user, statement = context.user, context.statement
            if user is None or statement is None or policy.needs_second_factor(user):
                boundary.rollback()
                return None
            result = operations.vote(
                user, statement, value, locked=context.locked, analysis=context.analysis
            )
            boundary.commit()
        except (RuleError, DBAPIError):  # a refusal, a lost race: the view answers it
            boundary.rollback()
            return None
        except Exception:
            boundary.rollback()
            raise  # handed over too, and logged
        body = _json(app, result.answer())
        headers = [
            ("Content-Type", _JSON),
            ("Content-Length", str(len(body))),
            ("Vary", "Cookie"),
            *security.plain_headers(secure),
        ]
        return headers, body


def _read_fields(environ: dict[str, Any], app: Flask) -> dict[str, Any] | None:
    """The body's fields, when this is a vote the site's script sends: it asks for JSON
    only, has no query string, and carries a short urlencoded or JSON body. The body read
    is put back, so the app reads the same bytes when the lane hands the request over."""
    if environ.get("HTTP_ACCEPT") != _JSON or environ.get("QUERY_STRING"):
        return None
    kind = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if kind not in (_FORM, _JSON):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    if len(body) != length:
        return None
    try:
        text = body.decode("utf-8")
        if kind == _JSON:
            fields = app.json.loads(text)  # the app's bounded JSON reader
            return {"value": fields.get("value", "")} if isinstance(fields, dict) else None
        # The first value of each name, as Flask's ``request.form.get`` reads it.
        found: dict[str, Any] = {}
        for name, item in parse_qsl(text, keep_blank_values=True, max_num_fields=16):
            found.setdefault(name, item)
        return found
    except ValueError:  # not UTF-8, not JSON, too many fields: the app says what is wrong
        return None


def _csrf_token(environ: dict[str, Any], fields: dict[str, Any], config: Any) -> str | None:
    """Where Flask-WTF looks for the token: the form's field, then the headers."""
    token = fields.get(config["WTF_CSRF_FIELD_NAME"])
    if token:
        return token
    for header in config["WTF_CSRF_HEADERS"]:
        token = environ.get("HTTP_" + header.upper().replace("-", "_"))
        if token:
            return token
    return None


def _trusted_host(environ: dict[str, Any], trusted: list[str]) -> bool:
    try:
        get_host(environ, trusted)
    except SecurityError:
        return False
    return True


def _json(app: Flask, payload: dict[str, Any]) -> bytes:
    """The body ``jsonify`` makes: compact unless the app is in debug mode, one newline."""
    compact = app.json.compact  # type: ignore[attr-defined]
    if (compact is None and app.debug) or compact is False:
        text = app.json.dumps(payload, indent=2)
    else:
        text = app.json.dumps(payload, separators=(",", ":"))
    return f"{text}\n".encode()


def install(app: Flask) -> None:
    """Put the lane in front of the app (``VOTE_LANE``, on by default). It reads the cookie
    with the app's own session interface, so an app that replaced it gets no lane."""
    if not app.config["VOTE_LANE"]:
        return
    if not isinstance(app.session_interface, RememberingSessionInterface):
        raise RuntimeError("the vote's lane reads sessions with RememberingSessionInterface")
    app.wsgi_app = VoteLane(app, app.wsgi_app)  # type: ignore[method-assign]
