"""API throughput on PostgreSQL behind gunicorn, the way the platform is served.

Run ``.venv/bin/python benchmarks/api.py``. It creates a throw-away database (``DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/cuakhau_bench``), migrates it, starts
``cuakhau serve`` (gunicorn, 2 sync workers, persistent database connections) and loads it with
``wrk`` at 32 connections:

- ``trivial``: ``GET /api/v1/health``, no database;
- ``insert``: ``POST /api/v1/bench/insert``, one INSERT and one SELECT, the database reference;
- ``submit``: ``POST /api/v1/declarations?submit=true``, a declaration with 2 trips (token);
- ``checkin``: ``POST /api/v1/checkins``, a gate operator (session + CSRF) checks a trip in.

It prints one figure a line, ``name: value``, then the ratios against the targets. Any non-2xx
answer or socket error stops the run: a benchmark of errors measures nothing. The database is
dropped and the server stopped at the end, also on failure. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/api.py` from anywhere, installed or not

WRK_SCRIPT = ROOT / "benchmarks" / "wrk" / "requests.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cuakhau_bench"
WORKERS = 2
CONNECTIONS = 32
WRK_THREADS = 2
WRK_TIMEOUT_S = 10  # wrk leaves slower requests out of its latencies: keep them in
YARD = "XC"  # Xuân Cương serves Hữu Nghị (CKHN), the gate of `fruit_export()`
GATE = "CKHN"
PROBE_SECONDS = 2  # a first check-in run, to size the pool of trips for the measured one
MAX_FILL_SECONDS = 150  # declaring trips for the check-in run, at most

TARGET_SUBMIT_RATIO = 0.40
TARGET_CHECKIN_RATIO = 0.60
TARGET_P99_MS = 150.0


class BenchmarkError(RuntimeError):
    """The benchmark cannot give a meaningful figure (setup failed, errors under load)."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Environment and database -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    name: str
    host: str
    port: int
    user: str
    password: str


def database_from_env() -> Database:
    import dj_database_url

    url = os.getenv("DATABASE_URL") or DEFAULT_DATABASE_URL
    config = dj_database_url.parse(url)
    if not config["ENGINE"].endswith("postgresql"):
        raise SystemExit(
            f"benchmarks/api.py measures PostgreSQL only, and DATABASE_URL is {url!r} "
            f"({config['ENGINE']}). SQLite serialises writers and would measure its lock, not "
            f"the platform. Set DATABASE_URL=postgres://user@host:5432/cuakhau_bench "
            f"(or leave it unset for {DEFAULT_DATABASE_URL})."
        )
    name = str(config["NAME"])
    # The benchmark drops and recreates this database: never let it touch a real one.
    if "bench" not in name:
        raise SystemExit(
            f"benchmarks/api.py drops and recreates its database; {name!r} does not look like a "
            "throw-away one. Use a database name containing 'bench', e.g. cuakhau_bench."
        )
    return Database(
        url=url,
        name=name,
        host=str(config.get("HOST") or "127.0.0.1"),
        port=int(config.get("PORT") or 5432),
        user=str(config.get("USER") or "postgres"),
        password=str(config.get("PASSWORD") or ""),
    )


def server_env(db: Database, var_dir: Path) -> dict[str, str]:
    """Production settings (DEBUG=0) with persistent connections and the benchmark route."""
    return {
        "DJANGO_SETTINGS_MODULE": "cuakhau.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": db.url,
        "DB_CONN_MAX_AGE": "600",
        "CUAKHAU_BENCHMARK_ROUTES": "1",
        "CUAKHAU_VAR_DIR": str(var_dir),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(WORKERS),
    }


def _admin_connection(db: Database) -> Any:
    import psycopg

    return psycopg.connect(
        host=db.host,
        port=db.port,
        user=db.user,
        password=db.password or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def drop_database(db: Database) -> None:
    from psycopg import sql

    with _admin_connection(db) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name))
        )


def create_database(db: Database) -> None:
    from psycopg import sql

    drop_database(db)
    with _admin_connection(db) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))


# --- Data: personas, request bodies, trips to check in ------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    token: str  # the exporter's system: Authorization: Bearer ck_…
    session_id: str  # the gate operator's signed-in session
    csrf_token: str


def prepare_database() -> Credentials:
    """Migrate, create the benchmark table, an exporter with a token and a gate operator."""
    import django
    from django.core.management import call_command
    from django.db import connection
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.utils.crypto import get_random_string

    django.setup()
    from cuakhau.accounts.models import ApiToken
    from cuakhau.accounts.roles import Role
    from cuakhau.conftest import make_enterprise, make_user
    from cuakhau.core.bench_api import BENCH_TABLE_SQL

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(BENCH_TABLE_SQL)

    exporter = make_user(
        "bench_exporter",
        Role.ENTERPRISE,
        enterprise=make_enterprise("Công ty TNHH Nông sản Xanh Lạng Sơn", 100_000_001),
    )
    key_id, secret = ApiToken.new_key()
    ApiToken.objects.create(
        enterprise=exporter.enterprise,
        user=exporter,
        name="bench",
        key_id=key_id,
        digest=ApiToken.digest_of(secret),
    )
    operator = make_user("bench_operator", Role.GATE_OPERATOR)
    client = Client()
    client.force_login(operator)
    return Credentials(
        token=f"ck_{key_id}_{secret}",
        session_id=client.cookies["sessionid"].value,
        # The cookie and the X-CSRFToken header carry the same unmasked secret, as a page's
        # JavaScript would send it back.
        csrf_token=get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS),
    )


def declaration_body(i: int) -> dict[str, Any]:
    """``fruit_export()`` with plates and containers of its own: 2 trucks, 1 container."""
    from stdnum import iso6346

    from cuakhau.conftest import fruit_export

    doc = fruit_export()
    serial = i % 100_000
    number = f"{serial // 100:03d}.{serial % 100:02d}"
    first, second = doc["trips"]
    first["tractor_plate"] = f"12C-{number}"
    first["trailer_plate"] = f"12R-{number}"
    container = f"CSQU{i % 1_000_000:06d}"
    first["containers"][0]["number"] = container + iso6346.calc_check_digit(container)
    second["tractor_plate"] = f"14C-{number}"
    doc["customs_declarations"][0]["number"] = f"305{i % 10**9:09d}"
    return doc


class TripPool:
    """Declared trips to check in. A trip handed to one run is never handed out again: wrk may
    have sent it just before it stopped, and the server may still be checking it in."""

    def __init__(self) -> None:
        self.handed_out: set[str] = set()

    def fresh(self) -> list[str]:
        from cuakhau.declarations.lifecycle import TripState
        from cuakhau.declarations.models import Trip

        declared = (
            Trip.objects.filter(state=TripState.DECLARED, declaration__gate__code=GATE)
            .order_by("pk")
            .values_list("code", flat=True)
        )
        return [code for code in declared if code not in self.handed_out]

    def take(self, count: int) -> list[str]:
        codes = self.fresh()[:count]
        self.handed_out.update(codes)
        return codes


# --- Server and load ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``cuakhau serve`` (gunicorn, sync workers) on a free port; stopped on the way out."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "cuakhau",
        "serve",
        "--no-worker",  # the benchmark measures the web workers alone
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with log_path.open("w") as server_log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log_path)
        yield base_url
    finally:
        stop(process)


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"the server exited:\n{tail(log_path)}")
        try:
            health = f"{base_url}/api/v1/health"  # http://127.0.0.1:…, built here
            with urllib.request.urlopen(health, timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"the server did not answer /api/v1/health in 60 s:\n{tail(log_path)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers gracefully
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group we started, master and workers
        process.wait(timeout=5)


def drain(base_url: str) -> None:
    """Wait for the requests wrk left queued in the listen backlog when it stopped.

    Sync workers take connections in order, so once a fresh request is answered the backlog
    ahead of it is gone (a worker may still finish one request: ``TripPool`` allows for it);
    otherwise the next run would start behind this one's leftovers."""
    for _ in range(WORKERS):
        health = f"{base_url}/api/v1/health"  # http://127.0.0.1:…, built here
        with urllib.request.urlopen(health, timeout=60) as reply:  # noqa: S310
            reply.read()


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True, slots=True)
class Load:
    """What wrk sends: one method and path, fixed headers, bodies in turn."""

    method: str
    path: str
    headers: dict[str, str]
    bodies: list[str]
    once: bool = False  # each body at most once (check-ins: a trip checks in once)


@dataclass(frozen=True, slots=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)
_SAMPLE_LINE = re.compile(r"^SAMPLE (.*)$", re.MULTILINE)


def run_wrk(base_url: str, load: Load, seconds: float, work_dir: Path, name: str) -> Result:
    """One wrk run; raises on any non-2xx answer, socket error or body sent twice."""
    bodies = work_dir / f"{name}.bodies"
    bodies.write_text("".join(body + "\n" for body in load.bodies), encoding="utf-8")
    headers = work_dir / f"{name}.headers"
    headers.write_text("".join(f"{k}: {v}\n" for k, v in load.headers.items()), encoding="utf-8")
    env = {
        **os.environ,
        "WRK_METHOD": load.method,
        "WRK_PATH": load.path,
        "WRK_HEADERS": str(headers),
        "WRK_BODIES": str(bodies) if load.bodies else "",
        "WRK_ONCE": "1" if load.once else "0",
        "WRK_THREADS": str(WRK_THREADS),
    }
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    found = _BENCH_LINE.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise BenchmarkError(f"wrk failed ({name}):\n{done.stdout}\n{done.stderr}")
    stats = {k: int(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
    socket_errors = sum(stats[k] for k in ("connect", "read", "write", "timeout"))
    if stats["non2xx"] or socket_errors or stats["reused"]:
        sample = _SAMPLE_LINE.search(done.stdout)
        raise BenchmarkError(
            f"{name}: {stats['non2xx']} non-2xx answers, {socket_errors} socket errors "
            f"({found.group(1)}), {stats['reused']} bodies sent again for want of fresh ones"
            + (f"\nfirst non-2xx: {sample.group(1)}" if sample else "")
        )
    if stats["requests"] == 0:
        raise BenchmarkError(f"{name}: wrk made no request")
    drain(base_url)
    return Result(
        requests=stats["requests"],
        seconds=stats["duration_us"] / 1e6,
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
    )


def measure(
    base_url: str,
    name: str,
    make_load: Callable[[float], Load],
    *,
    warmup: float,
    duration: float,
    work_dir: Path,
) -> Result:
    """A short warm-up (workers import, caches fill, connections open), then the measured run.

    ``make_load(seconds)`` is called before each run, so that loads which use bodies up
    (check-ins) get fresh ones, as many as the run needs."""
    if warmup > 0:
        run_wrk(base_url, make_load(warmup), warmup, work_dir, f"{name}-warmup")
    result = run_wrk(base_url, make_load(duration), duration, work_dir, name)
    log(f"{name}: {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
    return result


# --- The four loads -----------------------------------------------------------------------------


def trivial_load(_seconds: float) -> Load:
    return Load("GET", "/api/v1/health", {}, [])


def insert_load(_seconds: float) -> Load:
    bodies = [json.dumps({"payload": f"bench {i}"}) for i in range(1000)]
    return Load("POST", "/api/v1/bench/insert", {"Content-Type": "application/json"}, bodies)


def submit_load(credentials: Credentials, count: int) -> Load:
    bodies = [json.dumps(declaration_body(i), ensure_ascii=False) for i in range(count)]
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {credentials.token}",
    }
    return Load("POST", "/api/v1/declarations?submit=true", headers, bodies)


def checkin_load(credentials: Credentials, pool: TripPool, count: int) -> Load:
    bodies = [json.dumps({"yard": YARD, "code": code}) for code in pool.take(count)]
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"sessionid={credentials.session_id}; csrftoken={credentials.csrf_token}",
        "X-CSRFToken": credentials.csrf_token,
    }
    return Load("POST", "/api/v1/checkins", headers, bodies, once=True)


def fill_trip_pool(
    base_url: str, pool: TripPool, submit: Load, submit_rps: float, needed: int, work_dir: Path
) -> None:
    """Submit more declarations (unmeasured) until ``needed`` trips wait to check in."""
    budget = MAX_FILL_SECONDS
    while (have := len(pool.fresh())) < needed:
        seconds = math.ceil((needed - have) / (2 * submit_rps) * 1.2) + 1
        if seconds > budget:
            raise BenchmarkError(
                f"declaring {needed - have} more trips to check in would take about {seconds} s "
                f"at {submit_rps:.0f} submits/s; shorten --duration"
            )
        budget -= seconds
        log(f"trip pool: {have} declared trips, {needed} wanted; submitting for {seconds} s")
        run_wrk(base_url, submit, seconds, work_dir, "fill")


# --- Queries per request ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryCount:
    queries: int  # statements Django sent, BEGIN, COMMIT and SAVEPOINTs included
    health_checks: int  # CONN_HEALTH_CHECKS' SELECT 1 on a reused connection
    sql: list[str]


def count_queries(credentials: Credentials, pool: TripPool) -> dict[str, QueryCount]:
    """Each endpoint once in-process, after one warm-up request, with the server's settings."""
    from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    connection = connections[DEFAULT_DB_ALIAS]
    token = Client(HTTP_AUTHORIZATION=f"Bearer {credentials.token}")
    operator = Client(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=credentials.csrf_token)
    operator.cookies["sessionid"] = credentials.session_id
    operator.cookies["csrftoken"] = credentials.csrf_token
    serial = iter(range(900_000, 1_000_000))
    codes = iter(pool.take(2))  # looked up here, outside the counted request

    def post(client: Client, path: str, body: dict[str, Any]) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json")

    calls: dict[str, Callable[[], Any]] = {
        "trivial": lambda: Client().get("/api/v1/health"),
        "insert": lambda: post(Client(), "/api/v1/bench/insert", {"payload": "count"}),
        "submit": lambda: post(
            token, "/api/v1/declarations?submit=true", declaration_body(next(serial))
        ),
        "checkin": lambda: post(operator, "/api/v1/checkins", {"yard": YARD, "code": next(codes)}),
    }
    counts: dict[str, QueryCount] = {}
    for name, call in calls.items():
        call()  # warm-up: caches (reference data, token last-used stamp) as under load
        # The test client skips what the server does when a request starts: close_old_connections,
        # which arms the connection health check. Do it here; its SELECT 1 bypasses Django's
        # query log, so count the is_usable() calls.
        with (
            CaptureQueriesContext(connection) as captured,
            mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as is_usable,
        ):
            close_old_connections()
            response = call()
        if not 200 <= response.status_code < 300:
            raise BenchmarkError(f"{name}: {response.status_code} {response.content[:300]!r}")
        sql = [query["sql"] for query in captured.captured_queries]
        counts[name] = QueryCount(len(sql), is_usable.call_count, sql)
    return counts


# --- Report -------------------------------------------------------------------------------------


def report(
    results: dict[str, Result], counts: dict[str, QueryCount], load: float, show_sql: bool
) -> bool:
    """Print the figures and the verdict; True when every target is met."""
    figures: list[tuple[str, float | int]] = [
        ("api_trivial_rps", round(results["trivial"].rps, 1)),
        ("api_insert_rps", round(results["insert"].rps, 1)),
        ("api_submit_rps", round(results["submit"].rps, 1)),
        ("api_submit_p99_ms", round(results["submit"].p99_ms, 1)),
        ("api_checkin_rps", round(results["checkin"].rps, 1)),
        ("api_checkin_p99_ms", round(results["checkin"].p99_ms, 1)),
    ]
    figures += [(f"api_{name}_queries", count.queries) for name, count in counts.items()]
    for name, value in figures:
        print(f"{name}: {value}")

    reference = results["insert"].rps
    submit_ratio = results["submit"].rps / reference
    checkin_ratio = results["checkin"].rps / reference
    checks = [
        (f"submit {submit_ratio:.0%} of the one-INSERT reference", ">= 40%",
         submit_ratio >= TARGET_SUBMIT_RATIO),
        (f"check-in {checkin_ratio:.0%} of the one-INSERT reference", ">= 60%",
         checkin_ratio >= TARGET_CHECKIN_RATIO),
        (f"submit p99 {results['submit'].p99_ms:.0f} ms", "< 150 ms",
         results["submit"].p99_ms < TARGET_P99_MS),
        (f"check-in p99 {results['checkin'].p99_ms:.0f} ms", "< 150 ms",
         results["checkin"].p99_ms < TARGET_P99_MS),
    ]  # fmt: skip
    print()
    for what, target, met in checks:
        print(f"# {what} (target {target}): {'met' if met else 'MISSED'}")
    health = max((c.health_checks for c in counts.values()), default=0)
    if health:
        print(
            f"# queries count BEGIN/COMMIT/SAVEPOINT but not the {health} SELECT 1 connection "
            "health check (CONN_HEALTH_CHECKS) each request that uses the database pays"
        )
    cores = os.cpu_count() or 1
    print(
        f"# load average before the run: {load:.2f} on {cores} cores"
        + (" (other processes shared the CPUs: every figure is low)" if load > 0.5 else "")
    )
    all_met = all(met for _what, _target, met in checks)
    print(f"# targets: {'all met' if all_met else 'MISSED'}")
    if show_sql:
        for name, count in counts.items():
            print(f"\n# {name}: {count.queries} queries")
            for statement in count.sql:
                print(f"#   {statement}")
    return all_met


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per load")
    parser.add_argument("--sql", action="store_true", help="print each endpoint's queries")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 3 when a target is missed"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("benchmarks/api.py needs wrk (Debian: apt-get install wrk)")
    db = database_from_env()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cuakhau-bench-") as tmp:
        work_dir = Path(tmp)
        env = server_env(db, work_dir / "var")
        os.environ.update(env)  # this process (setup, query counts) uses the server's settings
        load = os.getloadavg()[0]
        log(f"database {db.name} on {db.host}:{db.port}: creating and migrating")
        create_database(db)
        try:
            credentials = prepare_database()
            pool = TripPool()
            results = run_loads(credentials, pool, env, work_dir, args.warmup, args.duration)
            counts = count_queries(credentials, pool)
        except BenchmarkError as error:
            print(f"benchmark failed: {error}", file=sys.stderr)
            return 1
        finally:
            close_django_connections()
            drop_database(db)
        met = report(results, counts, load, args.sql)
    log(f"done in {time.monotonic() - started:.0f} s")
    return 3 if args.strict and not met else 0


def run_loads(
    credentials: Credentials,
    pool: TripPool,
    env: dict[str, str],
    work_dir: Path,
    warmup: float,
    duration: float,
) -> dict[str, Result]:
    results: dict[str, Result] = {}
    with served(env, work_dir / "gunicorn.log") as base_url:
        log(f"gunicorn with {WORKERS} sync workers on {base_url}; wrk at {CONNECTIONS} connections")

        def run(name: str, make_load: Callable[[float], Load]) -> Result:
            return measure(
                base_url, name, make_load, warmup=warmup, duration=duration, work_dir=work_dir
            )

        results["trivial"] = run("trivial", trivial_load)
        results["insert"] = run("insert", insert_load)
        submit = submit_load(credentials, 5000)
        results["submit"] = run("submit", lambda _seconds: submit)

        # Every check-in needs a declared trip of its own. A short probe tells how fast
        # check-ins go, then enough trips are declared for the warm-up and the measured run.
        # A check-in commits a transaction like the reference's INSERT: it will not outrun it.
        def trips_for(seconds: float, rps: float) -> int:
            return math.ceil(rps * seconds * 1.5) + CONNECTIONS

        probe_trips = trips_for(PROBE_SECONDS, results["insert"].rps)
        fill_trip_pool(base_url, pool, submit, results["submit"].rps, probe_trips, work_dir)
        probe_load = checkin_load(credentials, pool, probe_trips)
        rate = run_wrk(base_url, probe_load, PROBE_SECONDS, work_dir, "checkin-probe").rps
        needed = trips_for(warmup, rate) + trips_for(duration, rate)
        fill_trip_pool(base_url, pool, submit, results["submit"].rps, needed, work_dir)
        results["checkin"] = run(
            "checkin", lambda seconds: checkin_load(credentials, pool, trips_for(seconds, rate))
        )
    return results


def close_django_connections() -> None:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    sys.exit(main())
