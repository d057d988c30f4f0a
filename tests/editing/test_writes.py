"""The write API through HTTP, on both engines: keys and scopes, create, replace, patch,
sections, retire, preconditions, limits, and that a refused or failed write leaves no trace."""

import logging
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from app.core.db import session_factory_for
from app.models import ConditionChange, ConditionRevision
from app.search import indexer
from app.seeding.loader import seed
from app.writing.schemas import ConditionIn
from tests.helpers import MMN, MMN_SEED, Editing, make_client, new_record

NEW = "/v1/conditions/test-condition"


def _create(editing: Editing, record: dict[str, Any] | None = None) -> Any:
    response = editing.client.post(
        "/v1/conditions", json=record or new_record(), headers=editing.writer
    )
    assert response.status_code == 201, response.text
    return response


def _table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    tables = [
        *("conditions", "sections", "section_items", "codes", "condition_sources"),
        *("section_sources", "condition_revisions", "condition_changes", "slug_redirects"),
    ]
    with engine.connect() as connection:
        counts = {t: connection.scalar(text(f"SELECT COUNT(*) FROM {t}")) or 0 for t in tables}
        counts["content_version"] = connection.scalar(text("SELECT version FROM content_version"))
    engine.dispose()
    return counts


def _snapshot(editing: Editing, path: str = MMN) -> tuple[Any, ...]:
    record = editing.client.get(path)
    document = editing.client.get(f"{path}/document")
    return record.headers["etag"], record.json(), document.json(), _table_counts(editing.url)


# --- keys and scopes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/v1/conditions"), ("put", MMN), ("patch", MMN), ("delete", MMN),
     ("put", f"{MMN}/overview"), ("delete", f"{MMN}/overview")],
)  # fmt: skip
def test_writes_need_a_key_with_the_write_scope(editing: Editing, method: str, path: str) -> None:
    send = getattr(editing.client, method)
    body = {"json": new_record()} if method in ("post", "put", "patch") else {}
    missing = send(path, **body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="condition-content-api"'
    assert missing.json()["type"] == "urn:problem:unauthorized"
    wrong = send(path, headers={"Authorization": "Bearer cck_000000000000_nope"}, **body)
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    read_only = send(path, headers=editing.reader, **body)
    assert read_only.status_code == 403
    assert read_only.json()["type"] == "urn:problem:insufficient-scope"
    assert read_only.json()["required_scope"] == "write"
    # X-API-Key works as Authorization does.
    reader_key = editing.reader["Authorization"].removeprefix("Bearer ")
    as_header = send(path, headers={"X-API-Key": reader_key}, **body)
    assert as_header.status_code == 403


def test_a_write_key_is_never_logged(editing: Editing, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    etag = editing.etag(MMN)
    assert editing.patch(MMN, {"synonyms": ["MMN"]}, etag).status_code == 200
    assert editing.client.post("/v1/conditions", json={}, headers=editing.writer).status_code == 422
    secret = editing.writer_key.split("_", 2)[2]
    assert caplog.records, "the requests were logged"
    assert secret not in caplog.text
    assert all(secret not in str(record.__dict__) for record in caplog.records)


# --- create ---------------------------------------------------------------------------------


def test_create_answers_201_and_reads_back_identical(editing: Editing) -> None:
    sent = new_record()
    created = _create(editing, sent)
    assert created.headers["location"] == NEW
    got = editing.client.get(created.headers["location"])
    assert got.status_code == 200
    # What the write answered is what a read serves, byte for byte, with the same ETag.
    assert got.content == created.content
    assert got.headers["etag"] == created.headers["etag"]
    # The record as editors write it is what was sent, normalised by the input schema; no
    # import keeps anything on it.
    document = editing.client.get(f"{NEW}/document").json()
    assert document == {**ConditionIn.model_validate(sent).as_document(), "imported": None}
    record = got.json()
    assert record["name"] == sent["name"]
    assert record["synonyms"] == sent["synonyms"]
    assert record["revision"] == 1
    assert [item["name"] for item in record["sections"]["symptoms"]["items"]] == [
        "First test sign",
        "Second test sign",
    ]
    assert record["sections"]["drugs"]["items"][0]["examples"] == ["Test medicine"]
    assert record["codes"][0]["curie"] == "ORPHA:999999"
    assert record["codes"][0]["provenance"] == "curated"
    assert [source["title"] for source in record["sources"]] == ["Test fixtures"]
    # Lists, search and reverse look-ups see it at once.
    listed = editing.client.get("/v1/conditions", params={"limit": 100}).json()["items"]
    assert "test-condition" in [item["slug"] for item in listed]
    found = editing.client.get("/v1/search", params={"q": "Test synonym"}).json()
    assert found["items"][0]["slug"] == "test-condition"


def test_create_refuses_a_taken_slug_and_bad_fields(editing: Editing) -> None:
    _create(editing)
    taken = editing.client.post("/v1/conditions", json=new_record(), headers=editing.writer)
    assert taken.status_code == 409
    assert taken.json()["slug"] == "test-condition"
    bad = new_record(slug="Not A Slug", name="", sections={"nonsense": {}})
    bad["codes"] = [{"system": "orpha", "code": "not-a-number"}]
    refused = editing.client.post("/v1/conditions", json=bad, headers=editing.writer)
    assert refused.status_code == 422
    where = {".".join(map(str, error["loc"])) for error in refused.json()["errors"]}
    assert {"body.slug", "body.name", "body.sections", "body.codes.0"} <= where
    unknown_source = new_record(slug="other-condition", sources=["no-such-source"])
    refused = editing.client.post("/v1/conditions", json=unknown_source, headers=editing.writer)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "sources", 0]
    assert refused.json()["errors"][0]["type"] == "unknown_source"
    assert editing.client.get("/v1/conditions/other-condition").status_code == 404


def test_bodies_of_the_wrong_type_or_size_are_refused(editing: Editing) -> None:
    etag = editing.etag(MMN)
    yaml_type = editing.headers(**{"Content-Type": "text/yaml"})
    as_text = editing.client.post("/v1/conditions", content="slug: x", headers=yaml_type)
    assert as_text.status_code == 415
    assert as_text.json()["accepted"] == ["application/json"]
    patch_type = editing.headers(etag, **{"Content-Type": "application/merge-patch+json"})
    malformed = editing.client.patch(MMN, content=b"{not json", headers=patch_type)
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["type"] == "json_invalid"
    big = new_record(summary="x" * (1024 * 1024 + 1))
    too_large = editing.client.post("/v1/conditions", json=big, headers=editing.writer)
    assert too_large.status_code == 413
    assert too_large.json()["type"] == "urn:problem:content-too-large"
    assert editing.client.get(NEW).status_code == 404


# --- preconditions ------------------------------------------------------------------------------


def test_writes_without_if_match_get_428_and_stale_ones_412(editing: Editing) -> None:
    before = _snapshot(editing)
    etag = before[0]
    assert editing.patch(MMN, {"synonyms": []}).status_code == 428
    star = editing.patch(MMN, {"synonyms": []}, "*")
    assert star.status_code == 428
    assert "*" in star.json()["detail"]
    weak = editing.patch(MMN, {"synonyms": []}, f"W/{etag}")
    assert weak.status_code == 412  # If-Match compares strongly: a weak tag never matches
    garbage = editing.patch(MMN, {"synonyms": []}, "not a tag")
    assert garbage.status_code == 400
    assert garbage.json()["errors"][0]["loc"] == ["header", "if-match"]
    stale = editing.patch(MMN, {"synonyms": []}, '"AAAAAAAAAAAAAAAA"')
    assert stale.status_code == 412
    assert stale.json()["type"] == "urn:problem:precondition-failed"
    assert editing.client.delete(MMN, headers=editing.headers()).status_code == 428
    assert editing.client.delete(MMN, headers=editing.headers('"stale"')).status_code == 412
    assert _snapshot(editing) == before  # nothing changed, not even a revision or a feed entry
    # Any of the record's ETags serve: its JSON (also as compressed), and its document's.
    document_etag = editing.client.get(f"{MMN}/document").headers["etag"]
    ok = editing.patch(MMN, {"synonyms": ["MMN"]}, document_etag)
    assert ok.status_code == 200
    compressed = '"' + ok.headers["etag"].strip('"').split(".")[0] + '.gzip"'
    assert editing.patch(MMN, {"synonyms": ["MMN", "Test"]}, compressed).status_code == 200
    # The old tag is stale now.
    assert editing.patch(MMN, {"synonyms": []}, etag).status_code == 412


def test_patch_changes_only_what_it_names(editing: Editing) -> None:
    before = editing.client.get(f"{MMN}/document").json()
    etag = editing.etag(MMN)
    patch = {
        "synonyms": ["Test synonym"],  # an array replaces the whole array
        "sections": {"prevention": None, "overview": {"summary": "New overview."}},
    }
    patched = editing.patch(MMN, patch, etag)
    assert patched.status_code == 200, patched.text
    after = editing.client.get(f"{MMN}/document").json()
    assert after["synonyms"] == ["Test synonym"]
    assert "prevention" not in after["sections"]
    assert after["sections"]["overview"]["summary"] == "New overview."
    assert after["sections"]["overview"]["items"] == before["sections"]["overview"]["items"]
    # Everything not named is exactly as it was.
    for name in before:
        if name not in ("synonyms", "sections"):
            assert after[name] == before[name], name
    for kind in before["sections"]:
        if kind not in ("prevention", "overview"):
            assert after["sections"][kind] == before["sections"][kind], kind
    record = editing.client.get(MMN).json()
    assert record["revision"] == 2
    assert "prevention" not in record["sections"]
    # A patch whose result is invalid names the field, and changes nothing.
    etag = patched.headers["etag"]
    refused = editing.patch(MMN, {"summary": None, "status": "unknown"}, etag)
    assert refused.status_code == 422
    where = {".".join(map(str, error["loc"])) for error in refused.json()["errors"]}
    assert where == {"body.summary", "body.status"}
    assert editing.etag(MMN) == etag


def test_put_replaces_and_renames_with_a_redirect(editing: Editing) -> None:
    _create(editing)
    etag = editing.etag(NEW)
    renamed = new_record(slug="renamed-condition", synonyms=[])
    renamed["sections"] = {"overview": {"summary": "Only this now."}}
    put = editing.client.put(NEW, json=renamed, headers=editing.headers(etag))
    assert put.status_code == 200, put.text
    assert put.json()["slug"] == "renamed-condition"
    assert list(put.json()["sections"]) == ["overview"]
    for suffix in ("", "/overview", "/document", "/revisions"):
        moved = editing.client.get(f"{NEW}{suffix}?format=json", follow_redirects=False)
        assert moved.status_code == 308, suffix
        assert moved.headers["location"] == f"/v1/conditions/renamed-condition{suffix}?format=json"
        assert editing.client.get(f"{NEW}{suffix}").status_code == 200  # followed
    # Whatever follows the old slug survives the redirect, percent-encoded as it was sent.
    odd = editing.client.get(f"{NEW}/revisions/%F3%85%81%B3%C3%B8", follow_redirects=False)
    assert odd.status_code == 308
    assert (
        odd.headers["location"] == "/v1/conditions/renamed-condition/revisions/%F3%85%81%B3%C3%B8"
    )
    # A write without If-Match is refused before the redirect, for a section as for the record.
    for path in (NEW, f"{NEW}/overview"):
        unconditional = editing.client.put(path, json={}, headers=editing.writer)
        assert unconditional.status_code == 428, (path, unconditional.text)
    # A batch read names the record's new slug for the old one.
    old_slug = NEW.rsplit("/", 1)[1]
    batch = editing.client.get("/v1/conditions", params={"slug": old_slug}).json()
    assert batch["items"] == []
    assert batch["not_found"] == [{"slug": old_slug, "renamed_to": "renamed-condition"}]
    # A write to the old slug is redirected too, keeping its method.
    old_slug_write = editing.patch(NEW, {"synonyms": ["X"]}, put.headers["etag"])
    assert old_slug_write.status_code == 200
    assert old_slug_write.json()["synonyms"] == ["X"]
    # A rename onto a slug in use is a conflict.
    clash = dict(renamed, slug="multifocal-motor-neuropathy")
    conflict = editing.client.put(
        "/v1/conditions/renamed-condition",
        json=clash,
        headers=editing.headers(old_slug_write.headers["etag"]),
    )
    assert conflict.status_code == 409
    # A new record may take the old slug back; it no longer redirects.
    _create(editing)
    assert editing.client.get(NEW, follow_redirects=False).status_code == 200


# --- sections and retiring ------------------------------------------------------------------


def test_section_writes(editing: Editing) -> None:
    etag = editing.etag(MMN)
    body = {"summary": "Test epidemiology.", "items": [{"name": "Test epidemiology item"}]}
    added = editing.client.put(f"{MMN}/epidemiology", json=body, headers=editing.headers(etag))
    assert added.status_code == 201, added.text
    assert added.headers["location"] == f"{MMN}/epidemiology"
    assert added.json()["summary"] == "Test epidemiology."
    got = editing.client.get(f"{MMN}/epidemiology")
    assert got.content == added.content
    assert got.headers["etag"] == added.headers["etag"]
    # The section's own ETag serves as If-Match for the section.
    body["summary"] = "Second epidemiology."
    again = editing.client.put(
        f"{MMN}/epidemiology", json=body, headers=editing.headers(added.headers["etag"])
    )
    assert again.status_code == 200
    bad_item = {"items": [{"name": "x", "frequency": "often"}]}
    refused = editing.client.put(
        f"{MMN}/symptoms", json=bad_item, headers=editing.headers(editing.etag(MMN))
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][:3] == ["body", "items", 0]
    unknown = editing.client.put(f"{MMN}/gossip", json=body, headers=editing.headers(etag))
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:problem:unknown-section-kind"
    deleted = editing.client.delete(
        f"{MMN}/epidemiology", headers=editing.headers(again.headers["etag"])
    )
    assert deleted.status_code == 204
    assert editing.client.get(f"{MMN}/epidemiology").status_code == 404
    gone = editing.client.delete(f"{MMN}/epidemiology", headers=editing.headers(editing.etag(MMN)))
    assert gone.status_code == 404


def test_delete_retires_and_revisions_list_every_change(editing: Editing) -> None:
    created = _create(editing)
    etag = created.headers["etag"]
    etag = editing.patch(NEW, {"summary": "Second summary."}, etag).headers["etag"]
    etag = editing.client.put(NEW, json=new_record(), headers=editing.headers(etag)).headers["etag"]
    section = editing.client.put(
        f"{NEW}/epidemiology", json={"summary": "Test."}, headers=editing.headers(etag)
    )
    assert editing.client.delete(
        f"{NEW}/epidemiology", headers=editing.headers(section.headers["etag"])
    ).status_code == 204  # fmt: skip
    retired = editing.client.delete(NEW, headers=editing.headers(editing.etag(NEW)))
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired"
    assert editing.client.get(NEW).json()["status"] == "retired"  # still readable
    listed = editing.client.get("/v1/conditions", params={"limit": 100}).json()["items"]
    assert "test-condition" not in [item["slug"] for item in listed]
    found = editing.client.get("/v1/search", params={"q": "Test condition"}).json()["items"]
    assert "test-condition" not in [item["slug"] for item in found]
    history = editing.client.get(f"{NEW}/revisions").json()
    assert history["total"] == 6
    assert [(r["number"], r["action"], r["section"]) for r in history["items"]] == [
        (6, "retired", None),
        (5, "section-deleted", "epidemiology"),
        (4, "section-replaced", "epidemiology"),
        (3, "replaced", None),
        (2, "patched", None),
        (1, "created", None),
    ]
    assert {r["author"] for r in history["items"]} == {"editor"}
    second = editing.client.get(f"{NEW}/revisions/2").json()
    assert second["change"] == {"summary": "Second summary."}
    assert second["document"]["summary"] == "Second summary."
    assert editing.client.get(f"{NEW}/revisions/6").json()["document"]["status"] == "retired"
    missing = editing.client.get(f"{NEW}/revisions/7")
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:problem:revision-not-found"
    # The seed's own write is a revision too.
    assert editing.client.get(f"{MMN}/revisions").json()["items"][0]["author"] == "seed"


# --- nothing half-written ---------------------------------------------------------------------


def test_a_failed_write_leaves_no_trace(editing: Editing, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(editing)

    def broken_index(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the index broke after the record was written")

    monkeypatch.setattr(indexer, "rebuild", broken_index)
    app = make_client(editing.url).app
    with TestClient(app, raise_server_exceptions=False) as client:
        patch = client.patch(
            MMN,
            json={"synonyms": ["Lost"], "sections": {"overview": None}},
            headers=editing.headers(before[0]),
        )
        assert patch.status_code == 500
        assert "index broke" not in patch.text  # no internals in the body
        created = client.post("/v1/conditions", json=new_record(), headers=editing.writer)
        assert created.status_code == 500
    assert _snapshot(editing) == before
    assert editing.client.get(NEW).status_code == 404


def test_reads_and_caches_reflect_a_write_at_once(editing: Editing) -> None:
    section = f"{MMN}/overview"
    first, first_section = editing.client.get(MMN), editing.client.get(section)  # now cached
    patched = editing.patch(
        MMN, {"sections": {"overview": {"summary": "Changed."}}}, first.headers["etag"]
    )
    assert patched.status_code == 200
    record, again = editing.client.get(MMN), editing.client.get(section)
    assert record.headers["etag"] == patched.headers["etag"] != first.headers["etag"]
    assert again.headers["etag"] != first_section.headers["etag"]
    assert again.json()["summary"] == "Changed."
    stale = editing.client.get(MMN, headers={"If-None-Match": first.headers["etag"]})
    assert stale.status_code == 200  # the old copy is no longer current


def test_key_secrets_are_not_stored_in_clear(editing: Editing) -> None:
    engine = create_engine(editing.url)
    with engine.connect() as connection:
        rows = [tuple(map(str, row)) for row in connection.execute(text("SELECT * FROM api_keys"))]
    engine.dispose()
    secret = editing.writer_key.split("_", 2)[2]
    assert rows
    assert not any(secret in value or editing.writer_key in value for row in rows for value in row)


def test_revisions_and_feed_rows_are_written_in_the_write_transaction(editing: Editing) -> None:
    engine = create_engine(editing.url)
    with engine.connect() as connection:
        revisions = connection.scalar(select(func.count()).select_from(ConditionRevision))
        changes = connection.scalar(select(func.count()).select_from(ConditionChange))
    etag = editing.etag(MMN)
    assert editing.patch(MMN, {"synonyms": ["One"]}, etag).status_code == 200
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ConditionRevision)) == (
            (revisions or 0) + 1
        )
        assert connection.scalar(select(func.count()).select_from(ConditionChange)) == (
            (changes or 0) + 1
        )
    engine.dispose()


def test_a_seed_run_leaves_a_record_editors_renamed(editing: Editing) -> None:
    etag = editing.etag(MMN)
    assert editing.patch(MMN, {"slug": "mmn-renamed"}, etag).status_code == 200
    with session_factory_for(editing.url) as factory:
        report = seed(factory, [MMN_SEED])
    assert report.renamed == {"multifocal-motor-neuropathy": "mmn-renamed"}
    assert report.created == []
    # No second record of the same content: the old slug still redirects.
    assert editing.client.get(MMN, follow_redirects=False).status_code == 308


def test_writes_are_logged_with_the_key_name(
    editing: Editing, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.editing")
    assert editing.patch(MMN, {"synonyms": ["MMN"]}, editing.etag(MMN)).status_code == 200
    written = [r for r in caplog.records if r.name == "app.editing"]
    assert [(r.getMessage(), r.slug, r.action, r.author) for r in written] == [  # type: ignore[attr-defined]
        ("condition written", "multifocal-motor-neuropathy", "patched", "editor")
    ]


def test_search_follows_each_write_at_once(editing: Editing) -> None:
    def slugs(query: str) -> list[tuple[str, str | None]]:
        found = editing.client.get("/v1/search", params={"q": query}).json()["items"]
        return [(item["slug"], item["name_match"]) for item in found]

    assert ("multifocal-motor-neuropathy", "exact") in slugs("multifocal motor neuropathy")
    # The snapshot is warm now: later writes update it record by record.
    etag = editing.patch(MMN, {"synonyms": ["Zebra test name"]}, editing.etag(MMN)).headers["etag"]
    assert slugs("zebra test name") == [("multifocal-motor-neuropathy", "synonym")]
    created = editing.client.post("/v1/conditions", json=new_record(), headers=editing.writer)
    assert ("test-condition", "exact") in slugs("test condition")
    editing.client.delete(NEW, headers=editing.headers(created.headers["etag"]))
    assert "test-condition" not in [slug for slug, _ in slugs("test condition")]
    editing.client.delete(MMN, headers=editing.headers(etag))
    assert slugs("zebra test name") == []


def test_completions_catch_up_with_writes(
    editing: Editing, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.search import snapshot

    def completions(prefix: str) -> list[str]:
        found = editing.client.get("/v1/autocomplete", params={"q": prefix}).json()["items"]
        return [item["label"] for item in found]

    assert completions("multif")  # the snapshot is warm
    monkeypatch.setattr(snapshot, "FULL_REBUILD_S", 0.3)
    _create(editing)
    completions("multif")  # the write is taken in record by record; completions may lag
    time.sleep(0.4)
    # No further write: the vocabulary is rebuilt all the same once it is old enough.
    assert "Test condition" in completions("test cond")
