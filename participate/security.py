"""The edge of the app, in one place: security headers and the per-request CSP nonce, HSTS
over HTTPS only, the trusted-proxy count, the id converter every route's ``<int:...>`` goes
through, and the JSON reader every request body goes through.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map, PathConverter, UnicodeConverter

# The largest id the id columns hold: they are INTEGER, 32 bits on PostgreSQL (SQLite's
# hold 64). A bigger number reaches the database as an error, a 500: OverflowError in
# SQLite's driver past 2**63 - 1, "integer out of range" from PostgreSQL past 2**31 - 1.
MAX_ID = 2**31 - 1


def _numbers_up_to(limit: int) -> str:
    """A regular expression for the canonical spelling (ASCII digits, no leading zero) of
    every number from 1 to ``limit``: fewer digits than ``limit`` has, or as many and no
    larger, digit by digit (``1[0-9]{9}|20[0-9]{8}|...|214748364[0-7]`` for 2**31 - 1)."""
    digits = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, ch in enumerate(digits):
        low, high = (1 if i == 0 else 0), int(ch) - 1
        if low <= high:
            rest = len(digits) - i - 1
            parts.append(f"{digits[:i]}[{low}-{high}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` for the whole app: an id (or a count) from 1 to :data:`MAX_ID`.

    Werkzeug's own ``int`` accepts any run of digits (``\\d`` is Unicode: ``١٢`` too),
    leading zeros and numbers of any size, and an out-of-range one reached the database as
    OverflowError, a 500, sometimes from the error page itself (the banners look the id up
    again). Refusing it here makes routing answer 404 before any view, guard or template runs,
    once for every route, including the ones added later. Only the canonical spelling of a
    number is accepted (no leading zero, ASCII digits), so one resource has one URL.
    """

    # Only the numbers up to MAX_ID: a bigger one must not match at all. Matching the
    # digits and refusing the value afterwards (ValidationError in to_python) made Werkzeug
    # answer 405 instead of 404 where another method's rule shares the path (it compares
    # methods before converting): POST /api/v1/proposals/4198846980/statements was a 405.
    regex = _numbers_up_to(MAX_ID)

    def __init__(
        self,
        map: Map,  # noqa: A002 - Werkzeug's parameter name
        fixed_digits: int = 0,
        min: int | None = 1,  # noqa: A002
        max: int | None = MAX_ID,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# C0 controls, DEL and C1: never part of a slug, a token, a language code or a file name.
_NO_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"


class TextConverter(UnicodeConverter):
    """``<slug>`` and ``<string:...>``: Werkzeug's, without control characters.

    ``/agencies/a%00b`` reached PostgreSQL as a NUL in a parameter, which it refuses (a
    500); routing now answers 404 for any segment holding a control character.
    """

    def __init__(
        self,
        map: Map,  # noqa: A002 - Werkzeug's parameter name
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", f"[^/{_NO_CONTROL}]")


class TextPathConverter(PathConverter):
    """``<path:...>`` without control characters (see :class:`TextConverter`)."""

    regex = f"[^/{_NO_CONTROL}][^{_NO_CONTROL}]*?"


# Deeper JSON than this is refused. Our bodies nest two levels ({"value": 1}); the limit is
# far above any honest client and far below Python's recursion limit, so code that walks a
# parsed body recursively (repr, marshmallow, json.dumps of an echo) cannot overflow either.
MAX_JSON_DEPTH = 32


def _deeper_than(value: Any, limit: int) -> bool:
    """Is ``value`` (parsed JSON) nested more than ``limit`` levels? Iterative, so the check
    itself cannot overflow the stack."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """``app.json``: Flask's JSON, refusing bodies nested deeper than :data:`MAX_JSON_DEPTH`.

    The C parser recurses once per level: ``{"text": [[[...]]]}`` 50,000 levels deep raised
    RecursionError, which is no ValueError, so Flask's ``get_json`` let it through as a 500.
    Here it (and any body past the limit) becomes a ValueError: ``request.get_json()``
    answers 400 through the app's error handler, ``get_json(silent=True)`` returns None
    and the API says "Send a JSON object." in its JSON error shape.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
        # Counting brackets is C-speed; only a body with many of them is walked.
        if isinstance(s, bytes | bytearray):
            brackets = s.count(b"[") + s.count(b"{")
        else:
            brackets = s.count("[") + s.count("{")
        if brackets > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def trust_proxies(app: Flask) -> None:
    """Read the client's address and scheme from the headers of ``TRUSTED_PROXIES`` proxies.

    Behind a proxy every request comes from the proxy's address, so an IP-keyed rate limit
    (10 logins a minute) becomes one limit for the whole site; and HTTPS ends at the proxy, so
    the app cannot tell that a request was secure. ProxyFix takes the address and scheme the
    trusted proxies appended (the right-most values: anything a client wrote itself is further
    left and stays ignored). Off (0) by default: an app facing clients directly must not
    believe the headers. X-Forwarded-Host is not trusted: a proxy passes the Host header on,
    and a spoofed host would end up in links the app writes.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


# The headers every response carries unless its view set its own; the CSP names the
# request's nonce. Added, not set: one scan of the response's headers instead of two per
# header (``Headers.setdefault`` searches, then ``set`` searches again).
_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_CSP_PLAIN = _CSP.replace(" 'nonce-{nonce}'", "")
_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _headers(response: Response) -> Response:
    """The nonce is in the CSP only when the page asked for one (a template with an inline
    script): a JSON answer or a redirect has no script to allow, and making a nonce for it
    cost a system call per vote."""
    headers = response.headers
    present = {key.lower() for key in headers.keys()}
    if "content-security-policy" not in present:
        nonce = g.get("csp_nonce")
        headers.add("Content-Security-Policy", _CSP.format(nonce=nonce) if nonce else _CSP_PLAIN)
    for key, value in _FIXED_HEADERS:
        if key.lower() not in present:
            headers.add(key, value)
    return response


_HSTS = ("Strict-Transport-Security", "max-age=31536000")


def _hsts_due(secure: bool) -> bool:
    return secure and current_app.config["ENV_NAME"] == "production"


def _hsts(response: Response) -> Response:
    """HSTS in production, on HTTPS responses only: RFC 6797 has browsers ignore it over plain
    HTTP, and sending it there only advertises a promise the request did not keep. Behind a
    proxy, ``request.is_secure`` comes from X-Forwarded-Proto (see :func:`trust_proxies`)."""
    if _hsts_due(request.is_secure):
        response.headers.setdefault(*_HSTS)
    return response


def plain_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers :func:`_headers` and :func:`_hsts` give a response without a page (no
    nonce): for the vote's lane, which answers without Flask's after-request functions."""
    headers = [("Content-Security-Policy", _CSP_PLAIN), *_FIXED_HEADERS]
    if _hsts_due(secure):
        headers.append(_HSTS)
    return headers


def init_app(app: Flask) -> None:
    app.after_request(_headers)
    app.after_request(_hsts)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
