"""The open-data imports. Each source is imported in one exclusive transaction: a re-run with the
same files does nothing, a new release replaces the source's rows whole, and a run that fails or
is killed leaves the previous data as it was.

HPO: the ontology becomes symptom terms (with parents and the ancestor closure); each annotated
disease becomes a condition, or joins the record that already carries its code or its
normalised name (OMIM:219700 and ORPHA:586 are one "Cystic fibrosis"); its annotation rows are
stored apart from editors' section items, each under the disease id that the source gives.
ICD-10-CM: every chapter, block, category and code becomes a code entry.
After either import, conditions whose name equals an ICD-10-CM description or inclusion term get
that code as a computed `name-match` link, never as a curated mapping.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from app.changes import log
from app.conditions.input_schemas import SourceIn
from app.conditions.kinds import CodeProvenance, CodeRelation, ConditionOrigin
from app.conditions.names import normalised_name, slug_for
from app.conditions.writes import upsert_sources
from app.core.db import transaction
from app.importers import repository
from app.importers.files import HpoFiles, Icd10cmFiles, checksum
from app.importers.hpo_files import (
    HpoTerm,
    annotations_version,
    frequency_ranges,
    parse_frequency,
    read_annotations,
    read_disease_names,
    read_ontology,
)
from app.importers.icd10cm_files import read_icd10cm, release_version
from app.importers.progress import progress
from app.matching import information
from app.models import (
    Code,
    CodeEntry,
    Condition,
    PhenotypeAnnotation,
    SourceImport,
    Term,
)
from app.search import indexer

logger = logging.getLogger("app.import")

DISCLAIMER = (
    "This record is general information built from open research data. It is not medical "
    "advice and cannot replace an assessment, diagnosis or treatment plan from a qualified "
    "health professional."
)
HPO_HOME = "http://www.human-phenotype-ontology.org"
# Which disease id names a merged record: Orphanet first, then OMIM, then DECIPHER.
SYSTEM_RANK = {"ORPHA": 0, "OMIM": 1, "DECIPHER": 2}
SYSTEM_OF_PREFIX = {"ORPHA": "orpha", "OMIM": "omim", "DECIPHER": "decipher"}
EXACT, NAME_MATCH = CodeRelation.EXACT, CodeRelation.NAME_MATCH
HPO_TABLES = [
    "terms", "term_parents", "term_ancestors", "conditions", "codes", "code_entries",
    "phenotype_annotations",
]  # fmt: skip
SOURCE, COMPUTED = CodeProvenance.SOURCE, CodeProvenance.COMPUTED
FRESH_CONDITIONS = "import.fresh_conditions"  # key in Session.info


@dataclass
class ImportReport:
    source: str
    version: str
    skipped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.skipped:
            return f"{self.source} {self.version}: already imported, nothing to do"
        figures = ", ".join(
            f"{value:,} {name.replace('_', ' ')}" for name, value in self.counts.items()
        )
        return f"{self.source} {self.version}: imported in {self.seconds:.1f} s: {figures}"


def hpo_sources(version: str) -> list[SourceIn]:
    attribution = (
        f"This service is using the Human Phenotype Ontology (version {version}). "
        f"Find out more at {HPO_HOME}"
    )
    licence = (
        "HPO licence (https://hpo.jax.org/license): free to use; the HPO Consortium is "
        "acknowledged, the version is shown, and the content is not altered."
    )
    common = {
        "publisher": "Human Phenotype Ontology Consortium, Monarch Initiative",
        "licence": licence,
        "version": version,
        "attribution": attribution,
    }
    return [
        SourceIn(key="hpo", title="Human Phenotype Ontology", url=HPO_HOME, **common),
        SourceIn(
            key="hpo-annotations",
            title="HPO annotations of rare diseases (phenotype.hpoa)",
            url="https://hpo.jax.org/data/annotations",
            **common,
        ),
    ]


def icd10cm_source(version: str) -> SourceIn:
    return SourceIn(
        key="icd10cm",
        title="ICD-10-CM Tabular List of Diseases and Injuries",
        publisher="US National Center for Health Statistics (CDC)",
        url="https://www.cdc.gov/nchs/icd/icd-10-cm/",
        licence="Public domain (work of the US Government).",
        version=version,
    )


def _record_import(
    session: Session, source: str, version: str, digest: str, counts: dict[str, int]
) -> None:
    row = repository.last_import(session, source)
    if row is None:
        row = SourceImport(source=source)
        session.add(row)
    row.version, row.checksum, row.counts = version, digest, counts
    row.imported_at = datetime.now(UTC)


# --- HPO terms -----------------------------------------------------------------------------


def _term_slugs(terms: list[HpoTerm]) -> dict[str, str]:
    """A stable slug per HPO id, unique within the release, from its name; on a clash the id
    is appended (the lowest id keeps the plain slug)."""
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for term in sorted(terms, key=lambda t: t.id):
        slug = slug_for(term.name) or term.id.lower().replace(":", "-")
        if slug in used:
            suffix = "-" + term.id.lower().replace(":", "-")
            slug = slug[: 200 - len(suffix)] + suffix
        used.add(slug)
        slugs[term.id] = slug
    return slugs


def _closure(parents: dict[str, list[str]]) -> Iterator[tuple[str, str, int]]:
    """(term, ancestor, distance) for every term, itself included at distance 0."""
    memo: dict[str, dict[str, int]] = {}

    def ancestors(term: str) -> dict[str, int]:
        if term not in memo:
            found = {term: 0}
            for parent in parents.get(term, []):
                for ancestor, distance in ancestors(parent).items():
                    if distance + 1 < found.get(ancestor, 1 << 30):
                        found[ancestor] = distance + 1
            memo[term] = found
        return memo[term]

    for term in parents:
        for ancestor, distance in ancestors(term).items():
            yield term, ancestor, distance


def _import_terms(
    session: Session, terms: list[HpoTerm], source_id: int, *, show: bool
) -> tuple[dict[str, int], dict[str, int]]:
    """Upsert the symptom terms by HPO id (a seed term of the same name is adopted), drop HPO
    terms the release no longer has, and rebuild the hierarchy. Returns {HP id: term id} and
    counts."""
    existing = repository.symptom_terms(session)
    base_slugs = _term_slugs(terms)
    by_code = {code: term_id for term_id, _, code in existing if code}
    # A term that editors created before with the same name (so the same slug) and no code is
    # the HPO term: it is adopted, and seed items that point to it gain the HPO id.
    by_slug = {slug: term_id for term_id, slug, code in existing if not code}
    slug_of = {term_id: slug for term_id, slug, _ in existing}
    targets = {term.id: by_code.get(term.id) or by_slug.get(base_slugs[term.id]) for term in terms}
    wanted = {term.id for term in terms}
    gone = [
        term_id
        for code, term_id in by_code.items()
        if code.startswith("HP:") and code not in wanted
    ]
    kept = repository.terms_used_by_items(session, gone)
    # Slugs of rows this import does not take over (editors' terms, retired terms that items
    # still use) stay theirs: an HPO term whose name now clashes gets its id appended.
    targeted = set(targets.values())
    reserved = {
        slug for term_id, slug, _ in existing
        if term_id not in targeted and (term_id not in gone or term_id in kept)
    }  # fmt: skip
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for term in terms:
        slug = base_slugs[term.id]
        if slug in reserved:
            suffix = "-" + term.id.lower().replace(":", "-")
            slug = slug[: 200 - len(suffix)] + suffix
        values = {
            "kind": "symptom",
            "slug": slug,
            "name": term.name,
            "code": term.id,
            "definition": term.definition,
            "synonyms": term.synonyms,
            "source_id": source_id,
        }
        term_id = targets[term.id]
        if term_id is None:
            new_rows.append(values)
        else:
            updates.append({"id": term_id, **values})
    if gone:
        session.execute(delete(Term).where(Term.id.in_([t for t in gone if t not in kept])))
        if kept:  # retired by the HPO but used by editors: no HPO text left without its source
            session.execute(
                update(Term)
                .where(Term.id.in_(kept))
                .values(code=None, source_id=None, definition=None, synonyms=[])
            )
    renamed = [row for row in updates if slug_of[row["id"]] != row["slug"]]
    for batch in repository.batches(renamed):  # park changed slugs, so no swap collides
        session.execute(
            update(Term), [{"id": r["id"], "slug": f"renaming-{r['id']}"} for r in batch]
        )
    with progress("hpo terms", len(terms), enabled=show) as bar:
        for batch in repository.batches(updates):
            session.execute(update(Term), batch)
            bar.update(len(batch))
        repository.insert_rows(session, Term, new_rows, bar)
    ids = repository.term_ids_by_code(session, "symptom")
    parent_map = {term.id: [p for p in term.parents if p in ids] for term in terms}
    parent_rows = (
        {"term_id": ids[child], "parent_id": ids[parent]}
        for child, parents in parent_map.items()
        for parent in parents
    )
    ancestor_rows = (
        {"term_id": ids[term], "ancestor_id": ids[ancestor], "distance": distance}
        for term, ancestor, distance in _closure(parent_map)
    )
    with progress("hpo hierarchy", None, enabled=show) as bar:
        parent_count, ancestor_count = repository.replace_hierarchy(
            session, parent_rows, ancestor_rows, bar
        )
    counts = {
        "terms": len(terms),
        "terms_added": len(new_rows),
        "terms_removed": len(gone),
        "parent_links": parent_count,
        "ancestor_pairs": ancestor_count,
    }
    return ids, counts


# --- HPO diseases and annotations ----------------------------------------------------------


@dataclass
class _Record:
    """One condition to be: a group of disease ids whose names normalise alike."""

    name: str
    codes: list[str]  # disease ids, the naming one first
    condition_id: int | None = None  # an existing record it joins


def _disease_key(code: str) -> tuple[int, int, str]:
    prefix, _, number = code.partition(":")
    return SYSTEM_RANK.get(prefix, 9), int(number) if number.isdigit() else 0, code


def _code_key(disease: str) -> tuple[str, str]:
    """ORPHA:586 -> ("orpha", "586"), as the codes table holds it."""
    prefix, _, number = disease.partition(":")
    return SYSTEM_OF_PREFIX[prefix], number


def _group_diseases(
    diseases: dict[str, str],
    by_code: dict[tuple[str, str], int],
    by_slug: dict[str, int],
) -> list[_Record]:
    """Records to be: ids whose names normalise alike, at most one id per code system in a
    record (two OMIM entries of one name, e.g. recessive and X-linked forms, stay two)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for code, name in diseases.items():
        groups[normalised_name(name)].append(code)
    records = []
    for key in sorted(groups):
        per_system: dict[str, list[str]] = defaultdict(list)
        for code in sorted(groups[key], key=_disease_key):
            per_system[_code_key(code)[0]].append(code)
        for rank in range(max(len(codes) for codes in per_system.values())):
            codes = sorted(
                (ids[rank] for ids in per_system.values() if rank < len(ids)), key=_disease_key
            )
            # A record that editors wrote joins by one of its exact codes, else by its name.
            existing = next(
                (by_code[_code_key(c)] for c in codes if _code_key(c) in by_code),
                by_slug.get(slug_for(diseases[codes[0]])) if rank == 0 else None,
            )
            records.append(_Record(name=diseases[codes[0]], codes=codes, condition_id=existing))
    return records


def _unique_slug(record: _Record, used: set[str]) -> str:
    slug = slug_for(record.name) or record.codes[0].lower().replace(":", "-")
    if slug in used:  # two long names equal in their first 200 characters
        suffix = "-" + record.codes[0].lower().replace(":", "-")
        slug = slug[: 200 - len(suffix)] + suffix
    used.add(slug)
    return slug


def _import_diseases(
    session: Session, files: HpoFiles, terms: dict[str, int], names: dict[str, str],
    ranges: dict[str, Any], source_id: int, *, show: bool,
) -> dict[str, int]:  # fmt: skip
    revisions = repository.revisions_by_slug(session)
    # The previous release's rows go first; records that editors wrote stay, minus imports.
    session.execute(delete(PhenotypeAnnotation))
    session.execute(delete(Code).where(Code.provenance != CodeProvenance.CURATED))
    session.execute(delete(Condition).where(Condition.origin == ConditionOrigin.HPO))
    session.execute(delete(CodeEntry).where(CodeEntry.system.in_(SYSTEM_OF_PREFIX.values())))

    diseases = read_disease_names(files.annotations)
    remaining = repository.condition_ids_by_slug(session)  # editors' records
    records = _group_diseases(
        diseases,
        repository.conditions_by_code(session, list(SYSTEM_OF_PREFIX.values())),
        remaining,
    )
    now = datetime.now(UTC)
    used = set(remaining)
    new_records = [record for record in records if record.condition_id is None]
    slugs = {id(record): _unique_slug(record, used) for record in new_records}
    condition_rows: list[dict[str, Any]] = [
        {
            "slug": slugs[id(record)],
            "name": record.name,
            "synonyms": [],
            "summary": None,
            "status": "published",
            "disclaimer": DISCLAIMER,
            "origin": ConditionOrigin.HPO.value,
            "revision": revisions.get(slugs[id(record)], 0) + 1,
            "content_hash": "",
            "created_at": now,
            "updated_at": now,
            "annotation_count": 0,
        }
        for record in new_records
    ]
    with progress("hpo conditions", len(condition_rows), enabled=show) as bar:
        repository.insert_rows(session, Condition, condition_rows, bar)
    ids = repository.condition_ids_by_slug(session)
    for record in new_records:
        record.condition_id = ids[slugs[id(record)]]
    # Created in this run, with their revision already set: the name links add no bump.
    session.info[FRESH_CONDITIONS] = {record.condition_id for record in new_records}
    joined = [record.condition_id for record in records if id(record) not in slugs]
    if joined:  # records editors wrote: their content changes with the release
        session.execute(
            update(Condition)
            .where(Condition.id.in_(joined))
            .values(revision=Condition.revision + 1, updated_at=now)
        )

    existing_codes = repository.code_triples(session)
    code_rows = []
    for record in records:
        for position, disease in enumerate(record.codes):
            system, number = _code_key(disease)
            naming = position == 0 and id(record) in slugs
            if (record.condition_id, system, number) in existing_codes:
                continue  # e.g. ORPHA:641, which editors already gave the MMN record
            code_rows.append(
                {
                    "condition_id": record.condition_id,
                    "position": 100 + position,  # after editors' codes
                    "system": system,
                    "code": number,
                    "display": diseases[disease],
                    # A new record's naming id is the source's own; its other ids, and every
                    # id added to an editors' record, joined by equal names.
                    "relation": (EXACT if naming else NAME_MATCH).value,
                    "provenance": (SOURCE if naming else COMPUTED).value,
                    "source_id": source_id,
                }
            )
    repository.insert_rows(session, Code, code_rows)
    entry_rows: Iterator[dict[str, Any]] = (
        {
            "system": _code_key(code)[0],
            "code": _code_key(code)[1],
            "display": name,
            "level": "disease",
            "parent_code": None,
            "path": [],
            "inclusion_terms": [],
            "source_id": source_id,
        }
        for code, name in diseases.items()
    )
    repository.insert_rows(session, CodeEntry, entry_rows)

    condition_of: dict[str, int] = {}
    for record in records:
        assert record.condition_id is not None
        condition_of |= dict.fromkeys(record.codes, record.condition_id)
    positions: dict[int, int] = defaultdict(int)
    unknown_terms: set[str] = set()

    def annotation_rows() -> Iterator[dict[str, Any]]:
        for row in read_annotations(files.annotations):
            term_id = terms.get(row.hpo_id)
            if term_id is None:
                unknown_terms.add(row.hpo_id)
                continue
            condition_id = condition_of[row.disease_code]
            positions[condition_id] += 1
            yield {
                "condition_id": condition_id,
                "position": positions[condition_id],
                "disease_code": row.disease_code,
                "term_id": term_id,
                "aspect": row.aspect,
                "excluded": row.excluded,
                "frequency": parse_frequency(row.frequency, ranges),
                "onset": {"code": row.onset, "name": names.get(row.onset)} if row.onset else None,
                "evidence": row.evidence,
                "references": row.references,
                "sex": row.sex,
                "modifiers": row.modifiers,
                "source_id": source_id,
            }

    with progress("hpo annotations", None, enabled=show) as bar:
        annotations = repository.insert_rows(session, PhenotypeAnnotation, annotation_rows(), bar)
    repository.refresh_annotation_counts(session)
    if unknown_terms:
        logger.warning(
            "annotations with terms the ontology lacks were skipped",
            extra={"terms": sorted(unknown_terms)[:20], "count": len(unknown_terms)},
        )
    return {
        "diseases": len(diseases),
        "conditions": len(records),
        "conditions_created": len(new_records),
        "joined_existing_records": len(joined),
        "merged_disease_ids": len(diseases) - len(records),
        "annotations": annotations,
        "annotations_skipped_terms": len(unknown_terms),
    }


def _run_import(
    factory: sessionmaker[Session],
    source: str,
    version: str,
    paths: list[Path],
    tables: list[str],
    load: Callable[[Session], dict[str, int]],
) -> ImportReport:
    """The frame every import shares: skip when the files are the ones imported last, else
    `load` in one exclusive transaction, link names, record the import, refresh statistics."""
    started = datetime.now(UTC)
    files_digest = checksum(paths)
    report = ImportReport(source=source, version=version)
    with transaction(factory, exclusive=True) as session:
        # Which records the data joins and links depends on editors' records too: a seed
        # change since the last import makes it run again.
        digest = hashlib.sha256(
            f"{files_digest}:{repository.editors_fingerprint(session)}".encode()
        ).hexdigest()
        previous = repository.last_import(session, source)
        if previous is not None and previous.checksum == digest:
            report.skipped = True
            return report
        links_before = repository.computed_links(session, "icd10cm")
        states_before = log.states(session)
        counts = load(session)
        counts["icd10cm_name_links"] = link_icd10cm_names(session, links_before)
        counts["search_documents"] = indexer.rebuild(session)
        counts["feed_changes"] = log.record_difference(session, states_before)
        repository.analyze(session, tables)
        _record_import(session, source, version, digest, counts)
    repository.vacuum(factory, tables)
    report.counts = counts
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def import_hpo(
    factory: sessionmaker[Session], files: HpoFiles | None = None, *, show_progress: bool = False
) -> ImportReport:
    files = files or HpoFiles.packaged()
    version = annotations_version(files.annotations)

    def load(session: Session) -> dict[str, int]:
        ontology = read_ontology(files.ontology)
        sources, _, _ = upsert_sources(session, hpo_sources(version))
        terms, counts = _import_terms(
            session, ontology.terms, sources["hpo"].id, show=show_progress
        )
        counts |= _import_diseases(
            session, files, terms, {term.id: term.name for term in ontology.terms},
            frequency_ranges(ontology.terms), sources["hpo-annotations"].id, show=show_progress,
        )  # fmt: skip
        counts["terms_with_information_content"] = information.compute(session)
        return counts

    paths = [files.ontology, files.annotations]
    return _run_import(factory, "hpo", version, paths, HPO_TABLES, load)


# --- ICD-10-CM -----------------------------------------------------------------------------


def import_icd10cm(
    factory: sessionmaker[Session],
    files: Icd10cmFiles | None = None,
    *,
    show_progress: bool = False,
) -> ImportReport:
    files = files or Icd10cmFiles.packaged()
    version = release_version(files.tabular)

    def load(session: Session) -> dict[str, int]:
        release = read_icd10cm(files)
        sources, _, _ = upsert_sources(session, [icd10cm_source(version)])
        session.execute(delete(CodeEntry).where(CodeEntry.system == "icd10cm"))
        rows = (
            {
                "system": "icd10cm",
                "code": entry.code,
                "display": entry.display,
                "level": entry.level,
                "parent_code": entry.parent,
                "path": entry.path,
                "inclusion_terms": entry.inclusion_terms,
                "source_id": sources["icd10cm"].id,
            }
            for entry in release.entries
        )
        with progress("icd10cm codes", len(release.entries), enabled=show_progress) as bar:
            return {"code_entries": repository.insert_rows(session, CodeEntry, rows, bar)}

    paths = [files.tabular, files.code_list]
    return _run_import(factory, "icd10cm", version, paths, ["code_entries", "codes"], load)


def link_icd10cm_names(session: Session, before: set[repository.LinkState]) -> int:
    """Give each condition the ICD-10-CM codes whose description or inclusion term equals its
    name after normalisation, as computed `name-match` links. Replaces the previous links;
    a record whose links differ from `before` (as the import found them) gets a new revision."""
    session.execute(
        delete(Code).where(Code.system == "icd10cm", Code.provenance == CodeProvenance.COMPUTED)
    )
    by_name: dict[str, list[repository.EntryNames]] = defaultdict(list)
    for entry in repository.entry_names(session, "icd10cm", ["category", "code"]):
        for text in [entry.display, *entry.inclusion_terms]:
            by_name[normalised_name(text)].append(entry)
    existing = repository.code_pairs(session, "icd10cm")
    rows: list[dict[str, Any]] = []
    for condition_id, name in repository.condition_names(session):
        for entry in by_name.get(normalised_name(name), []):
            if (condition_id, entry.code) in existing:
                continue
            existing.add((condition_id, entry.code))
            rows.append(
                {
                    "condition_id": condition_id,
                    "position": 200 + len(rows),
                    "system": "icd10cm",
                    "code": entry.code,
                    "display": entry.display,
                    "relation": CodeRelation.NAME_MATCH.value,
                    "provenance": CodeProvenance.COMPUTED.value,
                    "source_id": entry.source_id,
                }
            )
    repository.insert_rows(session, Code, rows)
    # Compared as the records show them: a new name or release of a code is a change too.
    after = repository.computed_links(session, "icd10cm")
    changed = {state[0] for state in before ^ after}
    changed -= session.info.get(FRESH_CONDITIONS, set())
    if changed:
        session.execute(
            update(Condition)
            .where(Condition.id.in_(changed))
            .values(revision=Condition.revision + 1, updated_at=datetime.now(UTC))
        )
    return len(rows)
