"""Keeps the search index in step with the data: one document per condition, rebuilt by every
write path (seed, imports) in the transaction that changes the condition.

The index table is made by migration 0004: an FTS5 table (rowid = condition id) on SQLite, a
table with a generated, weighted tsvector on PostgreSQL. Its columns are the same on both."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, inspect, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.conditions.code_systems import CODE_SYSTEMS
from app.models import Code, Condition, PhenotypeAnnotation, Section, SectionItem, Term

BATCH = 2_000
_STATEMENTS = {
    "sqlite": {
        "delete": "DELETE FROM condition_search WHERE rowid IN :ids",
        "insert": """INSERT INTO condition_search (rowid, name, synonyms, codes, summary, sections)
            VALUES (:id, :name, :synonyms, :codes, :summary, :sections)""",
    },
    "postgresql": {
        "delete": "DELETE FROM condition_search WHERE condition_id IN :ids",
        "insert": """INSERT INTO condition_search
            (condition_id, name, synonyms, codes, summary, sections)
            VALUES (:id, :name, :synonyms, :codes, :summary, :sections)""",
    },
}


def _code_text(system: str, code: str) -> str:
    """A code as people write it: G61.82 and G6182, ORPHA:641 and 641."""
    info = CODE_SYSTEMS.get(system)  # type: ignore[call-overload]
    forms = {code, code.replace(".", ""), info.curie(code) if info else code}
    return " ".join(sorted(forms))


def _only(column: InstrumentedAttribute[int], ids: Sequence[int] | None) -> list[Any]:
    return [column.in_(ids)] if ids is not None else []


def _lay_names(session: Session, ids: Sequence[int] | None) -> dict[int, list[str]]:
    """Each record's lay names; none while migrating from before the column (migration 0004
    builds the index with this module)."""
    columns = {column["name"] for column in inspect(session.connection()).get_columns("conditions")}
    if "consumer_names" not in columns:
        return {}
    query = select(Condition.id, Condition.consumer_names).where(*_only(Condition.id, ids))
    return {row[0]: row[1] for row in session.execute(query) if row[1]}


def _documents(session: Session, ids: Sequence[int] | None) -> dict[int, dict[str, str]]:
    docs: dict[int, dict[str, str]] = {}
    lay = _lay_names(session, ids)
    for condition in session.execute(
        select(Condition.id, Condition.name, Condition.synonyms, Condition.summary).where(
            *_only(Condition.id, ids)
        )
    ):
        # Lay names ("Heart attack") are searched as synonyms are.
        names = [*(condition.synonyms or []), *lay.get(condition.id, [])]
        docs[condition.id] = {
            "name": condition.name,
            "synonyms": " ; ".join(dict.fromkeys(names)),
            "codes": "",
            "summary": condition.summary or "",
            "sections": "",
        }
    codes: dict[int, list[str]] = defaultdict(list)
    for code in session.execute(
        select(Code.condition_id, Code.system, Code.code).where(*_only(Code.condition_id, ids))
    ):
        codes[code.condition_id].append(_code_text(code.system, code.code))
    texts: dict[int, list[str]] = defaultdict(list)
    for section in session.execute(
        select(Section.condition_id, Section.summary).where(*_only(Section.condition_id, ids))
    ):
        if section.summary:
            texts[section.condition_id].append(section.summary)
    for item in session.execute(
        select(Section.condition_id, SectionItem.name, SectionItem.description)
        .join(SectionItem, SectionItem.section_id == Section.id)
        .where(*_only(Section.condition_id, ids))
    ):
        texts[item.condition_id].append(
            f"{item.name}. {item.description}" if item.description else item.name
        )
    # Imported phenotypes are the symptom words of records built from data (NOT rows aside).
    for phenotype in session.execute(
        select(PhenotypeAnnotation.condition_id, Term.name, Term.code)
        .join(Term, Term.id == PhenotypeAnnotation.term_id)
        .where(
            PhenotypeAnnotation.excluded.is_(False), *_only(PhenotypeAnnotation.condition_id, ids)
        )
        .distinct()
    ):
        texts[phenotype.condition_id].append(phenotype.name)
        if phenotype.code:
            codes[phenotype.condition_id].append(phenotype.code)
    for condition_id, doc in docs.items():
        doc["codes"] = " ".join(dict.fromkeys(codes.get(condition_id, [])))
        doc["sections"] = " ; ".join(dict.fromkeys(texts.get(condition_id, [])))
    return docs


def _batches(rows: Iterable[dict[str, object]]) -> Iterable[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def rebuild(session: Session, condition_ids: Sequence[int] | None = None) -> int:
    """(Re)index the given conditions, or all of them; deleted ones leave the index. Runs in
    the caller's transaction. Returns how many documents were written."""
    statements = _STATEMENTS[session.get_bind().dialect.name]
    if condition_ids is None:
        session.execute(text("DELETE FROM condition_search"))
    elif not condition_ids:
        return 0
    else:
        remove = text(statements["delete"]).bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(condition_ids), BATCH):
            session.execute(remove, {"ids": list(condition_ids[start : start + BATCH])})
    docs = _documents(session, condition_ids)
    insert = text(statements["insert"])
    rows = ({"id": condition_id, **doc} for condition_id, doc in docs.items())
    for batch in _batches(rows):
        session.execute(insert, batch)
    return len(docs)
