"""Editors racing: many real requests over TCP at once, all holding the same ETag. Exactly
one write wins; every other gets 412, and nothing the winner wrote is lost."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import live_server
from tests.editing.conftest import MMN, Editing, editing_client

WRITERS = 8


def test_concurrent_writers_with_one_etag_exactly_one_wins(editing: Editing) -> None:
    etag = editing.etag(MMN)
    revision = editing.client.get(MMN).json()["revision"]
    history = editing.client.get(f"{MMN}/revisions").json()["total"]
    start = threading.Barrier(WRITERS)

    with live_server(editing_client(editing.url).app) as base:

        def write(n: int) -> tuple[int, int, str]:
            with httpx.Client(base_url=base, timeout=30) as client:
                start.wait()  # all at once
                response = client.patch(
                    MMN,
                    json={"synonyms": [f"Writer {n}"]},
                    headers=editing.headers(
                        etag, **{"Content-Type": "application/merge-patch+json"}
                    ),
                )
                return n, response.status_code, response.headers.get("etag", "")

        with ThreadPoolExecutor(WRITERS) as pool:
            results = list(pool.map(write, range(WRITERS)))

    statuses = sorted(status for _, status, _ in results)
    assert statuses == [200] + [412] * (WRITERS - 1), results
    winner, _, winner_etag = next(result for result in results if result[1] == 200)
    record = editing.client.get(MMN)
    assert record.json()["synonyms"] == [f"Writer {winner}"]  # the winner's change, whole
    assert record.json()["revision"] == revision + 1
    assert record.headers["etag"] == winner_etag
    revisions = editing.client.get(f"{MMN}/revisions").json()
    assert revisions["total"] == history + 1
    latest = editing.client.get(f"{MMN}/revisions/{revision + 1}").json()
    assert latest["change"] == {"synonyms": [f"Writer {winner}"]}


def test_concurrent_creates_of_one_slug_make_one_record(editing: Editing) -> None:
    start = threading.Barrier(WRITERS)
    body = {
        "slug": "raced-condition",
        "name": "Raced condition",
        "summary": "Filler.",
        "disclaimer": "Test disclaimer.",
        "sources": ["test-source"],
        "sections": {},
    }
    with live_server(editing_client(editing.url).app) as base:

        def create(_: int) -> int:
            with httpx.Client(base_url=base, timeout=30) as client:
                start.wait()
                return client.post("/v1/conditions", json=body, headers=editing.writer).status_code

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = sorted(pool.map(create, range(WRITERS)))
    assert statuses == [201] + [409] * (WRITERS - 1)
    assert editing.client.get("/v1/conditions/raced-condition/revisions").json()["total"] == 1
