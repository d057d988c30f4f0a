"""The HPO's annotated diseases as records. Each disease becomes a condition, or joins the
record that already carries its code or its normalised name (OMIM:219700 and ORPHA:586 are one
"Cystic fibrosis"); its annotation rows are stored apart from editors' section items, each under
the disease id that the source gives.

The release is compared with what is stored, record by record: a record whose name, disease
ids and annotation rows are as the release would write them is not touched; only records whose
imported content differs are written, and only they are reported as changed."""

import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.conditions.names import normalised_name, slug_for
from app.importers import repository
from app.importers.changeset import ImportChanges
from app.importers.files import HpoFiles
from app.importers.hpo_files import parse_frequency, read_annotations, read_disease_names
from app.importers.progress import progress
from app.models import Code, Condition, PhenotypeAnnotation
from app.models.base import utcnow
from app.models.kinds import CodeProvenance, CodeRelation, disease_id_order

logger = logging.getLogger("app.import")

DISCLAIMER = (
    "This record is general information built from open research data. It is not medical "
    "advice and cannot replace an assessment, diagnosis or treatment plan from a qualified "
    "health professional."
)
# Which disease id names a merged record: Orphanet first, then OMIM, then DECIPHER.
SYSTEM_OF_PREFIX = {"ORPHA": "orpha", "OMIM": "omim", "DECIPHER": "decipher"}
DISEASE_SYSTEMS = list(SYSTEM_OF_PREFIX.values())
EXACT, NAME_MATCH = CodeRelation.EXACT, CodeRelation.NAME_MATCH
SOURCE, COMPUTED = CodeProvenance.SOURCE, CodeProvenance.COMPUTED
# An imported record's document: what editors would write of it (its name and disclaimer).
IMPORTED_DOCUMENT: dict[str, Any] = {
    "synonyms": [],
    "summary": None,
    "last_reviewed": None,
    "review_due": None,
    "disclaimer": DISCLAIMER,
    "codes": [],
    "sources": [],
    "sections": {},
}


@dataclass
class _Record:
    """One condition to be: a group of disease ids whose names normalise alike."""

    name: str
    codes: list[str]  # disease ids, the naming one first
    condition_id: int | None = None  # an editors' record it joins, or the imported one it is
    joins_editors: bool = False


def _code_key(disease: str) -> tuple[str, str]:
    """ORPHA:586 -> ("orpha", "586"), as the codes table holds it."""
    prefix, _, number = disease.partition(":")
    return SYSTEM_OF_PREFIX[prefix], number


def group_diseases(
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
        for code in sorted(groups[key], key=disease_id_order):
            per_system[_code_key(code)[0]].append(code)
        for rank in range(max(len(codes) for codes in per_system.values())):
            codes = sorted(
                (ids[rank] for ids in per_system.values() if rank < len(ids)), key=disease_id_order
            )
            # A record that editors wrote joins by one of its exact codes, else by its name.
            existing = next(
                (by_code[_code_key(c)] for c in codes if _code_key(c) in by_code),
                by_slug.get(slug_for(diseases[codes[0]])) if rank == 0 else None,
            )
            records.append(
                _Record(
                    name=diseases[codes[0]],
                    codes=codes,
                    condition_id=existing,
                    joins_editors=existing is not None,
                )
            )
    return records


def _unique_slug(record: _Record, used: set[str]) -> str:
    slug = slug_for(record.name) or record.codes[0].lower().replace(":", "-")
    if slug in used:  # two long names equal in their first 200 characters
        suffix = "-" + record.codes[0].lower().replace(":", "-")
        slug = slug[: 200 - len(suffix)] + suffix
    used.add(slug)
    return slug


def _place_imported(
    session: Session, records: list[_Record], editors: dict[str, int], changes: ImportChanges
) -> dict[int, str]:
    """Give each record that joins no editors' record its imported condition: the one named by
    the same disease id (else of the same slug) when it exists, with its name and slug brought
    up to date, or a new one. Imported records the release no longer has are removed. Returns
    the slug of every new record by its id."""
    stored = repository.imported_conditions(session)  # id -> (slug, name)
    by_naming_code = {
        (system, code): condition_id
        for condition_id, system, code in repository.naming_code_triples(session, DISEASE_SYSTEMS)
        if condition_id in stored
    }
    by_stored_slug = {slug: condition_id for condition_id, (slug, _) in stored.items()}
    # Slugs of editors' records and of common conditions built from HPO terms stay theirs.
    used = set(editors) | set(repository.slugs_of_origin(session, "hpo-term"))
    placed: set[int] = set()
    slugs: dict[int, str] = {}
    pending: list[tuple[_Record, str]] = []
    for record in records:
        if record.joins_editors:
            continue
        slug = _unique_slug(record, used)
        condition_id = by_naming_code.get(_code_key(record.codes[0]))
        if condition_id is None or condition_id in placed:
            condition_id = by_stored_slug.get(slug)
        if condition_id is not None and condition_id not in placed:
            placed.add(condition_id)
            record.condition_id = condition_id
            slugs[condition_id] = slug
        else:
            pending.append((record, slug))
    removed = set(stored) - placed
    if removed:
        changes.removed |= removed
        for batch in repository.id_batches(sorted(removed)):
            session.execute(delete(Condition).where(Condition.id.in_(batch)))
    renamed = {cid: slug for cid, slug in slugs.items() if stored[cid][0] != slug}
    changes.moved |= {stored[cid][0]: slug for cid, slug in renamed.items()}
    # Park changed slugs first, so that two records swapping slugs never collide.
    for condition_id in renamed:
        session.execute(
            update(Condition)
            .where(Condition.id == condition_id)
            .values(slug=f"renaming-{condition_id}")
        )
    for record in records:
        if record.condition_id in slugs:
            condition_id = record.condition_id
            slug, name = stored[condition_id]
            if slugs[condition_id] != slug or record.name != name:
                session.execute(
                    update(Condition)
                    .where(Condition.id == condition_id)
                    .values(slug=slugs[condition_id], name=record.name)
                )
                changes.mark([condition_id], "name")
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "slug": slug,
            "name": record.name,
            "synonyms": [],
            "summary": None,
            "status": "published",
            "disclaimer": DISCLAIMER,
            "origin": "hpo",
            "revision": 1,
            "content_hash": "",
            "created_at": now,
            "updated_at": now,
            "annotation_count": 0,
        }
        for record, slug in pending
    ]
    repository.insert_rows(session, Condition, rows)
    new_ids = repository.condition_ids_for_slugs(session, [slug for _, slug in pending])
    for record, slug in pending:
        record.condition_id = new_ids[slug]
    changes.created |= set(new_ids.values())
    return {condition_id: slug for slug, condition_id in new_ids.items()}


def _code_rows(
    records: list[_Record], diseases: dict[str, str], curated: set[tuple[int, str, str]],
    naming: set[tuple[int, str, str]], source_id: int,
) -> dict[int, set[tuple[Any, ...]]]:  # fmt: skip
    """The disease ids each record carries, as (position, system, code, display, relation,
    provenance, source id). `naming` holds the ids that name their record now: a record that
    editors took over (patched, retired) keeps its own id as the source's."""
    wanted: dict[int, set[tuple[Any, ...]]] = defaultdict(set)
    for record in records:
        assert record.condition_id is not None
        for position, disease in enumerate(record.codes):
            system, number = _code_key(disease)
            if (record.condition_id, system, number) in curated:
                continue  # e.g. ORPHA:641, which editors already gave the MMN record
            # An imported record's naming id is the source's own; its other ids, and every
            # id added to an editors' record, joined by equal names.
            names_it = position == 0 and (
                not record.joins_editors or (record.condition_id, system, number) in naming
            )
            wanted[record.condition_id].add(
                (
                    100 + position,  # after editors' codes
                    system,
                    number,
                    diseases[disease],
                    (EXACT if names_it else NAME_MATCH).value,
                    (SOURCE if names_it else COMPUTED).value,
                    source_id,
                )
            )
    return wanted


def _sync_codes(
    session: Session, wanted: dict[int, set[tuple[Any, ...]]], changes: ImportChanges
) -> int:
    stored = repository.imported_codes(session, DISEASE_SYSTEMS)
    differ = repository.rewrite_codes(
        session,
        wanted,
        stored,
        Code.system.in_(DISEASE_SYSTEMS) & (Code.provenance != CodeProvenance.CURATED),
        repository.code_values,
    )
    changes.mark(differ, "codes")
    return len(differ)


def _sync_entries(session: Session, diseases: dict[str, str], source_id: int) -> int:
    """The disease ids as code entries (what /v1/codes/orpha/586 calls it)."""
    wanted: dict[tuple[str, str], dict[str, Any]] = {
        _code_key(code): {
            "display": name,
            "level": "disease",
            "parent_code": None,
            "path": [],
            "inclusion_terms": [],
            "includes": [],
            "source_id": source_id,
        }
        for code, name in diseases.items()
    }
    return repository.sync_entries(session, DISEASE_SYSTEMS, wanted)


def records_by_disease(records: list[_Record]) -> dict[str, int]:
    """{disease id: the condition carrying it}, once every record is placed."""
    condition_of: dict[str, int] = {}
    for record in records:
        assert record.condition_id is not None
        condition_of |= dict.fromkeys(record.codes, record.condition_id)
    return condition_of


def _annotation_rows(
    files: HpoFiles, records: list[_Record], terms: dict[str, int], names: dict[str, str],
    ranges: dict[str, Any], source_id: int, unknown_terms: set[str],
) -> dict[int, list[dict[str, Any]]]:  # fmt: skip
    condition_of = records_by_disease(records)
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in read_annotations(files.annotations):
        term_id = terms.get(row.hpo_id)
        if term_id is None:
            unknown_terms.add(row.hpo_id)
            continue
        condition_id = condition_of[row.disease_code]
        rows[condition_id].append(
            {
                "position": len(rows[condition_id]) + 1,
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
        )
    return rows


def _same_annotations(stored: list[tuple[Any, ...]], wanted: list[dict[str, Any]]) -> bool:
    """Whether a record's stored rows are the release's. Compared as stored text first, the
    common case (SQLite keeps the text written); PostgreSQL's JSONB prints a form of its own,
    so rows whose text differs are compared decoded."""
    if len(stored) != len(wanted):
        return False
    plain, documents = repository.STORED_ANNOTATION_COLUMNS, repository.STORED_ANNOTATION_JSON
    as_text = [
        (*(values[n] for n in plain), *(repository.json_text(values[n]) for n in documents))
        for values in wanted
    ]
    if stored == as_text:
        return True
    width = len(plain)
    return all(
        row[:width] == text[:width]
        and all(
            (value is None and expected is None)
            or (value is not None and json.loads(value) == values[name])
            for value, expected, name in zip(row[width:], text[width:], documents, strict=True)
        )
        for row, text, values in zip(stored, as_text, wanted, strict=True)
    )


def _sync_annotations(
    session: Session,
    wanted: dict[int, list[dict[str, Any]]],
    changes: ImportChanges,
    *,
    show: bool,
) -> tuple[int, int]:
    """Rewrite the annotations of the records whose rows differ from the release's. Returns
    the rows the release has and the records rewritten."""
    stored = repository.annotation_rows(session)
    differ = sorted(
        condition_id
        for condition_id in wanted.keys() | stored.keys()
        if not _same_annotations(stored.get(condition_id, []), wanted.get(condition_id, []))
    )
    for batch in repository.id_batches(differ):
        session.execute(
            delete(PhenotypeAnnotation).where(PhenotypeAnnotation.condition_id.in_(batch))
        )

    def rows() -> Iterator[dict[str, Any]]:
        for condition_id in differ:
            for row in wanted.get(condition_id, []):
                yield {"condition_id": condition_id, **row}

    total = sum(len(condition_rows) for condition_rows in wanted.values())
    with progress("hpo annotations", total, enabled=show) as bar:
        bar.update(total - sum(len(wanted.get(c, [])) for c in differ))  # as stored
        repository.insert_rows(session, PhenotypeAnnotation, rows(), bar)
    for batch in repository.id_batches(differ):
        repository.refresh_annotation_counts(session, batch)
    changes.mark(differ, "annotations")
    return total, len(differ)


def import_diseases(
    session: Session, files: HpoFiles, terms: dict[str, int], names: dict[str, str],
    ranges: dict[str, Any], source_id: int, changes: ImportChanges, *, show: bool,
) -> tuple[dict[str, int], dict[str, int]]:  # fmt: skip
    """The counts of the import, and the condition each disease id went to."""
    diseases = read_disease_names(files.annotations)
    editors = repository.editors_condition_ids(session)
    records = group_diseases(
        diseases, repository.curated_exact_codes(session, DISEASE_SYSTEMS), editors
    )
    _place_imported(session, records, editors, changes)
    curated = repository.curated_code_triples(session)
    naming = repository.naming_code_triples(session, DISEASE_SYSTEMS)
    codes_rewritten = _sync_codes(
        session, _code_rows(records, diseases, curated, naming, source_id), changes
    )
    entries_written = _sync_entries(session, diseases, source_id)
    unknown_terms: set[str] = set()
    wanted = _annotation_rows(files, records, terms, names, ranges, source_id, unknown_terms)
    annotations, rewritten = _sync_annotations(session, wanted, changes, show=show)
    if unknown_terms:
        logger.warning(
            "annotations with terms the ontology lacks were skipped",
            extra={"terms": sorted(unknown_terms)[:20], "count": len(unknown_terms)},
        )
    return {
        "diseases": len(diseases),
        "conditions": len(records),
        "conditions_created": len(changes.created),
        "conditions_removed": len(changes.removed),
        "joined_existing_records": sum(record.joins_editors for record in records),
        "merged_disease_ids": len(diseases) - len(records),
        "records_with_new_codes": codes_rewritten,
        "code_entries_written": entries_written,
        "annotations": annotations,
        "records_with_new_annotations": rewritten,
        "annotations_skipped_terms": len(unknown_terms),
    }, records_by_disease(records)
