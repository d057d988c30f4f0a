"""What every import derives from the data stored once its own rows are in: steps that read
what both sources hold (an HPO term matched to an ICD-10-CM title, a code's ICD-10-CM children,
a summary composed from a record's facts), so they run after either import, in this order,
each writing only what differs and marking the records it changes."""

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.importers.changeset import ImportChanges
from app.importers.name_links import link_icd10cm_names

Step = Callable[[Session, ImportChanges], dict[str, int]]


def _icd10cm_name_links(session: Session, changes: ImportChanges) -> dict[str, int]:
    return {"icd10cm_name_links": link_icd10cm_names(session, changes)}


STEPS: list[Step] = [
    _icd10cm_name_links,
]


def derive_content(session: Session, changes: ImportChanges) -> dict[str, int]:
    counts: dict[str, int] = {}
    for step in STEPS:
        counts |= step(session, changes)
    return counts
