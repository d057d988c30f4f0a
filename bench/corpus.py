"""Benchmark the open-data corpus: import time and memory, then API latency, per engine.

    python bench/corpus.py [--engines sqlite,postgresql] [--requests N] [--timeout S]

For each engine: a fresh database, `migrate` and `seed`, a timed `import all --quiet` (wall time
and the importer's own peak RSS), a timed re-run (must be a no-op), then the server on a free
port of 127.0.0.1 and N sequential keep-alive requests per route. Progress goes to stderr; one
table per engine goes to stdout at the end. Exit status 1 when any request answered other than
200 or a step failed; targets missed are only marked MISS. See bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import httpx
from sqlalchemy import create_engine, text

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this script ever talks to
PG_ADMIN_URL = f"postgresql+psycopg://postgres@{HOST}:5432/test"
PG_BENCH_URL = f"postgresql+psycopg://postgres@{HOST}:5432/{{name}}"
ENGINES = ("sqlite", "postgresql")

SETUP_TIMEOUT_S = 120.0  # migrate, seed
IMPORT_TIMEOUT_S = 600.0  # each `import all`
READY_TIMEOUT_S = 60.0  # server start until /readyz answers 200
STOP_TIMEOUT_S = 15.0  # SIGTERM to SIGKILL
REQUEST_TIMEOUT_S = 10.0
MAX_TRANSPORT_ERRORS = 3  # per route: stop hammering a server that does not answer
WARMUP_PER_ROUTE = 10

TARGET_IMPORT_S = 60.0
TARGET_IMPORT_RSS_MB = 500.0
TARGET_P95_MS = 20.0

HP_IDS = ["HP:0001324", "HP:0001250", "HP:0001263", "HP:0000365", "HP:0002650"]
ICD10CM_CODES = ["G61.82", "E84", "D66", "E80.1", "G61.0"]
ORPHA_CODES = ["641", "586"]
# Search (issue 6): names, misspellings, an abbreviation, codes, symptom words.
SEARCH_QUERIES = [
    "multifocal motor neuropathy", "cystic fibrosis", "marfan syndrome", "huntington disease",
    "mutlifocal motor neuropathy", "gaucer disease", "MMN", "G61.82", "ORPHA:586", "E84.9",
    "muscle weakness", "seizures", "elbow hypertrichosis",
]  # fmt: skip
AUTOCOMPLETE_PREFIXES = ["m", "mul", "multif", "cyst", "hunt", "muscle w", "seiz", "fab"]
# Five MMN phenotypes; a mixed set; a broad set.
MATCH_SETS = [
    "HP:0012078,HP:0003690,HP:0002380,HP:0009063,HP:0001250",
    "HP:0001324,HP:0001250,HP:0001263,HP:0000365,HP:0002650",
    "HP:0000707,HP:0001507,HP:0000478,HP:0001626,HP:0000119",
]
SLUG_SOURCE = "/v1/conditions?limit=50&offset=5000"

HPO_LINE = re.compile(r"^hpo \S+: imported in ([\d.]+) s: (.*)$", re.MULTILINE)
ICD_LINE = re.compile(r"^icd10cm \S+: imported in ([\d.]+) s: (.*)$", re.MULTILINE)
CONDITIONS = re.compile(r"([\d,]+) conditions,")
ANNOTATIONS = re.compile(r"([\d,]+) annotations\b")
NOTHING_TO_DO = re.compile(r"^(hpo|icd10cm) \S+: already imported, nothing to do$", re.MULTILINE)

STARTED = time.monotonic()


class BenchError(Exception):
    """A step failed; the engine's run stops there (and is cleaned up)."""


class RunTimeout(BaseException):
    """The whole run took longer than --timeout (raised from SIGALRM)."""


class Terminated(BaseException):
    """SIGTERM: clean up and leave."""


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.95 for p95); 0.0 of no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def progress(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- subprocesses --------------------------------------------------------------------------


@dataclass
class Finished:
    returncode: int
    seconds: float
    peak_rss_kib: int  # ru_maxrss of this child alone (Linux: KiB), from wait4()
    stdout: str
    stderr: str


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


def run_measured(args: Sequence[str], env: dict[str, str], timeout: float) -> Finished:
    """Run `python -m app ARGS` and reap it with os.wait4(), which hands back the resource
    usage of that one child: its wall time and its own peak RSS. (RUSAGE_CHILDREN would be the
    maximum over every child reaped so far, migrate and the other engine's import included.)"""
    command = [sys.executable, "-m", "app", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # The command is this interpreter running the project's own CLI; no shell, no user input.
        proc = subprocess.Popen(  # noqa: S603
            command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        reaped = False
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    reaped = True
                    break
                if time.perf_counter() - started > timeout:
                    raise BenchError(f"`{' '.join(args)}` did not finish within {timeout:.0f} s")
                time.sleep(0.01)  # wall time is thus exact to ~10 ms
        finally:
            if not reaped:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -signal.SIGKILL
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        result = Finished(proc.returncode, seconds, usage.ru_maxrss, _read(out), _read(err))
    if result.returncode != 0:
        raise BenchError(
            f"`python -m app {' '.join(args)}` exited {result.returncode}:\n"
            + _tail(result.stdout + result.stderr)
        )
    return result


def _tail(output: str, lines: int = 20) -> str:
    return "\n".join("    " + line for line in output.strip().splitlines()[-lines:])


def log_problems(output: str) -> list[str]:
    """Warning-or-worse entries of the service's JSON logs, and anything that is not JSON."""
    found = []
    for line in output.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if line.strip():
                found.append(line.strip())
            continue
        if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
            found.append(f"{entry['level']}: {entry.get('message')}")
    return found


# --- databases -----------------------------------------------------------------------------


@contextmanager
def fresh_database(engine: str) -> Iterator[str]:
    """A new empty database for one engine; dropped (or deleted) on the way out, always."""
    if engine == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="bench_"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            progress(f"{engine}: deleted {folder}")
        return
    name = f"bench_{secrets.token_hex(4)}"  # [a-z0-9_] only, so safe to quote into DDL
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        progress(f"{engine}: created database {name}")
        try:
            yield PG_BENCH_URL.format(name=name)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            progress(f"{engine}: dropped database {name}")
    finally:
        admin.dispose()


# --- import --------------------------------------------------------------------------------


@dataclass
class ImportFigures:
    seconds: float = 0.0  # wall time of `import all --quiet`, interpreter start-up included
    peak_rss_mb: float = 0.0
    hpo_seconds: float = 0.0  # as the hpo summary line reports it
    icd_seconds: float = 0.0
    conditions: int = 0
    annotations: int = 0
    rerun_seconds: float = 0.0
    rerun_noop: bool = False

    @property
    def conditions_per_s(self) -> float:
        return self.conditions / self.hpo_seconds if self.hpo_seconds else 0.0

    @property
    def annotations_per_s(self) -> float:
        return self.annotations / self.hpo_seconds if self.hpo_seconds else 0.0


def _number(pattern: re.Pattern[str], line: str, what: str) -> int:
    match = pattern.search(line)
    if match is None:
        raise BenchError(f"no {what} count in the hpo summary line: {line!r}")
    return int(match.group(1).replace(",", ""))


def import_corpus(engine: str, env: dict[str, str]) -> ImportFigures:
    figures = ImportFigures()
    for step in ("migrate", "seed"):
        done = run_measured([step], env, SETUP_TIMEOUT_S)
        progress(f"{engine}: {step} in {done.seconds:.1f} s")

    progress(f"{engine}: import all --quiet (takes a while)")
    done = run_measured(["import", "all", "--quiet"], env, IMPORT_TIMEOUT_S)
    for line in done.stdout.strip().splitlines():
        progress(f"{engine}:   {line}")
    for problem in log_problems(done.stderr):
        progress(f"{engine}:   importer log: {problem}")
    hpo, icd = HPO_LINE.search(done.stdout), ICD_LINE.search(done.stdout)
    if hpo is None or icd is None:
        raise BenchError(f"expected an hpo and an icd10cm summary line, got:\n{done.stdout}")
    figures.seconds = done.seconds
    figures.peak_rss_mb = done.peak_rss_kib / 1024
    figures.hpo_seconds, figures.icd_seconds = float(hpo.group(1)), float(icd.group(1))
    figures.conditions = _number(CONDITIONS, hpo.group(0), "conditions")
    figures.annotations = _number(ANNOTATIONS, hpo.group(0), "annotations")
    progress(
        f"{engine}: import all took {done.seconds:.1f} s wall, "
        f"peak RSS {figures.peak_rss_mb:.0f} MB"
    )

    done = run_measured(["import", "all", "--quiet"], env, IMPORT_TIMEOUT_S)
    figures.rerun_seconds = done.seconds
    figures.rerun_noop = len(NOTHING_TO_DO.findall(done.stdout)) == 2
    progress(
        f"{engine}: re-run took {done.seconds:.1f} s: "
        + "; ".join(done.stdout.strip().splitlines())
    )
    return figures


# --- server and latency --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServerInfo:
    pid: int
    base_url: str


@contextmanager
def running_server(
    engine: str, env: dict[str, str], log: IO[bytes], workers: int = 1
) -> Iterator[ServerInfo]:
    port = free_port()
    command = [sys.executable, "-m", "app", "serve", "--host", HOST, "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    # This interpreter running the project's own CLI, bound to 127.0.0.1; no shell.
    proc = subprocess.Popen(  # noqa: S603
        command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    try:
        progress(f"{engine}: server pid {proc.pid} starting on {HOST}:{port}")
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(base_url=base, timeout=2.0, trust_env=False) as probe:
            while True:
                if proc.poll() is not None:
                    raise BenchError(f"server exited {proc.returncode} before it was ready")
                with suppress(httpx.TransportError):
                    if probe.get("/readyz").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"/readyz not 200 within {READY_TIMEOUT_S:.0f} s")
                time.sleep(0.2)
        progress(f"{engine}: server ready")
        yield ServerInfo(pid=proc.pid, base_url=base)
    finally:
        stop_server(proc, f"{engine}: server")


def stop_server(proc: subprocess.Popen[bytes], label: str) -> None:
    """SIGTERM, then SIGKILL if it has not stopped after STOP_TIMEOUT_S (also bench/wire.py)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            progress(f"{label} ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s; killing")
            proc.kill()
            proc.wait()
    # uvicorn re-raises the SIGTERM it caught once its graceful shutdown is done: -15 is normal.
    progress(f"{label} stopped (exit {proc.returncode})")


def memory_of(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


@dataclass
class Route:
    name: str
    template: str  # "{}" is replaced by each key in turn
    keys: list[str]
    has_target: bool = False
    target_ms: float = TARGET_P95_MS  # the p95 target, when has_target


@dataclass
class RouteResult:
    route: Route
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)  # non-200 status (or error) -> count
    by_key: dict[str, list[float]] = field(default_factory=dict)  # key -> latencies (ms)
    seconds: float = 0.0

    @property
    def failures(self) -> int:
        return sum(self.statuses.values())

    def percentile(self, p: int) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    @property
    def per_second(self) -> float:
        done = len(self.latencies_ms) + self.failures
        return done / self.seconds if self.seconds else 0.0


def hammer(client: httpx.Client, route: Route, count: int, result: RouteResult | None) -> int:
    """`count` sequential requests cycling through the route's keys; returns non-200s. With a
    result, records each request's latency (sent until body read) and the route's wall time."""
    failures = transport_errors = 0
    started = time.perf_counter()
    for key in itertools.islice(itertools.cycle(route.keys), count):
        url = route.template.format(key)
        before = time.perf_counter()
        try:
            response = client.get(url)
        except httpx.TransportError as exc:
            outcome = type(exc).__name__
            transport_errors += 1
        else:
            outcome = "200" if response.status_code == 200 else str(response.status_code)
            if outcome == "200" and result is not None:
                elapsed_ms = (time.perf_counter() - before) * 1000
                result.latencies_ms.append(elapsed_ms)
                result.by_key.setdefault(key, []).append(elapsed_ms)
        if outcome != "200":
            failures += 1
            if failures <= 3:
                progress(f"  {outcome} from GET {url}")
            if result is not None:
                result.statuses[outcome] = result.statuses.get(outcome, 0) + 1
        if transport_errors >= MAX_TRANSPORT_ERRORS:
            progress(f"  {route.name}: {transport_errors} transport errors; giving up on it")
            break
    if result is not None:
        result.seconds = time.perf_counter() - started
    return failures


@dataclass
class LatencyFigures:
    results: list[RouteResult] = field(default_factory=list)
    setup_failures: int = 0  # non-200s while fetching keys and warming up
    rss_mb: float = 0.0
    hwm_mb: float = 0.0
    log_problems: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return self.setup_failures + sum(r.failures for r in self.results)


def fetch_slugs(client: httpx.Client, figures: LatencyFigures) -> list[str]:
    response = client.get(SLUG_SOURCE)
    if response.status_code != 200:
        figures.setup_failures += 1
        progress(f"  {response.status_code} from GET {SLUG_SOURCE}: {response.text[:300]}")
        return []
    slugs = [item["slug"] for item in response.json().get("items", [])]
    progress(f"  {len(slugs)} slugs from GET {SLUG_SOURCE} (first {slugs[:1]})")
    return slugs


def measure_latency(engine: str, env: dict[str, str], requests: int) -> LatencyFigures:
    figures = LatencyFigures()
    with (
        tempfile.TemporaryFile() as log,
        running_server(engine, env, log) as server,
        httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False) as c,
    ):
        slugs = fetch_slugs(c, figures)
        routes = [
            Route("GET /healthz (baseline)", "/healthz", [""]),
            Route("GET /v1/symptoms/{hp}/conditions", "/v1/symptoms/{}/conditions", HP_IDS, True),
            Route(
                "  ...?include_descendants=true",
                "/v1/symptoms/{}/conditions?include_descendants=true",
                HP_IDS,
                True,
            ),
            Route("GET /v1/codes/icd10cm/{code}", "/v1/codes/icd10cm/{}", ICD10CM_CODES, True),
            Route("GET /v1/codes/orpha/{code}", "/v1/codes/orpha/{}", ORPHA_CODES, True),
            Route("GET /v1/conditions/{slug}", "/v1/conditions/{}", slugs),
            Route("GET /v1/search?q=", "/v1/search?q={}", SEARCH_QUERIES, True, 20.0),
            Route(
                "GET /v1/autocomplete?q=", "/v1/autocomplete?q={}", AUTOCOMPLETE_PREFIXES, True, 5.0
            ),
            Route(
                "GET /v1/conditions/match (5 terms)",
                "/v1/conditions/match?symptoms={}",
                MATCH_SETS,
                True,
                50.0,
            ),
            Route(
                "GET /v1/conditions/mmn/symptoms",
                "/v1/conditions/{}/symptoms",
                ["multifocal-motor-neuropathy"],
            ),
        ]
        for route in routes:
            result = RouteResult(route)
            figures.results.append(result)
            if not route.keys:
                result.statuses["no keys"] = 1
                progress(f"{engine}: {route.name}: no keys to request; counted as a failure")
                continue
            warmup = max(WARMUP_PER_ROUTE, len(route.keys))
            figures.setup_failures += hammer(c, route, warmup, None)
            hammer(c, route, requests, result)
            progress(
                f"{engine}: {route.name.strip()}: p50 {result.percentile(50):.1f} ms, "
                f"p95 {result.percentile(95):.1f} ms, {result.failures} non-200"
            )
            if len(result.by_key) > 1:
                medians = sorted(
                    ((statistics.median(v), k) for k, v in result.by_key.items()), reverse=True
                )
                progress("    median by key: " + ", ".join(f"{k} {m:.1f}" for m, k in medians[:5]))
        figures.rss_mb, figures.hwm_mb = memory_of(server.pid)
        log.flush()
        figures.log_problems = log_problems(_read(log))
    for problem in figures.log_problems[:10]:
        progress(f"{engine}: server log: {problem[:300]}")
    return figures


# --- report --------------------------------------------------------------------------------


@dataclass
class EngineRun:
    engine: str
    imports: ImportFigures | None = None
    latency: LatencyFigures | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.latency is not None and self.latency.failures == 0


def mark(good: bool) -> str:
    return "ok" if good else "MISS"


def render(run: EngineRun, requests: int) -> str:
    lines = [f"== {run.engine}", ""]
    imp = run.imports
    if imp is not None:
        rows = [
            ("import all --quiet (wall)", f"{imp.seconds:.1f} s", f"< {TARGET_IMPORT_S:.0f} s",
             mark(imp.seconds < TARGET_IMPORT_S)),
            ("  hpo, as it reports", f"{imp.hpo_seconds:.1f} s", "", ""),
            ("  icd10cm, as it reports", f"{imp.icd_seconds:.1f} s", "", ""),
            ("conditions/s (hpo)", f"{imp.conditions_per_s:,.0f}", f"{imp.conditions:,} rows", ""),
            ("annotations/s (hpo)", f"{imp.annotations_per_s:,.0f}",
             f"{imp.annotations:,} rows", ""),
            ("importer peak RSS", f"{imp.peak_rss_mb:.0f} MB", f"< {TARGET_IMPORT_RSS_MB:.0f} MB",
             mark(imp.peak_rss_mb < TARGET_IMPORT_RSS_MB)),
            ("re-run (no-op)", f"{imp.rerun_seconds:.1f} s",
             "nothing to do" if imp.rerun_noop else "NOT a no-op", mark(imp.rerun_noop)),
        ]  # fmt: skip
        lines.append(f"{'import':<28}{'value':>12}  target")
        lines += [f"{a:<28}{b:>12}  {c:<16}{d}".rstrip() for a, b, c, d in rows]
        lines.append("")
    lat = run.latency
    if lat is not None:
        lines.append(
            f"{'latency, ' + str(requests) + ' sequential requests':<36}{'n':>5}{'non200':>7}"
            f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>8}  p95 target"
        )
        for r in lat.results:
            target = ""
            if r.route.has_target and r.latencies_ms:
                goal = r.route.target_ms
                target = f"< {goal:.0f} {mark(r.percentile(95) < goal)}"
            lines.append(
                f"{r.route.name:<36}{len(r.latencies_ms):>5}{r.failures:>7}"
                f"{r.percentile(50):>8.1f}{r.percentile(95):>8.1f}{r.percentile(99):>8.1f}"
                f"{r.per_second:>8.0f}  {target}".rstrip()
            )
        lines.append(
            f"non-200 while fetching keys and warming up: {lat.setup_failures}; "
            f"server log warnings/errors: {len(lat.log_problems)}"
        )
        lines.append(f"server RSS after the run: {lat.rss_mb:.0f} MB (peak {lat.hwm_mb:.0f} MB)")
    if run.error is not None:
        lines.append(f"FAILED: {run.error}")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


def bench_engine(engine: str, requests: int) -> EngineRun:
    run = EngineRun(engine)
    progress(f"{engine}: start")
    try:
        with fresh_database(engine) as url:
            env = {**os.environ, "DATABASE_URL": url}
            run.imports = import_corpus(engine, env)
            run.latency = measure_latency(engine, env, requests)
    except BenchError as exc:
        run.error = str(exc)
        progress(f"{engine}: FAILED: {exc}")
    except Exception as exc:  # a bug or an unexpected answer: report it, go on to the next engine
        run.error = f"{type(exc).__name__}: {exc}"
        progress(f"{engine}: FAILED: {run.error}")
    return run


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per route")
    parser.add_argument(
        "--timeout", type=int, default=2400, help="bound on the whole run, seconds (2400)"
    )
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown or not args.engines:
        parser.error(f"--engines: choose from {', '.join(ENGINES)}")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise RunTimeout(f"the whole run exceeded --timeout {args.timeout} s")

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise Terminated("SIGTERM")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(args.timeout)
    runs: list[EngineRun] = []
    try:
        for engine in args.engines:
            runs.append(bench_engine(engine, args.requests))
    except (RunTimeout, Terminated, KeyboardInterrupt) as exc:
        progress(f"stopped: {exc or type(exc).__name__} (cleaned up)")
        return 1
    finally:
        signal.alarm(0)
    progress(f"done in {time.monotonic() - STARTED:.0f} s")
    print(f"corpus benchmark, {args.requests} requests per route, python {sys.version.split()[0]}")
    for run in runs:
        print()
        print(render(run, args.requests))
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
