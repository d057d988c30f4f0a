"""What search keeps in memory per worker, rebuilt when the content version (raised by any
change to conditions, imports included) moves: the vocabulary, and each condition's section
kinds, sources and code systems, so filters and facets over thousands of matches cost no
further query."""

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.search import repository
from app.search.repository import Hit, SearchFilters
from app.search.vocabulary import Vocabulary


@dataclass(frozen=True)
class Facts:
    by: dict[str, dict[int, set[str]]]  # section / source / code_system -> condition -> values

    def allowed(self, filters: SearchFilters) -> set[int] | None:
        """The conditions that pass the filters; None when there are none (all pass)."""
        wanted = {
            "section": filters.section,
            "source": filters.source,
            "code_system": filters.code_system,
        }
        allowed: set[int] | None = None
        for name, value in wanted.items():
            if value is not None:
                having = {id_ for id_, values in self.by[name].items() if value in values}
                allowed = having if allowed is None else allowed & having
        return allowed

    def facets(self, ids: Sequence[int]) -> dict[str, dict[str, int]]:
        result = {}
        for name in ("source", "section"):
            counts = Counter(value for i in ids for value in self.by[name].get(i, ()))
            result[name] = dict(sorted(counts.items()))
        return result


NAME_MATCHES = {3: "exact", 2: "synonym", 1: "prefix", 0: None}


@dataclass(frozen=True)
class Snapshot:
    version: int
    vocabulary: Vocabulary
    facts: Facts
    names: dict[int, tuple[str, frozenset[str]]]  # published: slug, casefolded synonyms

    @classmethod
    def build(cls, session: Session, version: int) -> "Snapshot":
        return cls(
            version,
            Vocabulary.build(repository.vocabulary_rows(session)),
            Facts(repository.condition_facts(session)),
            repository.published_names(session),
        )

    def rank(
        self, matches: list[tuple[int, float]], tokens: Sequence[str], filters: SearchFilters
    ) -> list[Hit]:
        """Published matches that pass the filters, whole-name matches first (the query is the
        name, by slug; a synonym; the start of the name, shortest first), then by text score.
        bm25 and ts_rank_cd alone favour short documents, so a record with many phenotypes
        would rank below its own variants."""
        slug = "-".join(token for token in tokens if len(token) > 1) or "-".join(tokens)
        prefix, phrase = f"{slug}-", " ".join(tokens)
        allowed, names = self.facts.allowed(filters), self.names
        named: list[tuple[int, int, float, str, int]] = []  # whole-name matches: few
        others: list[tuple[float, str, int]] = []
        for condition_id, score in matches:
            entry = names.get(condition_id)
            if entry is None or (allowed is not None and condition_id not in allowed):
                continue
            own_slug, synonyms = entry
            boost = (
                3 if own_slug == slug
                else 2 if phrase in synonyms
                else 1 if own_slug.startswith(prefix)
                else 0
            )  # fmt: skip
            if boost:
                named.append((-boost, len(own_slug), -score, own_slug, condition_id))
            else:
                others.append((-score, own_slug, condition_id))
        named.sort()
        others.sort()
        return [
            *(Hit(row[4], -row[2], NAME_MATCHES[-row[0]]) for row in named),
            *(Hit(row[2], -row[0]) for row in others),
        ]


class SnapshotCache:
    """One snapshot per worker, for the content version it was built at."""

    def __init__(self) -> None:
        self._current: Snapshot | None = None
        self._lock = threading.Lock()
        self._building = threading.Lock()  # one build at a time: it takes about a second

    def current(self, version: int) -> Snapshot | None:
        snapshot = self._current
        return snapshot if snapshot is not None and snapshot.version == version else None

    def store(self, snapshot: Snapshot) -> Snapshot:
        # Any other version replaces it: the counter restarts when a database is restored.
        with self._lock:
            self._current = snapshot
        return snapshot

    def build(self, session: Session, version: int) -> Snapshot:
        """The snapshot for `version`: built here, or by the request that was already building
        it when this one arrived (requests after a write wait for one build, not each make
        their own)."""
        with self._building:
            return self.current(version) or self.store(Snapshot.build(session, version))

    def get(self, session: Session) -> Snapshot:
        version = repository.content_version(session)
        return self.current(version) or self.build(session, version)
