"""The vocabulary of condition names, synonyms and symptom terms, held in memory per worker
(see snapshot.py): prefix look-ups for autocomplete, and the words typo correction corrects
towards."""

import bisect
import heapq
import re
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

WORD = re.compile(r"\w+", re.UNICODE)
MIN_CORRECTED_LENGTH = 4  # shorter words are too ambiguous to correct
MIN_SIMILARITY = 0.75  # OSA similarity: one edit or transposition in a word of 4+ letters
WORD_MATCHES_SCANNED = 2_000  # labels with a later word matching, ranked before the cut


@dataclass(frozen=True)
class Entry:
    label: str
    kind: str  # condition, synonym or symptom
    slug: str


@dataclass
class Vocabulary:
    entries: list[Entry] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # casefolded labels, sorted, with entries
    word_keys: list[tuple[str, int]] = field(default_factory=list)  # (word, entry index)
    words: Counter[str] = field(default_factory=Counter)
    by_length: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: list[tuple[str, str, str]]) -> "Vocabulary":
        ordered = sorted(
            {Entry(label, kind, slug) for label, kind, slug in rows},
            key=lambda entry: (entry.label.casefold(), entry.kind, entry.slug),
        )
        vocabulary = cls(ordered, [entry.label.casefold() for entry in ordered])
        for index, entry in enumerate(ordered):
            for word in WORD.findall(entry.label.casefold()):
                vocabulary.words[word] += 1
                vocabulary.word_keys.append((word, index))
        vocabulary.word_keys.sort()
        for word in vocabulary.words:
            vocabulary.by_length.setdefault(len(word), []).append(word)
        return vocabulary

    def complete(
        self, prefix: str, limit: int, scanned: int | None = WORD_MATCHES_SCANNED
    ) -> list[Entry]:
        """Labels that start with `prefix` or have a later word that starts with it, ranked by
        kind (conditions, synonyms, symptoms), then whole-label prefixes first, then shortest.
        At most `scanned` later-word matches are looked at (None: all of them)."""
        key = prefix.casefold().strip()
        start = bisect.bisect_left(self.keys, key)
        end = bisect.bisect_left(self.keys, key + "\U0010ffff", lo=start)
        candidates: dict[Entry, int] = dict.fromkeys(self.entries[start:end], 0)
        if " " not in key:
            start = bisect.bisect_left(self.word_keys, (key, -1))
            stop = None if scanned is None else start + scanned
            for word, index in self.word_keys[start:stop]:
                if not word.startswith(key):
                    break
                candidates.setdefault(self.entries[index], 1)
        return heapq.nsmallest(
            limit, candidates, key=lambda entry: _rank(entry, later_word=candidates[entry])
        )

    def correct(self, word: str) -> str | None:
        """The nearest known word (one edit or transposition, roughly), preferring the more
        common; None when `word` is known, short, or has no near neighbour."""
        if word in self.words or len(word) < MIN_CORRECTED_LENGTH:
            return None
        candidates = [
            known
            for length in range(len(word) - 2, len(word) + 3)
            for known in self.by_length.get(length, [])
        ]
        matches = process.extract(
            word,
            candidates,
            scorer=OSA.normalized_similarity,
            score_cutoff=MIN_SIMILARITY,
            limit=10,
        )
        if not matches:
            return None
        best = max(matches, key=lambda match: (match[1], self.words[match[0]]))
        return str(best[0])


KIND_ORDER = {"condition": 0, "synonym": 1, "symptom": 2}


def _rank(entry: Entry, later_word: int) -> tuple[int, int, int, str, str]:
    """Conditions before their synonyms before symptoms; then labels starting with the prefix
    before those with a later word starting with it; then the shortest label."""
    return KIND_ORDER[entry.kind], later_word, len(entry.label), entry.label, entry.slug
