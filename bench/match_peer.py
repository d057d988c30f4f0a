"""The peer of bench/match.py: hpo3 ranks every OMIM and ORPHA disease by set similarity.

Runs in .venv-peer (hpo3 only). Reads one JSON object on stdin: data_folder (the HPO release
files), method and combine (hpo3's), top (how many to return), queries (lists of HPO ids).
Writes {"rankings": [[disease id, ...] per query], "latencies_ms": [...]} on stdout; progress
on stderr. Diseases with equal scores keep hpo3's listing order, OMIM first.
"""

import json
import sys
import time

from pyhpo import HPOSet, Ontology
from pyhpo.helper import batch_set_similarity


def main() -> int:
    request = json.load(sys.stdin)
    started = time.perf_counter()
    Ontology(request["data_folder"])
    diseases = [(f"OMIM:{d.id}", d) for d in Ontology.omim_diseases] + [
        (f"ORPHA:{d.id}", d) for d in Ontology.orpha_diseases
    ]
    diseases.sort(key=lambda pair: pair[0])
    sets = [HPOSet(list(d.hpo)) for _, d in diseases]
    print(
        f"peer: hpo3 {Ontology.version()}, {len(diseases)} diseases loaded in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    rankings, latencies = [], []
    queries = request["queries"]
    for index, terms in enumerate(queries, start=1):
        begun = time.perf_counter()
        query = HPOSet.from_queries(terms)
        scores = batch_set_similarity(
            [(query, other) for other in sets],
            kind="omim",
            method=request["method"],
            combine=request["combine"],
        )
        order = sorted(range(len(sets)), key=lambda i: -scores[i])[: request["top"]]
        latencies.append((time.perf_counter() - begun) * 1000)
        rankings.append([diseases[i][0] for i in order])
        if index % 200 == 0 or index == len(queries):
            print(f"peer: {index}/{len(queries)} queries", file=sys.stderr, flush=True)
    json.dump({"rankings": rankings, "latencies_ms": latencies}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
