"""What every import derives from the data stored once its own rows are in: steps that read
what both sources hold (an HPO term matched to an ICD-10-CM title, a code's ICD-10-CM children,
a summary composed from a record's facts), so they run after either import, in this order,
each writing only what differs and marking the records it changes."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Executable, Select, or_, select, update
from sqlalchemy.orm import Session

from app.importers import repository
from app.importers.changeset import ImportChanges
from app.importers.hpo_conditions import build_common_conditions, keep_types
from app.importers.name_links import link_icd10cm_names
from app.importers.summaries import keep_summaries
from app.models import Condition, ConditionGene, ConditionType, PhenotypeAnnotation
from app.models.kinds import SECTION_ORDER, SectionKind

Step = Callable[[Session, ImportChanges], dict[str, int]]


def _icd10cm_name_links(session: Session, changes: ImportChanges) -> dict[str, int]:
    return {"icd10cm_name_links": link_icd10cm_names(session, changes)}


# Which records have imported items of a kind: one query each.
def _annotated(*clauses: ColumnElement[bool]) -> Select[Any]:
    return select(PhenotypeAnnotation.condition_id).where(*clauses).distinct()


KIND_QUERIES: dict[SectionKind, Executable] = {
    # Present features, and NOT rows of any aspect (the symptoms section's `excluded`).
    SectionKind.SYMPTOMS: _annotated(
        or_(PhenotypeAnnotation.aspect == "P", PhenotypeAnnotation.excluded)
    ),
    # Onset and clinical course (C), clinical modifiers (M).
    SectionKind.PROGNOSIS: _annotated(
        PhenotypeAnnotation.aspect.in_(("C", "M")), ~PhenotypeAnnotation.excluded
    ),
    # Past medical history (H).
    SectionKind.DIAGNOSIS: _annotated(
        PhenotypeAnnotation.aspect == "H", ~PhenotypeAnnotation.excluded
    ),
    SectionKind.TYPES: select(ConditionType.condition_id).distinct(),
    # Genes associated in the HPO gene annotations, or an inheritance mode (aspect I, not NOT).
    SectionKind.CAUSES: select(ConditionGene.condition_id).union(
        select(PhenotypeAnnotation.condition_id).where(
            PhenotypeAnnotation.aspect == "I", PhenotypeAnnotation.excluded.is_(False)
        )
    ),
}


def _imported_kinds(session: Session, changes: ImportChanges) -> dict[str, int]:
    """Keep on each record the kinds it has imported items of (lists show them unloaded).
    Follows from what the other steps changed, so it marks nothing itself."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for kind, query in KIND_QUERIES.items():
        for condition_id in session.scalars(query):
            wanted[condition_id].add(kind.value)
    stored = session.execute(select(Condition.id, Condition.imported_kinds)).all()
    differ = [
        {"id": condition_id, "imported_kinds": ordered}
        for condition_id, kinds in stored
        if (ordered := sorted(wanted.get(condition_id, set()), key=SECTION_ORDER.__getitem__))
        != (kinds or [])
    ]
    for batch in repository.batches(differ):
        session.execute(update(Condition), batch)
    return {"records_with_new_section_kinds": len(differ)}


STEPS: list[Step] = [
    build_common_conditions,  # first: the name links and types read the records it makes
    _icd10cm_name_links,
    keep_types,  # after the name links: a record's ICD-10-CM children follow its codes
    keep_summaries,  # after the steps that make records and links: it reads what they keep
    _imported_kinds,  # last: it reads what the steps before wrote
]


def derive_content(session: Session, changes: ImportChanges) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in STEPS:
        counts |= step(session, changes)
    return counts
