"""Bounded mixed load against PostgreSQL: reads of every hot kind and a trickle of writes,
from this process against a local server with 2 workers; then a check that every write the
server acknowledged is in the database.

    python -m bench.load [--seconds 60] [--max-requests 200000] [--clients 8]

It creates its own database (bench_<random>, dropped at the end), migrates, seeds and
imports the open data (about a minute), creates a write key, starts `python -m app serve
--workers 2`, and runs the load for `--seconds` or until `--max-requests`, whichever comes
first. Exit status 1 if any request failed (a status other than the expected one, or a
transport error) or an acknowledged write is missing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.corpus import (
    AUTOCOMPLETE_PREFIXES,
    IMPORT_TIMEOUT_S,
    SEARCH_QUERIES,
    SETUP_TIMEOUT_S,
    fresh_database,
    log_problems,
    memory_of,
    percentile,
    progress,
    run_measured,
    running_server,
)

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the load (60)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="bound (200,000)")
    parser.add_argument("--clients", type=int, default=8, help="reading threads (8)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    args = parser.parse_args(argv)
    with fresh_database("postgresql") as url:
        # Rate limits off: the load is ours, from one address; the limits are tested elsewhere.
        env = {**os.environ, "DATABASE_URL": url, "WRITE_RATE_LIMIT": "", "LOG_LEVEL": "warning"}
        key = _prepare(env)
        log = Path(tempfile.mkdtemp(prefix="bench_load_")) / "server.log"
        with (
            log.open("wb") as sink,
            running_server("postgresql", env, sink, args.workers) as server,
        ):
            base, pid = server.base_url, server.pid
            with httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
                corpus = _corpus(client)
            progress(f"postgresql: {len(corpus.slugs)} slugs; load for {args.seconds} s")
            tally = Tally()
            deadline = time.monotonic() + args.seconds
            started = time.monotonic()

            def stop() -> bool:
                return time.monotonic() > deadline or tally.requests >= args.max_requests

            threads = [
                threading.Thread(target=_reader, args=(base, corpus, tally, stop, n))
                for n in range(args.clients)
            ] + [threading.Thread(target=_writer, args=(base, key, tally, stop))]
            for thread in threads:
                thread.start()
            while any(thread.is_alive() for thread in threads):
                time.sleep(10 if time.monotonic() + 10 < deadline else 1)
                progress(
                    f"postgresql: {tally.requests:,} requests, {len(tally.errors)} errors, "
                    f"{len(tally.acknowledged)} writes"
                )
            seconds = time.monotonic() - started
            rss, _ = memory_of(pid)
            for problem in log_problems(log.read_text(errors="replace")):
                progress(f"server log: {problem}")
        missing = _verify(url, tally.acknowledged)
    print(_report(tally, seconds, rss, missing))
    for problem in (tally.errors + missing)[:20]:
        print(f"  {problem}")
    return 1 if tally.errors or missing or not tally.acknowledged else 0


if __name__ == "__main__":
    sys.exit(main())
