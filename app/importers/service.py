"""The open-data imports. Each source is imported in one exclusive transaction: a re-run with the
same files does nothing, and a run that fails or is killed leaves the previous data as it was.
A run compares what the release would write with what is stored and writes only the
difference, so records whose imported content is unchanged keep their revision, ETag and
`created_at`, and get no revision entry and no feed entry (app/importers/changeset.py).

HPO: the ontology becomes symptom terms (app/importers/hpo_terms.py); each annotated disease
becomes a record or joins one (app/importers/hpo_diseases.py); the genes associated with the
diseases are listed on their records (app/importers/hpo_genes.py). ICD-10-CM: every chapter,
block, category and code becomes a code entry. After either import, conditions whose name
equals an ICD-10-CM description or inclusion term get that code as a computed `name-match`
link (app/importers/name_links.py).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.core.db import transaction
from app.importers import changeset, repository
from app.importers.changeset import ImportChanges
from app.importers.derived import derive_content
from app.importers.files import HpoFiles, Icd10cmFiles, checksum
from app.importers.hpo_diseases import IMPORTED_DOCUMENT, import_diseases
from app.importers.hpo_files import annotations_version, frequency_ranges, read_ontology
from app.importers.hpo_genes import import_genes
from app.importers.hpo_terms import import_terms
from app.importers.icd10cm_files import read_icd10cm, release_version
from app.importers.progress import progress
from app.matching import information
from app.models import PhenotypeCoverage, SourceImport
from app.releases.service import record_release
from app.writing import feed
from app.writing.schemas import SourceIn
from app.writing.writer import upsert_sources

HPO_HOME = "http://www.human-phenotype-ontology.org"
HPO_TABLES = [
    "terms", "term_parents", "term_ancestors", "conditions", "codes", "code_entries",
    "phenotype_annotations", "phenotype_coverage", "condition_revisions", "genes",
    "condition_genes",
]  # fmt: skip


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
        SourceIn(
            key="hpo-genes",
            title="HPO gene annotations (genes_to_phenotype.txt)",
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


def _run_import(
    factory: sessionmaker[Session],
    source: str,
    version: str,
    paths: list[Path],
    tables: list[str],
    load: Callable[[Session, ImportChanges], dict[str, int]],
) -> ImportReport:
    """The frame every import shares: skip when the files are the ones imported last, else
    `load` in one exclusive transaction, derive what reads both sources (app/importers/
    derived.py), record what changed, refresh statistics."""
    started = datetime.now(UTC)
    files_digest = checksum(paths)
    report = ImportReport(source=source, version=version)
    with transaction(factory, exclusive=True) as session:
        # Which records the data joins and links depends on editors' records too: a seed
        # change since the last import makes it run again (and write what that changes).
        digest = hashlib.sha256(
            f"{files_digest}:{repository.editors_fingerprint(session)}".encode()
        ).hexdigest()
        previous = repository.last_import(session, source)
        if previous is not None and previous.checksum == digest:
            report.skipped = True
            return report
        states_before = feed.states(session)
        changes = ImportChanges(source=source)
        counts = load(session, changes)
        counts |= derive_content(session, changes)
        counts |= changeset.record(
            session, changes, states_before, source=source, version=version,
            document=IMPORTED_DOCUMENT,
        )  # fmt: skip
        if changes.any or counts.get("rows_written"):
            repository.analyze(session, tables)
        if changes.any:
            record_release(session, f"import:{source}")
        _record_import(session, source, version, digest, counts)
    if changes.any:
        repository.vacuum(factory, tables)
    report.counts = counts
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def _mark_sources(session: Session, changes: ImportChanges, changed_sources: set[int]) -> None:
    """A new version of a source changes every record that shows content from it."""
    changes.mark(repository.conditions_citing(session, changed_sources), "sources")


def import_hpo(
    factory: sessionmaker[Session], files: HpoFiles | None = None, *, show_progress: bool = False
) -> ImportReport:
    files = files or HpoFiles.packaged()
    version = annotations_version(files.annotations)

    def load(session: Session, changes: ImportChanges) -> dict[str, int]:
        ontology = read_ontology(files.ontology)
        sources, _, changed_sources = upsert_sources(session, hpo_sources(version))
        terms = import_terms(session, ontology.terms, sources["hpo"].id, show=show_progress)
        disease_counts, condition_of = import_diseases(
            session, files, terms.ids, {term.id: term.name for term in ontology.terms},
            frequency_ranges(ontology.terms), sources["hpo-annotations"].id, changes,
            show=show_progress,
        )  # fmt: skip
        counts = terms.counts | disease_counts
        counts |= import_genes(session, files, condition_of, sources["hpo-genes"].id, changes)
        _mark_sources(session, changes, changed_sources)
        changes.mark(repository.conditions_showing_terms(session, terms.changed), "terms")
        if terms.hierarchy_changed or counts["records_with_new_annotations"] or changes.removed:
            counts["terms_with_information_content"] = information.compute(
                session, partial(repository.insert_rows, session, PhenotypeCoverage)
            )
        return counts

    paths = [files.ontology, files.annotations, files.genes]
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

    def load(session: Session, changes: ImportChanges) -> dict[str, int]:
        release = read_icd10cm(files)
        sources, _, changed_sources = upsert_sources(session, [icd10cm_source(version)])
        source_id = sources["icd10cm"].id
        wanted = {
            ("icd10cm", entry.code): {
                "display": entry.display,
                "level": entry.level,
                "parent_code": entry.parent,
                "path": entry.path,
                "inclusion_terms": entry.inclusion_terms,
                "includes": entry.includes,
                "source_id": source_id,
            }
            for entry in release.entries
        }
        with progress("icd10cm codes", len(release.entries), enabled=show_progress) as bar:
            written = repository.sync_entries(session, ["icd10cm"], wanted)
            bar.update(len(release.entries))
        _mark_sources(session, changes, changed_sources)
        return {"code_entries": len(wanted), "code_entries_written": written}

    paths = [files.tabular, files.code_list]
    tables = ["code_entries", "codes", "condition_revisions"]
    return _run_import(factory, "icd10cm", version, paths, tables, load)
