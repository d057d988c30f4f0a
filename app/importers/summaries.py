"""A summary for every record without an editors' one, kept by each import: the HPO
definition of the record's term, quoted verbatim, or a paragraph composed only of facts the
record carries (inheritance, onset, its most frequent features with their frequency, the genes
associated with it) that names its sources and says it was composed. Written by difference:
records whose summary is as stored are not touched."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.conditions.imported import informative
from app.conditions.schemas import PhenotypeFrequency
from app.importers import repository
from app.importers.changeset import ImportChanges
from app.importers.repository import SummaryRow
from app.models import Condition
from app.models.kinds import disease_system_rank

ONSET = "HP:0003674"  # Onset: its descendants are the onset terms of the clinical course
MOST_FREQUENT = 3  # features named
MOST_GENES = 5  # genes named, then how many more
MOST_TERMS = 3  # inheritance modes or onsets named


@dataclass(frozen=True)
class Derived:
    text: str | None
    kind: str | None  # definition or computed
    sources: list[dict[str, Any]]  # [{title, version}]


NONE = Derived(None, None, [])


def _listed(names: Sequence[str], limit: int, more: bool = False) -> str:
    """ "A", "A and B", "A, B and C"; past `limit`, "and N more" when `more`, else cut."""
    shown = list(names[:limit])
    if more and len(names) > limit:
        shown.append(f"{len(names) - limit} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


@cache
def _decoded(text: str) -> PhenotypeFrequency:
    # A few thousand distinct values across the release's rows ("Very frequent", "1/2"...).
    return PhenotypeFrequency(**json.loads(text))


def _frequency(row: SummaryRow) -> PhenotypeFrequency | None:
    return _decoded(row.frequency) if row.frequency else None


def _features(rows: list[SummaryRow], names: dict[int, str]) -> tuple[int, list[str]]:
    """How many present features the record lists, and the most frequent ones as "name
    (frequency label)": each term's frequency is the one its symptom item shows (the most
    informative of its disease ids'); features no patient had are not "frequent"."""
    by_term: dict[int, list[SummaryRow]] = {}
    for row in sorted(rows, key=lambda row: disease_system_rank(row.disease_code)):
        by_term.setdefault(row.term_id, []).append(row)
    ranked = []
    for position, listings in enumerate(by_term.values()):
        frequency = (
            _frequency(listings[0])
            if len(listings) == 1
            else min((_frequency(row) for row in listings), key=informative)
        )
        if frequency is None or frequency.lower_percent is None or not frequency.upper_percent:
            continue
        middle = (frequency.lower_percent + frequency.upper_percent) / 2
        # Equal shares: the one more patients were studied for first.
        ranked.append(
            (
                -middle,
                -(frequency.m or 0),
                position,
                f"{names[listings[0].term_id]} ({frequency.label})",
            )
        )
    ranked.sort()
    return len(by_term), [text for *_, text in ranked[:MOST_FREQUENT]]


def _names(rows: Iterable[SummaryRow], names: dict[int, str]) -> list[str]:
    return [names[term_id] for term_id in dict.fromkeys(row.term_id for row in rows)]


def compose(
    rows: list[SummaryRow], names: dict[int, str], onsets: set[int],
    genes: list[tuple[str, int]], sources: dict[int, tuple[str, str | None]],
) -> Derived:  # fmt: skip
    """The paragraph for one record, from its own annotation rows and genes; NONE when they
    state nothing it could say."""
    inheritance = _names((row for row in rows if row.aspect == "I"), names)
    onset = _names((row for row in rows if row.aspect == "C" and row.term_id in onsets), names)
    count, frequent = _features([row for row in rows if row.aspect == "P"], names)
    symbols = list(dict.fromkeys(symbol for symbol, _ in genes))
    parts = []
    if inheritance:
        parts.append(f"Inheritance: {_listed(inheritance, MOST_TERMS)}.")
    if onset:
        parts.append(f"Onset: {_listed(onset, MOST_TERMS)}.")
    if frequent:
        parts.append(f"Most frequent of the {count} features listed: {_listed(frequent, 3)}.")
    elif count:
        features = _names((row for row in rows if row.aspect == "P"), names)
        parts.append(f"Features listed ({count}): {_listed(features, MOST_FREQUENT, more=True)}.")
    if symbols:
        parts.append(f"Associated genes: {_listed(symbols, MOST_GENES, more=True)}.")
    if not parts:
        return NONE
    used = [row.source_id for row in rows] + [source_id for _, source_id in genes]
    cited = list(dict.fromkeys(sources[source_id] for source_id in used))
    versions = ", ".join(dict.fromkeys(version for _, version in cited if version))
    opening = f"Composed from the HPO annotations ({versions}) by this service."
    return Derived(
        " ".join([opening, *parts]),
        "computed",
        [{"title": title, "version": version} for title, version in cited],
    )


def keep_summaries(session: Session, changes: ImportChanges) -> dict[str, int]:
    """Keep the derived summary of every record: null where editors wrote one, else the
    definition of its HPO term, else one composed from its facts. Marks the records whose
    shown summary changed. An ICD-10-CM import changes no fact a summary composes (only
    term links, hence definitions, of the records it marks), so it checks those records alone;
    an HPO import checks every record."""
    only = changes.touched if changes.source == "icd10cm" else None
    if only is not None and not only:
        return {"summaries_changed": 0, "summaries_definition": 0, "summaries_computed": 0}
    sources = repository.source_versions(session)
    definitions = repository.term_definitions(session)
    genes = repository.condition_gene_symbols(session)
    onsets = repository.descendants_of(session, ONSET)
    names = repository.term_names(session)
    _decoded.cache_clear()
    differ, shown = [], []
    kinds = {"definition": 0, "computed": 0}
    stored = repository.stored_summaries(session)
    # Both by record id: the annotation rows are streamed alongside, one record at a time.
    annotations = repository.summary_rows(session)
    pending = next(annotations, None)
    for condition_id, editors, text, kind, cited in stored:
        while pending is not None and pending[0] < condition_id:
            pending = next(annotations, None)
        if only is not None and condition_id not in only:
            continue
        rows = pending[1] if pending is not None and pending[0] == condition_id else []
        wanted = NONE
        if editors is None:
            if condition_id in definitions:
                definition, source_id = definitions[condition_id]
                title, version = sources[source_id] if source_id else ("", None)
                quoted = [{"title": title, "version": version}] if source_id else []
                wanted = Derived(definition, "definition", quoted)
            else:
                wanted = compose(
                    rows, names, onsets,
                    genes.get(condition_id, []), sources,
                )  # fmt: skip
            if wanted.kind:
                kinds[wanted.kind] += 1
        if (wanted.text, wanted.kind, wanted.sources) != (text, kind, cited or []):
            differ.append(
                {
                    "id": condition_id,
                    "derived_summary": wanted.text,
                    "derived_summary_kind": wanted.kind,
                    "derived_summary_sources": wanted.sources,
                }
            )
            if editors is None:  # an editors' summary is shown whatever is derived
                shown.append(condition_id)
    annotations.close()
    for batch in repository.batches(differ):
        session.execute(update(Condition), batch)
    changes.mark(shown, "summary")
    return {
        "summaries_changed": len(differ),
        "summaries_definition": kinds["definition"],
        "summaries_computed": kinds["computed"],
    }
