"""Every SELECT of the conditions domain. Each query names the eager loads it needs."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, bindparam, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.conditions.status import shown
from app.core.pagination import Cursor
from app.models import (
    Code,
    Condition,
    ConditionGene,
    ConditionTerm,
    ConditionType,
    Gene,
    PhenotypeAnnotation,
    Section,
    SectionItem,
    SlugRedirect,
    Source,
    Term,
    condition_sources,
    section_sources,
    term_ancestors,
    term_parents,
)
from app.reads.reader import Check


@dataclass(frozen=True)
class ConditionFilters:
    status: str | None = None
    letter: str | None = None
    code_system: str | None = None
    has_section: str | None = None
    inheritance: tuple[str, ...] = ()  # HPO ids of inheritance modes: any of them
    slugs: tuple[str, ...] = ()  # only these records (a batch read); empty: no such filter


# Whether an HPO id names a mode of inheritance: a term below HP:0000005 "Mode of inheritance".
MODE_OF_INHERITANCE = "HP:0000005"
_MODE_TERM = Term.__table__.alias("mode")
IS_INHERITANCE_MODE = Check(
    select(Term.id)
    .join(term_ancestors, term_ancestors.c.term_id == Term.id)
    .join(_MODE_TERM, _MODE_TERM.c.id == term_ancestors.c.ancestor_id)
    .where(
        Term.kind == "symptom",
        Term.code == bindparam("code"),
        _MODE_TERM.c.code == MODE_OF_INHERITANCE,
        term_ancestors.c.distance > 0,
    )
    .limit(1),
    lambda row: row is not None,
)


def has_imported_kind(kind: str) -> ColumnElement[bool]:
    """Whether the imports give a record items of a section kind. The kinds are kept on the
    row as a JSON list, whose text holds the quoted kind on both engines (no kind holds a
    quote)."""
    return cast(Condition.imported_kinds, String).like(f'%"{kind}"%')


def _where(filters: ConditionFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.status is not None:
        clauses.append(shown(filters.status))
    if filters.slugs:
        clauses.append(Condition.slug.in_(filters.slugs))
    if filters.letter is not None:
        if filters.letter == "0-9":
            clauses.append(and_(Condition.slug >= "0", Condition.slug < ":"))
        else:
            # Slugs are lowercase ASCII, so a letter is a range scan on the unique slug index.
            clauses.append(
                and_(
                    Condition.slug >= filters.letter, Condition.slug < chr(ord(filters.letter) + 1)
                )
            )
    if filters.code_system is not None:
        clauses.append(
            exists().where(Code.condition_id == Condition.id, Code.system == filters.code_system)
        )
    if filters.has_section is not None:
        has_section: ColumnElement[bool] = exists().where(
            Section.condition_id == Condition.id, Section.kind == filters.has_section
        )
        has_section = or_(has_section, has_imported_kind(filters.has_section))
        clauses.append(has_section)
    if filters.inheritance:
        modes = select(Term.id).where(Term.kind == "symptom", Term.code.in_(filters.inheritance))
        clauses.append(
            exists().where(
                PhenotypeAnnotation.condition_id == Condition.id,
                PhenotypeAnnotation.aspect == "I",
                PhenotypeAnnotation.excluded.is_(False),
                PhenotypeAnnotation.term_id.in_(modes.scalar_subquery()),
            )
        )
    return clauses


def listed_slugs(session: Session, filters: ConditionFilters) -> Sequence[str]:
    """Every slug the filters list, for filters that name the slugs (a bounded batch)."""
    return session.scalars(select(Condition.slug).where(*_where(filters))).all()


def count_conditions(session: Session, filters: ConditionFilters) -> int:
    query = select(func.count()).select_from(Condition).where(*_where(filters))
    return session.scalar(query) or 0


def _beyond(cursor: Cursor) -> ColumnElement[bool]:
    if cursor.direction == "after":
        return Condition.slug >= cursor.key if cursor.inclusive else Condition.slug > cursor.key
    return Condition.slug <= cursor.key if cursor.inclusive else Condition.slug < cursor.key


def list_conditions(
    session: Session,
    filters: ConditionFilters,
    limit: int,
    *,
    cursor: Cursor | None = None,
    offset: int | None = None,
) -> Sequence[Condition]:
    """A page in slug order: the `limit` rows beyond a keyset cursor, or from an offset. A
    `before` cursor pages backwards; rows still come back in ascending order."""
    query = (
        select(Condition)
        .where(*_where(filters))
        .options(selectinload(Condition.sections).load_only(Section.kind))
    )
    if cursor is not None and cursor.direction == "before":
        query = query.where(_beyond(cursor)).order_by(Condition.slug.desc()).limit(limit)
        return list(reversed(session.scalars(query).all()))
    if cursor is not None:
        query = query.where(_beyond(cursor))
    query = query.order_by(Condition.slug).limit(limit)
    if offset:
        query = query.offset(offset)
    return session.scalars(query).all()


def exists_beyond(session: Session, filters: ConditionFilters, cursor: Cursor) -> bool:
    """Whether any matching condition lies beyond the cursor."""
    query = select(Condition.id).where(*_where(filters), _beyond(cursor)).limit(1)
    return session.scalar(query) is not None


@dataclass(frozen=True)
class ConditionVersion:
    id: int
    revision: int
    updated_at: datetime


def _version(row: Sequence[Any] | None) -> ConditionVersion | None:
    return ConditionVersion(row[0], row[1], row[2].astimezone(UTC)) if row else None


VERSION_BY_SLUG = Check(
    select(Condition.id, Condition.revision, Condition.updated_at).where(
        Condition.slug == bindparam("slug")
    ),
    _version,
)
"""What identifies the current content of a record: one look-up on the slug index. (Both checks
are built once, at import: building a select costs more than running it.)"""

REDIRECT_BY_SLUG = Check(
    select(Condition.slug)
    .join(SlugRedirect, SlugRedirect.condition_id == Condition.id)
    .where(SlugRedirect.slug == bindparam("slug")),
    lambda row: str(row[0]) if row else None,
)
"""The current slug of the record once called `slug`, if it was renamed."""


# Everything a condition's whole record shows.
RECORD_LOADS = (
    selectinload(Condition.codes).selectinload(Code.source),
    selectinload(Condition.sources),
    # An item shows the code of the term it is linked to.
    selectinload(Condition.sections).selectinload(Section.items).selectinload(SectionItem.term),
    selectinload(Condition.sections).selectinload(Section.sources),
)


def get_condition_record(session: Session, slug: str) -> Condition | None:
    """The condition with everything its whole record shows."""
    return session.scalar(select(Condition).where(Condition.slug == slug).options(*RECORD_LOADS))


def get_condition(session: Session, slug: str) -> Condition | None:
    """The condition row alone, with the list of its section kinds."""
    query = (
        select(Condition)
        .where(Condition.slug == slug)
        .options(selectinload(Condition.sections).load_only(Section.kind))
    )
    return session.scalar(query)


def get_section(session: Session, condition_id: int, kind: str) -> Section | None:
    query = (
        select(Section)
        .where(Section.condition_id == condition_id, Section.kind == kind)
        .options(
            selectinload(Section.items).selectinload(SectionItem.term),
            selectinload(Section.sources),
        )
    )
    return session.scalar(query)


def sources_by_key(session: Session, keys: Sequence[str]) -> dict[str, Source]:
    rows = session.scalars(select(Source).where(Source.key.in_(keys))).all()
    return {source.key: source for source in rows}


def conditions_by_id(session: Session, ids: Sequence[int]) -> dict[int, Condition]:
    rows = session.scalars(select(Condition).where(Condition.id.in_(ids)))
    return {condition.id: condition for condition in rows}


def conditions_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, Condition]:
    rows = session.scalars(select(Condition).where(Condition.slug.in_(slugs))).all()
    return {condition.slug: condition for condition in rows}


def terms_by_kind_slug(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Term]:
    if not keys:
        return {}
    kinds = {kind for kind, _ in keys}
    slugs = {slug for _, slug in keys}
    rows = session.scalars(select(Term).where(Term.kind.in_(kinds), Term.slug.in_(slugs))).all()
    return {(term.kind, term.slug): term for term in rows if (term.kind, term.slug) in keys}


def slugs_citing(session: Session, source_ids: set[int]) -> list[str]:
    """Slugs of the conditions that cite any of these sources, directly or in a section."""
    direct = select(condition_sources.c.condition_id).where(
        condition_sources.c.source_id.in_(source_ids)
    )
    via_section = (
        select(Section.condition_id)
        .join(section_sources, section_sources.c.section_id == Section.id)
        .where(section_sources.c.source_id.in_(source_ids))
    )
    query = select(Condition.slug).where(
        Condition.id.in_(direct.union(via_section).scalar_subquery())
    )
    return list(session.scalars(query.order_by(Condition.slug)))


@dataclass(frozen=True)
class AnnotationRow:
    annotation: PhenotypeAnnotation
    hpo_id: str
    name: str


def get_annotations(session: Session, condition_id: int) -> list[AnnotationRow]:
    """A condition's imported phenotype annotations with their terms, in source order."""
    query = (
        select(PhenotypeAnnotation, Term.code, Term.name)
        .join(Term, Term.id == PhenotypeAnnotation.term_id)
        .where(PhenotypeAnnotation.condition_id == condition_id)
        .order_by(PhenotypeAnnotation.position)
    )
    return [AnnotationRow(row[0], row[1] or "", row[2]) for row in session.execute(query)]


# The HPO branches whose direct children name the category of a course, modifier or history
# term: Clinical course, Clinical modifier, Past medical history.
CATEGORY_ROOTS = ("HP:0031797", "HP:0012823", "HP:0032443")


def term_categories(session: Session, hpo_ids: set[str]) -> dict[str, str]:
    """Each term's closest ancestor (or itself) directly under one of CATEGORY_ROOTS, by name
    when two are as close: "Onset" for Infantile onset, "Pregnancy history" for
    Preeclampsia. One indexed join over the ancestor closure."""
    if not hpo_ids:
        return {}
    term, ancestor, root = aliased(Term), aliased(Term), aliased(Term)
    query = (
        select(term.code, ancestor.name)
        .join(term_ancestors, term_ancestors.c.term_id == term.id)
        .join(ancestor, ancestor.id == term_ancestors.c.ancestor_id)
        .join(term_parents, term_parents.c.term_id == ancestor.id)
        .join(root, root.id == term_parents.c.parent_id)
        .where(term.kind == "symptom", term.code.in_(hpo_ids), root.code.in_(CATEGORY_ROOTS))
        .order_by(term_ancestors.c.distance, ancestor.name)
    )
    categories: dict[str, str] = {}
    for code, name in session.execute(query):
        categories.setdefault(code or "", name)
    return categories


def term_of(session: Session, condition_id: int) -> tuple[str, Source | None] | None:
    """The HPO id and source of the term a record is built from or enriched by."""
    row = session.execute(
        select(Term.code, Source)
        .join(ConditionTerm, ConditionTerm.term_id == Term.id)
        .outerjoin(Source, Source.id == Term.source_id)
        .where(ConditionTerm.condition_id == condition_id)
    ).first()
    return (row[0] or "", row[1]) if row else None


@dataclass(frozen=True)
class TypeRow:
    name: str
    system: str
    code: str
    slug: str | None  # the subtype's record, when there is one (published)
    record_name: str | None
    source: Source


def get_types(session: Session, condition_id: int) -> list[TypeRow]:
    """A record's derived subtypes, in position order, with their records and sources."""
    subtype = aliased(Condition)
    query = (
        select(
            ConditionType.name,
            ConditionType.system,
            ConditionType.code,
            subtype.slug,
            subtype.name,
            Source,
        )
        .join(Source, Source.id == ConditionType.source_id)
        .outerjoin(
            subtype,
            and_(subtype.id == ConditionType.type_condition_id, subtype.status == "published"),
        )
        .where(ConditionType.condition_id == condition_id)
        .order_by(ConditionType.position)
    )
    return [TypeRow(*row) for row in session.execute(query)]


def sources_by_id(session: Session, ids: set[int]) -> dict[int, Source]:
    if not ids:
        return {}
    return {
        source.id: source for source in session.scalars(select(Source).where(Source.id.in_(ids)))
    }


def sources_by_title(session: Session, titles: set[str]) -> list[Source]:
    if not titles:
        return []
    return list(session.scalars(select(Source).where(Source.title.in_(titles))))


def redirect_targets(session: Session, slugs: Sequence[str]) -> dict[str, str]:
    """The current slug of each record once called by one of `slugs`, by old slug."""
    if not slugs:
        return {}
    query = (
        select(SlugRedirect.slug, Condition.slug)
        .join(Condition, Condition.id == SlugRedirect.condition_id)
        .where(SlugRedirect.slug.in_(slugs))
    )
    return {old: new for old, new in session.execute(query)}


def redirect_target(session: Session, slug: str) -> str | None:
    """The current slug of the record once called `slug`."""
    return REDIRECT_BY_SLUG.answer(
        session.execute(REDIRECT_BY_SLUG.statement, {"slug": slug}).first()
    )


@dataclass(frozen=True)
class GeneRow:
    symbol: str | None
    ncbi_id: int
    disease_code: str
    source_id: int


def get_genes(session: Session, condition_id: int) -> list[GeneRow]:
    """The genes listed for a condition's disease ids, in the order the import keeps."""
    query = (
        select(Gene.symbol, Gene.ncbi_id, ConditionGene.disease_code, ConditionGene.source_id)
        .join(Gene, Gene.id == ConditionGene.gene_id)
        .where(ConditionGene.condition_id == condition_id)
        .order_by(ConditionGene.position)
    )
    return [GeneRow(*row) for row in session.execute(query)]
