"""Every SELECT of the imports, and their bulk writes (batched, so memory stays bounded)."""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import JSON, Column, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.importers.progress import Progress
from app.models import (
    Base,
    Code,
    CodeEntry,
    Condition,
    PhenotypeAnnotation,
    SectionItem,
    Source,
    SourceImport,
    Term,
    term_ancestors,
    term_parents,
)
from app.models.base import UTCDateTime

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
    """Insert in batches of BATCH_SIZE; returns the count. Rows are dicts of plain values (JSON
    columns as lists or dicts). The bulk of an import goes through here, so it talks to the
    driver directly, on the session's connection and inside its transaction: COPY on
    PostgreSQL, executemany on SQLite. That is several times faster than ORM bulk inserts."""
    table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    driver: Any = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    count = 0
    for batch in batches(rows):
        # In table order: the order the compiled INSERT lists them in.
        columns = [column for column in table.columns if column.name in batch[0]]
        names = ", ".join(quote(column.name) for column in columns)
        values = _values(batch, columns, postgres)
        if postgres:
            # Table and column names come from our own metadata, quoted; never from input.
            copy_sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for value in values:
                    copy.write_row(value)
        else:
            statement = insert(table).values(
                {column.name: bindparam(column.name) for column in columns}
            )
            driver.executemany(str(statement.compile(dialect=connection.dialect)), values)
        count += len(batch)
        if bar is not None:
            bar.update(len(batch))
    return count


def _values(batch: list[Row], columns: list[Column[Any]], postgres: bool) -> list[tuple[Any, ...]]:
    """Rows as the driver takes them: JSON columns as text; on SQLite, timestamps as SQLAlchemy
    writes them (UTC, no offset), since the tables are read through SQLAlchemy."""
    converters: list[Callable[[Any], Any] | None] = []
    for column in columns:
        if isinstance(column.type, JSON):
            converters.append(_json)
        elif isinstance(column.type, UTCDateTime) and not postgres:
            converters.append(_sqlite_timestamp)
        else:
            converters.append(None)
    names = [column.name for column in columns]
    if not any(converters):
        return [tuple(row[name] for name in names) for row in batch]
    pairs = list(zip(names, converters, strict=True))
    return [
        tuple(convert(row[name]) if convert else row[name] for name, convert in pairs)
        for row in batch
    ]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return "[]" if value == [] else json.dumps(value)


def _sqlite_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def analyze(session: Session, tables: Sequence[str]) -> None:
    """Refresh the planner's statistics after a bulk load, so that the look-ups pick the right
    indexes at once (SQLite has none until asked; autovacuum would take a while)."""
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:  # our own table names, quoted
        connection.exec_driver_sql(f"ANALYZE {quote(table)}")


def vacuum(factory: sessionmaker[Session], tables: Sequence[str]) -> None:
    """After a bulk load commits, on PostgreSQL: VACUUM sets the visibility map, without which
    the covering indexes cannot answer look-ups alone (autovacuum would get there later)."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        quote = connection.dialect.identifier_preparer.quote
        connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(quote(t) for t in tables)}")


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
    """{(system, code): condition id} for the codes of these systems that a record carries as
    `exact` (a broader record citing a disease as narrower must not absorb it)."""
    query = select(Code.system, Code.code, Code.condition_id).where(
        Code.system.in_(systems), Code.relation == "exact"
    )
    return {(row.system, row.code): row.condition_id for row in session.execute(query)}


def condition_ids_by_slug(session: Session) -> dict[str, int]:
    return {row.slug: row.id for row in session.execute(select(Condition.slug, Condition.id))}


def condition_names(session: Session) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in session.execute(select(Condition.id, Condition.name))]


def code_triples(session: Session) -> set[tuple[int, str, str]]:
    """(condition id, system, code) of every code."""
    query = select(Code.condition_id, Code.system, Code.code)
    return {(row.condition_id, row.system, row.code) for row in session.execute(query)}


LinkState = tuple[int, str, str | None, str | None]


def computed_links(session: Session, system: str) -> set[LinkState]:
    """(condition id, code, display, source version) of the links this service computed in a
    system: all that a record shows of them, so any change of it is a new revision."""
    query = (
        select(Code.condition_id, Code.code, Code.display, Source.version)
        .outerjoin(Source, Source.id == Code.source_id)
        .where(Code.system == system, Code.provenance == "computed")
    )
    return {(row[0], row[1], row[2], row[3]) for row in session.execute(query)}


def editors_fingerprint(session: Session) -> str:
    """Changes whenever what imports join editors' records by changes: their slugs, names,
    statuses and the codes editors gave them (by seed file or over the API)."""
    records = session.execute(
        select(Condition.slug, Condition.name, Condition.status)
        .where(Condition.origin == "seed")
        .order_by(Condition.slug)
    )
    codes = session.execute(
        select(Condition.slug, Code.system, Code.code)
        .join(Code, Code.condition_id == Condition.id)
        .where(Condition.origin == "seed", Code.provenance == "curated")
        .order_by(Condition.slug, Code.system, Code.code)
    )
    text = ";".join("|".join(map(str, row)) for row in [*records, *codes])
    return hashlib.sha256(text.encode()).hexdigest()


def code_pairs(session: Session, system: str) -> set[tuple[int, str]]:
    query = select(Code.condition_id, Code.code).where(Code.system == system)
    return {(row.condition_id, row.code) for row in session.execute(query)}


@dataclass(frozen=True)
class EntryNames:
    code: str
    display: str
    inclusion_terms: list[str]
    source_id: int


def entry_names(session: Session, system: str, levels: Sequence[str]) -> list[EntryNames]:
    """Plain rows, not ORM objects: ICD-10-CM has 98,466 entries."""
    query = select(
        CodeEntry.code, CodeEntry.display, CodeEntry.inclusion_terms, CodeEntry.source_id
    ).where(CodeEntry.system == system, CodeEntry.level.in_(levels))
    return [EntryNames(*row) for row in session.execute(query)]


def refresh_annotation_counts(session: Session) -> None:
    """conditions.annotation_count = its annotation rows, all aspects and NOT rows included."""
    counted = (
        select(func.count())
        .where(PhenotypeAnnotation.condition_id == Condition.id)
        .scalar_subquery()
    )
    session.execute(update(Condition).values(annotation_count=counted))
