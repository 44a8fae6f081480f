"""Government digital identity (數位身分) through OpenID Connect, with Authlib's client.

The provider is set by ``PARTICIPATE_OIDC_ISSUER``, ``_CLIENT_ID`` and ``_CLIENT_SECRET``;
without all three the feature is off and no button shows. The client reads the provider's
discovery document (``/.well-known/openid-configuration``) over HTTP, sends the person there
with a fresh ``state`` and ``nonce`` (kept in the session by Authlib), and on the way back
checks the state, swaps the code for tokens and verifies the RS256-signed ``id_token``
(issuer, audience, expiry, nonce) against the provider's JWKS.

What is kept: ``HMAC-SHA256(key, issuer NUL subject)``, never the subject itself, nor any
claim (name, national id...). The key is ``PARTICIPATE_OIDC_HMAC_KEY``, else derived from
``SECRET_KEY`` (set the former in production: rotating the latter would orphan every link).

**A sign-in with a subject linked to no account does not create one.** An account here
needs an email address (notifications, password reset, the one-account-per-person checks
of the other identity levels), which a government identity does not give us, and most
people who reach for their digital identity already have an account: creating a second one
would split their history. So the person is asked to log in (or register) and link the
identity from their account's security page, once; after that it signs them in.

Operations (flush, never commit): :func:`link`, :func:`unlink`; :func:`erase` on deletion.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.models import User
from participate.models.mfa import OidcIdentity
from participate.timeutil import utcnow

EXTENSION = "participate.oidc"


def init_app(app: Flask) -> None:
    """Nothing to do at start: Authlib (and requests under it) is imported by the first
    sign-in that needs it, so a process that never signs anyone in (a job consumer, a CLI
    command such as ``flask analyse``) does not pay a third of a second to load it."""


def _oauth() -> Any:
    """The app's Authlib registry, made on first use (two threads racing make two; the
    loser's clients are registered again on their next use, which is harmless)."""
    oauth = current_app.extensions.get(EXTENSION)
    if oauth is None:
        from authlib.integrations.flask_client import OAuth

        app = current_app._get_current_object()  # type: ignore[attr-defined]
        oauth = app.extensions[EXTENSION] = OAuth(app)
    return oauth


def provider_errors() -> tuple[type[BaseException], ...]:
    """What a provider that is down, slow or lying raises through Authlib (imported only
    when an ``except`` clause asks, that is when something was raised)."""
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError
    from requests import RequestException

    return (OAuthError, JoseError, RequestException, ValueError)


def enabled() -> bool:
    cfg = current_app.config
    return bool(
        cfg.get("OIDC_ISSUER") and cfg.get("OIDC_CLIENT_ID") and cfg.get("OIDC_CLIENT_SECRET")
    )


def issuer() -> str:
    return str(current_app.config["OIDC_ISSUER"]).rstrip("/")


def client():  # noqa: ANN201 - Authlib's FlaskOAuth2App
    """The Authlib client for the configured provider (one per issuer and client id, so a
    changed setting gets a new client and discovery runs again)."""
    cfg = current_app.config
    oauth = _oauth()
    key = hashlib.sha256(f"{issuer()}\0{cfg['OIDC_CLIENT_ID']}".encode()).hexdigest()[:12]
    name = f"gov{key}"
    found = oauth.create_client(name)
    if found is not None:
        return found
    return oauth.register(
        name,
        client_id=cfg["OIDC_CLIENT_ID"],
        client_secret=cfg["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer()}/.well-known/openid-configuration",
        client_kwargs={"scope": cfg.get("OIDC_SCOPES") or "openid", "default_timeout": 10},
    )


def subject_hash(provider: str, subject: str) -> str:
    """The only trace of the identity we keep (see the module docstring)."""
    explicit = current_app.config.get("OIDC_HMAC_KEY")
    if explicit:
        key = str(explicit).encode()
    else:
        key = hmac.new(
            str(current_app.config["SECRET_KEY"]).encode(), b"participate/oidc-subject", "sha256"
        ).digest()
    return hmac.new(key, f"{provider}\0{subject}".encode(), hashlib.sha256).hexdigest()


def identity_of(user: User) -> OidcIdentity | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == user.id))


def account_for(provider: str, subject: str) -> User | None:
    """The active account this identity signs in to, if it was linked."""
    row = db.session.scalar(
        select(OidcIdentity).where(OidcIdentity.subject_hash == subject_hash(provider, subject))
    )
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.deleted_at is None else None


def link(user: User, provider: str, subject: str) -> OidcIdentity:
    """Link the identity the provider just vouched for to ``user``'s account."""
    if not policy.can_link_identity(user):
        raise RuleError(_("This account cannot link a digital identity."), status=403)
    digest = subject_hash(provider, subject)
    taken = db.session.scalar(select(OidcIdentity).where(OidcIdentity.subject_hash == digest))
    if taken is not None:
        if taken.user_id == user.id:
            return taken
        raise RuleError(
            _("This digital identity is already linked to another account."), status=409
        )
    if identity_of(user) is not None:
        raise RuleError(
            _("Your account is already linked to a digital identity. Unlink it first."),
            status=409,
        )
    row = OidcIdentity(user_id=user.id, provider=provider, subject_hash=digest, linked_at=utcnow())
    try:
        with savepoint():  # two accounts linking the same identity at once: one wins
            db.session.add(row)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(
            _("This digital identity is already linked to another account."), status=409
        ) from exc
    audit.record(user, "identity.link", "user", user.id, provider=provider)
    return row


def unlink(user: User) -> None:
    row = identity_of(user)
    if row is None:
        raise RuleError(_("Your account is not linked to a digital identity."), status=409)
    db.session.delete(row)
    db.session.flush()
    audit.record(user, "identity.unlink", "user", user.id, provider=row.provider)


def erase(user: User) -> None:
    """Account deletion: the link goes, so the identity may be linked again later."""
    db.session.execute(delete(OidcIdentity).where(OidcIdentity.user_id == user.id))
    db.session.flush()
