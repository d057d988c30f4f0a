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
from app.search.repository import SearchFilters
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


@dataclass(frozen=True)
class Snapshot:
    version: int
    vocabulary: Vocabulary
    facts: Facts

    @classmethod
    def build(cls, session: Session, version: int) -> "Snapshot":
        return cls(
            version,
            Vocabulary.build(version, repository.vocabulary_rows(session)),
            Facts(repository.condition_facts(session)),
        )


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
