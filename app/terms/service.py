"""Builds term responses; pages of reverse look-ups ask the repository for their rows."""

from collections import defaultdict

from fastapi import Request
from sqlalchemy.orm import Session

from app.conditions.names import display_name
from app.conditions.schemas import PhenotypeFrequency, SourceOut
from app.core.errors import InvalidParameter
from app.core.pagination import PageParams, page_links
from app.core.schemas import PageLinks, SelfLink
from app.core.urls import API_PREFIX, condition_path
from app.models import Term
from app.terms import repository
from app.terms.schemas import (
    Synonym,
    TermCondition,
    TermConditionPage,
    TermConditionRecord,
    TermLinks,
    TermMatch,
    TermRecord,
    TermSummary,
    TermSummaryPage,
)

COLLECTIONS = {"symptom": "symptoms", "drug": "drugs"}


def term_path(term: Term) -> str:
    return f"{API_PREFIX}/{COLLECTIONS[term.kind]}/{term.code or term.slug}"


def term_summary(term: Term) -> TermSummary:
    path = term_path(term)
    return TermSummary(
        kind=term.kind,
        slug=term.slug,
        name=term.name,
        display_name=display_name(term.name),
        code=term.code,
        links=TermLinks(self=path, conditions=f"{path}/conditions"),
    )


def term_record(session: Session, term: Term) -> TermRecord:
    source = repository.source(session, term.source_id)
    source_out = SourceOut.model_validate(source) if source else None
    return TermRecord(
        **term_summary(term).model_dump(),
        definition=term.definition,
        synonyms=[Synonym(**synonym) for synonym in term.synonyms],
        parents=[term_summary(parent) for parent in repository.parents(session, term.id)],
        children=[term_summary(child) for child in repository.children(session, term.id)],
        source=source_out,
        attributions=[source_out.attribution] if source_out and source_out.attribution else [],
        condition=TermConditionRecord(
            slug=linked[0], name=linked[1], links=SelfLink(self=condition_path(linked[0]))
        )
        if (linked := repository.condition_of_term(session, term.id))
        else None,
    )


def check_offset_paging(page: PageParams) -> None:
    if page.cursor is not None:
        raise InvalidParameter(
            "This list pages with offset; follow its links.next.",
            errors=[
                {"loc": ["query", "cursor"], "msg": "not supported here", "type": "cursor_invalid"}
            ],
        )


def _offset(page: PageParams) -> int:
    check_offset_paging(page)
    return page.offset or 0


def _links(request: Request, offset: int, limit: int, total: int) -> PageLinks:
    next_params: dict[str, str | int | None] | None = (
        {"offset": offset + limit} if offset + limit < total else None
    )
    prev_params: dict[str, str | int | None] | None = (
        {"offset": max(offset - limit, 0)} if offset > 0 else None
    )
    return page_links(request, next_params, prev_params)


def term_page(
    session: Session, request: Request, kind: str, q: str | None, page: PageParams
) -> TermSummaryPage:
    offset = _offset(page)
    total = repository.count_terms(session, kind, q)
    rows = repository.list_terms(session, kind, q, page.limit, offset)
    return TermSummaryPage(
        items=[term_summary(row) for row in rows],
        total=total,
        limit=page.limit,
        links=_links(request, offset, page.limit, total),
    )


def conditions_page(
    session: Session,
    request: Request,
    term: Term,
    include_descendants: bool,
    page: PageParams,
    status: str,
) -> TermConditionPage:
    offset = _offset(page)
    total, conditions = repository.conditions_for_term(
        session, term.id, include_descendants, page.limit, offset, status
    )
    found, totals = repository.matches(
        session, term.id, include_descendants, [condition.id for condition in conditions]
    )
    by_condition: dict[int, list[TermMatch]] = defaultdict(list)
    for match in found:
        by_condition[match.condition_id].append(
            TermMatch(
                code=match.term_code,
                name=match.term_name,
                via="section" if match.section_kind else "annotation",
                disease=match.disease_code,
                section=match.section_kind,
                frequency=PhenotypeFrequency(**match.frequency) if match.frequency else None,
            )
        )
    return TermConditionPage(
        items=[
            TermCondition(
                slug=condition.slug,
                name=condition.name,
                display_name=display_name(condition.name),
                status=condition.status,
                links=SelfLink(self=condition_path(condition.slug)),
                match_count=totals.get(condition.id, 0),
                matches=by_condition[condition.id],
            )
            for condition in conditions
        ],
        total=total,
        limit=page.limit,
        links=_links(request, offset, page.limit, total),
    )
