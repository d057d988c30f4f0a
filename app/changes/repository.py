"""Reading the change feed."""

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from app.models import ConditionChange


def latest_changes(session: Session, since: int, limit: int) -> Sequence[ConditionChange]:
    """Changes after `since`, in commit order, each slug once: at its latest change (a client
    syncing needs the latest state, not every step to it)."""
    later = aliased(ConditionChange)
    return session.scalars(
        select(ConditionChange)
        .where(
            ConditionChange.seq > since,
            ~exists().where(later.slug == ConditionChange.slug, later.seq > ConditionChange.seq),
        )
        .order_by(ConditionChange.seq)
        .limit(limit)
    ).all()
