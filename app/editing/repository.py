"""Queries of the write API's reads: a record's revision history."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ConditionRevision


def revision_count(session: Session, condition_id: int) -> int:
    return (
        session.scalar(select(func.count()).where(ConditionRevision.condition_id == condition_id))
        or 0
    )


def revisions(
    session: Session, condition_id: int, limit: int, offset: int
) -> Sequence[ConditionRevision]:
    """Newest first."""
    return session.scalars(
        select(ConditionRevision)
        .where(ConditionRevision.condition_id == condition_id)
        .order_by(ConditionRevision.number.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def revision(session: Session, condition_id: int, number: int) -> ConditionRevision | None:
    return session.scalar(
        select(ConditionRevision).where(
            ConditionRevision.condition_id == condition_id, ConditionRevision.number == number
        )
    )
