"""Builds response schemas from loaded ORM rows; list pages also ask the repository for rows."""

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from app.conditions import repository
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.imported import (
    SUMMARY_COMPOSERS,
    ImportedContent,
    composed_symptoms_summary,
    imported_items,
)
from app.conditions.items import FactItem
from app.conditions.names import display_name
from app.conditions.repository import ConditionFilters
from app.conditions.schemas import (
    SECTION_MODELS,
    SECTION_RESPONSE_MODELS,
    CodeOut,
    CodeSource,
    ConditionLinks,
    ConditionRecord,
    ConditionRef,
    ConditionSections,
    ConditionSummary,
    ConditionSummaryPage,
    SectionKindOut,
    SectionLinks,
    SectionOut,
    SectionResponse,
    SlugNotFound,
    SourceOut,
    SymptomItemOut,
    item_out_type,
)
from app.core.pagination import Cursor, LinkParams, PageParams, offset_links, page_links
from app.core.schemas import SelfLink
from app.core.urls import condition_path, section_path, symptom_path
from app.models import Code, Condition, Section, SectionItem
from app.models.kinds import SECTION_INFO, SECTION_KINDS, SECTION_ORDER, SectionKind


def _code(code: Code) -> CodeOut:
    info = CODE_SYSTEMS.get(code.system)  # type: ignore[call-overload]
    return CodeOut(
        system=code.system,
        code=code.code,
        curie=info.curie(code.code) if info else f"{code.system.upper()}:{code.code}",
        display=code.display,
        relation=code.relation,
        provenance=code.provenance or "curated",
        url=info.url(code.code) if info else None,
        source=CodeSource(title=code.source.title, version=code.source.version)
        if code.source_id is not None and code.source is not None
        else None,
    )


# The code system of the codes that terms of a kind carry (the HPO's, for symptoms).
_TERM_CODE_SYSTEMS = {"symptom": "hpo"}


def _term_codes(item: SectionItem) -> list[dict[str, object]]:
    """The code of the shared term an editor's item is linked to, as the item's codes say it."""
    term = item.term
    system = _TERM_CODE_SYSTEMS.get(term.kind) if term is not None else None
    if term is None or system is None or not term.code:
        return []
    return [{"system": system, "code": term.code, "display": term.name}]


def _item(kind: SectionKind, item: SectionItem) -> object:
    """An editor's item: its written fields, plus the code of the term it is linked to."""
    item_type = item_out_type(kind)
    fields = {"name": item.name, "description": item.description, **item.attributes}
    if "codes" in item_type.model_fields:
        written = list(fields.get("codes") or [])
        known = {(code["system"], code["code"]) for code in written}
        linked = [c for c in _term_codes(item) if (c["system"], c["code"]) not in known]
        fields["codes"] = written + linked
    if "provenance" in item_type.model_fields:
        fields["provenance"] = "curated"
    return item_type.model_validate({**fields, "display_name": display_name(item.name)})


def summary_fields(condition: Condition) -> dict[str, Any]:
    """The summary a record shows, with its kind and sources: editors' always wins, else the
    one the imports keep (app/importers/summaries.py)."""
    if condition.summary is not None:
        return {"summary": condition.summary, "summary_source": "editorial", "summary_sources": []}
    return {
        "summary": condition.derived_summary,
        "summary_source": condition.derived_summary_kind,
        "summary_sources": [
            CodeSource(title=source["title"], version=source.get("version"))
            for source in condition.derived_summary_sources or []
        ],
    }


def _attributions(*source_lists: list[SourceOut]) -> list[str]:
    texts = [source.attribution for sources in source_lists for source in sources]
    return list(dict.fromkeys(text for text in texts if text))


def _merged(*source_lists: list[SourceOut]) -> list[SourceOut]:
    unique: dict[tuple[str, str | None], SourceOut] = {}
    for sources in source_lists:
        for source in sources:
            unique.setdefault((source.title, source.version), source)
    return list(unique.values())


def _listed(item: FactItem, codes: set[str]) -> bool:
    own = getattr(item, "codes", [])
    return bool(own) and own[0].code in codes


def _section_fields(
    kind: SectionKind, section: Section | None, content: ImportedContent
) -> dict[str, object]:
    """A section's fields: editors' items, then the imported items of its kind; a section with
    no editors' row is built from the imported content alone."""
    items = [_item(kind, item) for item in section.items] if section else []
    summary = section.summary if section else None
    fields: dict[str, object] = {
        "kind": kind,
        "title": section.title if section else SECTION_INFO[kind].title,
        "summary": summary,
        "summary_provenance": "curated" if summary is not None else None,
        "items": items,
    }
    own = [SourceOut.model_validate(source) for source in section.sources] if section else []
    imported = imported_items(kind, content)
    # A feature an editor's item already names (by its code) is not listed twice.
    listed = {code.code for item in items for code in getattr(item, "codes", [])}
    fields["items"] = items + [item for item in imported if not _listed(item, listed)]
    if kind == SectionKind.SYMPTOMS:
        if summary is None and imported:
            fields["summary"] = composed_symptoms_summary(
                [item for item in imported if isinstance(item, SymptomItemOut)]
            )
            fields["summary_provenance"] = "composed"
        fields["annotations"] = content.served_groups
    elif summary is None and imported and (compose := SUMMARY_COMPOSERS.get(kind)):
        fields["summary"] = compose(imported)
        fields["summary_provenance"] = "composed"
    # The imported sources this section shows content of (for symptoms: those of its groups).
    cited = {source.title for item in imported if (source := getattr(item, "source", None))}
    if kind == SectionKind.SYMPTOMS:
        cited |= {group.source.title for group in content.served_groups}
    fields["sources"] = _merged(
        own, [source for source in content.sources if source.title in cited]
    )
    return fields


def section_in_record(
    slug: str, kind: SectionKind, section: Section | None, content: ImportedContent
) -> SectionOut:
    return SECTION_MODELS[kind](
        **_section_fields(kind, section, content),
        links=SelfLink(self=section_path(slug, kind.value)),
    )


def section_response(
    condition: Condition, kind: SectionKind, section: Section | None, content: ImportedContent
) -> SectionResponse:
    slug = condition.slug
    fields = _section_fields(kind, section, content)
    return SECTION_RESPONSE_MODELS[kind](
        **fields,
        condition=ConditionRef(
            slug=slug,
            name=condition.name,
            display_name=display_name(condition.name),
            links=SelfLink(self=condition_path(slug)),
        ),
        last_reviewed=condition.last_reviewed,
        updated_at=condition.updated_at,
        disclaimer=condition.disclaimer,
        attributions=_attributions(fields["sources"]),  # type: ignore[arg-type]
        links=SectionLinks(self=section_path(slug, kind.value), condition=condition_path(slug)),
    )


def condition_record(condition: Condition, content: ImportedContent) -> ConditionRecord:
    slug = condition.slug
    rows = {SectionKind(section.kind): section for section in condition.sections}
    kinds = section_kinds_of(condition)
    sources = _merged(
        [SourceOut.model_validate(source) for source in condition.sources], content.sources
    )
    return ConditionRecord(
        slug=slug,
        name=condition.name,
        display_name=display_name(condition.name),
        synonyms=condition.synonyms,
        consumer_names=condition.consumer_names or [],
        **summary_fields(condition),
        status=condition.status,
        codes=[_code(code) for code in condition.codes],
        sections=ConditionSections(
            **{kind.value: section_in_record(slug, kind, rows.get(kind), content) for kind in kinds}
        ),
        sources=sources,
        last_reviewed=condition.last_reviewed,
        review_due=condition.review_due,
        created_at=condition.created_at,
        updated_at=condition.updated_at,
        revision=condition.revision,
        disclaimer=condition.disclaimer,
        attributions=_attributions(sources),
        links=ConditionLinks(
            self=condition_path(slug),
            sections={kind.value: section_path(slug, kind.value) for kind in kinds},
            term=symptom_path(content.term_code) if content.term_code else None,
            feature_of=f"{symptom_path(content.term_code)}/conditions"
            if content.term_code
            else None,
        ),
    )


def section_kinds_of(condition: Condition) -> list[SectionKind]:
    """The kinds a record shows: its editors' sections, and those the imports give it items
    of (kept on the row by the imports, so lists need not load them)."""
    kinds = {SectionKind(section.kind) for section in condition.sections}
    kinds |= {SectionKind(kind) for kind in condition.imported_kinds or []}
    return sorted(kinds, key=lambda kind: SECTION_ORDER[kind.value])


def condition_summary(condition: Condition) -> ConditionSummary:
    return ConditionSummary(
        slug=condition.slug,
        name=condition.name,
        display_name=display_name(condition.name),
        synonyms=condition.synonyms,
        **summary_fields(condition),
        status=condition.status,
        section_kinds=section_kinds_of(condition),
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
) -> ConditionSummaryPage:
    """One page of summaries, by offset or by keyset cursor on the slug (stable under inserts)."""
    total = repository.count_conditions(session, filters)
    limit = page.limit
    if page.offset is not None:
        rows = list(repository.list_conditions(session, filters, limit, offset=page.offset))
        links = offset_links(page.offset, limit, total)
    else:
        rows, links = _cursor_page(session, filters, limit, page.cursor)
    next_params, prev_params = links
    return ConditionSummaryPage(
        items=[condition_summary(row) for row in rows],
        total=total,
        limit=limit,
        links=page_links(request, next_params, prev_params),
        not_found=_not_found(session, filters) if filters.slugs else None,
    )


def _not_found(session: Session, filters: ConditionFilters) -> list[SlugNotFound]:
    """The slugs of a batch read that no listed record has, each with the slug its record has
    now when it was renamed."""
    listed = set(repository.listed_slugs(session, filters))
    missing = [slug for slug in filters.slugs if slug not in listed]
    renamed = repository.redirect_targets(session, missing)
    return [SlugNotFound(slug=slug, renamed_to=renamed.get(slug)) for slug in missing]


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
