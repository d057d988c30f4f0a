"""Wire-level HTTP benchmark: the service under wrk beside a minimal app and a peer, in one run.

    python -m bench.wire [--engines sqlite,postgresql] [--workers 1,2] [--skip-import]
                         [--duration S] [--connections N] [--threads N] [--warmup S]
                         [--rounds N] [--queries N] [--json PATH]

Per engine a temporary database (a SQLite file; a new database on the PostgreSQL server of
--postgres-url), migrated, seeded and given the open data. Then, all at once on free ports of
127.0.0.1: the service (bench/wire_app.py: the app plus a constant route) with each --workers
count per engine; the ceiling (bench/ceiling_app.py: a minimal FastAPI app sending the same
bytes); Datasette on a SQLite file of the same condition names (FTS5) with the MMN record as a
row. wrk runs every target of every server once per round, rounds after one another. Search
rotates through the same --queries real queries on the service and on Datasette. Progress
goes to stderr, the table to stdout; everything is removed at exit. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import quote, urlencode

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core import migrations
from app.core.config import get_settings
from app.core.db import session_factory_for
from app.seeding.loader import seed, seed_files
from bench.corpus import (
    BenchError,
    Terminated,
    free_port,
    memory_of,
    progress,
    stop_server,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this harness talks to, besides the PostgreSQL server
PG_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BARE_PATH = "/bench/bare"  # served by bench/wire_app.py and bench/ceiling_app.py
MMN_SLUG = "multifocal-motor-neuropathy"
MMN = f"/v1/conditions/{MMN_SLUG}"
DATASETTE_DB = "conditions"  # the file's stem: Datasette's name for the database
IMPORT_TIMEOUT_S = 900.0
READY_TIMEOUT_S = 90.0
WRK_SLACK_S = 30.0  # beyond --duration, before a wrk run counts as hung
WRK_INSTALL = "apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)"
DATASETTE_INSTALL = ".venv/bin/pip install -c constraints.txt -e '.[bench]'"
RESULT_LINE = re.compile(r"^WIRE_RESULT (\{.*\})$", re.MULTILINE)
# wrk's done() hook, run once with the totals of all threads; latencies are in microseconds.
# wrk counts an answer of 400 or more as a status error, so a 304 is an OK answer.
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WIRE_RESULT {"requests": %.0f, "duration_us": %.0f, "p50_us": %.0f, "p99_us": %.0f, '
    .. '"status": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f, "timeout": %.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""
# Each wrk thread walks the whole list from its own starting point, one path per request.
LUA_ROTATE = """
local paths = {%s}
local next_path = 0
init = function(args) next_path = math.random(#paths) - 1 end
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format(nil, paths[next_path])
end
"""
# Broad words and phrases: each matches hundreds to thousands of records.
BROAD_QUERIES = [
    "seizures", "syndrome", "deficiency", "disease", "disorder", "muscle weakness", "anemia",
    "tumor", "cancer", "infection", "intellectual disability", "hypotonia", "diabetes", "heart",
    "kidney", "skin", "eye", "deafness", "epilepsy", "short stature", "dystrophy", "ataxia",
    "neuropathy", "type 1", "congenital",
]  # fmt: skip


# --- what is measured ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One row of the table: a route of one server, compared with another row."""

    key: str  # unique: "sqlite/1 record"
    server: str  # "ceiling", "datasette", "sqlite/1", "postgresql/2", ...
    route: str  # "record"
    path: str
    rotate: tuple[str, ...] = ()  # paths walked in turn (search); `path` is the first
    if_none_match: bool = False  # the record's ETag in If-None-Match
    versus: str | None = None  # key of the row this one is a ratio to
    min_ratio: float | None = None
    versus_2: str | None = None  # a second comparison (the record against Datasette's row)
    min_ratio_2: float | None = None
    max_p99_ms: float | None = None


@dataclass
class Sample:
    """One wrk run of one target."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int  # connect, read, write and timeout
    wrk_cores: float  # wrk's CPU time over the run's wall time
    server_cores: float  # the same for the server's processes (workers included)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass
class Server:
    name: str
    pid: int
    port: int
    log: Path


@dataclass
class TargetRun:
    target: Target
    server: Server
    script: Path | None = None
    body_bytes: int | None = None
    note: str = ""
    unavailable: str = ""
    samples: list[Sample] = field(default_factory=list)


def service_targets(server: str, queries: Sequence[str], workers: int) -> list[Target]:
    engine = server.split("/")[0]
    search = tuple(f"/v1/search?{urlencode({'q': q, 'limit': 10})}" for q in queries)
    one_worker = f"{engine}/1"
    targets = [
        Target(f"{server} bare", server, "bare", BARE_PATH, versus="ceiling bare", min_ratio=0.8),
        Target(
            f"{server} record", server, "record", MMN, versus="ceiling record", min_ratio=0.6,
            versus_2="datasette row", min_ratio_2=5.0,
        ),
        Target(
            f"{server} section", server, "section", f"{MMN}/symptoms", versus="ceiling section",
            min_ratio=0.6,
        ),
        Target(f"{server} list", server, "list", "/v1/conditions?limit=50", versus="ceiling bare"),
        Target(
            f"{server} 304", server, "304", MMN, if_none_match=True, versus="ceiling bare"
        ),
        Target(
            f"{server} search", server, "search", search[0], rotate=search,
            versus="datasette search", min_ratio=3.0, max_p99_ms=100.0,
        ),
    ]  # fmt: skip
    if workers == 1:
        return targets
    # More workers: the ratios that matter are to one worker of the same engine.
    scaled = []
    for target in targets:
        base = f"{one_worker} {target.route}"
        ratio = 1.6 if target.route == "record" else None
        scaled.append(
            Target(
                target.key, server, target.route, target.path, target.rotate,
                target.if_none_match, versus=base, min_ratio=ratio,
            )
        )  # fmt: skip
    return scaled


def peer_targets(queries: Sequence[str]) -> list[Target]:
    table = f"/{DATASETTE_DB}/conditions"
    search = tuple(f"{table}.json?{urlencode({'_search': q, '_size': 10})}" for q in queries)
    return [
        Target("ceiling bare", "ceiling", "bare", BARE_PATH),
        Target("ceiling record", "ceiling", "record", "/record"),
        Target("ceiling section", "ceiling", "section", "/section"),
        Target("datasette row", "datasette", "row", f"{table}/{quote(MMN_SLUG)}.json"),
        Target("datasette search", "datasette", "search", search[0], rotate=search),
    ]


# --- databases -----------------------------------------------------------------------------


@contextmanager
def temporary_database(engine: str, server_url: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a file in `folder` (deleted with it), or a new database
    on the PostgreSQL server of `server_url`, dropped on the way out."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"bench_wire_{secrets.token_hex(4)}"  # [a-z0-9_] only, so safe to quote into DDL
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        progress(f"created database {name}")
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            progress(f"dropped database {name}")
    finally:
        admin.dispose()


def prepare_database(engine: str, url: str, skip_import: bool) -> None:
    started = time.perf_counter()
    migrations.upgrade(url)
    with session_factory_for(url) as factory:
        report = seed(factory, seed_files(get_settings().seed_dir))
    progress(
        f"{engine}: migrated and seeded ({len(report.created)} records) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if skip_import:
        progress(f"{engine}: --skip-import: only the seed records")
        return
    progress(f"{engine}: importing the open data: python -m app import all")
    started = time.perf_counter()
    try:
        # This interpreter running the project's own CLI; no shell. Its bars and summary lines
        # go to stderr, beside this harness's progress.
        subprocess.run(
            [sys.executable, "-m", "app", "import", "all", "--quiet"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": url},
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            timeout=IMPORT_TIMEOUT_S,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        raise BenchError(f"`python -m app import all` exited {exc.returncode}") from exc
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"the import took longer than {IMPORT_TIMEOUT_S:.0f} s") from exc
    progress(f"{engine}: imported in {time.perf_counter() - started:.1f} s")


def search_queries(url: str, count: int) -> list[str]:
    """`count` distinct real queries, the same every run on the same data: condition names,
    the same with two letters swapped, codes as people type them, and broad words."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = list(
                connection.scalars(
                    text("SELECT name FROM conditions WHERE status = 'published' ORDER BY slug")
                )
            )
            codes = list(
                connection.execute(
                    text(
                        "SELECT DISTINCT system, code FROM codes "
                        "WHERE system IN ('icd10cm', 'orpha') ORDER BY system, code"
                    )
                )
            )
    finally:
        engine.dispose()
    rng = random.Random(16)
    broad = BROAD_QUERIES[: max(1, count // 8)]
    wanted_codes = min(len(codes), count // 7)
    wanted_typos = count // 5
    picked = rng.sample(names, min(len(names), count))
    queries: dict[str, None] = dict.fromkeys(broad)
    for system, code in rng.sample(codes, wanted_codes):
        queries[f"ORPHA:{code}" if system == "orpha" else code] = None
    typos = 0
    for name in picked:
        if len(queries) >= count:
            break
        words = name.split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        if typos < wanted_typos and len(word) >= 6 and word.isalpha():
            at = rng.randrange(1, len(word) - 2)
            words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
            typos += 1
        queries[" ".join(words)] = None
    if len(queries) < count:
        progress(f"only {len(queries)} distinct queries in the data, not {count}")
    mixed = list(queries)[:count]
    rng.shuffle(mixed)  # broad, code, name and misspelt queries interleaved, as traffic comes
    return mixed


def datasette_database(url: str, record: bytes, folder: Path) -> Path:
    """A SQLite file for Datasette with the published condition names (slug as primary key),
    an FTS5 index over them, and the MMN record's JSON in its row."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT slug, name FROM conditions WHERE status = 'published' ORDER BY slug")
            ).all()
    finally:
        engine.dispose()
    path = folder / f"{DATASETTE_DB}.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE conditions (slug TEXT PRIMARY KEY, name TEXT, record TEXT)")
        db.executemany("INSERT INTO conditions (slug, name) VALUES (?, ?)", rows)
        db.execute("UPDATE conditions SET record = ? WHERE slug = ?", (record.decode(), MMN_SLUG))
        # Datasette finds an FTS table by its content= table, and searches it with ?_search=.
        db.execute(
            "CREATE VIRTUAL TABLE conditions_fts USING fts5(name, content='conditions', "
            "content_rowid='rowid')"
        )
        db.execute("INSERT INTO conditions_fts (rowid, name) SELECT rowid, name FROM conditions")
    db.close()
    progress(f"datasette: {len(rows)} condition names in {path.name}")
    return path


# --- servers -------------------------------------------------------------------------------


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """One GET: (status, ETag header or "", body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("ETag", ""), response.read()
    finally:
        connection.close()


def log_tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return ""
    tail = log.read_text(errors="replace").strip().splitlines()[-lines:]
    return "\n".join("    " + line[:300] for line in tail)


@contextmanager
def running_server(
    name: str, command: list[str], env: dict[str, str], ready_path: str, log: Path
) -> Iterator[Server]:
    port = free_port()
    command = [*command, "--port", str(port)]
    with log.open("wb") as log_file:
        # This interpreter running a module of this project (or Datasette's CLI) on 127.0.0.1;
        # no shell.
        proc = subprocess.Popen(  # noqa: S603
            command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=log_file, start_new_session=True,
        )  # fmt: skip
    try:
        progress(f"{name}: pid {proc.pid} starting on {HOST}:{port}, log {log.name}")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{name} exited {proc.returncode}:\n{log_tail(log)}")
            try:
                if fetch(port, ready_path)[0] == 200:
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise BenchError(f"{name}: {ready_path} not 200 within {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        progress(f"{name}: ready")
        yield Server(name, proc.pid, port, log)
    finally:
        stop_server(proc, name)


def log_problems(log: Path) -> list[str]:
    """Warning-or-worse lines of a server's JSON log."""
    levels = ('"level": "warning"', '"level": "error"', '"level": "critical"')
    with log.open(errors="replace") as lines:
        return [line.strip() for line in lines if any(level in line for level in levels)]


def _with_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(child) for child in children.read_text().split()] if children.exists() else []
    return [pid, *found]


def server_memory(pid: int) -> tuple[float, float]:
    """RSS and peak RSS in MiB of a server and its worker processes, summed."""
    figures = [memory_of(each) for each in _with_children(pid)]
    return sum(rss for rss, _ in figures), sum(peak for _, peak in figures)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (a server's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in _with_children(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


# --- wrk -----------------------------------------------------------------------------------


def lua_script(target: Target, headers: dict[str, str]) -> str:
    # json.dumps of printable ASCII is a valid Lua string literal (\" and \\ escapes only).
    lines = [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    if target.rotate:
        lines.append(LUA_ROTATE % ", ".join(json.dumps(path) for path in target.rotate))
    return "-- written by bench/wire.py\n" + "\n".join(lines) + LUA_DONE


def prepare(run: TargetRun, folder: Path) -> None:
    """One GET first: its size, the list's row count, the ETag for the 304."""
    target, port = run.target, run.server.port
    headers = {}
    if target.if_none_match:
        _, etag, _ = fetch(port, target.path)
        if not etag or not (etag.isascii() and etag.isprintable()):
            run.unavailable = f"n/a (ETag {etag!r})"
            return
        headers["If-None-Match"] = etag
    statuses = []
    for path in target.rotate or (target.path,):
        status, _, body = fetch(port, path, headers)
        statuses.append(status)
        if run.body_bytes is None:
            run.body_bytes = len(body)
    bad = [s for s in statuses if s >= 400 or (target.if_none_match and s != 304)]
    if bad:
        run.note = f"answered {bad[0]} ({len(bad)} of {len(statuses)} paths)"
    elif target.rotate:
        run.note = f"{len(target.rotate)} queries in turn"
    elif target.route == "list":
        rows = len(json.loads(body).get("items", []))
        run.note = f"{rows} rows"
    run.script = folder / f"{target.key.replace('/', '-').replace(' ', '-')}.lua"
    run.script.write_text(lua_script(target, headers))


def children_cpu() -> float:
    """CPU time of this process's reaped children: wrk's, once communicate() has reaped it."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(wrk: str, run: TargetRun, seconds: int, args: argparse.Namespace) -> Sample:
    assert run.script is not None
    command = [
        wrk, "--threads", str(args.threads), "--connections", str(args.connections),
        "--duration", f"{seconds}s", "--timeout", "5s", "--script", str(run.script),
        f"http://{HOST}:{run.server.port}{run.target.path}",
    ]  # fmt: skip
    server_before, wrk_before = cpu_seconds(run.server.pid), children_cpu()
    started = time.monotonic()
    # wrk, found on PATH, against a server this harness started on 127.0.0.1; no shell.
    proc = subprocess.Popen(  # noqa: S603
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=seconds + WRK_SLACK_S)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        raise BenchError(f"wrk on {run.target.key} did not finish") from exc
    wall = time.monotonic() - started
    server_cpu = cpu_seconds(run.server.pid) - server_before
    wrk_cpu = children_cpu() - wrk_before  # communicate() reaped wrk: its time is counted
    match = RESULT_LINE.search(out)
    if proc.returncode != 0 or match is None:
        raise BenchError(f"wrk on {run.target.key} exited {proc.returncode}:\n{err}")
    totals = json.loads(match.group(1))
    return Sample(
        requests=totals["requests"],
        seconds=totals["duration_us"] / 1e6,
        p50_ms=totals["p50_us"] / 1000,
        p99_ms=totals["p99_us"] / 1000,
        non_2xx_3xx=totals["status"],
        socket_errors=sum(totals[k] for k in ("connect", "read", "write", "timeout")),
        wrk_cores=wrk_cpu / wall,
        server_cores=server_cpu / wall,
    )


def measure(wrk: str, runs: list[TargetRun], args: argparse.Namespace) -> None:
    """A warm-up per target, then every target once per round, so that noise (a busy
    neighbour, CPU frequency) lands on all of them alike."""
    measured = [run for run in runs if not run.unavailable]
    for run in runs:
        if run.unavailable:
            progress(f"{run.target.key}: {run.unavailable}; not measured")
    if args.warmup:
        for run in measured:
            sample = run_wrk(wrk, run, args.warmup, args)
            progress(f"warm-up {run.target.key:<22} {sample.per_second:8.0f} req/s")
    for round_no in range(1, args.rounds + 1):
        for run in measured:
            sample = run_wrk(wrk, run, args.duration, args)
            run.samples.append(sample)
            progress(
                f"round {round_no}/{args.rounds} {run.target.key:<22} "
                f"{sample.per_second:8.0f} req/s  p50 {sample.p50_ms:6.2f} ms  "
                f"p99 {sample.p99_ms:6.2f} ms  errors {sample.non_2xx_3xx}"
                f"+{sample.socket_errors}  cores wrk {sample.wrk_cores:.2f} "
                f"server {sample.server_cores:.2f}"
            )


# --- report --------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    path: str
    requests_per_s: float | None  # medians over the rounds
    p50_ms: float | None
    p99_ms: float | None
    ratios: list[tuple[str, float | None, float | None]]  # (versus, median ratio, minimum)
    passed: bool | None  # None: nothing to meet, or not measured
    non_2xx_3xx: int  # summed over the rounds
    socket_errors: int
    wrk_cores: float | None
    server_cores: float | None
    body_bytes: int | None
    note: str
    rounds: list[dict[str, float]]


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio_of(run: TargetRun, other: TargetRun | None) -> float | None:
    """The median of the per-round ratios (each round's pair measured minutes apart at most)."""
    if other is None or not run.samples or len(other.samples) != len(run.samples):
        return None
    pairs = zip(run.samples, other.samples, strict=True)
    return statistics.median(s.per_second / o.per_second for s, o in pairs)


def summarise(runs: list[TargetRun]) -> list[Row]:
    by_key = {run.target.key: run for run in runs}
    rows = []
    for run in runs:
        t, samples = run.target, run.samples
        errors = sum(s.non_2xx_3xx for s in samples), sum(s.socket_errors for s in samples)
        ratios = []
        passed: bool | None = None
        for versus, minimum in ((t.versus, t.min_ratio), (t.versus_2, t.min_ratio_2)):
            if versus is None:
                continue
            ratio = ratio_of(run, by_key.get(versus))
            ratios.append((versus, ratio, minimum))
            if minimum is not None and ratio is not None:
                passed = (passed is not False) and ratio >= minimum
        p99 = median_or_none([s.p99_ms for s in samples])
        if t.max_p99_ms is not None and p99 is not None:
            passed = (passed is not False) and p99 < t.max_p99_ms
        if samples and (errors != (0, 0) or run.note.startswith("answered")):
            passed = False
        rows.append(
            Row(
                key=t.key,
                path=t.path + (" + If-None-Match" if t.if_none_match else ""),
                requests_per_s=median_or_none([s.per_second for s in samples]),
                p50_ms=median_or_none([s.p50_ms for s in samples]),
                p99_ms=p99,
                ratios=ratios,
                passed=passed,
                non_2xx_3xx=errors[0],
                socket_errors=errors[1],
                wrk_cores=median_or_none([s.wrk_cores for s in samples]),
                server_cores=median_or_none([s.server_cores for s in samples]),
                body_bytes=run.body_bytes,
                note=run.unavailable or run.note,
                rounds=[asdict(s) | {"requests_per_s": s.per_second} for s in samples],
            )
        )
    return rows


def render(rows: list[Row], heading: str, memory: dict[str, tuple[float, float]]) -> str:
    def number(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    def compared(row: Row) -> str:
        parts = []
        for versus, ratio, minimum in row.ratios:
            want = f" (>= {minimum:g})" if minimum is not None else ""
            parts.append(f"{number(ratio, '.2f')}x {versus}{want}")
        return "; ".join(parts)

    head = (
        f"{'row':<22}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}{'cores':>11}  "
        f"{'ok':<5}{'ratio to':<50}note"
    )
    lines = [heading, "", head, "-" * len(head)]
    for row in rows:
        mark = {True: "ok", False: "MISS", None: ""}[row.passed]
        cores = f"{number(row.server_cores, '.2f')}/{number(row.wrk_cores, '.2f')}"
        lines.append(
            f"{row.key:<22}{number(row.requests_per_s, ',.0f'):>8}{number(row.p50_ms, '.2f'):>8}"
            f"{number(row.p99_ms, '.2f'):>8}{row.non_2xx_3xx + row.socket_errors:>7}"
            f"{cores:>11}  {mark:<5}{compared(row):<50}{row.note}".rstrip()
        )
    lines.append("")
    lines.append(
        "cores: CPU cores the server (all its processes) / wrk used, CPU time over wall time"
    )
    paths: dict[tuple[str, str], str] = {}
    for row in rows:
        server, route = row.key.split(" ", 1)
        kind = server if server in ("ceiling", "datasette") else "service"
        paths.setdefault((route, kind), row.path)
    for (route, kind), path in paths.items():
        lines.append(f"  {route:<8} {kind:<10} GET {path}")
    lines.append("")
    for name, (rss, hwm) in memory.items():
        lines.append(f"{name}: RSS after the run {rss:.0f} MiB (peak {hwm:.0f} MiB), all processes")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


def wrk_version(wrk: str) -> str:
    # `wrk -v` prints "wrk 4.1.0 [epoll] Copyright ..." and its usage, and exits 1.
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True)  # noqa: S603
    match = re.match(r"wrk (\S+)", done.stdout + done.stderr)
    return f"wrk {match.group(1) if match else '(version unknown)'}"


def code_version() -> str:
    """The commit measured, and whether the working tree differs from it."""
    git = ["git", "--no-optional-locks", "-C", str(PROJECT_ROOT)]  # read-only: no index refresh
    try:
        commit = subprocess.run(  # noqa: S603
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(  # noqa: S603
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {commit}" + (" + uncommitted changes" if changes else "")


def datasette_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("datasette")
    except Exception:
        return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.wire", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--engines", default="sqlite,postgresql", help="sqlite, postgresql or both (both)"
    )
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts (1,2)")
    parser.add_argument(
        "--postgres-url",
        default=PG_SERVER_URL,
        help="the PostgreSQL server: bench_wire_<random> is created beside the database it "
        f"names and dropped at exit ({PG_SERVER_URL})",
    )
    parser.add_argument(
        "--skip-import", action="store_true", help="seed only; no open-data import (quick)"
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds per target (1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all targets (3)")
    parser.add_argument("--queries", type=int, default=205, help="search queries in turn (205)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.engine_list = [e for e in args.engines.split(",") if e]
    if not args.engine_list or set(args.engine_list) - {"sqlite", "postgresql"}:
        parser.error("--engines takes sqlite, postgresql or both")
    try:
        args.worker_counts = sorted({int(w) for w in args.workers.split(",")})
    except ValueError:
        parser.error("--workers takes counts such as 1,2")
    if args.worker_counts[0] != 1 or args.worker_counts[-1] > 8:
        parser.error("--workers must include 1 (the baseline) and stay at most 8")
    if min(args.duration, args.connections, args.threads, args.rounds) < 1 or args.warmup < 0:
        parser.error("--duration, --connections, --threads and --rounds must be at least 1")
    if args.threads > args.connections:
        parser.error("wrk needs --connections >= --threads")
    if args.queries < 1:
        parser.error("--queries must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(f"wrk not found on PATH. Install it: {WRK_INSTALL}.", file=sys.stderr)
        return 2
    peer = datasette_version()
    if peer is None:
        print(f"Datasette is not installed. Install it: {DATASETTE_INSTALL}", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated("SIGTERM")

    signal.signal(signal.SIGTERM, on_term)
    data = "seed only" if args.skip_import else "seed + open data"
    heading = (
        f"wire benchmark: {', '.join(args.engine_list)}; {data}; {code_version()}\n"
        f"{args.rounds} rounds x {args.duration} s per row, {args.connections} connections, "
        f"{args.threads} wrk thread(s); uvicorn workers {args.workers}; {wrk_version(wrk)}, "
        f"datasette {peer}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    memory: dict[str, tuple[float, float]] = {}
    problems: list[str] = []
    try:
        with ExitStack() as cleanup:
            folder = Path(tempfile.mkdtemp(prefix="bench_wire_"))
            cleanup.callback(progress, f"deleted {folder}")
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
            urls = {}
            for engine in args.engine_list:
                (folder / engine).mkdir()
                urls[engine] = cleanup.enter_context(
                    temporary_database(engine, args.postgres_url, folder / engine)
                )
                prepare_database(engine, urls[engine], args.skip_import)
            first = urls[args.engine_list[0]]
            queries = search_queries(first, args.queries)
            progress(f"{len(queries)} search queries, e.g. {', '.join(queries[:6])}")
            services: list[tuple[str, Server]] = []
            for engine, url in urls.items():
                env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "info"}
                for workers in args.worker_counts:
                    name = f"{engine}/{workers}"
                    command = [sys.executable, "-m", "bench.wire_app", "--host", HOST,
                               "--workers", str(workers)]  # fmt: skip
                    log = folder / f"{engine}-{workers}.log"
                    server = cleanup.enter_context(
                        running_server(name, command, env, "/readyz", log)
                    )
                    services.append((name, server))
            port = services[0][1].port
            bodies = folder / "bodies"
            bodies.mkdir()
            record = fetch(port, MMN)[2]
            (bodies / "record.json").write_bytes(record)
            (bodies / "section.json").write_bytes(fetch(port, f"{MMN}/symptoms")[2])
            ceiling = cleanup.enter_context(
                running_server(
                    "ceiling",
                    [
                        sys.executable,
                        "-m",
                        "bench.ceiling_app",
                        "--host",
                        HOST,
                        "--bodies",
                        str(bodies),
                    ],
                    dict(os.environ),
                    BARE_PATH,
                    folder / "ceiling.log",
                )
            )
            database = datasette_database(first, record, folder)
            datasette = cleanup.enter_context(
                running_server(
                    "datasette",
                    # Immutable: read-only, so Datasette skips file locking and counts rows once.
                    [
                        sys.executable,
                        "-m",
                        "datasette",
                        "serve",
                        "--immutable",
                        str(database),
                        "--host",
                        HOST,
                    ],
                    dict(os.environ),
                    "/-/versions.json",
                    folder / "datasette.log",
                )
            )
            peers = {"ceiling": ceiling, "datasette": datasette}
            runs = [TargetRun(t, peers[t.server]) for t in peer_targets(queries)]
            for name, server in services:
                workers = int(name.split("/")[1])
                runs += [TargetRun(t, server) for t in service_targets(name, queries, workers)]
            for run in runs:
                prepare(run, folder)
            try:
                measure(wrk, runs, args)
            except BenchError:
                for _, server in services:
                    progress(f"{server.name} log, last lines:\n{log_tail(server.log)}")
                raise
            for server in [server for _, server in services] + [ceiling, datasette]:
                memory[server.name] = server_memory(server.pid)
            for _, server in services:
                problems += log_problems(server.log)
            for problem in problems[:5]:
                progress(f"server log: {problem[:300]}")
            progress(f"server logs: {len(problems)} warning/error lines")
    except BenchError as exc:
        progress(f"FAILED: {exc}")
        return 1
    except (KeyboardInterrupt, Terminated) as exc:
        progress(f"stopped ({type(exc).__name__}); cleaned up")
        return 130
    rows = summarise(runs)
    print(render(rows, heading, memory))
    if args.json is not None:
        results = {
            "heading": heading,
            "settings": {k: v for k, v in vars(args).items() if k != "json"},
            "queries": queries,
            "rows": [asdict(row) for row in rows],
            "memory_mib": memory,
            "log_warnings": len(problems),
        }
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        progress(f"wrote {args.json}")
    failed = any(row.non_2xx_3xx or row.socket_errors for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
