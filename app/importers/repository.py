"""Every SELECT of the imports, and their bulk writes (batched, so memory stays bounded)."""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.importers.progress import Progress
from app.models import (
    Base,
    Code,
    CodeEntry,
    Condition,
    PhenotypeAnnotation,
    SectionItem,
    SourceImport,
    Term,
    term_ancestors,
    term_parents,
)

BATCH_SIZE = 5_000


Row = dict[str, Any]


def batches(
    rows: Iterable[dict[str, Any]], size: int = BATCH_SIZE
) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(
    session: Session, target: type[Base] | Table, rows: Iterable[Row], bar: Progress | None = None
) -> int:
    """Insert in batches of BATCH_SIZE (multi-row statements); returns the count."""
    count = 0
    for batch in batches(rows):
        session.execute(insert(target), batch)
        count += len(batch)
        if bar is not None:
            bar.update(len(batch))
    return count


def last_import(session: Session, source: str) -> SourceImport | None:
    return session.get(SourceImport, source)


def symptom_terms(session: Session) -> list[tuple[int, str, str | None]]:  # id, slug, code
    """(id, slug, code) of every symptom term."""
    query = select(Term.id, Term.slug, Term.code).where(Term.kind == "symptom")
    return [(row.id, row.slug, row.code) for row in session.execute(query)]


def term_ids_by_code(session: Session, kind: str) -> dict[str, int]:
    query = select(Term.code, Term.id).where(Term.kind == kind, Term.code.is_not(None))
    return {row.code: row.id for row in session.execute(query)}


def terms_used_by_items(session: Session, term_ids: Sequence[int]) -> set[int]:
    if not term_ids:
        return set()
    query = select(SectionItem.term_id).where(SectionItem.term_id.in_(term_ids)).distinct()
    return {term_id for term_id in session.scalars(query) if term_id is not None}


def replace_hierarchy(
    session: Session,
    parents: Iterable[Row],
    ancestors: Iterable[Row],
    bar: Progress,
) -> tuple[int, int]:
    session.execute(delete(term_ancestors))
    session.execute(delete(term_parents))
    return insert_rows(session, term_parents, parents, bar), insert_rows(
        session, term_ancestors, ancestors, bar
    )


def revisions_by_slug(session: Session) -> dict[str, int]:
    return {
        row.slug: row.revision
        for row in session.execute(select(Condition.slug, Condition.revision))
    }


def conditions_by_code(session: Session, systems: Sequence[str]) -> dict[tuple[str, str], int]:
    """{(system, code): condition id} for the codes of these systems."""
    query = select(Code.system, Code.code, Code.condition_id).where(Code.system.in_(systems))
    return {(row.system, row.code): row.condition_id for row in session.execute(query)}


def condition_ids_by_slug(session: Session) -> dict[str, int]:
    return {row.slug: row.id for row in session.execute(select(Condition.slug, Condition.id))}


def condition_names(session: Session) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in session.execute(select(Condition.id, Condition.name))]


def code_triples(session: Session) -> set[tuple[int, str, str]]:
    """(condition id, system, code) of every code."""
    query = select(Code.condition_id, Code.system, Code.code)
    return {(row.condition_id, row.system, row.code) for row in session.execute(query)}


def code_pairs(session: Session, system: str) -> set[tuple[int, str]]:
    query = select(Code.condition_id, Code.code).where(Code.system == system)
    return {(row.condition_id, row.code) for row in session.execute(query)}


def code_entries(session: Session, system: str, levels: Sequence[str]) -> list[CodeEntry]:
    query = select(CodeEntry).where(CodeEntry.system == system, CodeEntry.level.in_(levels))
    return list(session.scalars(query))


def refresh_annotation_counts(session: Session) -> None:
    """conditions.annotation_count = its annotation rows, all aspects and NOT rows included."""
    counted = (
        select(func.count())
        .where(PhenotypeAnnotation.condition_id == Condition.id)
        .scalar_subquery()
    )
    session.execute(update(Condition).values(annotation_count=counted))
