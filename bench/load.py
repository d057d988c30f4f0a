"""Bounded mixed load against PostgreSQL: reads of every hot kind and a trickle of writes,
from this process against a local server with 2 workers; then a check that every write the
server acknowledged is in the database.

    python -m bench.load [--seconds 60] [--max-requests 200000] [--clients 8]
    python -m bench.load --proxy [--seconds 60] [--warmup 10]

It creates its own database (bench_<random>, dropped at the end), migrates, seeds and
imports the open data (about a minute), vacuums and analyses it, creates a write key,
starts `python -m app serve --workers 2`, and runs the load for `--seconds` or until
`--max-requests`, whichever comes first. Exit status 1 if any request failed (a status
other than the expected one, or a transport error) or an acknowledged write is missing.

With --proxy, the same load runs through nginx (deploy/nginx/api.conf.template, as the
deployment configures it) in front of 1, then 2 `serve` processes of one worker each, on the
same database, after --warmup seconds of reads that are not counted; it prints each
configuration's throughput, latency, errors, memory per worker and CPU, and the ratio of 2 to 1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.corpus import (
    AUTOCOMPLETE_PREFIXES,
    HOST,
    IMPORT_TIMEOUT_S,
    PROJECT_ROOT,
    SEARCH_QUERIES,
    SETUP_TIMEOUT_S,
    BenchError,
    free_port,
    fresh_database,
    log_problems,
    memory_of,
    percentile,
    progress,
    run_measured,
    running_server,
    stop_server,
)
from bench.wire import cpu_seconds

MMN = "/v1/conditions/multifocal-motor-neuropathy"
SECTIONS = ["symptoms", "overview", "causes", "diagnosis", "treatments"]
# Each kind of read, its share of the reads, and the status it must answer.
MIX = [("record", 30, 200), ("section", 25, {200, 404}), ("search", 15, 200),
       ("autocomplete", 15, 200), ("304", 15, 304)]  # fmt: skip
WRITE_EVERY_S = 0.5  # the trickle: one write each half second
REQUEST_TIMEOUT_S = 10.0


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    acknowledged: list[tuple[int, str]] = field(default_factory=list)  # (revision, review_due)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, seconds: float, problem: str | None = None) -> None:
        with self.lock:
            self.requests += 1
            self.latencies[kind].append(seconds)
            if problem:
                self.errors.append(f"{kind}: {problem}")


@dataclass
class Corpus:
    slugs: list[str]
    etags: dict[str, str]  # for the 304s: path -> ETag


def _prepare(env: dict[str, str]) -> str:
    for step in (["migrate"], ["seed"]):
        run_measured(step, env, SETUP_TIMEOUT_S)
    progress("postgresql: importing the open data (about a minute)")
    run_measured(["import", "all", "--quiet"], env, IMPORT_TIMEOUT_S)
    # What autovacuum would do on its own a little later, in the middle of the load.
    engine = create_engine(env["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    progress("postgresql: vacuumed and analysed")
    made = run_measured(["keys", "create", "--name", "load", "--scopes", "write"], env, 60)
    key = next(word for word in made.stdout.split() if word.startswith("cck_"))
    progress("postgresql: database ready, write key made")
    return key


def _corpus(client: httpx.Client) -> Corpus:
    slugs: list[str] = []
    for offset in range(0, 2000, 100):
        page = client.get("/v1/conditions", params={"limit": 100, "offset": offset}).json()
        slugs += [item["slug"] for item in page["items"]]
    paths = [f"/v1/conditions/{slug}" for slug in slugs[:200]]
    etags = {path: client.get(path).headers["etag"] for path in paths}
    return Corpus(slugs, etags)


def _reader(base: str, corpus: Corpus, tally: Tally, stop: Callable[[], bool], seed: int) -> None:
    chooser = random.Random(seed)
    kinds = [kind for kind, share, _ in MIX for _ in range(share)]
    expected = {kind: status for kind, _, status in MIX}
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT_S, trust_env=False) as client:
        while not stop():
            kind = chooser.choice(kinds)
            headers: dict[str, str] = {}
            if kind == "record":
                path = f"/v1/conditions/{chooser.choice(corpus.slugs)}"
            elif kind == "section":
                path = f"/v1/conditions/{chooser.choice(corpus.slugs)}/{chooser.choice(SECTIONS)}"
            elif kind == "search":
                path = f"/v1/search?q={chooser.choice(SEARCH_QUERIES)}"
            elif kind == "autocomplete":
                path = f"/v1/autocomplete?q={chooser.choice(AUTOCOMPLETE_PREFIXES)}"
            else:
                path, etag = chooser.choice(list(corpus.etags.items()))
                headers["If-None-Match"] = etag
                if path == MMN:  # the writer changes it: its ETag would not hold
                    continue
            started = time.perf_counter()
            try:
                status = client.get(path, headers=headers).status_code
            except httpx.TransportError as exc:
                tally.note(kind, time.perf_counter() - started, f"{path}: {exc!r}")
                continue
            wanted = expected[kind]
            ok = status in wanted if isinstance(wanted, set) else status == wanted
            tally.note(kind, time.perf_counter() - started, None if ok else f"{path}: {status}")


def _writer(base: str, key: str, tally: Tally, stop: Callable[[], bool]) -> None:
    """PATCH the seeded record's review_due (an editorial date, no medical content), each time
    with the ETag it just read, and keep what the server acknowledged."""
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT_S, trust_env=False) as client:
        for n in itertools.count(1):
            if stop():
                return
            due = (date(2030, 1, 1) + timedelta(days=n)).isoformat()
            started = time.perf_counter()
            try:
                read = client.get(MMN, headers={"Cache-Control": "no-cache"})
                if read.status_code != 200:
                    tally.note("write", time.perf_counter() - started, f"read {read.status_code}")
                    continue
                etag = read.headers["etag"]
                response = client.patch(
                    MMN,
                    json={"review_due": due},
                    headers={**auth, "If-Match": etag,
                             "Content-Type": "application/merge-patch+json"},
                )  # fmt: skip
            except httpx.TransportError as exc:
                tally.note("write", time.perf_counter() - started, repr(exc))
                continue
            ok = response.status_code == 200
            tally.note("write", time.perf_counter() - started, None if ok else response.text[:200])
            if ok:
                with tally.lock:
                    tally.acknowledged.append((response.json()["revision"], due))
            time.sleep(WRITE_EVERY_S)


def _verify(url: str, acknowledged: Sequence[tuple[int, str]]) -> list[str]:
    """Every acknowledged write is a revision of the record with what was sent."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT r.number, r.change FROM condition_revisions r JOIN conditions c "
                "ON c.id = r.condition_id WHERE c.slug = 'multifocal-motor-neuropathy'"
            )
        ).all()
    engine.dispose()
    stored = {number: change for number, change in rows}
    return [
        f"revision {number} ({due}) acknowledged but {'changed' if number in stored else 'missing'}"
        for number, due in acknowledged
        if (stored.get(number) or {}).get("review_due") != due
    ]


def _report(tally: Tally, seconds: float, rss: float, missing: list[str]) -> str:
    lines = [
        f"{tally.requests:,} requests in {seconds:.1f} s: {tally.requests / seconds:,.0f} req/s; "
        f"errors {len(tally.errors)}; writes acknowledged {len(tally.acknowledged)}, "
        f"missing from the database {len(missing)}; server RSS {rss:.0f} MiB (both workers "
        "not summed: the parent's)",
        "",
        f"{'kind':<13}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}",
    ]
    everything: list[float] = []
    for kind in [k for k, _, _ in MIX] + ["write"]:
        values = tally.latencies.get(kind, [])
        everything += values
        if values:
            lines.append(
                f"{kind:<13}{len(values):>10,}{statistics.median(values) * 1000:>10.2f}"
                f"{percentile(values, 0.99) * 1000:>10.2f}"
            )
    lines.append(
        f"{'all':<13}{len(everything):>10,}{statistics.median(everything) * 1000:>10.2f}"
        f"{percentile(everything, 0.99) * 1000:>10.2f}"
    )
    return "\n".join(lines)


def _drive(
    base: str, corpus: Corpus, key: str | None, args: argparse.Namespace, label: str, seconds: int
) -> tuple[Tally, float]:
    """`--clients` readers (and the writer, given a key) against `base` for `seconds` or until
    `--max-requests`; the tally and the seconds it took."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    def stop() -> bool:
        return time.monotonic() > deadline or tally.requests >= args.max_requests

    threads = [
        threading.Thread(target=_reader, args=(base, corpus, tally, stop, n))
        for n in range(args.clients)
    ]
    if key is not None:
        threads.append(threading.Thread(target=_writer, args=(base, key, tally, stop)))
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(10 if time.monotonic() + 10 < deadline else 1)
        progress(
            f"{label}: {tally.requests:,} requests, {len(tally.errors)} errors, "
            f"{len(tally.acknowledged)} writes"
        )
    return tally, time.monotonic() - started


def _direct(args: argparse.Namespace, url: str, env: dict[str, str], key: str) -> int:
    log = Path(tempfile.mkdtemp(prefix="bench_load_")) / "server.log"
    with (
        log.open("wb") as sink,
        running_server("postgresql", env, sink, args.workers) as server,
    ):
        base, pid = server.base_url, server.pid
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
            corpus = _corpus(client)
        progress(f"postgresql: {len(corpus.slugs)} slugs; load for {args.seconds} s")
        tally, seconds = _drive(base, corpus, key, args, "postgresql", args.seconds)
        rss, _ = memory_of(pid)
        for problem in log_problems(log.read_text(errors="replace")):
            progress(f"server log: {problem}")
    missing = _verify(url, tally.acknowledged)
    print(_report(tally, seconds, rss, missing))
    for problem in (tally.errors + missing)[:20]:
        print(f"  {problem}")
    return 1 if tally.errors or missing or not tally.acknowledged else 0


# --- through nginx, 1 and 2 processes --------------------------------------------------------

NGINX_TEMPLATES = PROJECT_ROOT / "deploy" / "nginx"
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
PROCESS_COUNTS = (1, 2)


def _render(name: str, **values: str) -> str:
    """A template of deploy/nginx with its placeholders filled in, as envsubst would."""
    return PLACEHOLDER.sub(lambda m: values[m[1]], (NGINX_TEMPLATES / name).read_text())


def _nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's is off a non-root PATH
    if not os.access(found, os.X_OK):
        raise BenchError("nginx is not installed (apt-get install nginx)")
    return found


@dataclass
class Nginx:
    pid: int
    base_url: str
    access_log: Path


@contextmanager
def running_nginx(folder: Path, upstreams: Sequence[str]) -> Iterator[Nginx]:
    """nginx on a free port of 127.0.0.1 in front of `upstreams` (host:port), configured from
    the deployment's template; everything it writes is in `folder`."""
    folder.mkdir()
    port = free_port()
    api = folder / "api.conf"
    api.write_text(
        _render(
            "api.conf.template",
            LISTEN=f"{HOST}:{port}",
            API_UPSTREAMS=" ".join(f"server {upstream};" for upstream in upstreams),
            MAX_BODY_BYTES=str(1024 * 1024),
        )
    )
    conf = folder / "nginx.conf"
    conf.write_text(_render("standalone.conf.template", API_CONF=str(api)))
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    access_log = folder / "access.log"
    with access_log.open("wb") as sink:
        # nginx from the system, on a configuration this script wrote; no shell.
        proc = subprocess.Popen(  # noqa: S603
            [_nginx_binary(), "-p", str(folder), "-c", str(conf), "-g", directives],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 10
        with httpx.Client(base_url=base, timeout=2.0, trust_env=False) as probe:
            while True:
                if proc.poll() is not None:
                    raise BenchError(f"nginx exited {proc.returncode}: {access_log.read_text()}")
                try:
                    if probe.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError("nginx did not pass /readyz within 10 s")
                time.sleep(0.1)
        progress(f"nginx pid {proc.pid} on {HOST}:{port} in front of {', '.join(upstreams)}")
        yield Nginx(proc.pid, base, access_log)
    finally:
        stop_server(proc, "nginx")


@dataclass
class Configuration:
    processes: int
    tally: Tally
    seconds: float
    rss_mb: list[float]  # per API process (one worker each)
    api_cores: float  # CPU time of the API processes over the wall time
    nginx_cores: float
    load_cores: float  # this process: the clients
    postgres_cores: float  # the PostgreSQL backends serving the benchmark's database
    machine_cores: float  # every process of the machine
    spread: list[int]  # requests per process, from nginx's access log
    missing: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.tally.requests / self.seconds

    @property
    def other_cores(self) -> float:
        """What else the machine's cores did meanwhile: other processes' work."""
        ours = self.api_cores + self.nginx_cores + self.load_cores + self.postgres_cores
        return max(0.0, self.machine_cores - ours)

    def latency(self, share: float) -> float:
        values = [v for values in self.tally.latencies.values() for v in values]
        return (statistics.median(values) if share == 0.5 else percentile(values, share)) * 1000


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL process working on `database`: its backends and
    autovacuum workers, found by their process titles (`postgres: [cluster: ]user database
    ...`, `postgres: [cluster: ]autovacuum worker database`). The app keeps its connections
    open, so its backends last the whole run."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        if title[:1] == [b"postgres:"] and database.encode() in title:
            found[int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _spread(access_log: Path, upstreams: Sequence[str]) -> list[int]:
    counts: Counter[str] = Counter()
    with access_log.open(errors="replace") as lines:
        for line in lines:
            try:
                counts[json.loads(line)["upstream"]] += 1
            except (ValueError, KeyError):
                continue
    return [counts[upstream] for upstream in upstreams]


def _configuration(
    processes: int, args: argparse.Namespace, env: dict[str, str], key: str, folder: Path
) -> Configuration:
    label = f"{processes} process{'es' if processes > 1 else ''}"
    with ExitStack() as stack:
        servers = []
        for n in range(processes):
            sink = stack.enter_context((folder / f"serve-{processes}-{n + 1}.log").open("wb"))
            servers.append(stack.enter_context(running_server(label, env, sink, workers=1)))
        upstreams = [server.base_url.removeprefix("http://") for server in servers]
        proxy = stack.enter_context(running_nginx(folder / f"nginx-{processes}", upstreams))
        with httpx.Client(base_url=proxy.base_url, timeout=30, trust_env=False) as client:
            corpus = _corpus(client)
        progress(f"{label}: warm-up, reads for {args.warmup} s")
        _drive(proxy.base_url, corpus, None, args, f"{label} warm-up", args.warmup)
        progress(f"{label}: load for {args.seconds} s through nginx")
        pids = [server.pid for server in servers]
        database = make_url(env["DATABASE_URL"]).database or ""
        api_before, nginx_before, own_before, machine_before, postgres_before = (
            sum(cpu_seconds(pid) for pid in pids), cpu_seconds(proxy.pid), _own_cpu(),
            _machine_cpu(), _backends_cpu(database),
        )  # fmt: skip
        tally, seconds = _drive(proxy.base_url, corpus, key, args, label, args.seconds)
        postgres_after = _backends_cpu(database)
        postgres_cores = (
            sum(cpu - postgres_before.get(pid, 0.0) for pid, cpu in postgres_after.items())
            / seconds
        )
        api_cores = (sum(cpu_seconds(pid) for pid in pids) - api_before) / seconds
        nginx_cores = (cpu_seconds(proxy.pid) - nginx_before) / seconds
        load_cores = (_own_cpu() - own_before) / seconds
        machine_cores = (_machine_cpu() - machine_before) / seconds
        rss = [memory_of(pid)[0] for pid in pids]
    for log in sorted(folder.glob(f"serve-{processes}-*.log")):
        for problem in log_problems(log.read_text(errors="replace")):
            progress(f"{label}: {log.name}: {problem}")
    spread = _spread(proxy.access_log, upstreams)
    return Configuration(
        processes, tally, seconds, rss, api_cores, nginx_cores, load_cores, postgres_cores,
        machine_cores, spread,
    )  # fmt: skip


def _proxy_report(runs: list[Configuration], args: argparse.Namespace) -> str:
    lines = [
        f"through nginx (deploy/nginx/api.conf.template): {args.clients} reading clients and one "
        f"writer, {args.seconds} s per configuration after {args.warmup} s of warm-up; "
        f"{os.cpu_count()} CPUs shared by the API processes, nginx and the clients",
        "",
        f"{'processes':<10}{'requests':>10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'writes':>7}{'missing':>8}{'RSS/worker':>15}{'API cores':>10}{'req/s/core':>11}"
        f"{'nginx':>7}{'clients':>8}{'postgres':>9}{'other':>7}  spread",
    ]
    for run in runs:
        rss = "/".join(f"{value:.0f}" for value in run.rss_mb)
        lines.append(
            f"{run.processes:<10}{run.tally.requests:>10,}{run.per_second:>8,.0f}"
            f"{run.latency(0.5):>8.2f}{run.latency(0.99):>8.2f}{len(run.tally.errors):>7}"
            f"{len(run.tally.acknowledged):>7}{len(run.missing):>8}{rss + ' MiB':>15}"
            f"{run.api_cores:>10.2f}{run.per_second / run.api_cores:>11,.0f}"
            f"{run.nginx_cores:>7.2f}{run.load_cores:>8.2f}{run.postgres_cores:>9.2f}"
            f"{run.other_cores:>7.2f}  " + "/".join(f"{count:,}" for count in run.spread)
        )
    one, two = runs[0], runs[-1]
    p50, p99 = (two.latency(share) / one.latency(share) for share in (0.5, 0.99))
    lines += [
        "",
        f"2 processes / 1: {two.per_second / one.per_second:.2f}x the requests/s, "
        f"p50 {p50:.2f}x, p99 {p99:.2f}x",
        "req/s/core: requests/s over the CPU cores the API processes used (their CPU time over "
        "the wall time); nginx, clients, postgres, other: the cores used by nginx, this "
        "process's clients, PostgreSQL's processes on the benchmark's database (backends, "
        "autovacuum), and every other process of the machine; spread: requests per process "
        "(nginx's access log, warm-up included)",
    ]
    for run in runs:
        lines.append("")
        lines.append(f"{run.processes} process(es), per kind:")
        lines.append(f"{'kind':<13}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}")
        for kind in [k for k, _, _ in MIX] + ["write"]:
            values = run.tally.latencies.get(kind, [])
            if values:
                lines.append(
                    f"{kind:<13}{len(values):>10,}{statistics.median(values) * 1000:>10.2f}"
                    f"{percentile(values, 0.99) * 1000:>10.2f}"
                )
    return "\n".join(lines)


def _through_proxy(args: argparse.Namespace, url: str, env: dict[str, str], key: str) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench_proxy_"))
    try:
        runs = [_configuration(n, args, env, key, folder) for n in PROCESS_COUNTS]
    except BenchError as exc:
        for log in sorted(folder.glob("**/*.log")):  # what the processes said, then gone
            for line in log.read_text(errors="replace").splitlines()[-10:]:
                progress(f"{log.relative_to(folder)}: {line}")
        progress(f"failed: {exc}")
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for run in runs:
        run.missing = _verify(url, run.tally.acknowledged)
    missing = [problem for run in runs for problem in run.missing]
    print(_proxy_report(runs, args))
    for problem in [e for run in runs for e in run.tally.errors][:20] + missing[:20]:
        print(f"  {problem}")
    failed = any(run.tally.errors or not run.tally.acknowledged for run in runs) or missing
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the load (60)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="bound (200,000)")
    parser.add_argument("--clients", type=int, default=8, help="reading threads (8)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="through nginx, in front of 1 then 2 processes of one worker (--workers unused)",
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="--proxy: reads first, not counted (10)"
    )
    args = parser.parse_args(argv)
    if args.proxy:
        try:
            _nginx_binary()  # before anything is made
        except BenchError as exc:
            print(exc, file=sys.stderr)
            return 1
    with fresh_database("postgresql") as url:
        # Rate limits off: the load is ours, from one address; the limits are tested elsewhere.
        env = {**os.environ, "DATABASE_URL": url, "WRITE_RATE_LIMIT": "", "LOG_LEVEL": "warning"}
        key = _prepare(env)
        if args.proxy:
            return _through_proxy(args, url, env, key)
        return _direct(args, url, env, key)


if __name__ == "__main__":
    sys.exit(main())
