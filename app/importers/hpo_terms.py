"""The HPO ontology as symptom terms: each term upserted by its HPO id (only where a value
differs from the stored row), terms the release dropped removed, and the hierarchy (parents and
the ancestor closure) changed by the pairs that differ."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.conditions.names import slug_for, suffixed_slug
from app.importers import repository
from app.importers.hpo_files import HpoTerm
from app.importers.progress import progress
from app.models import Term, term_ancestors, term_parents

# What a record shows of a term: a change to one of these changes the records that cite it.
SHOWN = ("name", "definition", "synonyms", "slug", "code")


@dataclass
class TermImport:
    ids: dict[str, int]  # HP id -> term id
    counts: dict[str, int]
    changed: set[int] = field(default_factory=set)  # terms whose shown values changed
    hierarchy_changed: bool = False


def _term_slugs(terms: list[HpoTerm]) -> dict[str, str]:
    """A stable slug per HPO id, unique within the release, from its name; on a clash the id
    is appended (the lowest id keeps the plain slug)."""
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for term in sorted(terms, key=lambda t: t.id):
        slug = slug_for(term.name) or term.id.lower().replace(":", "-")
        if slug in used:
            slug = suffixed_slug(slug, term.id)
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


def import_terms(
    session: Session, terms: list[HpoTerm], source_id: int, *, show: bool
) -> TermImport:
    """Upsert the symptom terms by HPO id (a seed term of the same name is adopted), drop HPO
    terms the release no longer has, and bring the hierarchy to the release's."""
    existing = repository.symptom_terms(session)
    base_slugs = _term_slugs(terms)
    by_code = {row["code"]: row["id"] for row in existing.values() if row["code"]}
    # A term that editors created before with the same name (so the same slug) and no code is
    # the HPO term: it is adopted, and seed items that point to it gain the HPO id.
    by_slug = {row["slug"]: row["id"] for row in existing.values() if not row["code"]}
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
        row["slug"] for term_id, row in existing.items()
        if term_id not in targeted and (term_id not in gone or term_id in kept)
    }  # fmt: skip
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changed: set[int] = set()
    for term in terms:
        slug = base_slugs[term.id]
        if slug in reserved:
            slug = suffixed_slug(slug, term.id)
        values = {
            "kind": "symptom",
            "slug": slug,
            "name": term.name,
            "code": term.id,
            "definition": term.definition,
            "synonyms": term.synonyms,
            "xrefs": term.xrefs,
            "source_id": source_id,
        }
        term_id = targets[term.id]
        if term_id is None:
            new_rows.append(values)
            continue
        stored = existing[term_id]
        if any(stored[name] != value for name, value in values.items()):
            updates.append({"id": term_id, **values})
            if any(stored[name] != values[name] for name in SHOWN):
                changed.add(term_id)
    if gone:
        session.execute(delete(Term).where(Term.id.in_([t for t in gone if t not in kept])))
        if kept:  # retired by the HPO but used by editors: no HPO text left without its source
            session.execute(
                update(Term)
                .where(Term.id.in_(kept))
                .values(code=None, source_id=None, definition=None, synonyms=[])
            )
            changed |= kept
    renamed = [row for row in updates if existing[row["id"]]["slug"] != row["slug"]]
    for batch in repository.batches(renamed):  # park changed slugs, so no swap collides
        session.execute(
            update(Term), [{"id": r["id"], "slug": f"renaming-{r['id']}"} for r in batch]
        )
    with progress("hpo terms", len(terms), enabled=show) as bar:
        bar.update(len(terms) - len(updates) - len(new_rows))  # as stored: nothing to write
        for batch in repository.batches(updates):
            session.execute(update(Term), batch)
            bar.update(len(batch))
        repository.insert_rows(session, Term, new_rows, bar)
    ids = repository.term_ids_by_code(session, "symptom")
    parent_map = {term.id: [p for p in term.parents if p in ids] for term in terms}
    parents = {
        (ids[child], ids[parent]): None
        for child, parent_ids in parent_map.items()
        for parent in parent_ids
    }
    ancestors = {
        (ids[term], ids[ancestor]): distance for term, ancestor, distance in _closure(parent_map)
    }
    with progress("hpo hierarchy", None, enabled=show) as bar:
        parent_changes = repository.sync_pairs(
            session, term_parents, ("term_id", "parent_id"), None, parents, bar
        )
        ancestor_changes = repository.sync_pairs(
            session, term_ancestors, ("term_id", "ancestor_id"), "distance", ancestors, bar
        )
    counts = {
        "terms": len(terms),
        "terms_added": len(new_rows),
        "terms_updated": len(updates),
        "terms_removed": len(gone),
        "parent_links": len(parents),
        "ancestor_pairs": len(ancestors),
        "hierarchy_rows_written": parent_changes + ancestor_changes,
    }
    hierarchy_changed = bool(parent_changes or ancestor_changes or new_rows or gone)
    return TermImport(ids, counts, changed, hierarchy_changed)
