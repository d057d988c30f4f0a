"""Computed links from records to ICD-10-CM: a condition whose name equals an ICD-10-CM
description or inclusion term (after normalisation) gets that code as a `name-match` link,
never as a curated mapping. Kept after either import, by the links that differ."""

from collections import defaultdict
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.conditions.kinds import CodeProvenance, CodeRelation
from app.conditions.names import normalised_name
from app.importers import repository
from app.importers.changeset import ImportChanges
from app.models import Code

SYSTEM = "icd10cm"
FIRST_POSITION = 200  # after editors' codes and the disease ids


def link_icd10cm_names(session: Session, changes: ImportChanges) -> int:
    """Bring every record's computed ICD-10-CM links to what the names and the release give;
    a record whose links (or their names or release) change is marked changed. Returns the
    links there are."""
    by_name: dict[str, list[repository.EntryNames]] = defaultdict(list)
    for entry in repository.entry_names(session, SYSTEM, ["category", "code"]):
        for text in [entry.display, *entry.inclusion_terms]:
            by_name[normalised_name(text)].append(entry)
    others = repository.code_pairs(session, SYSTEM, exclude=CodeProvenance.COMPUTED)
    wanted: dict[int, set[tuple[Any, ...]]] = defaultdict(set)
    for condition_id, name in repository.condition_names(session):
        codes: dict[str, repository.EntryNames] = {}
        for entry in by_name.get(normalised_name(name), []):
            if (condition_id, entry.code) not in others:  # editors gave it already
                codes.setdefault(entry.code, entry)
        for position, code in enumerate(sorted(codes)):
            entry = codes[code]
            wanted[condition_id].add(
                (FIRST_POSITION + position, code, entry.display, entry.source_id)
            )
    stored = repository.computed_links(session, SYSTEM)
    differ = sorted(
        condition_id
        for condition_id in wanted.keys() | stored.keys()
        if wanted.get(condition_id, set()) != stored.get(condition_id, set())
    )
    for batch in repository.id_batches(differ):
        session.execute(
            delete(Code).where(
                Code.condition_id.in_(batch),
                Code.system == SYSTEM,
                Code.provenance == CodeProvenance.COMPUTED,
            )
        )
    repository.insert_rows(
        session,
        Code,
        (
            {
                "condition_id": condition_id,
                "position": position,
                "system": SYSTEM,
                "code": code,
                "display": display,
                "relation": CodeRelation.NAME_MATCH.value,
                "provenance": CodeProvenance.COMPUTED.value,
                "source_id": source_id,
            }
            for condition_id in differ
            for position, code, display, source_id in sorted(wanted.get(condition_id, set()))
        ),
    )
    changes.mark(differ, "icd10cm-links")
    return sum(len(links) for links in wanted.values())
