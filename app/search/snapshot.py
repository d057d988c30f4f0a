"""What search keeps in memory per worker: the vocabulary, and each condition's section kinds,
sources and code systems, so filters and facets over thousands of matches cost no further
query. It follows the content version (raised by any change to conditions):

- the records the change feed lists since the snapshot's version are re-read at once (a few
  milliseconds), so search results always reflect every write;
- everything, vocabulary included (about a second with the open data), is rebuilt when more
  than INCREMENTAL_LIMIT records changed (an import), or when the last whole build is older
  than FULL_REBUILD_S: so completions and typo corrections follow writes within that time,
  and a trickle of writes no longer makes every search wait for a whole build."""

import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from app.conditions.service import summary_fields
from app.reads.snapshots import Versioned
from app.search import repository
from app.search.repository import Hit, SearchFilters
from app.search.vocabulary import Vocabulary


@dataclass(frozen=True)
class Facts:
    by: dict[str, dict[int, set[str]]]  # section / source / code_system -> condition -> values

    @cached_property
    def _having(self) -> dict[tuple[str, str], frozenset[int]]:
        """The conditions with each value, per fact: what a filter keeps."""
        having: dict[tuple[str, str], set[int]] = {}
        for name, values_of in self.by.items():
            for id_, values in values_of.items():
                for value in values:
                    having.setdefault((name, value), set()).add(id_)
        return {key: frozenset(ids) for key, ids in having.items()}

    @cached_property
    def _profiles(self) -> tuple[dict[int, int], list[tuple[tuple[str, str], ...]]]:
        """Each condition's faceted values as a profile number, and each profile's values:
        thousands of records share a few hundred profiles, so counting a match's profiles and
        then their values costs far less than counting every value of every match."""
        profile_of: dict[int, int] = {}
        numbers: dict[tuple[tuple[str, str], ...], int] = {}
        ids = self.by["source"].keys() | self.by["section"].keys()
        for id_ in ids:
            profile = tuple(
                (name, value) for name in FACETS for value in sorted(self.by[name].get(id_, ()))
            )
            profile_of[id_] = numbers.setdefault(profile, len(numbers))
        return profile_of, list(numbers)

    def allowed(self, filters: SearchFilters) -> frozenset[int] | None:
        """The conditions that pass the filters; None when there are none (all pass)."""
        wanted = {
            "section": filters.section,
            "source": filters.source,
            "code_system": filters.code_system,
        }
        allowed: frozenset[int] | None = None
        for name, value in wanted.items():
            if value is not None:
                having = self._having.get((name, value), frozenset())
                allowed = having if allowed is None else allowed & having
        return allowed

    def facets(self, ids: Collection[int]) -> dict[str, dict[str, int]]:
        profile_of, profiles = self._profiles
        counts: Counter[tuple[str, str]] = Counter()
        for number, times in Counter(map(profile_of.get, ids)).items():
            if number is not None:
                for pair in profiles[number]:
                    counts[pair] += times
        return {
            name: {value: n for (facet, value), n in sorted(counts.items()) if facet == name}
            for name in FACETS
        }


FACETS = ("source", "section")


@dataclass(frozen=True)
class Ranked:
    """Search's matches in order, best first, and what a page of them shows."""

    ids: list[int]
    scores: Mapping[int, float]  # text scores (none for code look-ups: 1.0)
    name_matches: Mapping[int, str | None]  # the whole-name matches: exact, synonym or prefix

    def hits(self, limit: int, offset: int) -> list[Hit]:
        return [
            Hit(id_, self.scores.get(id_, 1.0), self.name_matches.get(id_))
            for id_ in self.ids[offset : offset + limit]
        ]

    def reordered(self, ids: list[int]) -> "Ranked":
        return Ranked(ids, self.scores, self.name_matches)


NAME_MATCHES = {3: "exact", 2: "synonym", 1: "prefix", 0: None}


def _summaries(session: Session, ids: Collection[int] | None = None) -> dict[str, dict[str, Any]]:
    rows = repository.published_summaries(session, ids)
    return {slug: summary_fields(condition) for slug, condition in rows.items()}


INCREMENTAL_LIMIT = 500
FULL_REBUILD_S = 30.0


@dataclass(frozen=True)
class Snapshot:
    version: int
    vocabulary: Vocabulary
    facts: Facts
    names: dict[int, tuple[str, frozenset[str], str]]  # published: slug, synonyms, name
    # What autocomplete shows of a published condition: its summary fields, by slug.
    summaries: dict[str, dict[str, Any]]
    built_at: float  # time.monotonic() of the last whole build
    # Upper-cased gene symbols, as of the last whole build (like the vocabulary).
    gene_symbols: frozenset[str] = frozenset()
    partial: bool = False  # records re-read since then: the vocabulary may lag
    # When this snapshot was made (a whole build or an update): an answer made from it, such
    # as a FHIR expansion, is dated by it and so stays the same until the content changes.
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def stale(self) -> bool:
        """Updated record by record for longer than FULL_REBUILD_S: time for a whole build."""
        return self.partial and time.monotonic() - self.built_at >= FULL_REBUILD_S

    @classmethod
    def build(cls, session: Session, version: int) -> "Snapshot":
        return cls(
            version,
            Vocabulary.build(repository.vocabulary_rows(session)),
            Facts(repository.condition_facts(session)),
            repository.published_names(session),
            _summaries(session),
            time.monotonic(),
            repository.gene_symbols(session),
        )

    def updated(self, session: Session, version: int, ids: list[int]) -> "Snapshot":
        """This snapshot with the records `ids` read again (the vocabulary kept)."""
        changed = set(ids)
        fresh = repository.condition_facts(session, changed)
        by = {
            name: {i: v for i, v in values.items() if i not in changed} | fresh[name]
            for name, values in self.facts.by.items()
        }
        names = {i: e for i, e in self.names.items() if i not in changed}
        names |= repository.published_names(session, changed)
        gone = {self.names[i][0] for i in changed if i in self.names}
        summaries = {slug: s for slug, s in self.summaries.items() if slug not in gone}
        summaries |= _summaries(session, changed)
        return Snapshot(
            version,
            self.vocabulary,
            Facts(by),
            names,
            summaries,
            self.built_at,
            self.gene_symbols,
            partial=True,
        )

    @cached_property
    def _name_index(self) -> tuple[dict[str, int], dict[str, set[int]], list[tuple[str, int]]]:
        """The published conditions by slug, by casefolded synonym, and as (slug, id) sorted
        by slug: where a query's whole-name matches are found without a pass over every
        match."""
        by_slug: dict[str, int] = {}
        by_synonym: dict[str, set[int]] = {}
        for id_, (slug, synonyms, _) in self.names.items():
            by_slug[slug] = id_
            for synonym in synonyms:
                by_synonym.setdefault(synonym, set()).add(id_)
        return by_slug, by_synonym, sorted((slug, id_) for slug, id_ in by_slug.items())

    @cached_property
    def _slug_of(self) -> dict[int, str]:
        return {id_: entry[0] for id_, entry in self.names.items()}

    def _whole_name_matches(self, slug: str, phrase: str) -> dict[int, int]:
        """{id: boost} of the conditions the query names: 3 its slug is the query's, 2 the
        query is a synonym, 1 the slug starts with the query's."""
        by_slug, by_synonym, sorted_slugs = self._name_index
        boosts = dict.fromkeys(by_synonym.get(phrase, ()), 2)
        prefix = f"{slug}-"
        at = bisect_left(sorted_slugs, (prefix, 0))
        while at < len(sorted_slugs) and sorted_slugs[at][0].startswith(prefix):
            boosts.setdefault(sorted_slugs[at][1], 1)
            at += 1
        if slug in by_slug:
            boosts[by_slug[slug]] = 3
        return boosts

    def rank(
        self, matches: list[tuple[int, float]], tokens: Sequence[str], filters: SearchFilters
    ) -> Ranked:
        """Published matches that pass the filters, whole-name matches first (the query is the
        name, by slug; a synonym; the start of the name, shortest first), then by text score
        and slug. bm25 and ts_rank_cd alone favour short documents, so a record with many
        phenotypes would rank below its own variants. Set operations and sorts on built-in
        keys: thousands of matches (a broad word) cost no pass in Python code."""
        slug = "-".join(token for token in tokens if len(token) > 1) or "-".join(tokens)
        scores = dict(matches)
        kept = scores.keys() & self.names.keys()
        allowed = self.facts.allowed(filters)
        if allowed is not None:
            kept &= allowed
        boosts = {
            id_: boost
            for id_, boost in self._whole_name_matches(slug, " ".join(tokens)).items()
            if id_ in kept
        }
        slug_of = self._slug_of
        named = sorted(
            boosts,
            key=lambda id_: (-boosts[id_], len(slug_of[id_]), -scores[id_], slug_of[id_]),
        )
        others = list(kept - boosts.keys())
        others.sort(key=slug_of.__getitem__)
        others.sort(key=scores.__getitem__, reverse=True)  # stable: slugs order equal scores
        name_matches = {id_: NAME_MATCHES[boost] for id_, boost in boosts.items()}
        return Ranked([*named, *others], scores, name_matches)


def make_snapshot(session: Session, previous: Snapshot | None, version: int) -> Snapshot:
    """The snapshot for `version` (see app.reads.snapshots, which keeps it per worker): the
    previous one with the records changed since re-read, or a whole build."""
    if (
        previous is not None
        and previous.version < version  # not a restored database, counting anew
        and time.monotonic() - previous.built_at < FULL_REBUILD_S
    ):
        ids = repository.changed_since(session, previous.version, INCREMENTAL_LIMIT)
        if ids is not None:
            return previous.updated(session, version, ids)
    return Snapshot.build(session, version)


def snapshots_of(request: Request) -> Versioned[Snapshot]:
    """The app's search snapshot holder (made in app.main), which search, autocomplete and the
    FHIR value set read."""
    snapshots: Versioned[Snapshot] = request.app.state.search
    return snapshots
