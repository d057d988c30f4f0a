"""Builds response schemas from loaded ORM rows; list pages also ask the repository for rows."""

from fastapi import Request
from sqlalchemy.orm import Session

from app.conditions import repository
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.items import ITEM_TYPES
from app.conditions.kinds import SECTION_INFO, SECTION_KINDS, SECTION_ORDER, SectionKind
from app.conditions.repository import ConditionFilters
from app.conditions.schemas import (
    SECTION_MODELS,
    SECTION_RESPONSE_MODELS,
    CodeOut,
    ConditionLinks,
    ConditionRecord,
    ConditionRef,
    ConditionSections,
    ConditionSummary,
    SectionKindOut,
    SectionLinks,
    SectionOut,
    SectionResponse,
    SelfLink,
    SourceOut,
)
from app.core.pagination import Cursor, PageParams, page_links
from app.core.schemas import Page
from app.models import Code, Condition, Section, SectionItem

API_PREFIX = "/v1"


def condition_path(slug: str) -> str:
    return f"{API_PREFIX}/conditions/{slug}"


def section_path(slug: str, kind: str) -> str:
    return f"{condition_path(slug)}/{kind}"


def _code(code: Code) -> CodeOut:
    info = CODE_SYSTEMS.get(code.system)  # type: ignore[call-overload]
    return CodeOut(
        system=code.system,
        code=code.code,
        curie=info.curie(code.code) if info else f"{code.system.upper()}:{code.code}",
        display=code.display,
        relation=code.relation,
        url=info.url(code.code) if info else None,
    )


def _item(kind: SectionKind, item: SectionItem) -> object:
    item_type = ITEM_TYPES[SECTION_INFO[kind].item_type]
    return item_type.model_validate(
        {"name": item.name, "description": item.description, **item.attributes}
    )


def _sorted_sections(condition: Condition) -> list[Section]:
    return sorted(condition.sections, key=lambda section: SECTION_ORDER[section.kind])


def _section_fields(slug: str, section: Section) -> dict[str, object]:
    kind = SectionKind(section.kind)
    return {
        "kind": kind,
        "title": section.title,
        "summary": section.summary,
        "items": [_item(kind, item) for item in section.items],
        "sources": [SourceOut.model_validate(source) for source in section.sources],
    }


def section_in_record(slug: str, section: Section) -> SectionOut:
    model = SECTION_MODELS[SectionKind(section.kind)]
    return model(
        **_section_fields(slug, section), links=SelfLink(self=section_path(slug, section.kind))
    )


def section_response(condition: Condition, section: Section) -> SectionResponse:
    model = SECTION_RESPONSE_MODELS[SectionKind(section.kind)]
    slug = condition.slug
    return model(
        **_section_fields(slug, section),
        condition=ConditionRef(
            slug=slug, name=condition.name, links=SelfLink(self=condition_path(slug))
        ),
        last_reviewed=condition.last_reviewed,
        updated_at=condition.updated_at,
        disclaimer=condition.disclaimer,
        links=SectionLinks(self=section_path(slug, section.kind), condition=condition_path(slug)),
    )


def condition_record(condition: Condition) -> ConditionRecord:
    sections = _sorted_sections(condition)
    slug = condition.slug
    return ConditionRecord(
        slug=slug,
        name=condition.name,
        synonyms=condition.synonyms,
        summary=condition.summary,
        status=condition.status,
        codes=[_code(code) for code in condition.codes],
        sections=ConditionSections(
            **{section.kind: section_in_record(slug, section) for section in sections}
        ),
        sources=[SourceOut.model_validate(source) for source in condition.sources],
        last_reviewed=condition.last_reviewed,
        review_due=condition.review_due,
        created_at=condition.created_at,
        updated_at=condition.updated_at,
        revision=condition.revision,
        disclaimer=condition.disclaimer,
        links=ConditionLinks(
            self=condition_path(slug),
            sections={section.kind: section_path(slug, section.kind) for section in sections},
        ),
    )


def condition_summary(condition: Condition) -> ConditionSummary:
    return ConditionSummary(
        slug=condition.slug,
        name=condition.name,
        synonyms=condition.synonyms,
        summary=condition.summary,
        status=condition.status,
        section_kinds=[SectionKind(section.kind) for section in _sorted_sections(condition)],
        last_reviewed=condition.last_reviewed,
        updated_at=condition.updated_at,
        links=SelfLink(self=condition_path(condition.slug)),
    )


def section_kinds() -> list[SectionKindOut]:
    return [
        SectionKindOut(
            kind=info.kind,
            title=info.title,
            description=info.description,
            item_type=info.item_type,
            schema_org=f"https://schema.org/{info.schema_org_aspect}"
            if info.schema_org_aspect
            else None,
        )
        for info in SECTION_KINDS
    ]


def condition_page(
    session: Session, request: Request, filters: ConditionFilters, page: PageParams
) -> Page[ConditionSummary]:
    """One page of summaries, by offset or by keyset cursor on the slug (stable under inserts)."""
    total = repository.count_conditions(session, filters)
    limit = page.limit
    if page.offset is not None:
        rows = list(repository.list_conditions(session, filters, limit, offset=page.offset))
        links = _offset_links(page.offset, limit, total)
    else:
        rows, links = _cursor_page(session, filters, limit, page.cursor)
    next_params, prev_params = links
    return Page[ConditionSummary](
        items=[condition_summary(row) for row in rows],
        total=total,
        limit=limit,
        links=page_links(request, next_params, prev_params),
    )


LinkParams = dict[str, str | int | None] | None


def _offset_links(offset: int, limit: int, total: int) -> tuple[LinkParams, LinkParams]:
    next_params: LinkParams = None
    prev_params: LinkParams = None
    if offset + limit < total:
        next_params = {"offset": offset + limit, "cursor": None}
    if offset >= total > 0:
        # Past the end: back to the last page that has rows.
        prev_params = {"offset": max(total - limit, 0), "cursor": None}
    elif offset > 0:
        prev_params = {"offset": max(offset - limit, 0), "cursor": None}
        if offset < limit:  # a shorter first page, so it does not overlap this one
            prev_params["limit"] = offset
    return next_params, prev_params


def _cursor_page(
    session: Session, filters: ConditionFilters, limit: int, cursor: Cursor | None
) -> tuple[list[Condition], tuple[LinkParams, LinkParams]]:
    backwards = cursor is not None and cursor.direction == "before"
    rows = list(repository.list_conditions(session, filters, limit + 1, cursor=cursor))
    more = len(rows) > limit  # one row beyond the page, in the direction of travel
    rows = rows[-limit:] if backwards else rows[:limit]
    next_cursor = prev_cursor = None
    if rows:
        first, last = Cursor("before", rows[0].slug), Cursor("after", rows[-1].slug)
        if backwards:
            has_next, has_prev = repository.exists_beyond(session, filters, last), more
        else:
            has_next, has_prev = more, repository.exists_beyond(session, filters, first)
        next_cursor = last if has_next else None
        prev_cursor = first if has_prev else None
    elif cursor is not None:
        # An empty page (its rows deleted meanwhile, or a hand-made cursor): point back across
        # the cursor's key so the client is never stranded.
        across = Cursor("after" if backwards else "before", cursor.key, inclusive=True)
        if repository.exists_beyond(session, filters, across):
            next_cursor, prev_cursor = (across, None) if backwards else (None, across)
    return rows, (
        {"cursor": next_cursor.encode(), "offset": None} if next_cursor else None,
        {"cursor": prev_cursor.encode(), "offset": None} if prev_cursor else None,
    )
