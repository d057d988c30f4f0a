"""GET /v1/changes: every kind of change in commit order, resumable from a cursor, one entry
per record at its latest change; seed runs and imports feed it too."""

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from app.core.db import session_factory_for
from app.importers.service import import_hpo
from tests.factories import condition, write_seed
from tests.helpers import HPO_FILES, MMN, MMN_SEED, Editing, make_client, new_record, seed_database


def _feed(editing: Editing, since: int = 0, **params: Any) -> dict[str, Any]:
    response = editing.client.get("/v1/changes", params={"since": since, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_feed_lists_each_change_once_in_commit_order(editing: Editing) -> None:
    start = _feed(editing)
    # Seeded before: MMN and the fixture, created.
    assert [(i["slug"], i["action"]) for i in start["items"]] == [
        ("multifocal-motor-neuropathy", "created"),
        ("seeded-fixture", "created"),
    ]
    cursor = start["next_since"]
    assert _feed(editing, cursor)["items"] == []  # nothing new: same cursor back
    assert _feed(editing, cursor)["next_since"] == cursor

    created = editing.client.post("/v1/conditions", json=new_record(), headers=editing.writer)
    etag = editing.etag(MMN)
    patched = editing.patch(MMN, {"synonyms": ["MMN"]}, etag)
    assert patched.status_code == 200
    renamed = editing.patch(
        "/v1/conditions/test-condition", {"slug": "renamed-condition"}, created.headers["etag"]
    )
    assert renamed.status_code == 200
    retired = editing.client.delete(
        "/v1/conditions/seeded-fixture",
        headers=editing.headers(editing.etag("/v1/conditions/seeded-fixture")),
    )
    assert retired.status_code == 200

    page = _feed(editing, cursor)
    entries = [(i["slug"], i["action"], i["revision"]) for i in page["items"]]
    # test-condition was created then renamed: only its latest state shows, under both slugs.
    assert entries == [
        ("multifocal-motor-neuropathy", "updated", 2),
        ("renamed-condition", "updated", 2),
        ("test-condition", "moved", None),
        ("seeded-fixture", "retired", 2),
    ]
    by_slug = {i["slug"]: i for i in page["items"]}
    assert by_slug["renamed-condition"]["previous_slug"] == "test-condition"
    assert by_slug["test-condition"]["moved_to"] == "renamed-condition"
    assert by_slug["test-condition"]["links"]["condition"] is None
    assert by_slug["seeded-fixture"]["links"]["condition"] == "/v1/conditions/seeded-fixture"
    seqs = [i["seq"] for i in page["items"]]
    assert seqs == sorted(seqs) and seqs[0] > cursor

    # Paging: small pages walk the same entries, each page resuming from the last.
    walked, since = [], cursor
    while True:
        part = _feed(editing, since, limit=1)
        walked += [(i["slug"], i["action"], i["revision"]) for i in part["items"]]
        assert part["links"]["next"] == f"/v1/changes?limit=1&since={part['next_since']}"
        if not part["more"]:
            break
        since = part["next_since"]
    assert walked == entries


def test_seed_runs_and_imports_feed_the_changes(fresh_db: str, tmp_path: Path) -> None:
    seed_database(fresh_db, MMN_SEED)
    with make_client(fresh_db) as client:

        def since(cursor: int) -> list[dict[str, Any]]:
            feed = client.get("/v1/changes", params={"since": cursor, "limit": 1000}).json()
            assert not feed["more"]
            items: list[dict[str, Any]] = feed["items"]
            return items

        def slugs() -> set[str]:
            engine = create_engine(fresh_db)
            with engine.connect() as connection:
                found = set(connection.scalars(text("SELECT slug FROM conditions")))
            engine.dispose()
            return found

        cursor = client.get("/v1/changes").json()["next_since"]
        more = write_seed(tmp_path / "more.yaml", [condition("another-fixture")])
        seed_database(fresh_db, MMN_SEED, more)
        assert [(i["slug"], i["action"]) for i in since(cursor)] == [("another-fixture", "created")]

        cursor, before = client.get("/v1/changes").json()["next_since"], slugs()
        with session_factory_for(fresh_db) as factory:
            import_hpo(factory, HPO_FILES)
        items = since(cursor)
        created = {i["slug"] for i in items if i["action"] == "created"}
        assert created == slugs() - before and len(created) > 10
        # MMN gained the annotations of ORPHA:641: a new revision.
        assert ("multifocal-motor-neuropathy", "updated") in {
            (i["slug"], i["action"]) for i in items
        }
        for item in items:
            assert client.get(item["links"]["condition"]).json()["revision"] == item["revision"]

        # A release without one disease removes its record.
        dropped = "OMIM:139600"
        cut = tmp_path / "phenotype.hpoa"
        lines = HPO_FILES.annotations.read_text("utf-8").splitlines(keepends=True)
        cut.write_text("".join(x for x in lines if not x.startswith(dropped + "\t")), "utf-8")
        cursor, before = client.get("/v1/changes").json()["next_since"], slugs()
        with session_factory_for(fresh_db) as factory:
            import_hpo(factory, replace(HPO_FILES, annotations=cut))
        removed = [i for i in since(cursor) if i["action"] == "removed"]
        assert [i["slug"] for i in removed] == sorted(before - slugs()) == ["hairy-elbows"]
        assert removed[0]["links"]["condition"] is None


def test_bad_cursors_are_refused(editing: Editing) -> None:
    for since in ("-1", "abc", str(2**63)):
        response = editing.client.get("/v1/changes", params={"since": since})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", "since"]
