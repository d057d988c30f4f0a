"""The change feed's rows, written by the change recorder (app/writing/recorder.py) for every
change of content, in the same transaction: what happened to which slug."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.models import Condition, ConditionChange, ContentVersion
from app.models.base import utcnow
from app.models.kinds import ChangeAction, ConditionStatus


@dataclass(frozen=True)
class Change:
    slug: str
    action: ChangeAction
    revision: int | None = None
    previous_slug: str | None = None
    moved_to: str | None = None


# What the feed compares before and after a bulk change: each slug's revision and status.
States = dict[str, tuple[int, str]]


def states(session: Session) -> States:
    rows = session.execute(select(Condition.slug, Condition.revision, Condition.status))
    return {slug: (revision, status) for slug, revision, status in rows}


def record(session: Session, changes: Sequence[Change]) -> None:
    """Append `changes` to the feed. Their numbers come from the content version, raised by as
    many: the row stays locked until this transaction ends, so numbers follow commit order."""
    if not changes:
        return
    top = session.execute(
        update(ContentVersion)
        .where(ContentVersion.id == 1)
        .values(version=ContentVersion.version + len(changes))
        .returning(ContentVersion.version)
    ).scalar_one()
    first = top - len(changes) + 1
    now = utcnow()
    session.execute(
        insert(ConditionChange),
        [
            {
                "seq": first + offset,
                "slug": change.slug,
                "action": change.action.value,
                "revision": change.revision,
                "previous_slug": change.previous_slug,
                "moved_to": change.moved_to,
                "changed_at": now,
            }
            for offset, change in enumerate(changes)
        ],
    )


def action_for(before: tuple[int, str] | None, status: str) -> ChangeAction:
    if before is None:
        return ChangeAction.CREATED
    if status == ConditionStatus.RETIRED and before[1] != ConditionStatus.RETIRED:
        return ChangeAction.RETIRED
    return ChangeAction.UPDATED


def record_difference(
    session: Session,
    before: Mapping[str, tuple[int, str]],
    moved: Mapping[str, str] | None = None,
) -> int:
    """Record what a bulk change (an import, a seed run) did, by comparing every slug's
    revision and status with `before`; `moved` maps the old slug of each renamed record to
    its new one. Returns how many changes were recorded."""
    moved = moved or {}
    previous = {new: old for old, new in moved.items()}
    after = states(session)
    changes = [
        Change(
            slug,
            action_for(before.get(previous.get(slug, slug)), status),
            revision,
            previous_slug=previous.get(slug),
        )
        for slug, (revision, status) in sorted(after.items())
        if before.get(slug) != (revision, status) or slug in previous
    ]
    changes += [
        Change(slug, ChangeAction.MOVED, moved_to=moved[slug])
        if slug in moved
        else Change(slug, ChangeAction.REMOVED)
        for slug in sorted(before.keys() - after.keys())
    ]
    record(session, changes)
    return len(changes)
