"""The session cookie and the CSRF token, each verified once per process, not once per request.

Every write carries both: the signed session cookie (who is asking) and the signed CSRF token
(that the page asking is ours). Checking a signature is an HMAC over the value with a key
derived from the secret, after base64 decoding: a tenth of a vote's CPU, paid again on every
request by a person who sends the same two strings each time. A signature check is a pure
function of the string and the secret, so its success can be remembered: each process keeps
the strings it has verified (bounded, oldest dropped first) with the time they were signed,
and a string seen again is trusted as far as its age allows, exactly as the full check would.
What is remembered is only "this exact string carries our signature"; whether the account
still exists, still holds that session version, or is suspended is decided by the request's
own query, as before. A string never seen, a changed secret or an expired age goes the full
way through Flask's and Flask-WTF's checks.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from flask_wtf import CSRFProtect
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, BadSignature, URLSafeTimedSerializer

# About 300 bytes a cookie and its payload: 20,000 of them are a few MB per process, and
# hold every person active in the last minutes of a national consultation's busiest hour.
REMEMBERED = 20_000


class _Remembered:
    """A bounded map from a verified string to what its check found; the oldest entry
    goes first. Plain dict operations, each atomic under the GIL, so request threads share
    it without a lock (two threads verifying the same new string both store it: harmless)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[Any, Any] = {}
        self.secret: Any = None

    def get(self, key: Any, secret: Any) -> Any:
        if secret != self.secret:  # the secret changed (tests, a rotation): forget all
            self.entries = {}
            self.secret = secret
            return None
        return self.entries.get(key)

    def put(self, key: Any, value: Any) -> None:
        entries = self.entries
        while len(entries) >= self.size:
            try:
                entries.pop(next(iter(entries)), None)
            except (StopIteration, RuntimeError):  # emptied or changed by another thread
                break
        entries[key] = value


def _fresh(signed_at: int, max_age: int | None) -> bool:
    """itsdangerous's age rule: not from the future, not older than ``max_age``."""
    age = int(time.time()) - signed_at
    return age >= 0 and (max_age is None or age <= max_age)


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie's verification remembered. A hit
    re-reads the payload from its JSON text, so each request gets its own session dict
    (a request that changes a nested value cannot change what the next one sees)."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._seen = _Remembered(size)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        return self.load(app, request.cookies.get(self.get_cookie_name(app)))

    def load(self, app: Flask, value: str | None) -> SecureCookieSession:
        """The session a cookie's ``value`` carries (empty when there is none or it is not
        ours): what :meth:`open_session` gives Flask, and what the vote's lane
        (``participate.discussion.lane``) reads without a request context."""
        if not value or not app.secret_key:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._seen.get(value, (app.secret_key, app.config["SECRET_KEY_FALLBACKS"]))
        if known is not None and _fresh(known[1], max_age):
            return self.session_class(self.serializer.loads(known[0]))
        signer = self.get_signing_serializer(app)
        assert signer is not None  # there is a secret key
        try:
            data, signed_at = signer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        self._seen.put(value, (self.serializer.dumps(data), int(signed_at.timestamp())))
        return self.session_class(data)


class RememberingCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection, with a token remembered once it has passed for the
    session token it was issued for (the pair: a token is only good with its own session).
    A token seen for the first time is checked once, here, as Flask-WTF checks it (the
    signature, its age, equal to the session's token); one that fails goes to Flask-WTF's
    own check for its error. The rest is Flask-WTF's rules: which methods are checked, the
    exemptions, the referrer rule on HTTPS."""

    def __init__(self, app: Flask | None = None, size: int = REMEMBERED) -> None:
        self._seen = _Remembered(size)
        super().__init__(app)

    def protect(self, apply_exemptions: bool = False) -> None:
        config = current_app.config
        if request.method not in config["WTF_CSRF_METHODS"]:
            return
        # Flask-WTF's exemptions: no matched route (the 404 or 405 answers), or a view or
        # blueprint marked exempt.
        if apply_exemptions and (request.url_rule is None or self._is_exempt()):
            return
        # Flask-WTF's settings, with its defaults (set by its init_app).
        token, expected = self._get_csrf_token(), session.get(config["WTF_CSRF_FIELD_NAME"])
        if not self.passes(token, expected, request.is_secure, request.referrer, request.host):
            super().protect()  # raises the CSRFError that says what is wrong
            return
        g.csrf_valid = True

    def passes(
        self, token: Any, expected: Any, secure: bool, referrer: str | None, host: str
    ) -> bool:
        """The whole check, without a request (the vote's lane asks it too): the token is
        good for the session's, and over HTTPS (``WTF_CSRF_SSL_STRICT``) the page that sent
        it is on this host."""
        if not self.good(token, expected):
            return False
        strict = secure and current_app.config["WTF_CSRF_SSL_STRICT"]
        return not strict or referred_from(referrer, host)

    def good(self, token: Any, expected: Any) -> bool:
        """The signed ``token`` is ours, young enough, and carries the session's token."""
        if not (isinstance(token, str) and token and isinstance(expected, str) and expected):
            return False
        config = current_app.config
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        time_limit = config["WTF_CSRF_TIME_LIMIT"]
        pair = (token, expected)
        signed_at = self._seen.get(pair, secret)
        if signed_at is not None and _fresh(signed_at, time_limit):
            return True
        signer = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        try:
            carried, stamp = signer.loads(token, max_age=time_limit, return_timestamp=True)
        except BadData:
            return False
        if not (isinstance(carried, str) and hmac.compare_digest(carried, expected)):
            return False
        self._seen.put(pair, int(stamp.timestamp()))
        return True


def referred_from(referrer: str | None, host: str) -> bool:
    """Flask-WTF's rule for a write over HTTPS: the page that sent it is on this host."""
    return bool(referrer) and same_origin(referrer, f"https://{host}/")
