"""Two-factor sign-in for staff: TOTP (RFC 6238) and one-time recovery codes.

The codes are computed here with :mod:`hmac` (HMAC-SHA1, 6 digits, 30-second steps, the
parameters every authenticator app uses); a code is accepted one step either side of now, and
never twice (``TotpCredential.last_step``). The secret is kept encrypted (Fernet, key from
``MFA_ENCRYPTION_KEY`` or derived from ``SECRET_KEY``); recovery codes only as HMACs.

Operations (one per action, they flush and never commit): :func:`enrol`,
:func:`verify_second_factor`, :func:`regenerate_recovery_codes`, :func:`reset`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.mail import queue_mail
from participate.models import User
from participate.models.mfa import RecoveryCode, TotpCredential
from participate.text import accept_text

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now (clock drift)
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
SESSION_KEY = "_mfa"


# -- TOTP (RFC 6238 over RFC 4226) -------------------------------------------------------


def new_secret() -> str:
    """A fresh 160-bit secret, base32 as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def wall_clock() -> datetime:
    """The real time, as the person's phone has it: never the site's frozen clock
    (``FROZEN_NOW``, for deadline demos and tests), or no code would ever match."""
    return datetime.now(UTC)


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The code an authenticator shows during time step ``step`` (RFC 4226 truncation)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def current_code(secret: str) -> str:
    """The code an app shows now (for the demo accounts' console hint and the tests)."""
    return code_at(secret, step_of(wall_clock()))


def matching_step(secret: str, code: str, now: datetime, after: int | None = None) -> int | None:
    """The time step ``code`` belongs to within the window around ``now``, or None; steps at
    or before ``after`` (already used) never match."""
    current = step_of(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def otpauth_uri(secret: str, account: str) -> str:
    """What the QR code holds: the standard ``otpauth://totp/`` enrolment URI."""
    issuer = current_app.config.get("SITE_NAME") or "participate"
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The enrolment URI as an inline SVG QR code (no image request, no outside service)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")


# -- secrets at rest ----------------------------------------------------------------------


def _key_material(setting: str, purpose: str) -> bytes:
    explicit = current_app.config.get(setting)
    base = explicit or current_app.config["SECRET_KEY"]
    return hmac.new(str(base).encode(), purpose.encode(), hashlib.sha256).digest()


def _fernet() -> Fernet:
    key = _key_material("MFA_ENCRYPTION_KEY", "participate/totp-secret")
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode("ascii")
    except InvalidToken:  # the key changed: the person enrols again after an admin reset
        return None


def _recovery_hash(code: str) -> str:
    key = _key_material("MFA_ENCRYPTION_KEY", "participate/recovery-code")
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# -- reads --------------------------------------------------------------------------------


def credential_of(user: User) -> TotpCredential | None:
    return db.session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))


def recovery_codes_left(user: User) -> int:
    rows = db.session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )
    return len(list(rows))


# -- the browser session ------------------------------------------------------------------


def _session_value(user: User, credential_id: int) -> str:
    return f"{user.id}:{user.session_version}:{credential_id}"


def mark_session(user: User) -> None:
    """This browser session gave the second factor (for this credential: a reset voids it)."""
    credential = credential_of(user)
    if credential is not None:
        session[SESSION_KEY] = _session_value(user, credential.id)
        user.second_factor_verified = True  # type: ignore[attr-defined]


def session_verified(user: User) -> bool:
    """What the session loader sets on the account it loads (see policy.mfa)."""
    value = session.get(SESSION_KEY)
    if not value:
        return False
    credential = credential_of(user)
    return credential is not None and value == _session_value(user, credential.id)


# -- operations ---------------------------------------------------------------------------


def _make_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c)) for c in codes)
    return codes


def enrol(user: User, secret: str, code: str, now: datetime | None = None) -> list[str]:
    """Confirm an authenticator app with its first code; return the ten recovery codes
    (shown once: only their HMACs are kept)."""
    now = now or wall_clock()
    if not policy.can_enrol_second_factor(user):
        raise RuleError(_("Only staff accounts use a second factor."), status=403)
    if credential_of(user) is not None:
        raise RuleError(_("This account already has an authenticator app."), status=409)
    step = matching_step(secret, normalise_code(code), now)
    if step is None:
        raise RuleError(_("This code is not correct. Check the time on your phone."), field="code")
    db.session.add(
        TotpCredential(
            user_id=user.id, secret=seal(secret), confirmed_at=now, last_step=step, last_used_at=now
        )
    )
    codes = _make_recovery_codes(user)
    db.session.flush()
    audit.record(user, "mfa.enrol", "user", user.id)
    return codes


def verify_second_factor(user: User, code: str, now: datetime | None = None) -> str:
    """Check a code from the authenticator app, or a recovery code (used up by this):
    returns ``"totp"`` or ``"recovery"``, or refuses."""
    now = now or wall_clock()
    credential = db.session.scalar(
        select(TotpCredential).where(TotpCredential.user_id == user.id).with_for_update()
    )
    if credential is None:
        raise RuleError(_("This account has no authenticator app yet."), status=409)
    code = normalise_code(code)
    if code.isdigit() and len(code) == DIGITS:
        secret = unseal(credential.secret)
        step = None if secret is None else matching_step(secret, code, now, credential.last_step)
        if step is None:
            raise _wrong_code()
        credential.last_step = step
        credential.last_used_at = now
        db.session.flush()
        return "totp"
    used = db.session.execute(  # one use only, even for two requests at once
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        raise _wrong_code()
    db.session.flush()
    audit.record(user, "mfa.recovery_used", "user", user.id)
    return "recovery"


def _wrong_code() -> RuleError:
    """Made only when raised: a RuleError marks the request refused (rolled back)."""
    return RuleError(_("This code is not correct."), field="code")


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Needs the second factor given in
    this session (a stolen password alone cannot mint codes)."""
    if credential_of(user) is None or not policy.second_factor_ok(user):
        raise RuleError(_("Give your second factor first."), status=403)
    codes = _make_recovery_codes(user)
    db.session.flush()
    audit.record(user, "mfa.recovery_regenerate", "user", user.id)
    return codes


def reset(actor: User, user: User, reason: str | None = None) -> None:
    """An administrator removes someone's authenticator app and recovery codes (a lost
    phone): the person enrols again at the next sign-in; audited, and the person is told."""
    if not policy.can_reset_second_factor(actor, user):
        raise RuleError(_("Only another administrator can reset a second factor."), status=403)
    reason = accept_text(reason, "reason", required=False) or None
    had = credential_of(user) is not None
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    audit.record(actor, "mfa.reset", "user", user.id, reason=reason, had_credential=had)
    if user.email:
        queue_mail(
            user.email,
            _("Your two-step sign-in was reset"),
            _(
                "Hello %(name)s,\n\nAn administrator removed the authenticator app from your "
                "account. At your next sign-in you will set up a new one.\n\n"
                "If you did not ask for this, tell the site's administrators at once.",
                name=user.display_name,
            ),
        )


def erase(user: User) -> None:
    """Account deletion: the second factor goes with the account."""
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


if __name__ == "__main__":  # python -m participate.auth.mfa SECRET: print the current code
    import sys

    print(current_code(sys.argv[1]))
