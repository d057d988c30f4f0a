"""The HPO's gene annotations (genes_to_phenotype.txt) as genes and their records: one `genes`
row per NCBI Gene id (its symbol kept up to date), one `condition_genes` row per gene and
disease id of a record. The file states associations, not proven causes, and no type of
association, so nothing more is stored.

Compared with what is stored: genes by NCBI id, a record's gene rows as a whole; only what
differs is written, and the records whose genes (or a gene's symbol) changed are marked."""

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.importers import repository
from app.importers.changeset import ImportChanges
from app.importers.files import HpoFiles
from app.importers.hpo_files import read_gene_annotations
from app.models import ConditionGene, Gene
from app.models.kinds import disease_id_order

GeneRow = tuple[int, str, int, int]  # (gene id, disease id, position, source id)


def _sync_genes(
    session: Session, symbols: dict[int, str | None], source_id: int
) -> tuple[dict[int, int], set[int], int]:
    """Insert new genes and bring symbols up to date. Returns {NCBI id: gene id} of every gene
    stored, the ids of genes whose symbol changed, and how many rows were written."""
    stored = {
        row.ncbi_id: (row.id, row.symbol, row.source_id)
        for row in session.execute(select(Gene.id, Gene.ncbi_id, Gene.symbol, Gene.source_id))
    }
    new = [
        {"ncbi_id": ncbi_id, "symbol": symbol, "source_id": source_id}
        for ncbi_id, symbol in symbols.items()
        if ncbi_id not in stored
    ]
    repository.insert_rows(session, Gene, new)
    changed = [
        {"id": gene_id, "symbol": symbols[ncbi_id], "source_id": source_id}
        for ncbi_id, (gene_id, symbol, stored_source) in stored.items()
        if ncbi_id in symbols and (symbol != symbols[ncbi_id] or stored_source != source_id)
    ]
    for batch in repository.batches(changed):
        session.execute(update(Gene), batch)
    renamed = {
        gene_id
        for ncbi_id, (gene_id, symbol, _) in stored.items()
        if ncbi_id in symbols and symbol != symbols[ncbi_id]
    }
    ids = {ncbi_id: gene_id for ncbi_id, (gene_id, _, _) in stored.items()}
    if new:
        query = select(Gene.ncbi_id, Gene.id).where(Gene.ncbi_id.in_([r["ncbi_id"] for r in new]))
        ids |= {ncbi_id: gene_id for ncbi_id, gene_id in session.execute(query)}
    return ids, renamed, len(new) + len(changed)


def _stored_rows(session: Session) -> dict[int, set[GeneRow]]:
    rows: dict[int, set[GeneRow]] = defaultdict(set)
    query = select(
        ConditionGene.condition_id,
        ConditionGene.gene_id,
        ConditionGene.disease_code,
        ConditionGene.position,
        ConditionGene.source_id,
    )
    for condition_id, *row in session.execute(query):
        rows[condition_id].add(tuple(row))  # type: ignore[arg-type]
    return rows


def import_genes(
    session: Session,
    files: HpoFiles,
    condition_of: dict[str, int],
    source_id: int,
    changes: ImportChanges,
) -> dict[str, int]:
    """Genes and each record's gene rows as the release has them. `condition_of` maps each
    disease id to the record carrying it (app/importers/hpo_diseases.py)."""
    release = read_gene_annotations(files.genes)
    ids, renamed, genes_written = _sync_genes(session, release.symbols, source_id)
    symbols = release.symbols
    by_condition: dict[int, list[tuple[str, int]]] = defaultdict(list)
    unplaced = 0
    for ncbi_id, disease in release.pairs:
        condition_id = condition_of.get(disease)
        if condition_id is None:  # a disease id the phenotype annotations lack
            unplaced += 1
            continue
        by_condition[condition_id].append((disease, ncbi_id))
    wanted: dict[int, set[GeneRow]] = {}
    for condition_id, pairs in by_condition.items():
        # The record's disease ids in its order (Orphanet, OMIM, DECIPHER), genes by symbol.
        ordered = sorted(pairs, key=lambda p: (disease_id_order(p[0]), symbols[p[1]] or "", p[1]))
        wanted[condition_id] = {
            (ids[ncbi_id], disease, position, source_id)
            for position, (disease, ncbi_id) in enumerate(ordered, start=1)
        }
    stored = _stored_rows(session)
    differ = sorted(
        condition_id
        for condition_id in wanted.keys() | stored.keys()
        if wanted.get(condition_id, set()) != stored.get(condition_id, set())
    )
    for batch in repository.id_batches(differ):
        session.execute(delete(ConditionGene).where(ConditionGene.condition_id.in_(batch)))
    columns = ("gene_id", "disease_code", "position", "source_id")
    rows: list[dict[str, Any]] = [
        {"condition_id": condition_id, **dict(zip(columns, row, strict=True))}
        for condition_id in differ
        for row in sorted(wanted.get(condition_id, set()), key=lambda r: r[2])
    ]
    repository.insert_rows(session, ConditionGene, rows)
    changes.mark(differ, "genes")
    # A gene's new symbol shows in every record listing it.
    if renamed:
        listing = {
            condition_id
            for condition_id, gene_rows in wanted.items()
            if any(row[0] in renamed for row in gene_rows)
        }
        changes.mark(listing, "genes")
    gone = [gene_id for ncbi_id, gene_id in ids.items() if ncbi_id not in symbols]
    for batch in repository.id_batches(sorted(gone)):
        session.execute(delete(Gene).where(Gene.id.in_(batch)))
    return {
        "genes": len(symbols),
        "genes_written": genes_written + len(gone),
        "gene_disease_pairs": len(release.pairs),
        "gene_pairs_without_record": unplaced,
        "records_with_genes": len(wanted),
        "records_with_new_genes": len(differ),
    }
