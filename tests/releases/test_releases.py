"""/v1/releases: each seed or import run that changes the content records a release with its
source versions; the current one downloads whole as gzip NDJSON, the same bytes for one
version, and a mirror made from it and kept by the change feed equals a later download."""

import gzip
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.config import Settings
from app.main import create_app
from app.releases import repository, service
from tests.helpers import MMN, Editing, live_server, run_imports


def _dump(client: TestClient, version: str = "latest", **headers: str):
    return client.get(f"/v1/releases/{version}/dump", headers=headers)


def _records(body: bytes) -> dict[str, bytes]:
    """The dump's records by slug (the client has undone the gzip coding)."""
    return {json.loads(line)["slug"]: line for line in body.splitlines()}


def _raw(client: TestClient, version: str = "latest", **headers: str) -> tuple[bytes, dict]:
    """The bytes as sent, still gzip-coded, and the headers."""
    with client.stream("GET", f"/v1/releases/{version}/dump", headers=headers) as response:
        assert response.status_code == 200, response.read()
        return b"".join(response.iter_raw()), dict(response.headers)


def test_runs_that_change_content_are_releases(editing: Editing) -> None:
    client = editing.client
    before = client.get("/v1/releases").json()
    assert [item["made_by"] for item in before["items"]] == ["seed"]
    assert before["items"][0]["current"] and before["items"][0]["version"] == before["current"]
    run_imports(editing.url)
    listed = client.get("/v1/releases").json()
    made_by = [item["made_by"] for item in listed["items"]]
    assert made_by == ["import:icd10cm", "import:hpo", "seed"]  # newest first
    newest, *older = listed["items"]
    assert newest["current"] and not any(item["current"] for item in older)
    assert newest["links"]["dump"] == f"/v1/releases/{newest['version']}/dump"
    assert all(item["links"]["dump"] is None for item in older)
    assert newest["links"]["changes"] == f"/v1/changes?since={newest['version']}"
    versions = {source["key"]: source["version"] for source in newest["sources"]}
    assert versions["hpo-annotations"] and versions["icd10cm"]
    # Each source as the records show it (licence, attribution...), with its key.
    shown = {source["title"]: source for source in client.get(MMN).json()["sources"]}
    for source in newest["sources"]:
        if source["title"] in shown:
            assert {k: v for k, v in source.items() if k != "key"} == shown[source["title"]]
    total = client.get("/v1/conditions", params={"limit": 1}).json()["total"]
    assert newest["conditions"] == total
    assert client.get(f"/v1/releases/{newest['version']}").json() == newest
    # The same files again change nothing, so no release either.
    run_imports(editing.url)
    assert client.get("/v1/releases").json() == listed


def test_the_dump_is_every_record_as_served(editing: Editing) -> None:
    client = editing.client
    run_imports(editing.url)
    response = _dump(client)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-encoding"] == "gzip"
    current = client.get("/v1/releases").json()["current"]
    assert response.headers["x-content-version"] == str(current)
    assert f"condition-content-{current}.ndjson.gz" in response.headers["content-disposition"]
    records = _records(response.content)
    slugs = [item["slug"] for item in client.get("/v1/conditions?limit=100").json()["items"]]
    assert list(records) == slugs  # every published record, in slug order
    for slug in slugs:
        assert records[slug] == client.get(f"/v1/conditions/{slug}").content
    # One version, one set of bytes: a gzip file, the same on every download, which after
    # the first is sent from the response cache.
    cache = client.app.state.reads.cache  # type: ignore[attr-defined]
    hits = cache.hits
    raw, headers = _raw(client)
    assert cache.hits == hits + 1
    assert gzip.decompress(raw) == response.content
    again, again_headers = _raw(client, str(current))
    assert again == raw and again_headers["etag"] == headers["etag"] == response.headers["etag"]
    cached = _dump(client, **{"If-None-Match": response.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    # A client refusing gzip gets the lines as they are, under their own tag; one that only
    # takes binary bodies gets them as a file.
    plain, plain_headers = _raw(client, **{"Accept-Encoding": "identity"})
    assert plain == response.content and "content-encoding" not in plain_headers
    assert headers["etag"] == plain_headers["etag"][:-1] + '.gzip"'  # one tag per coding
    binary = _dump(client, Accept="application/octet-stream")
    assert binary.headers["content-type"] == "application/octet-stream"
    assert binary.content == response.content
    assert _dump(client, Accept="text/csv").status_code == 406


def test_a_mirror_kept_by_the_feed_equals_a_later_dump(editing: Editing) -> None:
    client = editing.client
    first = _dump(client)
    mirror = _records(first.content)
    since = int(first.headers["x-content-version"])
    patched = editing.patch(MMN, {"synonyms": ["MMN with conduction block"]}, editing.etag(MMN))
    assert patched.status_code == 200, patched.text
    renamed = editing.patch(MMN, {"slug": "mmn-renamed"}, patched.headers["etag"])
    assert renamed.status_code == 200, renamed.text
    retired = editing.client.delete(
        "/v1/conditions/seeded-fixture",
        headers=editing.headers(editing.etag("/v1/conditions/seeded-fixture")),
    )
    assert retired.status_code in (200, 204), retired.text

    listed = client.get("/v1/releases").json()
    assert listed["items"][0]["made_by"] == "edits" and listed["current"] > since
    # The older release is listed, but its content is gone.
    gone = _dump(client, str(since))
    assert gone.status_code == 410
    assert gone.json()["current"] == listed["current"]
    # So is a state between runs, once editors' writes moved past it; a version to come is
    # unknown.
    assert client.get(f"/v1/releases/{listed['current'] - 1}").status_code == 410
    assert client.get(f"/v1/releases/{listed['current'] + 1}").status_code == 404
    # Apply the feed as a mirror would: re-read what changed, drop what left.
    feed = client.get("/v1/changes", params={"since": since}).json()
    for change in feed["items"]:
        record = client.get(f"/v1/conditions/{change['slug']}", follow_redirects=False)
        if record.status_code == 200 and record.json()["status"] == "published":
            mirror[change["slug"]] = record.content
        else:
            mirror.pop(change["slug"], None)
    assert mirror == _records(_dump(client).content)


def test_unknown_and_malformed_versions(editing: Editing) -> None:
    current = editing.client.get("/v1/releases").json()["current"]
    missing = editing.client.get(f"/v1/releases/{current + 1000}/dump")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    malformed = editing.client.get("/v1/releases/newest")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"] == ["path", "version"]


def test_a_write_while_the_dump_is_read_is_not_in_it(
    editing: Editing, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = editing.client
    before = client.get(MMN).content
    read_slugs = repository.published_slugs
    engine = create_engine(editing.url)

    def slugs_then_a_write(session, after: str, limit: int):  # type: ignore[no-untyped-def]
        if after == "":  # the snapshot has begun; nothing is rendered yet
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE conditions SET name = 'Renamed meanwhile' WHERE slug = :slug"),
                    {"slug": MMN.rsplit("/", 1)[1]},
                )
        return read_slugs(session, after, limit)

    monkeypatch.setattr(service, "DUMP_BATCH", 1)
    monkeypatch.setattr(repository, "published_slugs", slugs_then_a_write)
    dumped = _records(_dump(client).content)
    with engine.connect() as connection:  # committed all the same
        names = connection.execute(text("SELECT name FROM conditions")).scalars().all()
    engine.dispose()
    assert "Renamed meanwhile" in names
    assert dumped[MMN.rsplit("/", 1)[1]] == before


def test_downloads_during_a_build_follow_it(editing: Editing) -> None:
    app = create_app(Settings(database_url=editing.url))
    with live_server(app) as base:

        def download(_: int) -> bytes:
            with httpx.Client(base_url=base, timeout=60) as http:
                response = http.get("/v1/releases/latest/dump")
                assert response.status_code == 200, response.text
                return response.content

        def abandon() -> None:  # reads the headers, then goes away
            with (
                httpx.Client(base_url=base, timeout=60) as http,
                http.stream("GET", "/v1/releases/latest/dump") as response,
            ):
                assert response.status_code == 200

        with ThreadPoolExecutor(max_workers=8) as pool:
            abandoned = [pool.submit(abandon) for _ in range(2)]
            bodies = list(pool.map(download, range(6)))
            for future in abandoned:
                future.result()
        assert len(set(bodies)) == 1 and _records(bodies[0])
        assert app.state.dumps.builds_started == 1  # one build, followed by all
        with httpx.Client(base_url=base) as http:  # and the worker still answers
            assert http.get("/v1/releases").status_code == 200
