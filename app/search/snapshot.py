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

    def passes(self, condition_id: int, filters: SearchFilters) -> bool:
        wanted = {
            "section": filters.section,
            "source": filters.source,
            "code_system": filters.code_system,
        }
        return all(
            value is None or value in self.by[name].get(condition_id, ())
            for name, value in wanted.items()
        )

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
            Vocabulary.build(version, repository.vocabulary_rows(session)),
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
        phrase = " ".join(tokens)
        ranked = []
        for condition_id, score in matches:
            names = self.names.get(condition_id)
            if names is None or not self.facts.passes(condition_id, filters):
                continue
            own_slug, synonyms = names
            boost = (
                3 if own_slug == slug
                else 2 if phrase in synonyms
                else 1 if own_slug.startswith(f"{slug}-")
                else 0
            )  # fmt: skip
            closeness = len(own_slug) if boost else 0
            ranked.append(((-boost, closeness, -score, own_slug), condition_id, score, boost))
        ranked.sort()
        return [
            Hit(condition_id, score, NAME_MATCHES[boost])
            for _, condition_id, score, boost in ranked
        ]


class SnapshotCache:
    """One snapshot per worker; a newer content version replaces it."""

    def __init__(self) -> None:
        self._current: Snapshot | None = None
        self._lock = threading.Lock()

    def current(self, version: int) -> Snapshot | None:
        snapshot = self._current
        return snapshot if snapshot is not None and snapshot.version == version else None

    def store(self, snapshot: Snapshot) -> Snapshot:
        with self._lock:
            if self._current is None or self._current.version <= snapshot.version:
                self._current = snapshot
        return snapshot

    def get(self, session: Session) -> Snapshot:
        version = repository.content_version(session)
        return self.current(version) or self.store(Snapshot.build(session, version))
