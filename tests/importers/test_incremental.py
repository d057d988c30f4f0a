"""An import writes only what differs from what is stored: editors' writes since the last import
make it run, but records whose imported content is unchanged keep their rows, revision, ETag
and `created_at`, and get no revision entry and no feed entry. What an import does change is in
the revision history, by `import`, so revision numbers and the history agree. Both engines."""

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from app.auth import keys
from app.importers.files import HpoFiles
from app.models import Condition, ConditionChange, ConditionRevision
from tests.helpers import (
    HPO_FILES,
    MMN,
    Editing,
    make_client,
    new_key,
    new_record,
    run_imports,
    seed_database,
    snapshot,
)

CF = "/v1/conditions/cystic-fibrosis"


def _rows(url: str, query: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()


def _heads(url: str) -> dict[str, tuple[Any, ...]]:
    query = select(Condition.slug, Condition.revision, Condition.created_at, Condition.updated_at)
    return {row[0]: tuple(row[1:]) for row in _rows(url, query)}


def _editing(url: str) -> Editing:
    writer = new_key(url, "editor", keys.Scope.WRITE)
    client = make_client(url)
    return Editing(url, client, {"Authorization": f"Bearer {writer}"}, {}, writer)


def test_a_reimport_after_editors_writes_changes_nothing_it_did_not_change(
    fresh_db: str,
) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    editing = _editing(fresh_db)
    with editing.client:
        # The README's write tour: a draft, a patch, a rename, a retirement; and an imported
        # record patched and another retired (editors own them from then on).
        created = editing.client.post(
            "/v1/conditions",
            json=new_record(status="draft", sources=["hpo-annotations"]),
            headers=editing.writer,
        )
        assert created.status_code == 201, created.text
        assert (
            editing.patch(MMN, {"synonyms": ["MMN", "Lewis"]}, editing.etag(MMN)).status_code == 200
        )
        renamed = editing.patch(
            "/v1/conditions/test-condition", {"slug": "test-renamed"}, created.headers["etag"]
        )
        assert renamed.status_code == 200, renamed.text
        hemophilia = "/v1/conditions/hemophilia-a"
        summary = {"summary": "Composed for a test.", "sources": ["hpo-annotations"]}
        assert editing.patch(hemophilia, summary, editing.etag(hemophilia)).status_code == 200
        retired = editing.client.delete(CF, headers=editing.headers(editing.etag(CF)))
        assert retired.status_code == 200
        etags = {
            path: editing.etag(path) for path in (MMN, CF, "/v1/conditions/bjornstad-syndrome")
        }
        before = snapshot(fresh_db, exclude=("source_imports",))
        heads = _heads(fresh_db)

        hpo, icd = run_imports(fresh_db)

        # The editors' changes make both imports run, and neither writes anything.
        assert not hpo.skipped and not icd.skipped
        for report in (hpo, icd):
            assert report.counts["records_changed"] == 0
            assert report.counts["revisions_written"] == 0
            assert report.counts["feed_changes"] == 0
            assert report.counts["search_documents"] == 0
        assert hpo.counts["conditions_created"] == 0
        assert hpo.counts["records_with_new_annotations"] == 0
        assert snapshot(fresh_db, exclude=("source_imports",)) == before
        assert _heads(fresh_db) == heads
        for path, etag in etags.items():
            assert editing.client.get(path, headers={"If-None-Match": etag}).status_code == 304
        # The patched and retired imported records keep their own disease ids as the source's.
        codes = editing.client.get(CF).json()["codes"]
        assert next((c["curie"], c["relation"], c["provenance"]) for c in codes) == (
            "ORPHA:586", "exact", "source",
        )  # fmt: skip
        assert all(report.skipped for report in run_imports(fresh_db))


def _changed_release(tmp_path: Path) -> HpoFiles:
    """The fixture release with one annotation row of ORPHA:586 (cystic fibrosis) left out,
    under the same version."""
    lines = HPO_FILES.annotations.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("ORPHA:586\t"))
    path = tmp_path / "phenotype.hpoa"
    path.write_text("".join(lines[:first] + lines[first + 1 :]), encoding="utf-8")
    ontology = tmp_path / "hp.obo"
    ontology.write_bytes(HPO_FILES.ontology.read_bytes())
    return replace(HPO_FILES, ontology=ontology, annotations=path)


def test_a_release_changing_one_record_writes_that_record_alone(
    fresh_db: str, tmp_path: Path
) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    heads = _heads(fresh_db)
    revisions = len(_rows(fresh_db, select(ConditionRevision.id)))
    feed = len(_rows(fresh_db, select(ConditionChange.seq)))

    hpo, _ = run_imports(fresh_db, hpo=_changed_release(tmp_path))

    assert hpo.counts["records_changed"] == 1
    assert hpo.counts["records_with_new_annotations"] == 1
    after = _heads(fresh_db)
    assert {slug for slug in heads if after[slug] != heads[slug]} == {"cystic-fibrosis"}
    assert after["cystic-fibrosis"][0] == heads["cystic-fibrosis"][0] + 1
    assert after["cystic-fibrosis"][1] == heads["cystic-fibrosis"][1]  # created_at kept
    assert len(_rows(fresh_db, select(ConditionRevision.id))) == revisions + 1
    assert len(_rows(fresh_db, select(ConditionChange.seq))) == feed + 1
    with make_client(fresh_db) as client:
        history = client.get(f"{CF}/revisions").json()
        newest = history["items"][0]
        assert (newest["number"], newest["action"], newest["author"]) == (
            after["cystic-fibrosis"][0], "imported", "import",
        )  # fmt: skip
        change = client.get(newest["links"]["self"]).json()["change"]
        assert change == {"source": "hpo", "version": "2025-01-16", "changed": ["annotations"]}


def test_revision_numbers_and_the_history_agree(fresh_db: str) -> None:
    """On a fresh database the import's changes to MMN (it joins ORPHA:641) are revision 2,
    listed and readable; an imported record's revision 1 is its creation by the import."""
    seed_database(fresh_db)
    run_imports(fresh_db)
    with make_client(fresh_db) as client:
        record = client.get(MMN).json()
        history = client.get(f"{MMN}/revisions").json()
        assert record["revision"] == 2
        assert [(r["number"], r["author"]) for r in history["items"]] == [
            (2, "import"), (1, "seed"),
        ]  # fmt: skip
        second = client.get(f"{MMN}/revisions/2")
        assert second.status_code == 200, second.text
        body = second.json()
        assert body["change"]["source"] in {"hpo", "icd10cm"}
        assert body["change"]["version"]
        # The import leaves what editors wrote as it was.
        first = client.get(f"{MMN}/revisions/1").json()
        assert body["document"] == first["document"]

        for slug in ("cystic-fibrosis", "bjornstad-syndrome", "hemophilia-a"):
            record = client.get(f"/v1/conditions/{slug}").json()
            items = client.get(f"/v1/conditions/{slug}/revisions").json()["items"]
            assert [r["number"] for r in items] == list(range(record["revision"], 0, -1))
            assert items[-1]["action"] == "created" and items[-1]["author"] == "import"
            document = client.get(items[-1]["links"]["self"]).json()["document"]
            assert (document["slug"], document["name"]) == (slug, record["name"])


def test_a_release_renaming_a_disease_moves_its_record(fresh_db: str, tmp_path: Path) -> None:
    """A new name for ORPHA:123 renames its record in place (same id and created_at, a new
    revision): the old slug redirects, and the feed says it moved."""
    seed_database(fresh_db)
    run_imports(fresh_db)
    heads = _heads(fresh_db)
    text = HPO_FILES.annotations.read_text(encoding="utf-8")
    path = tmp_path / "phenotype.hpoa"
    path.write_text(text.replace("\tBjörnstad syndrome\t", "\tBjörnstad syndrome type 1\t"))
    ontology = tmp_path / "hp.obo"
    ontology.write_bytes(HPO_FILES.ontology.read_bytes())
    with make_client(fresh_db) as client:
        since = client.get("/v1/changes", params={"since": 0, "limit": 100}).json()["next_since"]
        hpo, _ = run_imports(fresh_db, hpo=replace(HPO_FILES, ontology=ontology, annotations=path))
        assert hpo.counts["conditions_created"] == 0 and hpo.counts["conditions_removed"] == 0
        after = _heads(fresh_db)
        assert "bjornstad-syndrome" not in after
        renamed = after["bjornstad-syndrome-type-1"]
        old = heads["bjornstad-syndrome"]
        assert (renamed[0], renamed[1]) == (old[0] + 1, old[1])
        moved = client.get("/v1/conditions/bjornstad-syndrome/symptoms", follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"] == "/v1/conditions/bjornstad-syndrome-type-1/symptoms"
        record = client.get("/v1/conditions/bjornstad-syndrome-type-1").json()
        assert record["name"] == "Björnstad syndrome type 1"
        feed = client.get("/v1/changes", params={"since": since}).json()["items"]
        assert [(i["slug"], i["action"], i["previous_slug"], i["moved_to"]) for i in feed] == [
            ("bjornstad-syndrome-type-1", "updated", "bjornstad-syndrome", None),
            ("bjornstad-syndrome", "moved", None, "bjornstad-syndrome-type-1"),
        ]
        history = client.get("/v1/conditions/bjornstad-syndrome-type-1/revisions").json()
        assert history["items"][0]["action"] == "imported"
