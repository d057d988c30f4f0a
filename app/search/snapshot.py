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
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.conditions.service import summary_fields
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
    names: dict[int, tuple[str, frozenset[str]]]  # published: slug, casefolded synonyms
    # What autocomplete shows of a published condition: its summary fields, by slug.
    summaries: dict[str, dict[str, Any]]
    built_at: float  # time.monotonic() of the last whole build
    partial: bool = False  # records re-read since then: the vocabulary may lag

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
            version, self.vocabulary, Facts(by), names, summaries, self.built_at, partial=True
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
