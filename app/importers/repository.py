"""Every SELECT of the imports, and their bulk writes (batched, so memory stays bounded)."""

import hashlib
import json
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby, islice
from operator import attrgetter
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Column,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.importers.progress import Progress
from app.models import (
    Base,
    Code,
    CodeEntry,
    Condition,
    ConditionGene,
    ConditionRevision,
    ConditionTerm,
    ConditionType,
    Gene,
    PhenotypeAnnotation,
    Section,
    SectionItem,
    SlugRedirect,
    Source,
    SourceImport,
    Term,
    term_ancestors,
    term_parents,
)
from app.models.base import UTCDateTime, utcnow

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
            converters.append(json_text)
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


def json_text(value: Any) -> str | None:
    """A JSON column's value as insert_rows writes it."""
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


def symptom_terms(session: Session) -> dict[int, Row]:
    """Every symptom term by id, with the values an import writes."""
    query = select(
        Term.id, Term.kind, Term.slug, Term.name, Term.code, Term.definition, Term.synonyms,
        Term.xrefs, Term.source_id,
    ).where(Term.kind == "symptom")  # fmt: skip
    return {row.id: row._asdict() for row in session.execute(query)}


def term_ids_by_code(session: Session, kind: str) -> dict[str, int]:
    query = select(Term.code, Term.id).where(Term.kind == kind, Term.code.is_not(None))
    return {row.code: row.id for row in session.execute(query)}


def terms_used_by_items(session: Session, term_ids: Sequence[int]) -> set[int]:
    if not term_ids:
        return set()
    query = select(SectionItem.term_id).where(SectionItem.term_id.in_(term_ids)).distinct()
    return {term_id for term_id in session.scalars(query) if term_id is not None}


def id_batches(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def sync_pairs(
    session: Session,
    table: Table,
    keys: tuple[str, str],
    value: str | None,
    wanted: dict[tuple[int, int], Any],
    bar: Progress,
) -> int:
    """Bring a link table keyed by two ids (with at most one more column, `value`) to `wanted`
    by the rows that differ. Returns how many rows were deleted, inserted or updated."""
    first, second = table.c[keys[0]], table.c[keys[1]]
    columns = [first, second] + ([table.c[value]] if value else [])
    stored = {
        (row[0], row[1]): row[2] if value else None for row in session.execute(select(*columns))
    }
    gone = [{"a": a, "b": b} for a, b in stored.keys() - wanted.keys()]
    new = [
        {keys[0]: a, keys[1]: b, **({value: wanted[(a, b)]} if value else {})}
        for a, b in wanted.keys() - stored.keys()
    ]
    moved = [
        {"a": a, "b": b, "v": wanted[(a, b)]}
        for a, b in wanted.keys() & stored.keys()
        if value and wanted[(a, b)] != stored[(a, b)]
    ]
    where = (first == bindparam("a"), second == bindparam("b"))
    for batch in batches(gone):
        session.connection().execute(delete(table).where(*where), batch)
    if value:
        for batch in batches(moved):
            session.connection().execute(
                update(table).where(*where).values({value: bindparam("v")}), batch
            )
    insert_rows(session, table, new, bar)
    return len(gone) + len(new) + len(moved)


def editors_condition_ids(session: Session) -> dict[str, int]:
    """{slug: id} of the records editors own (seeded, written over the API)."""
    query = select(Condition.slug, Condition.id).where(Condition.origin == "seed")
    return {row.slug: row.id for row in session.execute(query)}


def imported_conditions(session: Session) -> dict[int, tuple[str, str]]:
    """{id: (slug, name)} of the records the HPO import made and editors never wrote."""
    query = select(Condition.id, Condition.slug, Condition.name).where(Condition.origin == "hpo")
    return {row.id: (row.slug, row.name) for row in session.execute(query)}


def naming_code_triples(session: Session, systems: Sequence[str]) -> set[tuple[int, str, str]]:
    """(condition id, system, code) of the disease ids that name their record, on any record."""
    query = select(Code.condition_id, Code.system, Code.code).where(
        Code.system.in_(systems), Code.relation == "exact", Code.provenance == "source"
    )
    return {(row.condition_id, row.system, row.code) for row in session.execute(query)}


def curated_exact_codes(session: Session, systems: Sequence[str]) -> dict[tuple[str, str], int]:
    """{(system, code): condition id} for the codes of these systems that editors gave a record
    as `exact` (a broader record citing a disease as narrower must not absorb it)."""
    query = (
        select(Code.system, Code.code, Code.condition_id)
        .join(Condition, Condition.id == Code.condition_id)
        .where(Code.system.in_(systems), Code.relation == "exact", Code.provenance == "curated")
        # Two records giving one id (a draft copied from a record): the published one takes
        # it, else the oldest, so a new draft or a retired copy never draws it away.
        .order_by((Condition.status != "published"), Condition.id)
    )
    found: dict[tuple[str, str], int] = {}
    for row in session.execute(query):
        found.setdefault((row.system, row.code), row.condition_id)
    return found


def condition_ids_for_slugs(session: Session, slugs: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(slugs), BATCH_SIZE):
        query = select(Condition.slug, Condition.id).where(
            Condition.slug.in_(slugs[start : start + BATCH_SIZE])
        )
        found |= {row.slug: row.id for row in session.execute(query)}
    return found


def curated_code_triples(session: Session) -> set[tuple[int, str, str]]:
    """(condition id, system, code) of every code editors gave."""
    query = select(Code.condition_id, Code.system, Code.code).where(Code.provenance == "curated")
    return {(row.condition_id, row.system, row.code) for row in session.execute(query)}


def imported_codes(session: Session, systems: Sequence[str]) -> dict[int, set[tuple[Any, ...]]]:
    """The codes of these systems that imports gave each record, as (position, system, code,
    display, relation, provenance, source id)."""
    query = select(
        Code.condition_id, Code.position, Code.system, Code.code, Code.display, Code.relation,
        Code.provenance, Code.source_id,
    ).where(Code.system.in_(systems), Code.provenance != "curated")  # fmt: skip
    found: dict[int, set[tuple[Any, ...]]] = {}
    for row in session.execute(query):
        found.setdefault(row[0], set()).add(tuple(row[1:]))
    return found


CODE_COLUMNS = ("position", "system", "code", "display", "relation", "provenance", "source_id")


def rewrite_codes(
    session: Session,
    wanted: dict[int, set[tuple[Any, ...]]],
    stored: dict[int, set[tuple[Any, ...]]],
    scope: ColumnElement[bool],
    values: Callable[[tuple[Any, ...]], Row],
) -> list[int]:
    """Rewrite the code rows in `scope` of the records whose `wanted` rows differ from the
    `stored` ones: delete theirs, insert `values(row)` for each wanted row. Returns those ids."""
    differ = sorted(
        condition_id
        for condition_id in wanted.keys() | stored.keys()
        if wanted.get(condition_id, set()) != stored.get(condition_id, set())
    )
    for batch in id_batches(differ):
        session.execute(delete(Code).where(Code.condition_id.in_(batch), scope))
    insert_rows(
        session,
        Code,
        (
            {"condition_id": condition_id, **values(row)}
            for condition_id in differ
            for row in sorted(wanted.get(condition_id, set()))
        ),
    )
    return differ


def code_values(row: tuple[Any, ...]) -> Row:
    """A row of CODE_COLUMNS as the values of a Code."""
    return dict(zip(CODE_COLUMNS, row, strict=True))


ENTRY_COLUMNS = (
    "display", "level", "parent_code", "path", "inclusion_terms", "includes", "source_id",
)  # fmt: skip


def sync_entries(
    session: Session, systems: Sequence[str], wanted: dict[tuple[str, str], Row]
) -> int:
    """Bring the code entries of these systems to `wanted` ({(system, code): values}) by the
    entries that differ. Returns how many were deleted, inserted or updated."""
    query = select(
        CodeEntry.id, CodeEntry.system, CodeEntry.code,
        *(getattr(CodeEntry, name) for name in ENTRY_COLUMNS),
    ).where(CodeEntry.system.in_(systems))  # fmt: skip
    stored = {(row.system, row.code): row._asdict() for row in session.execute(query)}
    gone = [stored[key]["id"] for key in stored.keys() - wanted.keys()]
    changed = [
        {"id": stored[key]["id"], **wanted[key]}
        for key in stored.keys() & wanted.keys()
        if any(stored[key][name] != wanted[key][name] for name in ENTRY_COLUMNS)
    ]
    for batch in id_batches(gone):
        session.execute(delete(CodeEntry).where(CodeEntry.id.in_(batch)))
    for rows in batches(changed):
        session.execute(update(CodeEntry), rows)
    new = (
        {"system": system, "code": code, **wanted[(system, code)]}
        for system, code in sorted(wanted.keys() - stored.keys())
    )
    return len(gone) + len(changed) + insert_rows(session, CodeEntry, new)


def condition_names(session: Session) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in session.execute(select(Condition.id, Condition.name))]


def linked_term_synonyms(session: Session) -> dict[int, list[dict[str, str]]]:
    """{condition id: synonyms of its HPO term} of the records linked to a term."""
    query = select(ConditionTerm.condition_id, Term.synonyms).join(
        Term, Term.id == ConditionTerm.term_id
    )
    return {row.condition_id: row.synonyms or [] for row in session.execute(query)}


def computed_links(session: Session, system: str) -> dict[int, set[tuple[Any, ...]]]:
    """The links this service computed in a system, by record, as (position, code, display,
    source id)."""
    query = select(Code.condition_id, Code.position, Code.code, Code.display, Code.source_id).where(
        Code.system == system, Code.provenance == "computed"
    )
    found: dict[int, set[tuple[Any, ...]]] = {}
    for row in session.execute(query):
        found.setdefault(row[0], set()).add(tuple(row[1:]))
    return found


def conditions_citing(session: Session, source_ids: set[int]) -> set[int]:
    """The records whose imported codes, annotations or genes come from these sources."""
    if not source_ids:
        return set()
    codes = select(Code.condition_id).where(Code.source_id.in_(source_ids))
    annotations = select(PhenotypeAnnotation.condition_id).where(
        PhenotypeAnnotation.source_id.in_(source_ids)
    )
    genes = select(ConditionGene.condition_id).where(ConditionGene.source_id.in_(source_ids))
    return set(session.scalars(codes.union(annotations, genes)))


def conditions_showing_terms(session: Session, term_ids: set[int]) -> set[int]:
    """The records whose annotations or section items show one of these terms."""
    found: set[int] = set()
    ids = sorted(term_ids)
    for batch in id_batches(ids):
        annotations = select(PhenotypeAnnotation.condition_id).where(
            PhenotypeAnnotation.term_id.in_(batch)
        )
        items = (
            select(Section.condition_id)
            .join(SectionItem, SectionItem.section_id == Section.id)
            .where(SectionItem.term_id.in_(batch))
        )
        found |= set(session.scalars(annotations.union(items)))
    return found


STORED_ANNOTATION_COLUMNS = (
    "position", "disease_code", "term_id", "aspect", "excluded", "evidence", "sex", "source_id",
)  # fmt: skip
STORED_ANNOTATION_JSON = ("frequency", "onset", "references", "modifiers")


def annotation_rows(session: Session) -> dict[int, list[tuple[Any, ...]]]:
    """Every stored annotation row by record, in position order: the columns of
    STORED_ANNOTATION_COLUMNS, then those of STORED_ANNOTATION_JSON as stored text (decoding
    them all would be most of a re-import's time; callers decode only what differs)."""
    query = select(
        PhenotypeAnnotation.condition_id,
        *(getattr(PhenotypeAnnotation, name) for name in STORED_ANNOTATION_COLUMNS),
        *(cast(getattr(PhenotypeAnnotation, name), Text) for name in STORED_ANNOTATION_JSON),
    ).order_by(PhenotypeAnnotation.condition_id, PhenotypeAnnotation.position)
    found: dict[int, list[tuple[Any, ...]]] = {}
    for row in session.execute(query):
        found.setdefault(row[0], []).append(tuple(row[1:]))
    return found


class SummaryRow(Protocol):
    """One annotation row as a composed summary reads it (frequency as stored text; the
    term's name from term_names)."""

    disease_code: str
    aspect: str
    term_id: int
    frequency: str | None
    source_id: int


def summary_rows(session: Session) -> Generator[tuple[int, list[SummaryRow]]]:
    """Each record's present (not NOT) rows of aspects P, I and C, in position order, by
    record id in ascending order: streamed, so one record's rows are held at a time."""
    query = (
        select(
            PhenotypeAnnotation.condition_id,
            PhenotypeAnnotation.disease_code,
            PhenotypeAnnotation.aspect,
            PhenotypeAnnotation.term_id,
            cast(PhenotypeAnnotation.frequency, Text).label("frequency"),
            PhenotypeAnnotation.source_id,
        )
        .where(PhenotypeAnnotation.aspect.in_(("P", "I", "C")), ~PhenotypeAnnotation.excluded)
        .order_by(PhenotypeAnnotation.condition_id, PhenotypeAnnotation.position)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for condition_id, rows in groupby(session.execute(query), key=attrgetter("condition_id")):
        yield condition_id, list(rows)


def term_names(session: Session) -> dict[int, str]:
    query = select(Term.id, Term.name).where(Term.kind == "symptom")
    return {term_id: name for term_id, name in session.execute(query)}


def descendants_of(session: Session, hpo_id: str) -> set[int]:
    """The ids of a term and of every term below it."""
    query = (
        select(term_ancestors.c.term_id)
        .join(Term, Term.id == term_ancestors.c.ancestor_id)
        .where(Term.code == hpo_id, Term.kind == "symptom")
    )
    return set(session.scalars(query))


def condition_gene_symbols(session: Session) -> dict[int, list[tuple[str, int]]]:
    """Each record's associated genes as (name, source id), as its causes section lists them:
    genes listed by more of its disease ids first, then in the import's order. The name is the
    symbol, or the NCBI Gene CURIE of a gene the file gives none."""
    listed = func.count(ConditionGene.disease_code)
    query = (
        select(
            ConditionGene.condition_id,
            Gene.symbol,
            Gene.ncbi_id,
            func.min(ConditionGene.source_id),
        )
        .join(Gene, Gene.id == ConditionGene.gene_id)
        .group_by(ConditionGene.condition_id, Gene.id, Gene.symbol, Gene.ncbi_id)
        .order_by(ConditionGene.condition_id, listed.desc(), func.min(ConditionGene.position))
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for condition_id, symbol, ncbi_id, source_id in session.execute(query):
        found.setdefault(condition_id, []).append((symbol or f"NCBIGene:{ncbi_id}", source_id))
    return found


def term_definitions(session: Session) -> dict[int, tuple[str, int | None]]:
    """The definition and source of each linked record's HPO term, where it has one."""
    query = (
        select(ConditionTerm.condition_id, Term.definition, Term.source_id)
        .join(Term, Term.id == ConditionTerm.term_id)
        .where(Term.definition.is_not(None), Term.definition != "")
    )
    return {row[0]: (row[1] or "", row[2]) for row in session.execute(query)}


def stored_summaries(session: Session) -> list[tuple[Any, ...]]:
    """(id, editors' summary, derived summary, its kind, its sources) of every record, by
    id."""
    query = select(
        Condition.id,
        Condition.summary,
        Condition.derived_summary,
        Condition.derived_summary_kind,
        Condition.derived_summary_sources,
    ).order_by(Condition.id)
    return [tuple(row) for row in session.execute(query)]


def source_versions(session: Session) -> dict[int, tuple[str, str | None]]:
    return {
        row[0]: (row[1], row[2])
        for row in session.execute(select(Source.id, Source.title, Source.version))
    }


def latest_documents(session: Session, condition_ids: Sequence[int]) -> dict[int, Any]:
    """The document of each record's newest revision, where it has one."""
    found: dict[int, Any] = {}
    for batch in id_batches(condition_ids):
        newest = (
            select(ConditionRevision.condition_id, func.max(ConditionRevision.number).label("n"))
            .where(ConditionRevision.condition_id.in_(batch))
            .group_by(ConditionRevision.condition_id)
            .subquery()
        )
        query = select(ConditionRevision.condition_id, ConditionRevision.document).join(
            newest,
            (newest.c.condition_id == ConditionRevision.condition_id)
            & (newest.c.n == ConditionRevision.number),
        )
        found |= {row.condition_id: row.document for row in session.execute(query)}
    return found


def redirect_slugs(session: Session, moved: dict[str, str], naming: Sequence[str]) -> None:
    """Old slugs (`moved`: old -> new) redirect to the records renamed from them; slugs that
    name a record (`naming`) no longer redirect."""
    taken = [*naming, *moved.values()]
    for start in range(0, len(taken), BATCH_SIZE):
        session.execute(
            delete(SlugRedirect).where(SlugRedirect.slug.in_(taken[start : start + BATCH_SIZE]))
        )
    if moved:
        ids = condition_ids_for_slugs(session, list(moved.values()))
        session.execute(delete(SlugRedirect).where(SlugRedirect.slug.in_(list(moved))))
        session.add_all(
            SlugRedirect(slug=old, condition_id=ids[new], created_at=utcnow())
            for old, new in moved.items()
        )
        session.flush()


def revision_heads(
    session: Session, condition_ids: Sequence[int]
) -> list[tuple[int, str, str, str, int]]:
    """(id, slug, name, status, revision) of these records, by id."""
    rows: list[tuple[int, str, str, str, int]] = []
    for batch in id_batches(condition_ids):
        query = (
            select(
                Condition.id, Condition.slug, Condition.name, Condition.status, Condition.revision
            )
            .where(Condition.id.in_(batch))
            .order_by(Condition.id)
        )
        rows += [(row[0], row[1], row[2], row[3], row[4]) for row in session.execute(query)]
    return rows


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


def code_pairs(session: Session, system: str, exclude: str | None = None) -> set[tuple[int, str]]:
    """(condition id, code) of the codes of a system, but those of provenance `exclude`."""
    query = select(Code.condition_id, Code.code).where(Code.system == system)
    if exclude is not None:
        query = query.where(Code.provenance != exclude)
    return {(row.condition_id, row.code) for row in session.execute(query)}


@dataclass(frozen=True)
class EntryNames:
    code: str
    display: str
    inclusion_terms: list[str]  # with the "Includes" notes: what a name may meet besides
    source_id: int


def entry_names(session: Session, system: str, levels: Sequence[str]) -> list[EntryNames]:
    """Plain rows, not ORM objects: ICD-10-CM has 98,466 entries."""
    query = select(
        CodeEntry.code, CodeEntry.display, CodeEntry.inclusion_terms, CodeEntry.includes,
        CodeEntry.source_id,
    ).where(CodeEntry.system == system, CodeEntry.level.in_(levels))  # fmt: skip
    return [
        EntryNames(row[0], row[1], [*(row[2] or []), *(row[3] or [])], row[4])
        for row in session.execute(query)
    ]


def refresh_annotation_counts(session: Session, condition_ids: Sequence[int]) -> None:
    """conditions.annotation_count = its annotation rows, all aspects and NOT rows included."""
    counted = (
        select(func.count())
        .where(PhenotypeAnnotation.condition_id == Condition.id)
        .scalar_subquery()
    )
    session.execute(
        update(Condition).where(Condition.id.in_(condition_ids)).values(annotation_count=counted)
    )


# --- common conditions from HPO terms (app/importers/hpo_conditions.py) ----------------------


@dataclass(frozen=True)
class TermRow:
    id: int
    code: str
    name: str
    definition: str | None
    synonyms: list[dict[str, str]]
    xrefs: list[str]
    source_id: int | None


def hpo_terms_under(session: Session, ancestor_code: str) -> list[TermRow]:
    """The HPO terms below one term (not the term itself), with what a record takes of them."""
    ancestor = select(Term.id).where(Term.kind == "symptom", Term.code == ancestor_code)
    query = (
        select(
            Term.id,
            Term.code,
            Term.name,
            Term.definition,
            Term.synonyms,
            Term.xrefs,
            Term.source_id,
        )
        .join(term_ancestors, term_ancestors.c.term_id == Term.id)
        .where(
            term_ancestors.c.ancestor_id == ancestor.scalar_subquery(),
            term_ancestors.c.distance > 0,
        )
        .order_by(Term.code)
    )
    return [
        TermRow(row[0], row[1], row[2], row[3], row[4] or [], row[5] or [], row[6])
        for row in session.execute(query)
    ]


def entry_titles(session: Session, system: str, levels: Sequence[str]) -> list[tuple[Any, ...]]:
    """(code, display, inclusion terms and "Includes" notes, chapter) of the entries of a
    system at these levels."""
    query = select(
        CodeEntry.code, CodeEntry.display, CodeEntry.inclusion_terms, CodeEntry.includes,
        CodeEntry.path[0].as_string(),
    ).where(CodeEntry.system == system, CodeEntry.level.in_(levels))  # fmt: skip
    return [
        (row[0], row[1], [*(row[2] or []), *(row[3] or [])], row[4])
        for row in session.execute(query)
    ]


def conditions_by_origin(session: Session) -> list[tuple[int, str, str, str]]:
    """(id, slug, name, origin) of every record."""
    query = select(Condition.id, Condition.slug, Condition.name, Condition.origin)
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]


def slugs_of_origin(session: Session, origin: str) -> list[str]:
    return list(session.scalars(select(Condition.slug).where(Condition.origin == origin)))


def conditions_of_origin(session: Session, origin: str) -> list[int]:
    return list(session.scalars(select(Condition.id).where(Condition.origin == origin)))


def condition_terms(session: Session) -> dict[int, int]:
    """{condition id: term id} of the records linked to an HPO term."""
    query = select(ConditionTerm.condition_id, ConditionTerm.term_id)
    return {row[0]: row[1] for row in session.execute(query)}


def term_record_fields(session: Session) -> dict[int, tuple[Any, ...]]:
    """{id: (synonyms, consumer names)} of every record."""
    query = select(Condition.id, Condition.synonyms, Condition.consumer_names)
    return {row[0]: (row[1] or [], row[2] or []) for row in session.execute(query)}


def term_children(session: Session) -> dict[int, list[int]]:
    """{term id: its child term ids}."""
    found: dict[int, list[int]] = {}
    for child, parent in session.execute(select(term_parents.c.term_id, term_parents.c.parent_id)):
        found.setdefault(parent, []).append(child)
    return found


def code_carriers(session: Session, system: str) -> dict[int, list[str]]:
    """{condition id: its codes of a system}, any provenance."""
    found: dict[int, list[str]] = {}
    for row in session.execute(select(Code.condition_id, Code.code).where(Code.system == system)):
        found.setdefault(row[0], []).append(row[1])
    return found


def entry_tree(session: Session, system: str) -> dict[str, tuple[str, str | None, int]]:
    """{code: (display, parent code, source id)} of a system's entries."""
    query = select(
        CodeEntry.code, CodeEntry.display, CodeEntry.parent_code, CodeEntry.source_id
    ).where(CodeEntry.system == system)
    return {row[0]: (row[1], row[2], row[3]) for row in session.execute(query)}


def condition_type_rows(session: Session) -> dict[int, set[tuple[Any, ...]]]:
    """The stored subtypes by record, as (position, name, system, code, type condition id,
    source id)."""
    query = select(
        ConditionType.condition_id, ConditionType.position, ConditionType.name,
        ConditionType.system, ConditionType.code, ConditionType.type_condition_id,
        ConditionType.source_id,
    )  # fmt: skip
    found: dict[int, set[tuple[Any, ...]]] = {}
    for row in session.execute(query):
        found.setdefault(row[0], set()).add(tuple(row[1:]))
    return found


def source_id_for(session: Session, key: str) -> int | None:
    return session.scalar(select(Source.id).where(Source.key == key))
