"""Every SELECT of the terms domain (symptoms, drugs...): look-ups and reverse look-ups."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, or_, select, text, union
from sqlalchemy.orm import Session

from app.conditions.status import DEFAULT_STATUS, shown
from app.models import (
    Condition,
    ConditionTerm,
    PhenotypeAnnotation,
    Section,
    SectionItem,
    Source,
    Term,
    term_ancestors,
    term_parents,
)

# A synonym (an object with a `name` in the term's JSON list) containing the pattern.
_SYNONYM_MATCH = {
    "sqlite": "EXISTS (SELECT 1 FROM json_each(terms.synonyms) AS s "
    "WHERE lower(json_extract(s.value, '$.name')) LIKE lower(:pattern) ESCAPE '\\')",
    "postgresql": "EXISTS (SELECT 1 FROM jsonb_array_elements(terms.synonyms) AS s "
    "WHERE s->>'name' ILIKE :pattern ESCAPE '\\')",
}


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _synonym_match(session: Session, pattern: str) -> ColumnElement[bool]:
    dialect = session.get_bind().dialect.name
    statement = text(_SYNONYM_MATCH[dialect]).bindparams(bindparam("pattern", pattern, unique=True))
    return statement  # type: ignore[return-value]


def _matching(session: Session, kind: str, q: str | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Term.kind == kind]
    if q:
        pattern = f"%{_like(q)}%"
        clauses.append(
            or_(
                Term.name.ilike(pattern, escape="\\"),
                Term.code == q.upper(),
                _synonym_match(session, pattern),
            )
        )
    return clauses


def _relevance(session: Session, q: str) -> ColumnElement[int]:
    """0 the exact name (or code), 1 a name starting with q, 2 a later word starting with q,
    3 a synonym containing q, 4 a name containing it elsewhere."""
    name, escaped = func.lower(Term.name), _like(q.lower())
    return case(
        (or_(name == q.lower(), Term.code == q.upper()), 0),
        (name.like(f"{escaped}%", escape="\\"), 1),
        (or_(name.like(f"% {escaped}%", escape="\\"), name.like(f"%-{escaped}%", escape="\\")), 2),
        (_synonym_match(session, f"%{_like(q)}%"), 3),
        else_=4,
    )


def list_terms(
    session: Session, kind: str, q: str | None, limit: int, offset: int
) -> Sequence[Term]:
    """In slug order; with `q`, ranked by relevance (see _relevance), then the shorter name,
    then slug."""
    order: list[Any] = (
        [_relevance(session, q), func.length(Term.name), Term.slug] if q else [Term.slug]
    )
    query = select(Term).where(*_matching(session, kind, q)).order_by(*order)
    return session.scalars(query.limit(limit).offset(offset)).all()


def count_terms(session: Session, kind: str, q: str | None) -> int:
    query = select(func.count()).select_from(Term).where(*_matching(session, kind, q))
    return session.scalar(query) or 0


def get_term(session: Session, kind: str, key: str) -> Term | None:
    """By slug, or by code (HP:0001324, case-insensitive)."""
    column = Term.code if ":" in key else Term.slug
    value = key.upper() if ":" in key else key
    return session.scalar(select(Term).where(Term.kind == kind, column == value))


def parents(session: Session, term_id: int) -> Sequence[Term]:
    query = (
        select(Term)
        .join(term_parents, term_parents.c.parent_id == Term.id)
        .where(term_parents.c.term_id == term_id)
        .order_by(Term.name)
    )
    return session.scalars(query).all()


def children(session: Session, term_id: int) -> Sequence[Term]:
    query = (
        select(Term)
        .join(term_parents, term_parents.c.term_id == Term.id)
        .where(term_parents.c.parent_id == term_id)
        .order_by(Term.name)
    )
    return session.scalars(query).all()


def condition_of_term(session: Session, term_id: int) -> tuple[str, str] | None:
    """(slug, name) of the published record built from or enriched by a term."""
    row = session.execute(
        select(Condition.slug, Condition.name)
        .join(ConditionTerm, ConditionTerm.condition_id == Condition.id)
        .where(ConditionTerm.term_id == term_id, Condition.status == "published")
    ).first()
    return (row[0], row[1]) if row else None


def source(session: Session, source_id: int | None) -> Source | None:
    return session.get(Source, source_id) if source_id is not None else None


def _term_ids(term_id: int, include_descendants: bool) -> Select[int]:
    itself = select(Term.id).where(Term.id == term_id)
    if include_descendants:
        # The term itself too: editors' terms and drugs have no rows in the closure.
        descendants = select(term_ancestors.c.term_id).where(
            term_ancestors.c.ancestor_id == term_id
        )
        return select(union(itself, descendants).subquery().c[0])
    return itself


def _conditions_listing(term_id: int, include_descendants: bool) -> Select[int]:
    """Ids of the conditions that list the term (or, optionally, a more specific one): in an
    imported annotation (present, not a NOT row) or in an editor's section item."""
    terms = _term_ids(term_id, include_descendants)
    annotated = select(PhenotypeAnnotation.condition_id).where(
        PhenotypeAnnotation.term_id.in_(terms), PhenotypeAnnotation.excluded.is_(False)
    )
    written = (
        select(Section.condition_id)
        .join(SectionItem, SectionItem.section_id == Section.id)
        .where(SectionItem.term_id.in_(terms))
    )
    return select(union(annotated, written).subquery().c[0])


def conditions_for_term(
    session: Session,
    term_id: int,
    include_descendants: bool,
    limit: int,
    offset: int,
    status: str = DEFAULT_STATUS.value,
) -> tuple[int, Sequence[Condition]]:
    # One pass over the listing gives the total and the page (a few thousand ids at most),
    # read as plain rows: ORM loading of thousands of ids costs more than the query.
    ordered = (
        session.connection()
        .scalars(
            select(Condition.id)
            .where(
                Condition.id.in_(_conditions_listing(term_id, include_descendants)),
                shown(status),
            )
            .order_by(Condition.slug)
        )
        .all()
    )
    page = ordered[offset : offset + limit]
    if not page:
        return len(ordered), []
    rows = session.scalars(select(Condition).where(Condition.id.in_(page)).order_by(Condition.slug))
    return len(ordered), rows.all()


@dataclass(frozen=True)
class Match:
    condition_id: int
    term_code: str | None
    term_name: str
    disease_code: str | None  # set for an imported annotation
    frequency: dict[str, Any] | None
    section_kind: str | None  # set for an editor's section item


MATCHES_PER_CONDITION = 10


def matches(
    session: Session, term_id: int, include_descendants: bool, condition_ids: Sequence[int]
) -> tuple[list[Match], dict[int, int]]:
    """What each of these conditions lists under the term, annotations and section items: the
    first MATCHES_PER_CONDITION annotations of each (a broad term can match hundreds), and how
    many annotations match in all, by condition."""
    if not condition_ids:
        return [], {}
    terms = _term_ids(term_id, include_descendants)
    by_condition = PhenotypeAnnotation.condition_id
    ranked = (
        select(
            by_condition,
            PhenotypeAnnotation.term_id,
            PhenotypeAnnotation.disease_code,
            PhenotypeAnnotation.frequency,
            PhenotypeAnnotation.position,
            func.row_number()
            .over(partition_by=by_condition, order_by=PhenotypeAnnotation.position)
            .label("rank"),
            func.count().over(partition_by=by_condition).label("total"),
        )
        .where(
            by_condition.in_(condition_ids),
            PhenotypeAnnotation.term_id.in_(terms),
            PhenotypeAnnotation.excluded.is_(False),
        )
        .subquery()
    )
    annotated = (
        select(
            ranked.c.condition_id,
            Term.code,
            Term.name,
            ranked.c.disease_code,
            ranked.c.frequency,
            ranked.c.total,
        )
        .join(Term, Term.id == ranked.c.term_id)
        .where(ranked.c.rank <= MATCHES_PER_CONDITION)
        .order_by(ranked.c.condition_id, ranked.c.position)
    )
    found: list[Match] = []
    totals: dict[int, int] = {}
    for row in session.execute(annotated):
        found.append(Match(row[0], row[1], row[2], row[3], row[4], None))
        totals[row[0]] = row[5]
    written = (
        select(Section.condition_id, Section.kind, Term.code, SectionItem.name)
        .join(SectionItem, SectionItem.section_id == Section.id)
        .join(Term, Term.id == SectionItem.term_id)
        .where(Section.condition_id.in_(condition_ids), SectionItem.term_id.in_(terms))
    )
    for row in session.execute(written):
        found.append(Match(row[0], row[2], row[3], None, None, section_kind=row[1]))
        totals[row[0]] = totals.get(row[0], 0) + 1
    return found, totals
