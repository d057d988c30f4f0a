"""Builds response schemas from loaded ORM rows; list pages also ask the repository for rows."""

from collections import defaultdict
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.orm import Session

from app.conditions import repository
from app.conditions.code_systems import CODE_SYSTEMS
from app.conditions.items import CodeRef, Frequency
from app.conditions.kinds import SECTION_INFO, SECTION_KINDS, SECTION_ORDER, SectionKind
from app.conditions.names import display_name
from app.conditions.repository import AnnotationRow, ConditionFilters
from app.conditions.schemas import (
    ITEM_OUT_TYPES,
    SECTION_MODELS,
    SECTION_RESPONSE_MODELS,
    AnnotationGroup,
    CodeOut,
    CodeSource,
    ConditionLinks,
    ConditionRecord,
    ConditionRef,
    ConditionSections,
    ConditionSummary,
    DiseaseRef,
    Phenotype,
    PhenotypeFrequency,
    PhenotypeOnset,
    SectionKindOut,
    SectionLinks,
    SectionOut,
    SectionResponse,
    SelfLink,
    SourceOut,
    SymptomItemOut,
    TermLinks,
)
from app.core.pagination import Cursor, LinkParams, PageParams, offset_links, page_links
from app.core.schemas import Page
from app.models import Code, Condition, Section, SectionItem, Source

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
    item_type = ITEM_OUT_TYPES[SECTION_INFO[kind].item_type]
    fields = {"name": item.name, "description": item.description, **item.attributes}
    if "codes" in item_type.model_fields:
        written = list(fields.get("codes") or [])
        known = {(code["system"], code["code"]) for code in written}
        linked = [c for c in _term_codes(item) if (c["system"], c["code"]) not in known]
        fields["codes"] = written + linked
    if item_type is SymptomItemOut:
        fields["provenance"] = "curated"
    return item_type.model_validate({**fields, "display_name": display_name(item.name)})


def _informative(frequency: PhenotypeFrequency | None) -> tuple[int, float, int]:
    """Sorts the frequencies of one feature most informative first: the narrowest range of
    percentages, then the most patients studied; a bare label, then none, last."""
    if frequency is None:
        return (2, 0.0, 0)
    low, high = frequency.lower_percent, frequency.upper_percent
    if low is None or high is None:
        return (1, 0.0, 0)
    return (0, high - low, -(frequency.m or 0))


def _imported_symptom(listings: list[tuple[AnnotationGroup, Phenotype]]) -> SymptomItemOut:
    """One present feature of the annotations, from every disease id that lists it."""
    first = listings[0][1]
    frequency = min((phenotype.frequency for _, phenotype in listings), key=_informative)
    onset = next((phenotype.onset for _, phenotype in listings if phenotype.onset), None)
    source = listings[0][0].source
    return SymptomItemOut(
        name=first.name,
        display_name=display_name(first.name),
        frequency=Frequency.model_validate(
            frequency.model_dump(include={"label", "lower_percent", "upper_percent", "code"})
        )
        if frequency
        else None,
        onset=(onset.name or onset.code) if onset else None,
        codes=[CodeRef(system="hpo", code=first.hpo_id, display=first.name)],
        provenance="source",
        diseases=list(dict.fromkeys(group.disease.curie for group, _ in listings)),
        source=CodeSource(title=source.title, version=source.version),
    )


def imported_symptoms(groups: list[AnnotationGroup]) -> list[SymptomItemOut]:
    """The present features of the annotation groups as symptom items: one per HPO term, in
    the groups' order."""
    by_term: dict[str, list[tuple[AnnotationGroup, Phenotype]]] = defaultdict(list)
    for group in groups:
        for phenotype in group.present:
            by_term[phenotype.hpo_id].append((group, phenotype))
    return [_imported_symptom(listings) for listings in by_term.values()]


def _composed_summary(items: list[SymptomItemOut]) -> str:
    """What the record carries about its imported features, and nothing more."""
    diseases = list(dict.fromkeys(disease for item in items for disease in item.diseases))
    titles = list(dict.fromkeys(item.source.title for item in items if item.source))
    named = " and ".join(f'"{title}"' for title in titles)
    sources = "The source {} lists" if len(titles) == 1 else "The sources {} list"
    features = "feature" if len(items) == 1 else "features"
    return f"{sources.format(named)} {len(items)} phenotypic {features} for {', '.join(diseases)}."


def section_kinds_of(condition: Condition) -> list[SectionKind]:
    """The kinds a record shows: its sections, and symptoms when it has imported phenotypes."""
    kinds = {SectionKind(section.kind) for section in condition.sections}
    if condition.annotation_count:
        kinds.add(SectionKind.SYMPTOMS)
    return sorted(kinds, key=lambda kind: SECTION_ORDER[kind.value])


@dataclass(frozen=True)
class Annotations:
    """A record's imported phenotype annotations, grouped by the disease id that states them."""

    groups: list[AnnotationGroup] = field(default_factory=list)
    sources: list[SourceOut] = field(default_factory=list)


def _phenotype(row: AnnotationRow) -> Phenotype:
    annotation = row.annotation
    return Phenotype(
        hpo_id=row.hpo_id,
        name=row.name,
        frequency=PhenotypeFrequency(**annotation.frequency) if annotation.frequency else None,
        onset=PhenotypeOnset(**annotation.onset) if annotation.onset else None,
        evidence=annotation.evidence,
        references=annotation.references,
        sex=annotation.sex,
        modifiers=annotation.modifiers,
        links=TermLinks(term=f"{API_PREFIX}/symptoms/{row.hpo_id}"),
    )


def annotations_of(rows: list[AnnotationRow], sources: dict[int, Source]) -> Annotations:
    by_disease: dict[str, list[AnnotationRow]] = defaultdict(list)
    for row in rows:
        by_disease[row.annotation.disease_code].append(row)
    groups = []
    # Orphanet's group first, then OMIM's, then DECIPHER's, as the record names its codes.
    rank = {"ORPHA": 0, "OMIM": 1, "DECIPHER": 2}
    ordered = sorted(by_disease.items(), key=lambda item: rank.get(item[0].partition(":")[0], 9))
    for disease, members in ordered:
        prefix, _, number = disease.partition(":")
        system = prefix.lower()
        info = CODE_SYSTEMS.get(system)  # type: ignore[call-overload]
        lists: dict[str, list[Phenotype]] = defaultdict(list)
        for row in members:
            annotation = row.annotation
            # A NOT row is an excluded feature whatever its aspect (some are past history, H).
            bucket = "excluded" if annotation.excluded else {
                "P": "present", "I": "inheritance", "C": "clinical_course"
            }.get(annotation.aspect, "other")  # fmt: skip
            lists[bucket].append(_phenotype(row))
        groups.append(
            AnnotationGroup(
                disease=DiseaseRef(
                    system=system,
                    code=number,
                    curie=disease,
                    url=info.url(number) if info else None,
                ),
                source=SourceOut.model_validate(sources[members[0].annotation.source_id]),
                present=lists["present"],
                excluded=lists["excluded"],
                inheritance=lists["inheritance"],
                clinical_course=lists["clinical_course"],
                other=lists["other"],
            )
        )
    unique = {group.source.title: group.source for group in groups}
    return Annotations(groups=groups, sources=list(unique.values()))


def load_annotations(session: Session, condition: Condition) -> Annotations:
    if not condition.annotation_count:
        return Annotations()
    rows = repository.get_annotations(session, condition.id)
    sources = repository.sources_by_id(session, {row.annotation.source_id for row in rows})
    return annotations_of(rows, sources)


def _attributions(*source_lists: list[SourceOut]) -> list[str]:
    texts = [source.attribution for sources in source_lists for source in sources]
    return list(dict.fromkeys(text for text in texts if text))


def _merged(*source_lists: list[SourceOut]) -> list[SourceOut]:
    unique: dict[tuple[str, str | None], SourceOut] = {}
    for sources in source_lists:
        for source in sources:
            unique.setdefault((source.title, source.version), source)
    return list(unique.values())


def _section_fields(
    kind: SectionKind, section: Section | None, annotations: Annotations
) -> dict[str, object]:
    """A section's fields; a symptoms section with no editors' row is built from the imported
    annotations alone."""
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
    if kind == SectionKind.SYMPTOMS:
        # A feature an editor's item already names (by its code) is not listed twice.
        listed = {code.code for item in items for code in getattr(item, "codes", [])}
        imported = imported_symptoms(annotations.groups)
        fields["items"] = items + [i for i in imported if i.codes[0].code not in listed]
        if summary is None and imported:
            fields["summary"] = _composed_summary(imported)
            fields["summary_provenance"] = "composed"
        fields["annotations"] = annotations.groups
        fields["sources"] = _merged(own, annotations.sources)
    else:
        fields["sources"] = own
    return fields


def section_in_record(
    slug: str, kind: SectionKind, section: Section | None, annotations: Annotations
) -> SectionOut:
    return SECTION_MODELS[kind](
        **_section_fields(kind, section, annotations),
        links=SelfLink(self=section_path(slug, kind.value)),
    )


def section_response(
    condition: Condition, kind: SectionKind, section: Section | None, annotations: Annotations
) -> SectionResponse:
    slug = condition.slug
    fields = _section_fields(kind, section, annotations)
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


def condition_record(condition: Condition, annotations: Annotations) -> ConditionRecord:
    slug = condition.slug
    rows = {SectionKind(section.kind): section for section in condition.sections}
    kinds = section_kinds_of(condition)
    sources = _merged(
        [SourceOut.model_validate(source) for source in condition.sources], annotations.sources
    )
    return ConditionRecord(
        slug=slug,
        name=condition.name,
        display_name=display_name(condition.name),
        synonyms=condition.synonyms,
        summary=condition.summary,
        status=condition.status,
        codes=[_code(code) for code in condition.codes],
        sections=ConditionSections(
            **{
                kind.value: section_in_record(slug, kind, rows.get(kind), annotations)
                for kind in kinds
            }
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
        ),
    )


def condition_summary(condition: Condition) -> ConditionSummary:
    return ConditionSummary(
        slug=condition.slug,
        name=condition.name,
        display_name=display_name(condition.name),
        synonyms=condition.synonyms,
        summary=condition.summary,
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
) -> Page[ConditionSummary]:
    """One page of summaries, by offset or by keyset cursor on the slug (stable under inserts)."""
    total = repository.count_conditions(session, filters)
    limit = page.limit
    if page.offset is not None:
        rows = list(repository.list_conditions(session, filters, limit, offset=page.offset))
        links = offset_links(page.offset, limit, total)
    else:
        rows, links = _cursor_page(session, filters, limit, page.cursor)
    next_params, prev_params = links
    return Page[ConditionSummary](
        items=[condition_summary(row) for row in rows],
        total=total,
        limit=limit,
        links=page_links(request, next_params, prev_params),
    )


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
