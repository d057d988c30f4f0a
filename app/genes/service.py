"""Builds gene responses; pages ask the repository for their rows."""

from collections.abc import Sequence

from fastapi import Request
from sqlalchemy.orm import Session

from app.conditions.imported import gene_ref
from app.conditions.names import display_name
from app.conditions.schemas import SourceOut
from app.core.pagination import PageParams, offset_links, page_links
from app.core.schemas import PageLinks, SelfLink
from app.core.urls import API_PREFIX, condition_path
from app.genes import repository
from app.genes.schemas import (
    GeneCondition,
    GeneConditionPage,
    GeneLinks,
    GeneRecord,
    GeneSummary,
    GeneSummaryPage,
)
from app.models import Gene
from app.terms.service import check_offset_paging


def gene_path(gene: Gene) -> str:
    return f"{API_PREFIX}/genes/NCBIGene:{gene.ncbi_id}"


def gene_summary(gene: Gene, condition_count: int) -> GeneSummary:
    ref = gene_ref(gene.symbol, gene.ncbi_id)
    path = gene_path(gene)
    return GeneSummary(
        **ref.model_dump(),
        condition_count=condition_count,
        links=GeneLinks(self=path, conditions=f"{path}/conditions", ncbi=ref.url),
    )


def gene_record(session: Session, gene: Gene) -> GeneRecord:
    count = repository.condition_counts(session, [gene.id]).get(gene.id, 0)
    source = repository.source(session, gene.source_id)
    source_out = SourceOut.model_validate(source) if source else None
    return GeneRecord(
        **gene_summary(gene, count).model_dump(),
        source=source_out,
        attributions=[source_out.attribution] if source_out and source_out.attribution else [],
    )


def _links(request: Request, offset: int, limit: int, total: int) -> PageLinks:
    next_params, prev_params = offset_links(offset, limit, total)
    return page_links(request, next_params, prev_params)


def gene_page(
    session: Session, request: Request, q: str | None, page: PageParams
) -> GeneSummaryPage:
    check_offset_paging(page)
    offset = page.offset or 0
    total = repository.count_genes(session, q)
    rows: Sequence[Gene] = repository.list_genes(session, q, page.limit, offset)
    counts = repository.condition_counts(session, [row.id for row in rows])
    return GeneSummaryPage(
        items=[gene_summary(row, counts.get(row.id, 0)) for row in rows],
        total=total,
        limit=page.limit,
        links=_links(request, offset, page.limit, total),
    )


def conditions_page(
    session: Session, request: Request, gene: Gene, page: PageParams, status: str
) -> GeneConditionPage:
    check_offset_paging(page)
    offset = page.offset or 0
    total, conditions = repository.conditions_for_gene(session, gene.id, page.limit, offset, status)
    diseases = repository.diseases_listing(session, gene.id, [row.id for row in conditions])
    return GeneConditionPage(
        items=[
            GeneCondition(
                slug=condition.slug,
                name=condition.name,
                display_name=display_name(condition.name),
                status=condition.status,
                diseases=diseases.get(condition.id, []),
                links=SelfLink(self=condition_path(condition.slug)),
            )
            for condition in conditions
        ],
        total=total,
        limit=page.limit,
        links=_links(request, offset, page.limit, total),
    )
