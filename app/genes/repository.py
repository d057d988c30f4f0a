"""Every SELECT of the genes domain: look-ups by symbol or NCBI id, the gene list, and the
reverse look-up of the conditions that list a gene."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.conditions.status import DEFAULT_STATUS, shown
from app.models import Condition, ConditionGene, Gene, Source


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


MAX_NCBI_ID = 2**31 - 1  # genes.ncbi_id is a 32-bit integer (NCBI's ids are below 10^9)


def get_gene(session: Session, key: str) -> Gene | None:
    """By `NCBIGene:<id>` (any case of the prefix), else by symbol in any case."""
    prefix, _, number = key.partition(":")
    if number and prefix.lower() == "ncbigene":
        if int(number) > MAX_NCBI_ID:  # beyond the column's integers: no such gene
            return None
        return session.scalar(select(Gene).where(Gene.ncbi_id == int(number)))
    query = select(Gene).where(func.lower(Gene.symbol) == key.lower()).order_by(Gene.ncbi_id)
    return session.scalars(query.limit(1)).first()


def _matching(q: str | None) -> list[ColumnElement[bool]]:
    if q is None:
        return []
    return [func.lower(Gene.symbol).like(f"{_like(q.lower())}%", escape="\\")]


def list_genes(session: Session, q: str | None, limit: int, offset: int) -> Sequence[Gene]:
    """Genes by symbol (those without one last, by NCBI id)."""
    query = (
        select(Gene)
        .where(*_matching(q))
        .order_by(Gene.symbol.is_(None), Gene.symbol, Gene.ncbi_id)
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(query).all()


def count_genes(session: Session, q: str | None) -> int:
    return session.scalar(select(func.count()).select_from(Gene).where(*_matching(q))) or 0


def condition_counts(
    session: Session, gene_ids: Sequence[int], status: str = DEFAULT_STATUS.value
) -> dict[int, int]:
    """How many conditions (of this status) list each gene."""
    if not gene_ids:
        return {}
    query = (
        select(ConditionGene.gene_id, func.count(func.distinct(ConditionGene.condition_id)))
        .join(Condition, Condition.id == ConditionGene.condition_id)
        .where(ConditionGene.gene_id.in_(gene_ids), shown(status))
        .group_by(ConditionGene.gene_id)
    )
    return {gene_id: count for gene_id, count in session.execute(query)}


def conditions_for_gene(
    session: Session, gene_id: int, limit: int, offset: int, status: str = DEFAULT_STATUS.value
) -> tuple[int, Sequence[Condition]]:
    """The conditions listing the gene, in slug order: the total and one page."""
    listing = select(ConditionGene.condition_id).where(ConditionGene.gene_id == gene_id)
    where = (Condition.id.in_(listing), shown(status))
    total = session.scalar(select(func.count()).select_from(Condition).where(*where)) or 0
    rows = session.scalars(
        select(Condition).where(*where).order_by(Condition.slug).limit(limit).offset(offset)
    )
    return total, rows.all()


def diseases_listing(
    session: Session, gene_id: int, condition_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The disease ids of each of these conditions that list the gene, in the record's order."""
    if not condition_ids:
        return {}
    query = (
        select(ConditionGene.condition_id, ConditionGene.disease_code)
        .where(ConditionGene.gene_id == gene_id, ConditionGene.condition_id.in_(condition_ids))
        .order_by(ConditionGene.condition_id, ConditionGene.position)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for condition_id, disease in session.execute(query):
        found[condition_id].append(disease)
    return found


def source(session: Session, source_id: int) -> Source | None:
    return session.get(Source, source_id)
