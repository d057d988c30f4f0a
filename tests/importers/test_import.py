"""Importing the HPO release and ICD-10-CM (fixture cuts of the real files), on both engines."""

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from app.importers.files import HpoFiles, Icd10cmFiles
from app.importers.hpo_diseases import group_diseases as _group_diseases
from app.importers.hpo_files import HpoFileError
from app.models import Condition, PhenotypeAnnotation, SourceImport, Term
from tests import factories
from tests.helpers import (
    HPO_FILES,
    ICD_FILES,
    MMN_SEED,
    make_client,
    run_imports,
    seed_database,
    snapshot,
)

# Facts of the fixture files (tests/fixtures/README.md).
DISEASES = 26
MERGED_PAIRS = 6  # OMIM and ORPHA ids whose names normalise alike
ANNOTATION_ROWS = 422
LIVE_TERMS = 830


def _scalar(url: str, query: object) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(query)  # type: ignore[call-overload]
    finally:
        engine.dispose()


def test_first_import_counts(fresh_db: str) -> None:
    seed_database(fresh_db)
    hpo, icd = run_imports(fresh_db)
    assert not hpo.skipped and not icd.skipped
    assert hpo.version == "2025-01-16"
    assert icd.version == "2026-04-01"
    assert hpo.counts["diseases"] == DISEASES
    assert hpo.counts["merged_disease_ids"] == MERGED_PAIRS
    # 20 groups: 19 new records, and ORPHA:641 joins the seeded MMN record.
    assert hpo.counts["conditions"] == DISEASES - MERGED_PAIRS
    assert hpo.counts["conditions_created"] == DISEASES - MERGED_PAIRS - 1
    assert hpo.counts["joined_existing_records"] == 1
    assert hpo.counts["annotations"] == ANNOTATION_ROWS
    assert hpo.counts["terms"] == LIVE_TERMS
    assert icd.counts["code_entries"] == 102
    # Miller Fisher (G61.0), CF (E84), hemophilia A and B (D66, D67), Dubin-Johnson (E80.6),
    # porphyria cutanea tarda (E80.1), hereditary coproporphyria (E80.29). MMN already has
    # G61.82 from its editors, so it gets no computed copy.
    # E84.9 "Cystic fibrosis, unspecified" meets Cystic fibrosis under the match key; the
    # common conditions: asthma (J45, J45.90, J45.909), allergic rhinitis (J30.1 "Hay fever",
    # J30.9), myocardial infarction (I21.9), thyroiditis (E06, E06.9), and Hashimoto
    # thyroiditis (E06.3 through the term's synonym "Autoimmune thyroiditis").
    assert icd.counts["icd10cm_name_links"] == 17
    # Five terms qualify: Hashimoto thyroiditis enriches OMIM:140300's record, four get their own.
    assert icd.counts["common_condition_terms"] == 5
    assert icd.counts["common_condition_records_enriched"] == 1
    assert _scalar(fresh_db, select(func.count()).select_from(Condition)) == 24
    assert _scalar(fresh_db, select(func.count()).select_from(PhenotypeAnnotation)) == 422
    assert _scalar(fresh_db, select(func.count()).where(PhenotypeAnnotation.excluded)) == 6


def test_reimport_of_the_same_files_changes_nothing(corpus_url: str) -> None:
    before = snapshot(corpus_url)
    hpo, icd = run_imports(corpus_url)
    assert hpo.skipped and icd.skipped
    assert "nothing to do" in hpo.summary()
    assert snapshot(corpus_url) == before


def _release(
    tmp_path: Path, version: str, drop: str | None = None, broken: bool = False
) -> HpoFiles:
    """A copy of the fixture annotations as another release: a new version line, optionally
    without one disease, or with a malformed last row."""
    lines = HPO_FILES.annotations.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [f"#version: {version}\n" if line.startswith("#version:") else line for line in lines]
    if drop:
        lines = [line for line in lines if not line.startswith(drop + "\t")]
    if broken:
        # Passes the first, light pass (disease names); fails the full one, after the old
        # rows were deleted inside the transaction.
        lines.append("ORPHA:1\tBroken row\t\tHP:0000118\n")
    path = tmp_path / "phenotype.hpoa"
    path.write_text("".join(lines), encoding="utf-8")
    shutil.copyfile(HPO_FILES.ontology, tmp_path / "hp.obo")
    return replace(HPO_FILES, ontology=tmp_path / "hp.obo", annotations=path)


def test_new_release_replaces_the_source_rows(fresh_db: str, tmp_path: Path) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    cf_revision = select(Condition.revision).where(Condition.slug == "cystic-fibrosis")
    revision = _scalar(fresh_db, cf_revision)
    hpo, icd = run_imports(fresh_db, hpo=_release(tmp_path, "2025-03-03", drop="ORPHA:123"))
    assert not hpo.skipped and icd.skipped
    assert hpo.version == "2025-03-03"
    assert hpo.counts["conditions"] == DISEASES - MERGED_PAIRS - 1
    assert (
        _scalar(fresh_db, select(Condition.id).where(Condition.slug == "bjornstad-syndrome"))
        is None
    )
    assert _scalar(fresh_db, select(SourceImport.version).where(SourceImport.source == "hpo")) == (
        "2025-03-03"
    )
    assert _scalar(fresh_db, cf_revision) == revision + 1  # type: ignore[operator]
    # The MMN record keeps its imported annotations and its editors' content.
    mmn = select(Condition.annotation_count).where(Condition.slug == "multifocal-motor-neuropathy")
    assert _scalar(fresh_db, mmn) == 12


def test_a_failed_import_leaves_the_previous_data(fresh_db: str, tmp_path: Path) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    before = snapshot(fresh_db)
    with pytest.raises(HpoFileError, match=r"phenotype.hpoa:\d+: expected 12 columns, found 4"):
        run_imports(fresh_db, hpo=_release(tmp_path, "2025-03-03", broken=True))
    assert snapshot(fresh_db) == before


def test_import_before_seed_then_seed_joins_nothing_twice(fresh_db: str, tmp_path: Path) -> None:
    """Imported first, the MMN name already exists when editors seed MMN: the seed takes the
    record over in place, and a later release adds to it instead of deleting it."""
    run_imports(fresh_db)
    seed_database(fresh_db)
    run_imports(fresh_db, hpo=_release(tmp_path, "2025-03-03"))
    summary = select(Condition.summary).where(Condition.slug == "multifocal-motor-neuropathy")
    assert "peripheral nerves" in str(_scalar(fresh_db, summary))
    count = (
        select(func.count())
        .select_from(Condition)
        .where(Condition.slug == "multifocal-motor-neuropathy")
    )
    assert _scalar(fresh_db, count) == 1
    mmn = select(Condition.annotation_count).where(Condition.slug == "multifocal-motor-neuropathy")
    assert _scalar(fresh_db, mmn) == 12


def test_editors_terms_are_adopted_by_the_hpo(corpus_url: str) -> None:
    """The seed created a 'Fatigue' symptom term; the HPO's Fatigue is the same term."""
    code = select(Term.code).where(Term.kind == "symptom", Term.slug == "fatigue")
    assert _scalar(corpus_url, code) == "HP:0012378"


def _ontology(tmp_path: Path, edit: Callable[[str], str]) -> HpoFiles:
    """The fixture release with its ontology changed by `edit` (the annotations copied)."""
    (tmp_path / "hp.obo").write_text(edit(HPO_FILES.ontology.read_text(encoding="utf-8")))
    shutil.copyfile(HPO_FILES.annotations, tmp_path / "phenotype.hpoa")
    return replace(HPO_FILES, ontology=tmp_path / "hp.obo", annotations=tmp_path / "phenotype.hpoa")


def _stanza(text: str, term: str) -> str:
    start = text.index(f"[Term]\nid: {term}\n")
    end = text.index("\n[Term]\n", start + 1) + 1
    return text[start:end]


def test_a_release_renaming_a_term_onto_an_editors_term_imports(
    fresh_db: str, tmp_path: Path
) -> None:
    """The seed has the term 'Muscle wasting (atrophy)'. A release that gives HP:0003202 that
    name must not collide with it: the editors' term keeps its slug, the HPO one gets its id."""
    seed_database(fresh_db)
    run_imports(fresh_db)
    renamed = _ontology(
        tmp_path,
        lambda text: text.replace(
            "id: HP:0003202\nname: Skeletal muscle atrophy",
            "id: HP:0003202\nname: Muscle wasting (atrophy)",
        ),
    )
    hpo, _ = run_imports(fresh_db, hpo=renamed)
    assert not hpo.skipped
    slugs = select(Term.code, Term.slug).where(Term.slug.like("muscle-wasting-atrophy%"))
    engine = create_engine(fresh_db)
    with engine.connect() as conn:
        found = {row[0]: row[1] for row in conn.execute(slugs)}
    engine.dispose()
    assert found == {
        None: "muscle-wasting-atrophy",
        "HP:0003202": "muscle-wasting-atrophy-hp-0003202",
    }


def test_a_retired_term_that_editors_use_is_kept_without_hpo_text(
    fresh_db: str, tmp_path: Path
) -> None:
    """A release drops Fatigue (HP:0012378), which MMN's article item uses, and brings a new
    term of the same name: the old row stays for the item, stripped of HPO text, and the new
    term gets its id in its slug."""
    seed_database(fresh_db)
    run_imports(fresh_db)

    def retire(text: str) -> str:
        old = _stanza(text, "HP:0012378")
        return text.replace(old, old.replace("id: HP:0012378", "id: HP:9999999"))

    hpo, _ = run_imports(fresh_db, hpo=_ontology(tmp_path, retire))
    assert hpo.counts["terms_removed"] == 1
    with make_client(fresh_db) as client:
        kept = client.get("/v1/symptoms/fatigue").json()
        assert kept["code"] is None
        assert kept["definition"] is None and kept["synonyms"] == []
        assert kept["source"] is None and kept["attributions"] == []
        new = client.get("/v1/symptoms/HP:9999999").json()
        assert new["slug"] == "fatigue-hp-9999999"
        assert new["attributions"]


def test_a_record_citing_a_disease_as_narrower_does_not_absorb_it(
    fresh_db: str, tmp_path: Path
) -> None:
    """Only an editors' `exact` code joins a disease to their record."""
    umbrella = factories.condition(
        "inherited-bleeding-disorders",
        codes=[
            {"system": "orpha", "code": "98878", "relation": "narrower"},
            {"system": "orpha", "code": "98879", "relation": "narrower"},
        ],
    )
    seed_database(fresh_db, factories.write_seed(tmp_path / "u.yaml", [umbrella]))
    run_imports(fresh_db)
    with make_client(fresh_db) as client:
        hemophilia = client.get("/v1/conditions/hemophilia-a").json()
        assert {c["curie"] for c in hemophilia["codes"]} >= {"ORPHA:98878", "OMIM:306700"}
        umbrella_record = client.get("/v1/conditions/inherited-bleeding-disorders").json()
        assert [c["relation"] for c in umbrella_record["codes"]] == ["narrower", "narrower"]
        assert "symptoms" not in umbrella_record["sections"]


def test_one_record_holds_at_most_one_id_per_code_system() -> None:
    """Two OMIM entries of one name (recessive and X-linked forms) stay two records."""
    diseases = {
        "OMIM:207500": "Anus, imperforate",
        "OMIM:301800": "Anus, imperforate",
        "ORPHA:1": "Anus imperforate",
    }
    records = _group_diseases(diseases, by_code={}, by_slug={})
    assert [record.codes for record in records] == [["ORPHA:1", "OMIM:207500"], ["OMIM:301800"]]


def test_a_seed_change_after_the_import_makes_the_next_import_run(
    fresh_db: str, tmp_path: Path
) -> None:
    """Editors add a record carrying ORPHA:586 after the import: the next import joins the
    disease to their record instead of saying there is nothing to do."""
    seed_database(fresh_db)
    run_imports(fresh_db)
    cf = factories.condition("cf", codes=[{"system": "orpha", "code": "586"}])
    seed_database(fresh_db, MMN_SEED, factories.write_seed(tmp_path / "cf.yaml", [cf]))
    hpo, icd = run_imports(fresh_db)
    assert not hpo.skipped and not icd.skipped
    with make_client(fresh_db) as client:
        assert client.get("/v1/conditions/cystic-fibrosis").status_code == 404
        section = client.get("/v1/conditions/cf/symptoms").json()
        assert [g["disease"]["curie"] for g in section["annotations"]] == [
            "ORPHA:586", "OMIM:219700",
        ]  # fmt: skip
    assert all(report.skipped for report in run_imports(fresh_db))


def test_changed_name_links_raise_the_revision(fresh_db: str, tmp_path: Path) -> None:
    """A release whose D66 no longer lists 'Hemophilia A' drops that computed link, and the
    record it leaves shows a new revision."""
    run_imports(fresh_db)
    revision = select(Condition.revision).where(Condition.slug == "hemophilia-a")
    before = _scalar(fresh_db, revision)
    folder = tmp_path / "icd"
    folder.mkdir()
    text = ICD_FILES.tabular.read_text(encoding="utf-8")
    (folder / ICD_FILES.tabular.name).write_text(
        text.replace("<note>Hemophilia A</note>", "<note>Hemophilia, type A</note>"),
        encoding="utf-8",
    )
    shutil.copyfile(ICD_FILES.code_list, folder / ICD_FILES.code_list.name)
    changed = Icd10cmFiles(
        tabular=folder / ICD_FILES.tabular.name, code_list=folder / ICD_FILES.code_list.name
    )
    _, icd = run_imports(fresh_db, icd=changed)
    # Unseeded, MMN's G61.82 is a computed link too: 18 links (see test_first_import_counts),
    # and 17 once D66 loses its term.
    assert icd.counts["icd10cm_name_links"] == 17
    assert _scalar(fresh_db, revision) == before + 1  # type: ignore[operator]


def test_a_renamed_code_reaches_a_running_worker(fresh_db: str, tmp_path: Path) -> None:
    """A release that renames a linked code changes what the record shows: a new revision,
    so a worker that cached the record serves the new name and a new ETag."""
    run_imports(fresh_db)
    folder = tmp_path / "icd"
    folder.mkdir()
    text = ICD_FILES.tabular.read_text(encoding="utf-8")
    (folder / ICD_FILES.tabular.name).write_text(
        text.replace(
            "<desc>Hereditary factor VIII deficiency</desc>",
            "<desc>Hereditary deficiency of factor VIII</desc>",
        ),
        encoding="utf-8",
    )
    shutil.copyfile(ICD_FILES.code_list, folder / ICD_FILES.code_list.name)
    renamed = Icd10cmFiles(
        tabular=folder / ICD_FILES.tabular.name, code_list=folder / ICD_FILES.code_list.name
    )
    path = "/v1/conditions/hemophilia-a"
    with make_client(fresh_db) as client:
        first = client.get(path)
        assert "Hereditary factor VIII deficiency" in first.text
        run_imports(fresh_db, icd=renamed)
        after = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert after.status_code == 200
        assert "Hereditary deficiency of factor VIII" in after.text
        assert after.json()["revision"] == first.json()["revision"] + 1
