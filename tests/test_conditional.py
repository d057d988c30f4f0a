"""Conditional requests and caching headers: strong ETags, 304 without a body, Last-Modified,
Cache-Control, encoded variants and HEAD. Through HTTP, on both engines."""

import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from app.conditions.schemas import SECTION_RESPONSE_MODELS, ConditionRecord
from app.core.config import Settings
from app.core.db import session_factory_for
from app.main import create_app
from app.models import Condition
from app.models.kinds import SectionKind
from tests import factories
from tests.helpers import make_client, seed_database

MMN = "/v1/conditions/multifocal-motor-neuropathy"
CACHEABLE = [MMN, f"{MMN}/symptoms", "/v1/conditions", "/v1/conditions?fields=name"]


@pytest.mark.parametrize("path", CACHEABLE)
def test_strong_etag_and_304_without_body(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong: no W/
    assert first.headers["cache-control"] == "public, max-age=300"
    assert client.get(path).headers["etag"] == etag  # from content, not from time

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=300"
    # Weak comparison, lists of tags and * all match, as RFC 9110 asks of If-None-Match.
    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        assert client.get(path, headers={"If-None-Match": header}).status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"not-the-tag"'})
    assert stale.status_code == 200
    assert stale.content == first.content


def test_last_modified_and_if_modified_since(client: TestClient) -> None:
    record = client.get(MMN)
    last_modified = record.headers["last-modified"]
    updated_at = record.json()["updated_at"]
    assert parsedate_to_datetime(last_modified).isoformat()[:19] == updated_at[:19]
    assert client.get(MMN, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(MMN, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(MMN, headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match wins: a stale tag means 200 even when the date says unchanged.
    both = {"If-None-Match": '"old"', "If-Modified-Since": last_modified}
    assert client.get(MMN, headers=both).status_code == 200


def test_etag_changes_when_content_changes(fresh_db: str, tmp_path: Path) -> None:
    seed = factories.write_seed(tmp_path / "a.yaml", [factories.condition("alpha-disease")])
    seed_database(fresh_db, seed)
    path = "/v1/conditions/alpha-disease"
    with make_client(fresh_db) as client:
        before = {url: client.get(url) for url in (path, f"{path}/overview", "/v1/conditions")}
        changed = factories.condition("alpha-disease", summary="A corrected summary.")
        seed_database(fresh_db, factories.write_seed(tmp_path / "a.yaml", [changed]))
        for url, old in before.items():
            new = client.get(url, headers={"If-None-Match": old.headers["etag"]})
            assert new.status_code == 200, url  # the old tag no longer matches
            assert new.headers["etag"] != old.headers["etag"]
        # The cached bytes were not served: the record says what the database now says.
        assert client.get(path).json()["summary"] == "A corrected summary."
        assert client.get(path).json()["revision"] == before[path].json()["revision"] + 1


def test_cached_bytes_match_the_documented_models(seeded_url: str) -> None:
    """The pre-serialized bytes round-trip through the typed models OpenAPI documents, and equal
    what a worker with no cache builds."""
    cached = create_app(Settings(database_url=seeded_url))
    uncached = create_app(Settings(database_url=seeded_url, response_cache_mb=0))
    with TestClient(cached) as warm, TestClient(uncached) as cold:
        symptoms = SECTION_RESPONSE_MODELS[SectionKind.SYMPTOMS]
        for path, model in ((MMN, ConditionRecord), (f"{MMN}/symptoms", symptoms)):
            warm.get(path)
            body = warm.get(path).content  # the second read comes from the cache
            assert json.loads(body) == json.loads(model.model_validate_json(body).model_dump_json())
            assert body == cold.get(path).content
        assert cached.state.reads.cache.hits >= 2
        assert uncached.state.reads.cache.hits == 0


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_compressed_variants_have_their_own_tag(client: TestClient, encoding: str) -> None:
    plain = client.get(MMN, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = client.get(MMN, headers={"Accept-Encoding": encoding})
    assert packed.headers["content-encoding"] == encoding
    assert packed.json() == plain.json()  # httpx decodes all three
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + f'.{encoding}"'
    assert "Accept-Encoding" in packed.headers["vary"]
    # Either tag revalidates: the content is the same.
    for tag in (packed.headers["etag"], plain.headers["etag"]):
        revalidated = client.get(MMN, headers={"Accept-Encoding": encoding, "If-None-Match": tag})
        assert revalidated.status_code == 304
        assert revalidated.headers["etag"] == tag


def test_compression_only_above_the_threshold(client: TestClient) -> None:
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 1000
    assert "content-encoding" not in small.headers
    problem = client.get("/v1/conditions/" + "x" * 50, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in problem.headers  # small errors stay plain


@pytest.mark.parametrize("path", [MMN, f"{MMN}/symptoms", "/v1/conditions", "/healthz"])
def test_head_gives_get_headers_without_body(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "content-type", "content-length", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.parametrize(
    "path",
    [
        "/v1/symptoms",
        "/v1/symptoms?q=weak",
        "/v1/drugs",
        "/v1/codes/icd10cm/G61.82",
        "/v1/symptoms/muscle-weakness",
        "/v1/symptoms/muscle-weakness/conditions",
    ],
)
def test_every_other_read_revalidates(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_cached_list_pages_follow_every_change(fresh_db: str, tmp_path: Path) -> None:
    """List pages are cached by the content version, which a database trigger raises with
    any change to a condition: adding, changing or removing one shows at once."""
    alpha, beta = factories.condition("alpha-disease"), factories.condition("beta-disease")
    seed_database(fresh_db, factories.write_seed(tmp_path / "a.yaml", [alpha]))
    with make_client(fresh_db) as client:
        assert client.get("/v1/conditions").json()["total"] == 1
        assert client.get("/v1/conditions").json()["total"] == 1  # from the cache
        seed_database(fresh_db, factories.write_seed(tmp_path / "b.yaml", [beta]))
        assert client.get("/v1/conditions").json()["total"] == 2
        with session_factory_for(fresh_db) as factory, factory.begin() as session:
            session.execute(delete(Condition).where(Condition.slug == "beta-disease"))
        assert [item["slug"] for item in client.get("/v1/conditions").json()["items"]] == [
            "alpha-disease"
        ]


def test_a_304_carries_the_headers_of_its_200(client: TestClient) -> None:
    packed = client.get(MMN, headers={"Accept-Encoding": "gzip"})
    revalidated = client.get(
        MMN, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]}
    )
    assert revalidated.status_code == 304
    assert revalidated.headers["vary"] == packed.headers["vary"]
    assert revalidated.headers["vary"].startswith("Accept, Accept-Encoding")
    # A weak or unquoted form of a tag is answered with the strong tag, quoted.
    held = client.get(MMN).headers["etag"]
    for sent in (f"W/{held}", held.strip('"')):
        answer = client.get(MMN, headers={"If-None-Match": sent})
        assert answer.status_code == 304
        assert answer.headers["etag"] == held
    everything = client.get(MMN, headers={"If-None-Match": "*"})
    assert everything.status_code == 304
    assert held.startswith(everything.headers["etag"][:-1])  # the identity tag
