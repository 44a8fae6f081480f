"""The API's own error: raised anywhere under ``/api/v1`` (token checks, argument parsing,
lookups) and turned into ``{"error": {"code", "message", "fields"}}`` by the v1 blueprint.

It lives in its own module so the token operations and the endpoints can both raise it
without importing each other.
"""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP error with a stable machine-readable ``code`` and per-field messages."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
