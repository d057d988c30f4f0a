"""Every SELECT of releases and of the corpus dump."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.conditions.status import shown
from app.models import Condition, ConditionChange, ContentVersion, Release, Source


def content_version(session: Session) -> int:
    return session.scalar(select(ContentVersion.version).where(ContentVersion.id == 1)) or 0


def releases(session: Session, limit: int) -> Sequence[Release]:
    query = select(Release).order_by(Release.content_version.desc()).limit(limit)
    return session.scalars(query).all()


def release_at(session: Session, version: int) -> Release | None:
    return session.scalar(select(Release).where(Release.content_version == version))


def sources(session: Session) -> Sequence[Source]:
    return session.scalars(select(Source).order_by(Source.key)).all()


def published_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Condition).where(shown())) or 0


def last_change(session: Session) -> datetime | None:
    """When content last changed: the feed's last entry, else the newest record."""
    changed = session.scalar(select(func.max(ConditionChange.changed_at)))
    return changed or session.scalar(select(func.max(Condition.updated_at)))


def published_slugs(session: Session, after: str, limit: int) -> Sequence[str]:
    """The next `limit` published slugs after `after`, in slug order (the dump's order)."""
    query = (
        select(Condition.slug)
        .where(shown(), Condition.slug > after)
        .order_by(Condition.slug)
        .limit(limit)
    )
    return session.scalars(query).all()
