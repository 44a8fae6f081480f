"""`make test`: the suite on SQLite, then the database-facing part again on PostgreSQL.

PostgreSQL is used when ``PARTICIPATE_TEST_DATABASE_URL`` is set or a server answers at
127.0.0.1:5432. The nlp tests and browser tests do not depend on the database engine, so
the second pass leaves them out. The two passes share nothing (each makes its own database,
queue names and ports), so they run side by side: most tests wait on a database, a server
or a browser as much as on the CPU, and a two-core machine finishes both in well under the
time one after the other takes. The PostgreSQL pass's output follows the SQLite pass's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

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


def command(args: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", *args, *sys.argv[1:]]
    print("+", " ".join(cmd), flush=True)
    return cmd


def outcome(code: int) -> int:
    return 0 if code == 5 else code  # 5: nothing selected (e.g. a filter from the command line)


def main() -> int:
    base = dict(os.environ)
    sqlite_env = {**base, "PARTICIPATE_TEST_BACKEND": "sqlite"}
    url = postgres_url()
    if url is None:
        print(
            "PostgreSQL not reachable at 127.0.0.1:5432 and no PARTICIPATE_TEST_DATABASE_URL: "
            "skipping the PostgreSQL pass."
        )
        return outcome(subprocess.call(command(["tests"]), env=sqlite_env))
    pg_env = {
        **base,
        "PARTICIPATE_TEST_BACKEND": "postgresql",
        "PARTICIPATE_TEST_DATABASE_URL": url,
    }
    pg_args = ["tests", "-m", "not browser", "--ignore=tests/nlp", "-p", "no:cacheprovider"]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as pg_log:
        pg = subprocess.Popen(command(pg_args), env=pg_env, stdout=pg_log, stderr=subprocess.STDOUT)
        try:
            code = outcome(subprocess.call(command(["tests"]), env=sqlite_env))
            code_pg = outcome(pg.wait())
        finally:
            if pg.poll() is None:
                pg.kill()
        pg_log.seek(0)
        print("\n===== the PostgreSQL pass =====", flush=True)
        sys.stdout.write(pg_log.read())
        sys.stdout.flush()
    return code or code_pg


if __name__ == "__main__":
    sys.exit(main())
