"""Every query of search: full-text matches (FTS5 with bm25 on SQLite, tsvector with
ts_rank_cd on PostgreSQL), filters, facets, code look-ups and the vocabulary."""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Select,
    bindparam,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, load_only

from app.conditions.repository import has_imported_kind
from app.models import (
    Code,
    CodeEntry,
    Condition,
    ConditionChange,
    ConditionGene,
    Gene,
    PhenotypeAnnotation,
    Section,
    SectionItem,
    Source,
    Term,
    condition_sources,
)
from app.models.kinds import SectionKind

WORD = re.compile(r"\w+", re.UNICODE)
SEARCH_COLUMNS = ("name", "synonyms", "codes", "summary", "sections")
# Field weights, name > synonyms > codes > summary and sections: bm25's column weights on
# SQLite (in SEARCH_COLUMNS order), ts_rank_cd's {D, C, B, A} for the classes of migration 0004.
_MATCHING = {
    "sqlite": """SELECT rowid AS condition_id,
            -bm25(condition_search, 10.0, 6.0, 4.0, 1.5, 1.0) AS score
        FROM condition_search WHERE condition_search MATCH :query""",
    "postgresql": """SELECT condition_id,
            ts_rank_cd('{0.1, 0.4, 0.6, 1.0}', document, q) AS score
        FROM condition_search, to_tsquery('english', :query) AS q WHERE document @@ q""",
}


@dataclass(frozen=True)
class SearchFilters:
    section: str | None = None
    source: str | None = None
    code_system: str | None = None


@dataclass(frozen=True)
class Hit:
    condition_id: int
    score: float
    name_match: str | None = None


def words(query: str) -> list[str]:
    return [word.lower() for word in WORD.findall(query)]


def _fts5_query(tokens: Sequence[str], any_word: bool) -> str:
    # Every word must match (or any, ranked by how many); the last may be the start of a word
    # (typing in progress).
    quoted = [f'"{token}"' for token in tokens]
    if not any_word:
        quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


def _tsquery(tokens: Sequence[str], any_word: bool) -> str:
    parts = list(tokens)
    if not any_word:
        parts[-1] += ":*"
    return (" | " if any_word else " & ").join(parts)


def _annotation_source_key(session: Session) -> str | None:
    source_id = session.scalar(select(PhenotypeAnnotation.source_id).limit(1))
    return session.scalar(select(Source.key).where(Source.id == source_id)) if source_id else None


def _source_pairs(session: Session) -> Select[tuple[int, str]]:
    """(condition id, source key) for each source a condition draws on: cited sources, the
    sources of its codes, and the annotations' source when it has imported phenotypes."""
    cited = select(condition_sources.c.condition_id, Source.key).join(
        Source, Source.id == condition_sources.c.source_id
    )
    of_codes = (
        select(Code.condition_id, Source.key).join(Source, Source.id == Code.source_id).distinct()
    )
    parts = [cited, of_codes]
    annotations_key = _annotation_source_key(session)
    if annotations_key:
        parts.append(
            select(Condition.id, literal(annotations_key)).where(Condition.annotation_count > 0)
        )
    pairs = union_all(*parts).subquery()
    return select(pairs.c[0].label("condition_id"), pairs.c[1].label("key"))


def _section_pairs() -> Select[tuple[int, str]]:
    written = select(Section.condition_id, Section.kind)
    imported = [
        select(Condition.id, literal(kind.value)).where(has_imported_kind(kind.value))
        for kind in SectionKind
    ]
    pairs = union_all(written, *imported).subquery()
    return select(pairs.c[0].label("condition_id"), pairs.c[1].label("kind")).distinct()


def match_all(
    session: Session, tokens: Sequence[str], *, any_word: bool = False
) -> list[tuple[int, float]]:
    """(condition id, text score) of every document that matches all (or any of) the words,
    unordered: the service ranks them (snapshot.py). Words of one letter (a possessive's s)
    are left out when others remain."""
    tokens = [token for token in tokens if len(token) > 1] or list(tokens)
    dialect = session.get_bind().dialect.name
    query = _fts5_query(tokens, any_word) if dialect == "sqlite" else _tsquery(tokens, any_word)
    rows = session.execute(text(_MATCHING[dialect]), {"query": query}).all()
    # (int, float) as both drivers give them: no conversion of thousands of rows.
    return cast(list[tuple[int, float]], rows)


def published_names(
    session: Session, ids: Collection[int] | None = None
) -> dict[int, tuple[str, frozenset[str], str]]:
    """Slug, casefolded synonyms and lay names, and name of every published condition (or of
    those in `ids`)."""
    query = select(
        Condition.id, Condition.slug, Condition.synonyms, Condition.consumer_names, Condition.name
    ).where(Condition.status == "published")
    if ids is not None:
        query = query.where(Condition.id.in_(ids))
    return {
        row[0]: (
            row[1],
            frozenset(name.casefold() for name in [*(row[2] or []), *(row[3] or [])]),
            row[4],
        )
        for row in session.execute(query)
    }


def gene_symbols(session: Session) -> frozenset[str]:
    """Every gene symbol, upper-cased: which one-word queries gene_listings can answer."""
    return frozenset(symbol.upper() for symbol in session.scalars(select(Gene.symbol)) if symbol)


def published_summaries(
    session: Session, ids: Collection[int] | None = None
) -> dict[str, Condition]:
    """The rows of every published condition (or of those in `ids`) by slug, loaded with the
    columns of the summary they show only."""
    query = (
        select(Condition)
        .where(Condition.status == "published")
        .options(
            load_only(
                Condition.slug,
                Condition.summary,
                Condition.derived_summary,
                Condition.derived_summary_kind,
                Condition.derived_summary_sources,
            )
        )
    )
    if ids is not None:
        query = query.where(Condition.id.in_(ids))
    return {condition.slug: condition for condition in session.scalars(query)}


def condition_facts(
    session: Session, ids: Collection[int] | None = None
) -> dict[str, dict[int, set[str]]]:
    """For every condition (or those in `ids`): its section kinds, the keys of the sources it
    draws on, and its code systems. Held in memory per content version (see snapshot)."""
    facts: dict[str, dict[int, set[str]]] = {"section": {}, "source": {}, "code_system": {}}
    queries: dict[str, Select[*tuple[Any, ...]]] = {
        "section": _section_pairs(),
        "source": _source_pairs(session),
        "code_system": select(Code.condition_id, Code.system).distinct(),
    }
    for name, query in queries.items():
        if ids is not None:
            rows = query.subquery()
            query = select(rows).where(rows.c[0].in_(ids))
        for row in session.execute(query):
            facts[name].setdefault(int(row[0]), set()).add(str(row[1]))
    return facts


_DOCUMENTS = {
    "sqlite": """SELECT rowid, name, synonyms, codes, summary, sections
        FROM condition_search WHERE rowid IN :ids""",
    "postgresql": """SELECT condition_id, name, synonyms, codes, summary, sections
        FROM condition_search WHERE condition_id IN :ids""",
}


def documents(session: Session, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """The indexed text of these conditions, by column (to say where a query matched)."""
    if not ids:
        return {}
    statement = text(_DOCUMENTS[session.get_bind().dialect.name]).bindparams(
        bindparam("ids", expanding=True)
    )
    rows = session.execute(statement, {"ids": list(ids)})
    return {row[0]: dict(zip(SEARCH_COLUMNS, row[1:], strict=True)) for row in rows}


def source_keys(session: Session) -> list[str]:
    """The keys of the sources the data draws on: the values the `source` filter takes."""
    return list(session.scalars(select(Source.key).order_by(Source.key)))


def code_name(session: Session, system: str, code: str) -> str | None:
    """What the code system calls the code (e.g. ICD-10-CM's description), if imported."""
    query = select(CodeEntry.display).where(CodeEntry.system == system, CodeEntry.code == code)
    return session.scalar(query.limit(1))


def gene_listings(session: Session, symbol: str) -> dict[int, tuple[int, int]]:
    """{condition id: sort key} of the records whose disease ids list a gene of this symbol
    (any case). The best-known disease first: annotation rows times the disease ids listing
    the gene (a merged record whose ids both list it counts twice), then those ids."""
    listed = func.count(ConditionGene.disease_code)
    query = (
        select(ConditionGene.condition_id, listed, Condition.annotation_count)
        .join(Gene, Gene.id == ConditionGene.gene_id)
        .join(Condition, Condition.id == ConditionGene.condition_id)
        .where(func.upper(Gene.symbol) == symbol.upper())
        .group_by(ConditionGene.condition_id, Condition.annotation_count)
    )
    return {row[0]: (-row[1] * row[2], -row[1]) for row in session.execute(query)}


def conditions_with_term(session: Session, hpo_id: str) -> list[int]:
    """Conditions whose annotations (not NOT rows) or editors' items list the HPO term."""
    term_id = session.scalar(select(Term.id).where(Term.code == hpo_id))
    if term_id is None:
        return []
    annotated = select(PhenotypeAnnotation.condition_id).where(
        PhenotypeAnnotation.term_id == term_id, PhenotypeAnnotation.excluded.is_(False)
    )
    written = (
        select(Section.condition_id)
        .join(SectionItem, SectionItem.section_id == Section.id)
        .where(SectionItem.term_id == term_id)
    )
    ids = union_all(annotated, written).subquery()
    query = (
        select(Condition.id)
        .where(Condition.id.in_(select(ids.c[0])), Condition.status == "published")
        .order_by(Condition.slug)
    )
    return list(session.scalars(query))


def changed_since(session: Session, version: int, limit: int) -> list[int] | None:
    """Ids of the records the change feed lists after content version `version`; None when
    more than `limit` changed, or a record was removed: then rebuild everything."""
    rows = session.execute(
        select(ConditionChange.slug, ConditionChange.action)
        .where(ConditionChange.seq > version)
        .limit(limit + 1)
    ).all()
    if len(rows) > limit or any(action == "removed" for _, action in rows):
        return None
    slugs = {slug for slug, _ in rows}
    if not slugs:
        return []
    return list(session.scalars(select(Condition.id).where(Condition.slug.in_(slugs))))


def vocabulary_rows(session: Session) -> list[tuple[str, str, str]]:
    """(label, kind, slug) for every condition name, synonym and lay name (slug: the
    condition's) and every symptom term: what autocomplete offers and typo correction corrects
    towards."""
    rows: list[tuple[str, str, str]] = []
    for slug, name, synonyms, lay_names in session.execute(
        select(Condition.slug, Condition.name, Condition.synonyms, Condition.consumer_names).where(
            Condition.status == "published"
        )
    ):
        rows.append((name, "condition", slug))
        names = dict.fromkeys([*(synonyms or []), *(lay_names or [])])
        rows.extend((synonym, "synonym", slug) for synonym in names)
    for slug, name in session.execute(select(Term.slug, Term.name).where(Term.kind == "symptom")):
        rows.append((name, "symptom", slug))
    return rows
