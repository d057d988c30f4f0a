"""The genes import writes only what differs: a re-run of the same pairs changes nothing, a
release dropping one gene of one disease changes that record alone, and a gene's new symbol
changes the records listing it, keeping the gene's row. Both engines."""

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from app.importers.files import HpoFiles
from app.models import Condition, ConditionGene, Gene
from tests.helpers import HPO_FILES, make_client, run_imports, seed_database, snapshot


def _rows(url: str, query: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()


def _heads(url: str) -> dict[str, tuple[Any, ...]]:
    query = select(Condition.slug, Condition.revision, Condition.updated_at)
    return {row[0]: tuple(row[1:]) for row in _rows(url, query)}


def _release(tmp_path: Path, genes: str) -> HpoFiles:
    """The fixture release with another genes file (the other files copied, so the import's
    checksum sees only that change)."""
    copies = {}
    for name, path in (("ontology", HPO_FILES.ontology), ("annotations", HPO_FILES.annotations)):
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies[name] = copy
    path = tmp_path / "genes_to_phenotype.txt"
    path.write_text(genes, encoding="utf-8")
    return replace(HPO_FILES, genes=path, **copies)


def _lines() -> list[str]:
    return HPO_FILES.genes.read_text(encoding="utf-8").splitlines(keepends=True)


def test_the_same_pairs_again_write_nothing(fresh_db: str, tmp_path: Path) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    before = snapshot(fresh_db, exclude=("source_imports",))
    heads = _heads(fresh_db)
    # Another file (a row repeated), the same (gene, disease) pairs: the import runs.
    lines = _lines()
    hpo, _ = run_imports(fresh_db, hpo=_release(tmp_path, "".join([*lines, lines[-1]])))
    assert not hpo.skipped
    assert hpo.counts["genes"] == 33 and hpo.counts["gene_disease_pairs"] == 37
    assert hpo.counts["genes_written"] == 0 and hpo.counts["records_with_new_genes"] == 0
    assert hpo.counts["records_changed"] == 0 and hpo.counts["revisions_written"] == 0
    assert snapshot(fresh_db, exclude=("source_imports",)) == before
    assert _heads(fresh_db) == heads


def test_a_release_dropping_one_gene_of_one_disease_changes_that_record_alone(
    fresh_db: str, tmp_path: Path
) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    heads = _heads(fresh_db)
    # TGFB1 stays listed for ORPHA:586; only OMIM:219700's rows of it go.
    kept = [line for line in _lines() if not (line.startswith("7040\t") and "OMIM:219700" in line)]
    assert len(kept) < len(_lines())
    hpo, _ = run_imports(fresh_db, hpo=_release(tmp_path, "".join(kept)))
    assert hpo.counts["records_with_new_genes"] == 1 and hpo.counts["records_changed"] == 1
    after = _heads(fresh_db)
    assert {slug for slug in heads if after[slug] != heads[slug]} == {"cystic-fibrosis"}
    assert after["cystic-fibrosis"][0] == heads["cystic-fibrosis"][0] + 1
    with make_client(fresh_db) as client:
        items = client.get("/v1/conditions/cystic-fibrosis/causes").json()["items"]
        tgfb1 = next(item for item in items if item["name"] == "TGFB1")
        assert tgfb1["diseases"] == ["ORPHA:586"]
        history = client.get("/v1/conditions/cystic-fibrosis/revisions").json()["items"]
        change = client.get(history[0]["links"]["self"]).json()["change"]
        # TGFB1, now listed by one disease id, no longer comes second in the composed summary.
        assert change["changed"] == ["genes", "summary"]


def test_a_new_symbol_keeps_the_gene_and_changes_its_records(fresh_db: str, tmp_path: Path) -> None:
    seed_database(fresh_db)
    run_imports(fresh_db)
    heads = _heads(fresh_db)
    [(gene_id,)] = _rows(fresh_db, select(Gene.id).where(Gene.symbol == "ABCC2"))
    renamed = "".join(line.replace("\tABCC2\t", "\tABCC2X\t") for line in _lines())
    hpo, _ = run_imports(fresh_db, hpo=_release(tmp_path, renamed))
    assert hpo.counts["genes_written"] == 1 and hpo.counts["records_with_new_genes"] == 0
    after = _heads(fresh_db)
    assert {slug for slug in heads if after[slug] != heads[slug]} == {"dubin-johnson-syndrome"}
    assert _rows(fresh_db, select(Gene.id).where(Gene.symbol == "ABCC2X")) == [(gene_id,)]
    assert (
        len(_rows(fresh_db, select(ConditionGene.gene_id).where(ConditionGene.gene_id == gene_id)))
        == 2
    )
    with make_client(fresh_db) as client:
        assert client.get("/v1/genes/abcc2x").json()["ncbi_id"] == 1244
        assert client.get("/v1/genes/ABCC2").status_code == 404
        items = client.get("/v1/conditions/dubin-johnson-syndrome/causes").json()["items"]
        assert "ABCC2X" in [item["name"] for item in items]
