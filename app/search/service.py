"""Search: codes first, then ranked full text, then the query corrected word by word; hits
say where they matched and show a marked snippet. Autocomplete from the in-memory vocabulary."""

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.codes import repository as codes_repository
from app.conditions.status import DEFAULT_STATUS
from app.core.db import session_on
from app.core.errors import InvalidParameter
from app.core.pagination import page_links
from app.core.schemas import SelfLink
from app.core.urls import condition_path, symptom_path
from app.reads.service import snapshot_in
from app.reads.snapshots import Versioned
from app.search import repository
from app.search.repository import SEARCH_COLUMNS, Hit, SearchFilters
from app.search.schemas import (
    AutocompleteResponse,
    SearchFacets,
    SearchHit,
    SearchResponse,
    Suggestion,
)
from app.search.snapshot import Ranked, Snapshot, make_snapshot

SNIPPET_CHARS = 160
# Words of code-system names that say how the code is used, not what the condition is.
CODE_NAME_FILLERS = {"unspecified", "other", "specified", "nos", "and", "or", "with", "without"}
STEM = 5  # a query word matches a field word that starts with its first letters (stemming)

# Codes as people type them: ORPHA:641, omim 254200, MONDO:0018979, HP:0012078, G61.82, G6182.
_CODES = [
    (re.compile(r"^(?:orpha(?:net)?)[\s:_-]*(\d{1,7})$", re.I), "orpha"),
    (re.compile(r"^omim[\s:_-]*(\d{6})$", re.I), "omim"),
    (re.compile(r"^mondo[\s:_-]*(\d{7})$", re.I), "mondo"),
    (re.compile(r"^decipher[\s:_-]*(\d{1,6})$", re.I), "decipher"),
    (re.compile(r"^hp[\s:_-]*(\d{7})$", re.I), "hpo"),
    (re.compile(r"^(?:icd-?10(?:-?cm)?[\s:]*)?([a-z]\d[0-9a-z])\.?([0-9a-z]{0,4})$", re.I), "icd"),
]


@dataclass(frozen=True)
class CodeQuery:
    system: str
    code: str


def parse_code(query: str) -> CodeQuery | None:
    text = query.strip()
    for pattern, system in _CODES:
        match = pattern.match(text)
        if not match:
            continue
        if system == "icd":
            head, tail = match.group(1).upper(), match.group(2).upper()
            return CodeQuery("icd10cm", f"{head}.{tail}" if tail else head)
        if system == "hpo":
            return CodeQuery("hpo", f"HP:{match.group(1)}")
        return CodeQuery(system, match.group(1))
    return None


@lru_cache(maxsize=4096)
def _stem(start: str) -> re.Pattern[str]:
    """A word starting with `start`; compiled once (re's own cache holds too few patterns for
    a stream of different queries)."""
    return re.compile(r"\b" + re.escape(start), re.I)


@lru_cache(maxsize=4096)
def _marked_word(stem: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + stem.pattern.removeprefix(r"\b") + r"\w*)", re.I)


def _stems(tokens: list[str]) -> list[re.Pattern[str]]:
    return [_stem(token[:STEM]) for token in tokens]


def _matched(document: dict[str, str], stems: list[re.Pattern[str]]) -> list[str]:
    return [
        name
        for name in SEARCH_COLUMNS
        if any(stem.search(document.get(name) or "") for stem in stems)
    ]


def _snippet(text: str, stems: list[re.Pattern[str]]) -> str:
    """About SNIPPET_CHARS of `text` around the first match, HTML-escaped, matches marked."""
    first = min((m.start() for stem in stems if (m := stem.search(text))), default=0)
    start = max(0, first - SNIPPET_CHARS // 3)
    piece = text[start : start + SNIPPET_CHARS]
    escaped = html.escape(piece)
    for stem in stems:
        escaped = _marked_word(stem).sub(r"<mark>\1</mark>", escaped)
    return ("…" if start else "") + escaped + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _hits(
    session: Session, snapshot: Snapshot, scored: list[Hit], tokens: list[str]
) -> list[SearchHit]:
    """The page's hits, from the snapshot (names, summaries) and their indexed text."""
    documents = repository.documents(session, [hit.condition_id for hit in scored])
    stems = _stems(tokens)
    hits = []
    for hit in scored:
        entry = snapshot.names.get(hit.condition_id)
        if entry is None:  # not published as of the snapshot (a code look-up reads live rows)
            continue
        slug, _, name = entry
        document = documents.get(hit.condition_id, {})
        matched = _matched(document, stems)
        best = document.get(matched[0]) if matched else None
        hits.append(
            SearchHit(
                slug=slug,
                name=name,
                status=DEFAULT_STATUS.value,
                **snapshot.summaries.get(slug, {}),
                score=round(hit.score, 4),
                name_match=hit.name_match,
                matched_fields=matched,
                snippet=_snippet(best, stems) if best else None,
                links=SelfLink(self=condition_path(slug)),
            )
        )
    return hits


def _page(
    snapshot: Snapshot, ranked: Ranked, limit: int, offset: int
) -> tuple[int, list[Hit], dict[str, dict[str, int]]]:
    """The total, the page's hits (only those are built) and the facets of all matches."""
    return len(ranked.ids), ranked.hits(limit, offset), snapshot.facts.facets(ranked.ids)


def _carrying(session: Session, code: CodeQuery) -> list[int]:
    """The published conditions carrying the code, surest links first, then by name (as the
    code look-up lists them)."""
    carriers = codes_repository.conditions_with_code(
        session, code.system, code.code, DEFAULT_STATUS.value
    )
    return list(dict.fromkeys(condition.id for condition, _ in carriers))


def _most_words_named(snapshot: Snapshot, ranked: Ranked, words: list[str]) -> Ranked:
    """Matches whose name holds more of the code name's words first (keeping the ranking
    among equals): any one shared word, such as "type", does not put a record first."""
    stems = [word[:STEM] for word in words]

    def named(id_: int) -> int:
        parts = snapshot.names[id_][0].split("-")
        return sum(any(part.startswith(stem) for part in parts) for stem in stems)

    return ranked.reordered(sorted(ranked.ids, key=lambda id_: -named(id_)))


def _gene_listings_first(
    session: Session, snapshot: Snapshot, ranked: Ranked, tokens: list[str]
) -> Ranked:
    """A one-word query that is a gene symbol (CFTR) puts the records listing that gene next
    after whole-name matches, the best-known first (repository.gene_listings): the text score
    alone favours the records with the fewest codes, so a gene's best-known disease would come
    last."""
    if len(tokens) != 1 or tokens[0].upper() not in snapshot.gene_symbols:
        return ranked
    listings = repository.gene_listings(session, tokens[0])
    if not listings:
        return ranked
    named = [id_ for id_ in ranked.ids if id_ in ranked.name_matches]
    unnamed = [id_ for id_ in ranked.ids if id_ not in ranked.name_matches]
    listed = sorted((id_ for id_ in unnamed if id_ in listings), key=listings.__getitem__)
    rest = [id_ for id_ in unnamed if id_ not in listings]
    return ranked.reordered([*named, *listed, *rest])


def check_source(session: Session, source: str | None) -> None:
    """An unknown source key is refused like an unknown section: a 422 listing the keys."""
    if source is None:
        return
    keys = repository.source_keys(session)
    if source not in keys:
        allowed = ", ".join(f"'{key}'" for key in keys)
        raise InvalidParameter(
            "Invalid value for query.source.",
            errors=[
                {
                    "loc": ["query", "source"],
                    "msg": f"Input should be one of {allowed}",
                    "type": "enum",
                }
            ],
        )


def search(
    session: Session,
    snapshots: Versioned[Snapshot],
    version: int,
    request: Request,
    query: str,
    filters: SearchFilters,
    limit: int,
    offset: int,
) -> SearchResponse:
    check_source(session, filters.source)
    snapshot = snapshot_in(session, snapshots, make_snapshot, version)
    code = parse_code(query)
    searched_for, corrected, match = query, None, "none"
    total, scored = 0, list[Hit]()
    facets: dict[str, dict[str, int]] = {"source": {}, "section": {}}
    tokens = repository.words(query)
    if code is not None:
        ids = (
            repository.conditions_with_term(session, code.code)
            if code.system == "hpo"
            else _carrying(session, code)
        )
        allowed = snapshot.facts.allowed(filters)
        kept = [id_ for id_ in ids if allowed is None or id_ in allowed]
        total, scored, facets = _page(snapshot, Ranked(kept, {}, {}), limit, offset)
        if total:
            match = "code"
        else:
            # No condition carries the code: search what its system calls it instead (the
            # code's own characters would match unrelated words).
            name = repository.code_name(session, code.system, code.code)
            name_words = [w for w in repository.words(name or "") if w not in CODE_NAME_FILLERS]
            if name and name_words:
                # Any of its words, ranked: code names qualify ("unspecified", "or Becker").
                matches = repository.match_all(session, name_words, any_word=True)
                ranked = _most_words_named(
                    snapshot, snapshot.rank(matches, name_words, filters), name_words
                )
                total, scored, facets = _page(snapshot, ranked, limit, offset)
                if total:
                    match, searched_for, tokens = "code_name", name, name_words
            else:
                code = None  # not a code this service knows: the words are searched as text
    if match == "none" and code is None and tokens:
        ranked = snapshot.rank(repository.match_all(session, tokens), tokens, filters)
        ranked = _gene_listings_first(session, snapshot, ranked, tokens)
        total, scored, facets = _page(snapshot, ranked, limit, offset)
        match = "text" if total else "none"
        if not total:
            fixed = [snapshot.vocabulary.correct(token) or token for token in tokens]
            if fixed != tokens:
                ranked = snapshot.rank(repository.match_all(session, fixed), fixed, filters)
                total, scored, facets = _page(snapshot, ranked, limit, offset)
                if total:
                    match, corrected, tokens = "corrected", " ".join(fixed), fixed
                    searched_for = corrected
    marks = tokens if match != "code" else repository.words(code.code if code else query)
    next_params = {"offset": offset + limit} if offset + limit < total else None
    prev_params = {"offset": max(offset - limit, 0)} if offset > 0 else None
    return SearchResponse(
        query=query,
        searched_for=searched_for,
        match=match,
        corrected_query=corrected,
        did_you_mean=corrected,
        items=_hits(session, snapshot, scored, marks),
        total=total,
        limit=limit,
        offset=offset,
        facets=SearchFacets(**facets),
        links=page_links(request, next_params, prev_params),  # type: ignore[arg-type]
    )


def search_on(connection: Connection, *args: Any) -> SearchResponse:
    """`search` on a connection of the thread pool (Reader.build)."""
    with session_on(connection) as session:
        return search(session, *args)


def autocomplete(snapshot: Snapshot, query: str, limit: int) -> AutocompleteResponse:
    entries = snapshot.vocabulary.complete(query, limit)
    items = [
        Suggestion(
            label=entry.label,
            kind=entry.kind,
            slug=entry.slug,
            **(snapshot.summaries.get(entry.slug, {}) if entry.kind != "symptom" else {}),
            links=SelfLink(
                self=symptom_path(entry.slug)
                if entry.kind == "symptom"
                else condition_path(entry.slug)
            ),
        )
        for entry in entries
    ]
    return AutocompleteResponse(query=query, items=items)
