"""The change recorder: every change of content (the write API, seed runs, imports) is recorded
here, inside the caller's transaction. A changed record's revision and time are raised, its
revision entry appended, and the search index and the change feed follow, so a reader never
sees content without its revision, index or feed entry, and nobody writes one of them apart."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Condition, ConditionRevision
from app.models.base import utcnow
from app.search import indexer
from app.writing import feed
from app.writing.feed import Change, States

BATCH_SIZE = 500  # ids per UPDATE: well under either engine's bound-parameter limit


def bump(session: Session, conditions: Iterable[Condition] = (), ids: Sequence[int] = ()) -> None:
    """A new revision of each record: the loaded `conditions` (their rows are written at the
    next flush), and those of `ids` by bulk UPDATE."""
    now = utcnow()
    for condition in conditions:
        condition.revision += 1
        condition.updated_at = now
    for start in range(0, len(ids), BATCH_SIZE):
        session.execute(
            update(Condition)
            .where(Condition.id.in_(ids[start : start + BATCH_SIZE]))
            .values(revision=Condition.revision + 1, updated_at=now)
        )


def add_revision(
    session: Session,
    condition: Condition,
    document: Any,
    *,
    action: str,
    author: str,
    change: object = None,
    section: str | None = None,
) -> None:
    """The revision entry of `condition` as it is now; `document` is the record's editable form
    (anything with `as_document()`)."""
    session.add(
        ConditionRevision(
            condition_id=condition.id,
            number=condition.revision,
            action=action,
            section=section,
            author=author,
            change=change,
            document=document.as_document(),
        )
    )


@dataclass(frozen=True)
class Recorded:
    search_documents: int
    feed_changes: int


def finish(
    session: Session,
    indexed: Collection[int],
    *,
    changes: Sequence[Change] = (),
    before: States | None = None,
    moved: Mapping[str, str] | None = None,
) -> Recorded:
    """Re-index the records `indexed` (deleted ones leave the index) and append the feed: the
    `changes` given, or, for a bulk change, the difference from the states `before` (with
    `moved`: old slug -> new of renamed records)."""
    session.flush()
    documents = indexer.rebuild(session, sorted(indexed))
    if before is not None:
        fed = feed.record_difference(session, before, moved)
    else:
        feed.record(session, changes)
        fed = len(changes)
    return Recorded(documents, fed)
