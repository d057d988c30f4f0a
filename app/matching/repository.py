"""Queries of the symptom match: the given terms, and the annotations under them."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.conditions.status import shown
from app.models import Condition, PhenotypeAnnotation, PhenotypeCoverage, Term, term_ancestors


def hpo_terms(session: Session, keys: Sequence[str]) -> list[Term]:
    """The HPO terms whose id, slug or name (any case) is one of `keys`, casefolded."""
    query = select(Term).where(
        Term.kind == "symptom",
        Term.code.is_not(None),
        or_(
            Term.code.in_([key.upper() for key in keys]),
            Term.slug.in_(keys),
            func.lower(Term.name).in_(keys),
        ),
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class AnnotationHit:
    condition_id: int
    given_id: int
    term_id: int
    hpo_id: str
    name: str
    information_content: float | None
    frequency: dict[str, Any] | None
    disease: str


@dataclass(frozen=True)
class Ranked:
    condition_id: int
    covered: float  # the information content of the given terms it covers
    matched: int  # how many given terms it covers
    exact: int  # how many of those with the term itself, not only a more specific one


def ranked(
    session: Session, weights: dict[int, float], limit: int, offset: int, status: str
) -> tuple[int, list[Ranked]]:
    """The published conditions covering any given term (by id, with its weight), best
    first, and how many there are: summed in the database from the coverage derived at
    import, so a broad term costs one row per condition, not every annotation below it."""
    weight = case(
        *((PhenotypeCoverage.term_id == term_id, value) for term_id, value in weights.items()),
        else_=0.0,
    )
    covered = func.sum(weight).label("covered")
    matched = func.count().label("matched")
    exact = func.sum(case((PhenotypeCoverage.exact, 1), else_=0)).label("exact")
    everyone = func.count().over().label("total")  # before LIMIT: one pass gives both
    grouped = (
        select(PhenotypeCoverage.condition_id, covered, matched, exact, everyone)
        .join(Condition, Condition.id == PhenotypeCoverage.condition_id)
        .where(PhenotypeCoverage.term_id.in_(list(weights)), shown(status))
        .group_by(PhenotypeCoverage.condition_id)
    )
    top = grouped.order_by(
        covered.desc(), matched.desc(), exact.desc(), PhenotypeCoverage.condition_id
    )
    rows = session.execute(top.limit(limit).offset(offset)).all()
    if rows:
        total = rows[0][4]
    else:  # past the end (or nothing): count on its own
        total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    return total, [Ranked(row[0], float(row[1]), row[2], row[3]) for row in rows]


def annotations_under(
    session: Session, given_ids: Sequence[int], condition_ids: Sequence[int]
) -> list[AnnotationHit]:
    """These conditions' present (not NOT) annotations with a given term or a more specific
    one. The closure holds each term as its own ancestor, so one join covers both."""
    annotated = aliased(Term)
    query = (
        select(
            PhenotypeAnnotation.condition_id,
            term_ancestors.c.ancestor_id,
            annotated.id,
            annotated.code,
            annotated.name,
            annotated.information_content,
            PhenotypeAnnotation.frequency,
            PhenotypeAnnotation.disease_code,
        )
        .join(term_ancestors, term_ancestors.c.term_id == PhenotypeAnnotation.term_id)
        .join(annotated, annotated.id == PhenotypeAnnotation.term_id)
        .where(
            term_ancestors.c.ancestor_id.in_(given_ids),
            PhenotypeAnnotation.excluded.is_(False),
            PhenotypeAnnotation.condition_id.in_(condition_ids),
        )
    )
    return [AnnotationHit(*row) for row in session.execute(query)]
