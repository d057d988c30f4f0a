"""Simulated-patient benchmark of /v1/conditions/match, beside a peer, in one run.

    python -m bench.match [--engines sqlite,postgresql] [--cases N] [--seed N]
                          [--peer-method resnik:funSimAvg] [--no-peer] [--json PATH]

The standard test of phenotype-driven ranking (Köhler et al. 2009, "Clinical diagnostics in
human genetics with semantic similarity searches in ontologies"; PhEval's noisy cases):

- cases: --cases OMIM and ORPHA diseases drawn at random (--seed) among those with at least
  TRUE_TERMS present phenotype annotations (aspect P, not NOT, frequency not 0), each with
  TRUE_TERMS of its annotated terms drawn at random;
- variants: clean (those terms); noise (plus half as many terms drawn from every annotated
  term); imprecision (each true term replaced by one of its ancestors at random, neither the
  root, nor Phenotypic abnormality, nor an organ-system class directly below it); noise +
  imprecision (the imprecise terms plus the noise terms);
- a hit is the record that carries the case's disease id (merged records carry several):
  top-1, top-3, top-10 and the mean reciprocal rank (a rank beyond the first page of
  PAGE results counts 0), and the latency of each request (sequential, keep-alive, over
  HTTP to the service on 127.0.0.1, after WARMUP requests).

Per engine a temporary database (migrated, seeded, the open data imported) and the service
on a free port. The peer, hpo3 (a Rust HPO library; its module is also called pyhpo, so it
lives in a virtualenv of its own, made on first use from bench/peer-requirements.txt), reads
the same HPO release files and ranks every OMIM and ORPHA disease by set similarity to the
same cases (bench/match_peer.py); its diseases map to our records by disease id, the first of
a record's diseases standing for it. Progress goes to stderr, the table to stdout. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from app.importers.files import HpoFiles
from bench.corpus import BenchError, percentile, progress
from bench.wire import (
    HOST,
    PG_SERVER_URL,
    code_version,
    prepare_database,
    running_server,
    temporary_database,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = PROJECT_ROOT / ".venv-peer"
PEER_REQUIREMENTS = PROJECT_ROOT / "bench" / "peer-requirements.txt"
PEER_TIMEOUT_S = 3600.0
TRUE_TERMS = 5
PAGE = 20  # the service's default page
WARMUP = 20
VARIANTS = ("clean", "noise", "imprecision", "noise + imprecision")
ROOTS = ("HP:0000001", "HP:0000118")
# (variant, measure) -> the floor; every variant must also beat the peer at top-1 and
# top-10.
TARGETS = {
    ("clean", "top1"): 0.95,
    ("imprecision", "top10"): 0.50,
    ("noise + imprecision", "top10"): 0.40,
}
TARGET_P95_MS = 50.0


# --- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    disease: str
    record: str  # the slug of the record carrying the disease id
    queries: dict[str, list[str]]  # variant -> HPO ids


AnnotationData = tuple[dict[str, list[str]], dict[str, str], dict[str, list[str]]]


def annotation_data(url: str) -> AnnotationData:
    """{disease id: its present phenotype terms}, {disease id: record slug}, and {HPO id: its
    ancestors allowed as imprecise stand-ins}."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT a.disease_code, t.code, a.frequency, c.slug "
                    "FROM phenotype_annotations a JOIN terms t ON t.id = a.term_id "
                    "JOIN conditions c ON c.id = a.condition_id "
                    "WHERE a.aspect = 'P' AND a.excluded = false AND c.status = 'published'"
                )
            ).all()
            lineage = connection.execute(
                text(
                    "SELECT t.code, a.code, x.distance FROM term_ancestors x "
                    "JOIN terms t ON t.id = x.term_id JOIN terms a ON a.id = x.ancestor_id "
                    "WHERE x.distance > 0"
                )
            ).all()
    finally:
        engine.dispose()
    ancestors: dict[str, list[tuple[str, int]]] = {}
    for term, ancestor, distance in lineage:
        ancestors.setdefault(term, []).append((ancestor, distance))
    organ_systems = {
        term for term, ancestor, distance in lineage if ancestor == ROOTS[1] and distance == 1
    }
    banned = set(ROOTS) | organ_systems
    terms: dict[str, set[str]] = {}
    records: dict[str, str] = {}
    for disease, code, frequency, slug in rows:
        records[disease] = slug
        if not disease.startswith(("OMIM:", "ORPHA:")) or ROOTS[1] not in {
            a for a, _ in ancestors.get(code, [])
        }:
            continue
        if isinstance(frequency, str):
            frequency = json.loads(frequency)
        if frequency and frequency.get("upper_percent") == 0:
            continue  # observed in none of the patients counted
        terms.setdefault(disease, set()).add(code)
    stand_ins = {
        term: sorted(a for a, _ in found if a not in banned) for term, found in ancestors.items()
    }
    return {d: sorted(t) for d, t in terms.items()}, records, stand_ins


def make_cases(data: AnnotationData, count: int, seed: int) -> list[Case]:
    terms, records, stand_ins = data
    eligible = sorted(d for d, found in terms.items() if len(found) >= TRUE_TERMS)
    if len(eligible) < count:
        raise BenchError(f"only {len(eligible)} diseases have {TRUE_TERMS} annotations")
    pool = sorted({term for found in terms.values() for term in found})
    rng = random.Random(seed)
    cases = []
    for disease in rng.sample(eligible, count):
        true = rng.sample(terms[disease], TRUE_TERMS)
        noise = rng.sample(sorted(set(pool) - set(true)), TRUE_TERMS // 2)
        imprecise = []
        for term in true:
            options = stand_ins.get(term) or []
            imprecise.append(rng.choice(options) if options else term)
        imprecise = list(dict.fromkeys(imprecise))  # two terms may share a stand-in
        queries = {
            "clean": true,
            "noise": true + noise,
            "imprecision": imprecise,
            "noise + imprecision": list(dict.fromkeys(imprecise + noise)),
        }
        cases.append(Case(disease, records[disease], queries))
    return cases


# --- scoring -------------------------------------------------------------------------------


@dataclass
class Scores:
    ranks: dict[str, list[int | None]] = field(default_factory=lambda: {v: [] for v in VARIANTS})
    latencies_ms: list[float] = field(default_factory=list)

    def measures(self, variant: str) -> dict[str, float]:
        ranks = self.ranks[variant]
        n = len(ranks) or 1

        def within(k: int) -> float:
            return sum(1 for r in ranks if r is not None and r <= k) / n

        mrr = sum(1 / r for r in ranks if r is not None) / n
        return {"top1": within(1), "top3": within(3), "top10": within(10), "mrr": mrr}


def rank_of(record: str, slugs: Sequence[str]) -> int | None:
    for index, slug in enumerate(slugs[:PAGE], start=1):
        if slug == record:
            return index
    return None


def run_service(url: str, engine: str, cases: list[Case], folder: Path) -> Scores:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "bench.wire_app", "--host", HOST, "--workers", "1"]
    scores = Scores()
    with running_server(engine, command, env, "/readyz", folder / f"{engine}.log") as server:
        base = f"http://{HOST}:{server.port}/v1/conditions/match"
        with httpx.Client(timeout=30.0) as client:
            warm = [case.queries["clean"] for case in cases[:WARMUP]]
            for terms in warm:
                client.get(base, params={"symptoms": ",".join(terms)})
            total = len(cases) * len(VARIANTS)
            done = 0
            for case in cases:
                for variant in VARIANTS:
                    params: dict[str, str | int] = {
                        "symptoms": ",".join(case.queries[variant]),
                        "limit": PAGE,
                    }
                    started = time.perf_counter()
                    response = client.get(base, params=params)
                    scores.latencies_ms.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise BenchError(
                            f"{engine}: {response.status_code} for {params}: {response.text[:300]}"
                        )
                    slugs = [item["slug"] for item in response.json()["items"]]
                    scores.ranks[variant].append(rank_of(case.record, slugs))
                    done += 1
                    if done % 400 == 0 or done == total:
                        progress(f"{engine}: {done}/{total} requests")
    return scores


# --- the peer ------------------------------------------------------------------------------


def peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        progress(f"making {PEER_VENV.name} for the peer ({PEER_REQUIREMENTS.name})")
        venv.create(PEER_VENV, with_pip=True)
        # The new virtualenv's pip on our requirements file; no shell.
        subprocess.run(  # noqa: S603
            [str(python), "-m", "pip", "install", "-q", "-r", str(PEER_REQUIREMENTS)],
            check=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
    return python


def hpo_data_folder() -> Path:
    """The HPO release files our importer reads (pyhpo's package data)."""
    return HpoFiles.packaged().ontology.parent


def run_peer(cases: list[Case], records: dict[str, str], method: str) -> Scores:
    kind, _, combine = method.partition(":")
    queries = [case.queries[v] for case in cases for v in VARIANTS]
    request = {
        "data_folder": str(hpo_data_folder()),
        "method": kind,
        "combine": combine or "funSimAvg",
        "top": 200,
        "queries": queries,
    }
    progress(f"peer: hpo3 {method}, {len(queries)} queries")
    # The peer virtualenv's interpreter on bench/match_peer.py; no shell.
    finished = subprocess.run(  # noqa: S603
        [str(peer_python()), str(PROJECT_ROOT / "bench" / "match_peer.py")],
        input=json.dumps(request).encode(),
        stdout=subprocess.PIPE,
        timeout=PEER_TIMEOUT_S,
        check=True,
    )
    answer = json.loads(finished.stdout)
    scores = Scores(latencies_ms=answer["latencies_ms"])
    rankings = iter(answer["rankings"])
    for case in cases:
        for variant in VARIANTS:
            slugs = list(dict.fromkeys(records[d] for d in next(rankings) if d in records))
            scores.ranks[variant].append(rank_of(case.record, slugs))
    return scores


# --- report --------------------------------------------------------------------------------


def render(
    results: dict[str, Scores], peers: dict[str, Scores], cases: int, args: argparse.Namespace
) -> str:
    columns = {**results, **{f"hpo3 {method}": scores for method, scores in peers.items()}}
    lines = [
        f"# bench.match: {cases} simulated patients ({TRUE_TERMS} true terms, seed "
        f"{args.seed}), code {code_version()}",
        "",
        "| variant | measure | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    misses = []
    for variant in VARIANTS:
        for measure in ("top1", "top3", "top10", "mrr"):
            # The peer at its best: the best of its methods on this variant and measure.
            best_peer = max((p.measures(variant)[measure] for p in peers.values()), default=None)
            cells = []
            for name, scores in columns.items():
                value = scores.measures(variant)[measure]
                mark = ""
                if name in results:
                    floor = TARGETS.get((variant, measure))
                    if floor is not None and value < floor:
                        mark = " MISS"
                        misses.append(f"{name} {variant} {measure} {value:.1%} < {floor:.0%}")
                    ahead = best_peer is None or value > best_peer
                    if measure in ("top1", "top10") and value == best_peer == 1.0:
                        mark = " ="  # both at 100 %: nothing left to be ahead by
                    elif measure in ("top1", "top10") and not ahead:
                        mark = " MISS"
                        misses.append(
                            f"{name} {variant} {measure} {value:.1%}, not ahead of the peer's "
                            f"{best_peer:.1%}"
                        )
                cells.append(f"{value:.3f}" if measure == "mrr" else f"{value:.1%}{mark}")
            lines.append(f"| {variant} | {measure} | " + " | ".join(cells) + " |")
    cells = []
    for name, scores in columns.items():
        p50, p95 = percentile(scores.latencies_ms, 0.5), percentile(scores.latencies_ms, 0.95)
        mark = ""
        if name in results and p95 >= TARGET_P95_MS:
            mark = " MISS"
            misses.append(f"{name} p95 {p95:.1f} ms >= {TARGET_P95_MS:.0f} ms")
        cells.append(f"{p50:.1f} / {p95:.1f}{mark}")
    lines.append("| all | latency p50 / p95 ms | " + " | ".join(cells) + " |")
    lines += ["", "Targets: " + ("all met" if not misses else "; ".join(misses))]
    if peers:
        lines.append(
            "The service is measured over HTTP (one request per ranking, a page of "
            f"{PAGE}); hpo3 in process, ranking every disease, no HTTP nor database. Ahead of "
            "the peer means ahead of the best of its methods on that variant; = marks both at "
            "100 %."
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.match", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument(
        "--peer-methods",
        default="resnik:funSimAvg,jc:funSimAvg",
        help="hpo3 similarity methods, comma-separated method:combine (graphic, resnik, lin, "
        "jc, ic; funSimAvg, funSimMax, BMA). The default: the best two of those tried",
    )
    parser.add_argument("--no-peer", action="store_true", help="rank with the service only")
    parser.add_argument("--postgres-url", default=PG_SERVER_URL)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--database",
        help="an already imported database to rank on instead (its engine only; nothing is "
        "created or dropped)",
    )
    args = parser.parse_args(argv)
    args.engine_list = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.database:
        args.engine_list = [args.database.split(":")[0].split("+")[0]]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, Scores] = {}
    peers: dict[str, Scores] = {}
    with ExitStack() as cleanup:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-match-")))
        cases: list[Case] = []
        records: dict[str, str] = {}
        for engine in args.engine_list:
            if args.database:
                url = args.database
            else:
                url = cleanup.enter_context(temporary_database(engine, args.postgres_url, folder))
                prepare_database(engine, url, skip_import=False)
            if not cases:
                data = annotation_data(url)
                cases = make_cases(data, args.cases, args.seed)
                records = data[1]
                progress(
                    f"{len(cases)} cases, e.g. {cases[0].disease}: {cases[0].queries['clean']}"
                )
            results[engine] = run_service(url, engine, cases, folder)
        if not args.no_peer:
            for method in args.peer_methods.split(","):
                peers[method] = run_peer(cases, records, method)
    report = render(results, peers, len(cases), args)
    print(report)
    if args.json:
        figures = {
            name: {v: scores.measures(v) for v in VARIANTS}
            | {
                "p50_ms": percentile(scores.latencies_ms, 0.5),
                "p95_ms": percentile(scores.latencies_ms, 0.95),
            }
            for name, scores in [*results.items(), *peers.items()]
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        progress(f"failed: {exc}")
        sys.exit(1)
