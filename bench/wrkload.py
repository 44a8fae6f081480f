"""Shared by bench/votes.py and bench/endorse.py: a temporary database, gunicorn with the
production settings, wrk (a compiled load generator, so the client does not eat the
server's Python CPU) driving POSTs from a jobs file through a Lua script (a distinct
participant's session cookie and CSRF header per request), and the framework's floor: a
bare Flask JSON route on the same gunicorn settings, measured in the same run.

Sessions are signed with the benchmark's secret key (what the login form would set, the
CSRF token included), so the run measures the hot path, not password hashing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LUA = r"""
-- jobs file: one request a line, "path<TAB>cookie<TAB>csrf token<TAB>form body"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(args[2])
  jobs = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then
      local path, cookie, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      jobs[#jobs + 1] = wrk.format("POST", path, {
        ["Cookie"] = cookie,
        ["X-CSRFToken"] = token,
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Accept"] = "application/json",
      }, body)
    end
    i = i + 1
  end
  idx = 0
  wrapped = 0
  ok = 0
  s4xx = 0
  s5xx = 0
  other = 0
end

function request()
  idx = idx + 1
  if idx > #jobs then
    idx = 1
    wrapped = 1
  end
  return jobs[idx]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status >= 400 and status < 500 then
    s4xx = s4xx + 1
  elseif status >= 500 then
    s5xx = s5xx + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, c4, c5, ot, wr = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    c4 = c4 + t:get("s4xx")
    c5 = c5 + t:get("s5xx")
    ot = ot + t:get("other")
    wr = wr + t:get("wrapped")
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %f, "ok": %d, "s4xx": %d, "s5xx": %d, '
    .. '"other": %d, "wrapped": %d, "p50": %d, "p99": %d, "max": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, o, c4, c5, ot, wr,
    latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""

LUA_GET = r"""
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %f, "ok": %d, "p50": %d, "p99": %d, "max": %d, '
    .. '"socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests - summary.errors.status,
    latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database(kind: str, admin_url: str, keep: bool = False) -> Iterator[tuple[str, Path]]:
    """A fresh database (SQLite file or a new PostgreSQL database) and a temporary folder."""
    tmp = Path(tempfile.mkdtemp(prefix="participate-bench-"))
    pg_name = conninfo = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(admin_url)
        pg_name = f"participate_bench_{secrets.token_hex(4)}"
        conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = admin.set(database=pg_name).render_as_string(hide_password=False)
    try:
        yield url, tmp
    finally:
        if pg_name and not keep:
            import psycopg

            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def app_env(url: str, tmp: Path, redis: str) -> dict[str, str]:
    env = {
        "PARTICIPATE_ENV": "production",
        "PARTICIPATE_SECRET_KEY": secrets.token_urlsafe(48),
        "PARTICIPATE_PHONE_HMAC_KEY": secrets.token_urlsafe(48),
        "PARTICIPATE_DATABASE_URL": url,
        "PARTICIPATE_INSTANCE_PATH": str(tmp / "instance"),
        "PARTICIPATE_HUEY_PATH": str(tmp / "huey.db"),
    }
    if redis:
        env["PARTICIPATE_REDIS_URL"] = redis
    return env


def signed_sessions(app: object, user_ids: list[int], versions: dict[int, int]) -> list[tuple]:
    """(user id, session cookie value, CSRF header) per participant: what logging in and
    opening one page would leave in the browser."""
    from flask import session
    from flask_login.utils import _create_identifier
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    out = []
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        ident = _create_identifier()
        for uid in user_ids:
            session.clear()
            from flask import g

            g.pop("csrf_token", None)
            token = generate_csrf()
            data = {
                "_user_id": f"{uid}:{versions.get(uid, 1)}",
                "_fresh": True,
                "_id": ident,
                "csrf_token": session["csrf_token"],
            }
            out.append((uid, serializer.dumps(data), token))
    return out


def warm_up(base: str, path: str = "/bare", deadline: float = 180) -> None:
    """Wait until every worker answers: gunicorn's master listens before its workers have
    imported the app (seconds on a busy machine), and wrk's first requests would wait for
    that. Rounds of 16 parallel GETs until one round answers within a second."""
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def get(_: int) -> None:
        try:
            urllib.request.urlopen(base + path, timeout=60).read()
        except urllib.error.HTTPError:
            pass  # a 404 is an answer

    stop = time.monotonic() + deadline
    with ThreadPoolExecutor(16) as pool:
        while time.monotonic() < stop:
            started = time.monotonic()
            list(pool.map(get, range(16)))
            if time.monotonic() - started < 1.0:
                return
    raise RuntimeError("gunicorn workers did not answer in time")


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int, threads: int) -> Iterator[str]:
    """gunicorn serving ``target`` on a free loopback port; yields the base URL."""
    port = free_port()
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),  # the one next to this Python
        "--workers", str(workers),
        "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
        target,
    ]  # fmt: skip
    # This tree's code, not whichever checkout the virtualenv installed.
    path = os.pathsep.join(x for x in (str(ROOT), os.environ.get("PYTHONPATH", "")) if x)
    server = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": path})
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        warm_up(base)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_wrk(
    base: str,
    path: str,
    seconds: float,
    connections: int,
    threads: int = 2,
    jobs: list[str] | None = None,
) -> dict:
    """wrk against ``base + path``: GETs, or the POSTs of ``jobs`` (lines for :data:`LUA`)."""
    with tempfile.TemporaryDirectory(prefix="participate-wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        threads = min(threads, connections)
        args = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",
        ]
        args += ["--timeout", "10s", "-s", str(script), base + path]
        if jobs is None:
            script.write_text(LUA_GET)
        else:
            script.write_text(LUA)
            jobs_file = Path(tmp) / "jobs.tsv"
            jobs_file.write_text("\n".join(jobs) + "\n")
            args += ["--", str(jobs_file), str(threads)]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    result = json.loads(line.removeprefix("WRKJSON "))
    result["rate"] = result["ok"] / result["seconds"] if result["seconds"] else 0.0
    return result


def floor(
    workers: int, threads: int, seconds: float, connections: int, cpu: dict | None = None
) -> dict:
    """The framework's floor: bench/bare_app.py (one Flask route returning JSON); ``cpu``
    receives its CPU accounting.

    wrk opens its keep-alive connections once, and gunicorn's workers accept them from
    one socket: now and then most of them land on one worker, which then serves the whole
    run on one core (about a third of the usual rate, the machine half idle). That is not
    the framework's floor, so such a run is repeated (up to three runs; the last is kept)
    until the machine was at least 90% busy."""
    with gunicorn("bench.bare_app:app", {}, workers, threads) as base:
        run_wrk(base, "/bare", 1, connections)  # warm up
        for attempt in range(3):
            used: dict = {}
            with cpu_accounting(used):
                result = run_wrk(base, "/bare", seconds, connections)
            if used["machine"] >= 0.9 * used["capacity"]:
                break
            busy = 100 * used["machine"] / used["capacity"]
            print(f"(floor run {attempt + 1}: the machine {busy:.0f}% busy; run again)")
        if cpu is not None:
            cpu.update(used)
        return result


def describe(name: str, r: dict) -> str:
    return (
        f"{name:<10} {r['rate']:8.0f} ok/s  p50 {r['p50'] / 1000:6.1f} ms  "
        f"p99 {r['p99'] / 1000:6.1f} ms  max {r['max'] / 1000:7.1f} ms  "
        f"({r['ok']} ok of {r['requests']} in {r['seconds']:.1f} s, "
        f"4xx {r.get('s4xx', 0)}, 5xx {r.get('s5xx', 0)}, socket errors {r['socket_errors']})"
    )


def _cpu_seconds(pid: str) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[str, str]:
    """The processes a run's CPU goes to, by kind (from /proc; Linux only)."""
    kinds = {"gunicorn": "gunicorn", "redis-server": "redis", "postgres": "postgres"}
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for needle, kind in kinds.items():
            if needle in cmd.split(" ", 1)[0] or (kind == "gunicorn" and needle in cmd):
                found[pid] = kind
                break
    return found


def _machine_busy() -> float:
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_accounting(into: dict) -> Iterator[None]:
    """CPU seconds spent during the block by gunicorn, Redis and PostgreSQL, and by the
    whole machine (wrk and the kernel's share of the sockets are in that rest): where a
    request's cost lands, beyond the rate alone."""
    before = {pid: _cpu_seconds(pid) for pid in _processes()}
    busy, started = _machine_busy(), time.monotonic()
    yield
    for pid, kind in _processes().items():
        into[kind] = into.get(kind, 0.0) + _cpu_seconds(pid) - before.get(pid, 0.0)
    into["machine"] = _machine_busy() - busy
    into["capacity"] = (time.monotonic() - started) * (os.cpu_count() or 1)


def describe_cpu(r: dict, cpu: dict) -> str:
    """CPU milliseconds per acknowledged request, by process."""
    n = max(1, r["ok"])
    kinds = [k for k in ("gunicorn", "redis", "postgres") if cpu.get(k)]
    parts = ", ".join(f"{k} {1000 * cpu[k] / n:.2f}" for k in kinds)
    return (
        f"CPU ms per request: {parts}; whole machine {1000 * cpu['machine'] / n:.2f} "
        f"(busy {100 * cpu['machine'] / cpu['capacity']:.0f}% of {os.cpu_count()} cores)"
    )
