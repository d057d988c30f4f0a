"""Wire-level HTTP benchmark: the service under wrk, each route as a ratio to a constant route.

    python -m bench.wire [--database-url URL] [--skip-import] [--duration S] [--connections N]
                         [--threads N] [--warmup S] [--rounds N] [--json PATH]

A temporary database (a SQLite file, or a new database on the PostgreSQL server of
--database-url), migrated, seeded and given the open data; bench/wire_app.py (the service plus
GET /bench/bare) served by one uvicorn worker; then wrk on each route, in interleaved rounds.
Progress goes to stderr, the table to stdout. Everything is removed at exit. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
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
HOST = "127.0.0.1"  # the only address this harness talks to, besides --database-url
BARE_PATH = "/bench/bare"  # served by bench/wire_app.py (not imported here: it builds an app)
MMN = "/v1/conditions/multifocal-motor-neuropathy"
IMPORT_TIMEOUT_S = 900.0
READY_TIMEOUT_S = 60.0
WRK_SLACK_S = 30.0  # beyond --duration, before a wrk run counts as hung
WRK_INSTALL = "apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)"
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


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    min_ratio: float | None  # of bare's requests/s; None for bare itself
    conditional: bool = False  # If-None-Match with the ETag of a first GET


TARGETS = (
    Target("bare", BARE_PATH, None),
    Target("record", MMN, 0.6),
    Target("section", f"{MMN}/symptoms", 0.6),
    Target("list", "/v1/conditions?limit=50", 0.3),
    Target("304", MMN, 0.8, conditional=True),
)


# --- database ------------------------------------------------------------------------------


@contextmanager
def temporary_database(server_url: str | None, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a file in `folder` (deleted with it), or a new database
    on the PostgreSQL server of `server_url`, dropped on the way out."""
    if server_url is None:
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


def prepare_database(url: str, skip_import: bool) -> None:
    started = time.perf_counter()
    migrations.upgrade(url)
    with session_factory_for(url) as factory:
        report = seed(factory, seed_files(get_settings().seed_dir))
    progress(
        f"migrated and seeded ({len(report.created)} records) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if skip_import:
        progress("--skip-import: only the seed records; the list has as many rows as they are")
        return
    progress("importing the open data: python -m app import all (about 40 s)")
    started = time.perf_counter()
    try:
        # This interpreter running the project's own CLI; no shell. Its bars and summary lines
        # go to stderr, beside this harness's progress.
        subprocess.run(
            [sys.executable, "-m", "app", "import", "all"],
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
    progress(f"imported in {time.perf_counter() - started:.1f} s")


# --- server --------------------------------------------------------------------------------


@dataclass
class Server:
    pid: int
    port: int
    log: Path


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
def running_server(url: str, log: Path) -> Iterator[Server]:
    port = free_port()
    # Production settings: one worker, info level, the service's JSON logs (access log
    # included) to a file, not the terminal.
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "info"}
    command = [sys.executable, "-m", "bench.wire_app", "--host", HOST, "--port", str(port)]
    with log.open("wb") as log_file:
        # This interpreter running bench/wire_app.py, bound to 127.0.0.1; no shell.
        proc = subprocess.Popen(  # noqa: S603
            command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=log_file,
        )  # fmt: skip
    try:
        progress(f"server pid {proc.pid} starting on {HOST}:{port}, log {log}")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise BenchError(f"server exited {proc.returncode}:\n{log_tail(log)}")
            try:
                if fetch(port, "/readyz")[0] == 200:
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise BenchError(f"/readyz not 200 within {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        progress("server ready")
        yield Server(proc.pid, port, log)
    finally:
        stop_server(proc, "server")


def log_problems(log: Path) -> list[str]:
    """Warning-or-worse lines of the server's JSON log."""
    levels = ('"level": "warning"', '"level": "error"', '"level": "critical"')
    with log.open(errors="replace") as lines:
        return [line.strip() for line in lines if any(level in line for level in levels)]


# --- wrk -----------------------------------------------------------------------------------


@dataclass
class Sample:
    """One wrk run of one target."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int  # connect, read, write and timeout

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass
class TargetRun:
    target: Target
    script: Path | None = None
    body_bytes: int | None = None
    note: str = ""
    unavailable: str = ""  # why the target was not measured ("n/a (no ETag)")
    samples: list[Sample] = field(default_factory=list)


def lua_script(headers: dict[str, str]) -> str:
    # json.dumps of printable ASCII is a valid Lua string literal (\" and \\ escapes only).
    lines = [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "-- written by bench/wire.py\n" + "\n".join(lines) + LUA_DONE


def prepare_targets(port: int, folder: Path) -> list[TargetRun]:
    """One GET per target first: its size, the list's row count, and the ETag for the 304."""
    runs = []
    for target in TARGETS:
        run = TargetRun(target)
        runs.append(run)
        headers = {}
        if target.conditional:
            _, etag, _ = fetch(port, target.path)
            if not etag:
                run.unavailable = "n/a (no ETag)"
                continue
            if not (etag.isascii() and etag.isprintable()):
                run.unavailable = f"n/a (ETag {etag!r} not printable ASCII)"
                continue
            headers["If-None-Match"] = etag
        status, _, body = fetch(port, target.path, headers)
        run.body_bytes = len(body)
        if target.conditional and status != 304:
            run.note = f"answered {status}, not 304"
        elif status >= 400:
            run.note = f"answered {status}"
        elif target.name == "list":
            try:
                rows = len(json.loads(body)["items"])
                run.note = f"{rows} row{'s' * (rows != 1)}"
            except (ValueError, KeyError, TypeError):
                run.note = "rows: no items array in the answer"
        run.script = folder / f"{target.name}.lua"
        run.script.write_text(lua_script(headers))
    return runs


def run_wrk(wrk: str, port: int, run: TargetRun, seconds: int, args: argparse.Namespace) -> Sample:
    assert run.script is not None
    command = [
        wrk, "--threads", str(args.threads), "--connections", str(args.connections),
        "--duration", f"{seconds}s", "--timeout", "5s", "--script", str(run.script),
        f"http://{HOST}:{port}{run.target.path}",
    ]  # fmt: skip
    try:
        # wrk, found on PATH, against the server this harness started on 127.0.0.1; no shell.
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
            timeout=seconds + WRK_SLACK_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk on {run.target.name} did not finish") from exc
    match = RESULT_LINE.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise BenchError(f"wrk on {run.target.name} exited {done.returncode}:\n{done.stderr}")
    totals = json.loads(match.group(1))
    return Sample(
        requests=totals["requests"],
        seconds=totals["duration_us"] / 1e6,
        p50_ms=totals["p50_us"] / 1000,
        p99_ms=totals["p99_us"] / 1000,
        non_2xx_3xx=totals["status"],
        socket_errors=sum(totals[k] for k in ("connect", "read", "write", "timeout")),
    )


def measure(wrk: str, server: Server, runs: list[TargetRun], args: argparse.Namespace) -> None:
    """A warm-up per target, then every target once per round, so that noise (a busy
    neighbour, CPU frequency) lands on all of them alike."""
    measured = [run for run in runs if not run.unavailable]
    for run in runs:
        if run.unavailable:
            progress(f"{run.target.name}: {run.unavailable}; not measured")
    if args.warmup:
        for run in measured:
            sample = run_wrk(wrk, server.port, run, args.warmup, args)
            progress(f"warm-up {run.target.name:<8} {sample.per_second:8.0f} req/s")
    for round_no in range(1, args.rounds + 1):
        for run in measured:
            sample = run_wrk(wrk, server.port, run, args.duration, args)
            run.samples.append(sample)
            progress(
                f"round {round_no}/{args.rounds} {run.target.name:<8} "
                f"{sample.per_second:8.0f} req/s  p50 {sample.p50_ms:6.2f} ms  "
                f"p99 {sample.p99_ms:6.2f} ms  non-2xx/3xx {sample.non_2xx_3xx}  "
                f"socket errors {sample.socket_errors}"
            )


# --- report --------------------------------------------------------------------------------


@dataclass
class Row:
    route: str
    path: str
    requests_per_s: float | None  # medians over the rounds
    p50_ms: float | None
    p99_ms: float | None
    ratio_to_bare: float | None  # median of the per-round ratios
    min_ratio: float | None
    target: str
    passed: bool | None  # None: not measured
    non_2xx_3xx: int  # summed over the rounds
    socket_errors: int
    body_bytes: int | None
    note: str
    rounds: list[dict[str, float]]


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(runs: list[TargetRun]) -> list[Row]:
    bare = next(run for run in runs if run.target.min_ratio is None)
    rows = []
    for run in runs:
        t, samples = run.target, run.samples
        errors = sum(s.non_2xx_3xx for s in samples), sum(s.socket_errors for s in samples)
        pairs = zip(samples, bare.samples, strict=True) if samples else ()
        ratio = median_or_none([s.per_second / b.per_second for s, b in pairs])
        target = "0 errors" if t.min_ratio is None else f">= {t.min_ratio:.1f}x, 0 errors"
        passed = None
        if ratio is not None:
            right_answers = errors == (0, 0) and not run.note.startswith("answered")
            passed = right_answers and ratio >= (t.min_ratio or 0.0)
        rows.append(
            Row(
                route=t.name,
                path=t.path + (" + If-None-Match" if t.conditional else ""),
                requests_per_s=median_or_none([s.per_second for s in samples]),
                p50_ms=median_or_none([s.p50_ms for s in samples]),
                p99_ms=median_or_none([s.p99_ms for s in samples]),
                ratio_to_bare=ratio,
                min_ratio=t.min_ratio,
                target=target,
                passed=passed,
                non_2xx_3xx=errors[0],
                socket_errors=errors[1],
                body_bytes=run.body_bytes,
                note=run.unavailable or run.note,
                rounds=[asdict(s) | {"requests_per_s": s.per_second} for s in samples],
            )
        )
    return rows


def render(rows: list[Row], heading: str, rss_mb: float, hwm_mb: float) -> str:
    def number(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    head = (
        f"{'route':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}  {'target':<22}"
        f"{'':<5}{'non-2xx/3xx':>12}{'sock err':>9}{'bytes':>8}  note"
    )
    lines = [heading, "", head, "-" * len(head)]
    for row in rows:
        mark = {True: "ok", False: "MISS", None: "n/a"}[row.passed]
        lines.append(
            f"{row.route:<8}{number(row.requests_per_s, ',.0f'):>9}{number(row.p50_ms, '.2f'):>9}"
            f"{number(row.p99_ms, '.2f'):>9}{number(row.ratio_to_bare, '.2f'):>8}  "
            f"{row.target:<22}{mark:<5}{row.non_2xx_3xx:>12}{row.socket_errors:>9}"
            f"{number(row.body_bytes, ','):>8}  {row.note}".rstrip()
        )
    lines.append("")
    lines += [f"{row.route:<8}GET {row.path}" for row in rows]
    lines.append("")
    lines.append(f"server RSS after the run: {rss_mb:.0f} MiB (peak {hwm_mb:.0f} MiB)")
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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.wire", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres): "
        "a new database bench_wire_<random> is created beside the one named, and dropped at "
        "exit (default: a SQLite file in a temporary folder)",
    )
    parser.add_argument(
        "--skip-import", action="store_true", help="seed only; no open-data import (quick)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per target (2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all targets (3)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.database_url is not None and make_url(args.database_url).get_backend_name() != (
        "postgresql"
    ):
        parser.error("--database-url must be a PostgreSQL URL (the default is SQLite)")
    if min(args.duration, args.connections, args.threads, args.rounds) < 1 or args.warmup < 0:
        parser.error("--duration, --connections, --threads and --rounds must be at least 1")
    if args.threads > args.connections:
        parser.error("wrk needs --connections >= --threads")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(f"wrk not found on PATH. Install it: {WRK_INSTALL}.", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated("SIGTERM")

    signal.signal(signal.SIGTERM, on_term)
    engine = "postgresql" if args.database_url else "sqlite"
    shown_url = args.database_url and make_url(args.database_url).render_as_string()
    data = "seed only" if args.skip_import else "seed + open data"
    heading = (
        f"wire benchmark: {engine}, {data}; {code_version()}\n"
        f"{args.rounds} rounds x {args.duration} s per route, {args.connections} connections, "
        f"{args.threads} wrk threads, 1 uvicorn worker; {wrk_version(wrk)}, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    try:
        with ExitStack() as cleanup:
            folder = Path(tempfile.mkdtemp(prefix="bench_wire_"))
            cleanup.callback(progress, f"deleted {folder}")
            cleanup.callback(shutil.rmtree, folder, ignore_errors=True)
            url = cleanup.enter_context(temporary_database(args.database_url, folder))
            prepare_database(url, args.skip_import)
            server = cleanup.enter_context(running_server(url, folder / "server.log"))
            try:
                runs = prepare_targets(server.port, folder)
                measure(wrk, server, runs, args)
            except BenchError:
                progress(f"server log, last lines:\n{log_tail(server.log)}")
                raise
            rss_mb, hwm_mb = memory_of(server.pid)
            problems = log_problems(server.log)
            for problem in problems[:5]:
                progress(f"server log: {problem[:300]}")
            progress(f"server log: {len(problems)} warning/error lines")
    except BenchError as exc:
        progress(f"FAILED: {exc}")
        return 1
    except (KeyboardInterrupt, Terminated) as exc:
        progress(f"stopped ({type(exc).__name__}); cleaned up")
        return 130
    rows = summarise(runs)
    print(render(rows, heading, rss_mb, hwm_mb))
    if args.json is not None:
        results = {
            "heading": heading,
            "settings": vars(args)
            | {"engine": engine, "json": str(args.json), "database_url": shown_url},
            "rows": [asdict(row) for row in rows],
            "server": {"rss_mib": rss_mb, "peak_rss_mib": hwm_mb, "log_warnings": len(problems)},
        }
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        progress(f"wrote {args.json}")
    failed = any(row.non_2xx_3xx or row.socket_errors for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
