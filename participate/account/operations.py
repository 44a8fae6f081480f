"""What a person changes about their own account: profile, language, password, deletion.

Each action re-checks what the form cannot (the current password), writes and flushes;
the request commits. The password and deletion steps themselves are the auth area's
operations, so the reset link, the CLI and this page change an account the same way.
"""

from __future__ import annotations

from flask_babel import gettext as _

from participate.auth import operations as auth_operations
from participate.auth.passwords import check_password
from participate.errors import RuleError
from participate.extensions import db
from participate.models import User


def update_profile(user: User, display_name: str, locale: str, email_digest: bool) -> None:
    """Save the settings of the profile form (the name is accepted as at registration)."""
    user.display_name = auth_operations.accept_display_name(display_name)
    user.locale = locale
    user.email_digest = email_digest
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the language a logged-in person switched to, for their mail and next visit."""
    if user.locale != locale:
        user.locale = locale
        db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Change the password after proving the current one; other sessions end."""
    if not check_password(user, current):
        raise RuleError(_("The current password is not correct."), field="current")
    auth_operations.set_password(user, new)


def delete_own_account(user: User, password: str) -> auth_operations.Deletion:
    """Delete the account after proving the password: it cannot be undone."""
    if not check_password(user, password):
        raise RuleError(_("The password is not correct."), field="password")
    return auth_operations.delete_account(user)
