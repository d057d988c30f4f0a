"""Importing the HPO release and ICD-10-CM (fixture cuts of the real files), on both engines."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from app.importers.files import HpoFiles
from app.importers.hpo_files import HpoFileError
from app.models import Condition, PhenotypeAnnotation, SourceImport, Term
from tests.conftest import seed_database
from tests.importers.conftest import HPO_FILES, run_imports
from tests.seeding.test_loader import snapshot

# Facts of the fixture files (tests/fixtures/README.md).
DISEASES = 25
MERGED_PAIRS = 6  # OMIM and ORPHA ids whose names normalise alike
ANNOTATION_ROWS = 419
LIVE_TERMS = 823


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
    # 19 groups: 18 new records, and ORPHA:641 joins the seeded MMN record.
    assert hpo.counts["conditions"] == DISEASES - MERGED_PAIRS
    assert hpo.counts["conditions_created"] == DISEASES - MERGED_PAIRS - 1
    assert hpo.counts["joined_existing_records"] == 1
    assert hpo.counts["annotations"] == ANNOTATION_ROWS
    assert hpo.counts["terms"] == LIVE_TERMS
    assert icd.counts["code_entries"] == 35
    # Miller Fisher (G61.0), CF (E84), hemophilia A and B (D66, D67), Dubin-Johnson (E80.6),
    # porphyria cutanea tarda (E80.1), hereditary coproporphyria (E80.29). MMN already has
    # G61.82 from its editors, so it gets no computed copy.
    assert icd.counts["icd10cm_name_links"] == 7
    assert _scalar(fresh_db, select(func.count()).select_from(Condition)) == 19
    assert _scalar(fresh_db, select(func.count()).select_from(PhenotypeAnnotation)) == 419
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
    return HpoFiles(ontology=tmp_path / "hp.obo", annotations=path)


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
