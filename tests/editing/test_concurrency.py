"""Editors racing: many real requests over TCP at once, all holding the same ETag. Exactly
one write wins; every other gets 412, and nothing the winner wrote is lost."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers import MMN, Editing, live_server, make_client, new_record

WRITERS = 8


def test_concurrent_writers_with_one_etag_exactly_one_wins(editing: Editing) -> None:
    etag = editing.etag(MMN)
    revision = editing.client.get(MMN).json()["revision"]
    history = editing.client.get(f"{MMN}/revisions").json()["total"]
    start = threading.Barrier(WRITERS)

    with live_server(make_client(editing.url).app) as base:

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
    with live_server(make_client(editing.url).app) as base:

        def create(_: int) -> int:
            with httpx.Client(base_url=base, timeout=30) as client:
                start.wait()
                return client.post("/v1/conditions", json=body, headers=editing.writer).status_code

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = sorted(pool.map(create, range(WRITERS)))
    assert statuses == [201] + [409] * (WRITERS - 1)
    assert editing.client.get("/v1/conditions/raced-condition/revisions").json()["total"] == 1


def _race(editing: Editing, requests: list[tuple[str, str, dict[str, object]]]) -> list[int]:
    """Send PATCHes (path, etag, body) all at once over real connections; their statuses."""
    start = threading.Barrier(len(requests))
    with live_server(make_client(editing.url).app) as base:

        def send(request: tuple[str, str, dict[str, object]]) -> int:
            path, etag, body = request
            headers = editing.headers(etag, **{"Content-Type": "application/merge-patch+json"})
            with httpx.Client(base_url=base, timeout=30) as client:
                start.wait()
                return client.patch(path, json=body, headers=headers).status_code

        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(send, requests))


def _records(editing: Editing, count: int) -> list[tuple[str, str]]:
    made = []
    for n in range(count):
        response = editing.client.post(
            "/v1/conditions", json=new_record(f"racer-{n}"), headers=editing.writer
        )
        assert response.status_code == 201
        made.append((response.headers["location"], response.headers["etag"]))
    return made


def test_writers_of_different_records_do_not_trip_on_each_other(editing: Editing) -> None:
    # Each adds the same new symptom, a term none had: every write creates it or finds it.
    item = {"name": "Newly shared test sign"}
    records = _records(editing, WRITERS)
    patch = {"sections": {"symptoms": {"items": [item]}}}
    statuses = _race(editing, [(path, etag, patch) for path, etag in records])
    assert statuses == [200] * WRITERS
    term = editing.client.get("/v1/symptoms/newly-shared-test-sign/conditions").json()
    assert sorted(c["slug"] for c in term["items"]) == sorted(f"racer-{n}" for n in range(WRITERS))


def test_renames_of_different_records_to_one_slug_leave_one_winner(editing: Editing) -> None:
    records = _records(editing, WRITERS)
    statuses = _race(editing, [(path, etag, {"slug": "the-one-name"}) for path, etag in records])
    assert sorted(statuses) == [200] + [409] * (WRITERS - 1)
    assert editing.client.get("/v1/conditions/the-one-name").status_code == 200
