"""What one import run changed in the records, and how it is recorded: a new revision of every
record whose content changed, an entry by `import` in its revision history naming the source,
its version and what changed, the search index of those records, and the change feed. Records
whose imported content is as stored are not touched at all."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.importers import repository
from app.models import ConditionRevision
from app.models.base import utcnow
from app.writing import recorder
from app.writing.feed import States

IMPORT_AUTHOR = "import"


@dataclass
class ImportChanges:
    """Condition ids by what happened to them in this run. `changed` maps each existing record
    whose imported content changed to the parts that did (codes, annotations, name, ...)."""

    source: str = ""  # the import: "hpo" or "icd10cm"
    created: set[int] = field(default_factory=set)
    changed: dict[int, set[str]] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    moved: dict[str, str] = field(default_factory=dict)  # old slug -> new, of renamed records

    def mark(self, condition_ids: set[int] | list[int], part: str) -> None:
        for condition_id in condition_ids:
            if condition_id not in self.created and condition_id not in self.removed:
                self.changed.setdefault(condition_id, set()).add(part)

    @property
    def touched(self) -> set[int]:
        """Records created or changed so far in this run."""
        return self.created | set(self.changed)

    @property
    def any(self) -> bool:
        return bool(self.created or self.changed or self.removed)


def record(
    session: Session,
    changes: ImportChanges,
    before: States,
    *,
    source: str,
    version: str,
    document: dict[str, Any],
) -> dict[str, int]:
    """Raise the revision of each changed record once, write one revision entry per created or
    changed record, re-index them (and drop the removed ones), and feed the difference.
    `document` holds the fields every imported record's document shares (its disclaimer)."""
    now = utcnow()
    changed = sorted(changes.changed)
    recorder.bump(session, ids=changed)
    touched = sorted(changes.created | set(changed))
    documents = repository.latest_documents(session, touched)
    rows = []
    heads = repository.revision_heads(session, touched)
    for condition_id, slug, name, status, revision in heads:
        parts = sorted(changes.changed.get(condition_id, ()))
        rows.append(
            {
                "condition_id": condition_id,
                "number": revision,
                "action": "created" if condition_id in changes.created else "imported",
                "section": None,
                "author": IMPORT_AUTHOR,
                "created_at": now,
                "change": {"source": source, "version": version, "changed": parts},
                # Editors' records keep their document; an imported record's is its name alone.
                "document": documents.get(condition_id)
                or {
                    **document,
                    "slug": slug,
                    "name": name,
                    "status": status,
                },
            }
        )
    repository.insert_rows(session, ConditionRevision, rows)
    # Old slugs of renamed records redirect to them; a slug naming a record redirects no more.
    repository.redirect_slugs(session, changes.moved, [slug for _, slug, *_ in heads])
    recorded = recorder.finish(
        session, [*touched, *sorted(changes.removed)], before=before, moved=changes.moved
    )
    return {
        "records_changed": len(changed),
        "revisions_written": len(rows),
        "search_documents": recorded.search_documents,
        "feed_changes": recorded.feed_changes,
    }
