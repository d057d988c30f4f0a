"""Queries of the symptom match: the given terms, and the annotations under them."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from app.models import Condition, PhenotypeAnnotation, Term, term_ancestors


def terms_by_code(session: Session, codes: Sequence[str]) -> dict[str, Term]:
    rows = session.scalars(select(Term).where(Term.kind == "symptom", Term.code.in_(codes)))
    return {term.code: term for term in rows if term.code}


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
class Covered:
    condition_id: int
    given_id: int
    exact: bool  # annotated with the given term itself, not only with a more specific one


def covered(session: Session, given_ids: Sequence[int]) -> list[Covered]:
    """Which published conditions cover which given terms: one row per pair, aggregated in the
    database, so a broad term costs a count and not thousands of annotation rows."""
    exact = func.max(
        case((PhenotypeAnnotation.term_id == term_ancestors.c.ancestor_id, 1), else_=0)
    )
    query = (
        select(PhenotypeAnnotation.condition_id, term_ancestors.c.ancestor_id, exact)
        .join(term_ancestors, term_ancestors.c.term_id == PhenotypeAnnotation.term_id)
        .join(Condition, Condition.id == PhenotypeAnnotation.condition_id)
        .where(
            term_ancestors.c.ancestor_id.in_(given_ids),
            PhenotypeAnnotation.excluded.is_(False),
            Condition.status == "published",
        )
        .group_by(PhenotypeAnnotation.condition_id, term_ancestors.c.ancestor_id)
    )
    return [Covered(row[0], row[1], bool(row[2])) for row in session.execute(query)]


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


def conditions_by_id(session: Session, ids: Sequence[int]) -> dict[int, Condition]:
    return {row.id: row for row in session.scalars(select(Condition).where(Condition.id.in_(ids)))}
