"""Editing a record that an import made: the write must give what editors' records need, and
what it writes survives the next import (the record is the editors' from then on)."""

from dataclasses import replace
from pathlib import Path

from app.core.db import session_factory_for
from app.importers.service import import_hpo
from tests.helpers import HPO_FILES, Editing, run_imports

CF = "/v1/conditions/cystic-fibrosis"


def test_an_edit_of_an_imported_record_survives_the_next_import(
    editing: Editing, tmp_path: Path
) -> None:
    run_imports(editing.url)
    record = editing.client.get(CF)
    assert record.status_code == 200
    phenotypes = len(record.json()["sections"]["symptoms"]["annotations"])
    assert phenotypes > 0
    # A section alone is not enough: an imported record has no summary or source of its own.
    refused = editing.client.put(
        f"{CF}/overview",
        json={"summary": "Test text."},
        headers=editing.headers(record.headers["etag"]),
    )
    assert refused.status_code == 409  # the record's state, not the request, is at fault
    assert refused.json()["type"] == "urn:problem:record-incomplete"
    where = {tuple(error["loc"]) for error in refused.json()["errors"]}
    assert where == {("record", "summary"), ("record", "sources")}
    # The same from a PATCH that does not name them; one that does gets a 422 for its fault.
    etag = record.headers["etag"]
    assert editing.patch(CF, {"synonyms": ["Test"]}, etag).status_code == 409
    assert editing.patch(CF, {"summary": "", "sources": ["test-source"]}, etag).status_code == 422
    patched = editing.patch(
        CF,
        {"summary": "Test summary.", "sources": ["test-source"],
         "sections": {"overview": {"summary": "Test text."}}},
        record.headers["etag"],
    )  # fmt: skip
    assert patched.status_code == 200, patched.text

    # A new release (here: the same one without one of CF's rows) is imported again.
    cut = tmp_path / "phenotype.hpoa"
    lines = HPO_FILES.annotations.read_text("utf-8").splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.startswith("ORPHA:586\t"))
    cut.write_text("".join(lines[:last] + lines[last + 1 :]), "utf-8")
    with session_factory_for(editing.url) as factory:
        report = import_hpo(factory, replace(HPO_FILES, annotations=cut))
    assert not report.skipped
    after = editing.client.get(CF).json()
    assert after["summary"] == "Test summary."
    assert after["sections"]["overview"]["summary"] == "Test text."
    assert len(after["sections"]["symptoms"]["annotations"]) == phenotypes  # still joined
    assert after["revision"] > patched.json()["revision"]  # the import's change is a revision


def test_the_document_of_an_imported_record_shows_what_imports_keep(editing: Editing) -> None:
    """`/document` shows the imported codes and annotations apart, read-only; sent back with a
    write, that part is ignored, and the imported codes stay the import's."""
    run_imports(editing.url)
    response = editing.client.get(f"{CF}/document")
    assert response.status_code == 200
    document = response.json()
    assert document["codes"] == [] and document["sections"] == {}
    imported = document["imported"]
    assert [(c["system"], c["code"], c["relation"], c["provenance"]) for c in imported["codes"]][
        :2
    ] == [("orpha", "586", "exact", "source"), ("omim", "219700", "name-match", "computed")]
    record = editing.client.get(CF).json()
    sections = record["sections"]
    stated = sum(
        len(item["diseases"]) for kind in ("prognosis", "diagnosis")
        for item in sections.get(kind, {}).get("items", [])
    )  # fmt: skip
    # Every row is served once: the symptoms' groups, prognosis and diagnosis items (one row
    # per disease id), and OMIM:219700's inheritance row, which the causes section serves.
    groups = sections["symptoms"]["annotations"]
    assert imported["annotation_count"] == 1 + stated + sum(
        len(group["present"]) + len(group["excluded"]) for group in groups
    )
    # The document holds what editors wrote: no summary, though the record shows a composed one,
    # which the read-only part shows as the imports keep it, with the sections they fill.
    assert document["summary"] is None
    assert (record["summary_source"], record["summary"][:13]) == ("computed", "Composed from")
    assert imported["summary"] == {
        "text": record["summary"], "kind": "computed", "sources": record["summary_sources"],
    }  # fmt: skip
    assert imported["section_kinds"] == ["causes", "symptoms", "prognosis"]
    # The document as GET gave it, completed with what an editors' record needs, is taken.
    document |= {"summary": "Test summary.", "sources": ["test-source"]}
    written = editing.client.put(
        CF, json=document, headers=editing.headers(response.headers["etag"])
    )
    assert written.status_code == 200, written.text
    after = editing.client.get(f"{CF}/document").json()
    assert after["codes"] == [] and after["imported"]["codes"] == imported["codes"]
    # The editors' summary wins over the composed one at once, and stays theirs after the
    # next import, which writes nothing more.
    shown = editing.client.get(CF).json()
    assert (shown["summary"], shown["summary_source"], shown["summary_sources"]) == (
        "Test summary.", "editorial", [],
    )  # fmt: skip
    listed = editing.client.get("/v1/conditions", params={"letter": "c"}).json()["items"]
    assert next(item for item in listed if item["slug"] == "cystic-fibrosis")["summary"] == (
        "Test summary."
    )
    assert after["summary"] == "Test summary."
    copy = document | {"slug": "cf-draft", "status": "draft"}
    created = editing.client.post("/v1/conditions", json=copy, headers=editing.writer)
    assert created.status_code == 201, created.text
    assert editing.client.get("/v1/conditions/cf-draft/document").json()["imported"] is None
    # MMN (editors' record) shows the disease id the import added to it.
    mmn = editing.client.get("/v1/conditions/multifocal-motor-neuropathy/document").json()
    assert mmn["imported"]["annotation_count"] > 0
    assert ("orpha", "641") not in {(c["system"], c["code"]) for c in mmn["imported"]["codes"]}
