"""`make test`: the suite on SQLite, then the database-facing part again on PostgreSQL.

PostgreSQL is used when ``PARTICIPATE_TEST_DATABASE_URL`` is set or a server answers at
127.0.0.1:5432. The nlp tests and browser tests do not depend on the database engine, so
the second pass leaves them out to keep the whole run well under the time budget.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_url() -> str | None:
    url = os.environ.get("PARTICIPATE_TEST_DATABASE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return DEFAULT_PG
    except OSError:
        return None


def pytest(args: list[str], env: dict[str, str]) -> int:
    cmd = [sys.executable, "-m", "pytest", *args, *sys.argv[1:]]
    print("+", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, env=env)
    return 0 if code == 5 else code  # 5: nothing selected (e.g. a filter from the command line)


def main() -> int:
    base = dict(os.environ)
    env = {**base, "PARTICIPATE_TEST_BACKEND": "sqlite"}
    code = pytest(["tests"], env)
    url = postgres_url()
    if url is None:
        print(
            "PostgreSQL not reachable at 127.0.0.1:5432 and no PARTICIPATE_TEST_DATABASE_URL: "
            "skipping the PostgreSQL pass."
        )
        return code
    env = {**base, "PARTICIPATE_TEST_BACKEND": "postgresql", "PARTICIPATE_TEST_DATABASE_URL": url}
    code_pg = pytest(
        ["tests", "-m", "not browser", "--ignore=tests/nlp", "-p", "no:cacheprovider"], env
    )
    return code or code_pg


if __name__ == "__main__":
    sys.exit(main())
