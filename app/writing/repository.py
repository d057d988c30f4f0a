"""The write path's own queries: the record locked for a write, slugs, source keys, redirects."""

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.conditions.repository import RECORD_LOADS
from app.models import Condition, SlugRedirect, Source


def lock_condition(session: Session, slug: str) -> Condition | None:
    """The record with all it shows, its row locked until the transaction ends (PostgreSQL;
    SQLite's write transaction holds the whole database already)."""
    locked = session.scalar(select(Condition.id).where(Condition.slug == slug).with_for_update())
    if locked is None:
        return None
    return session.scalar(
        select(Condition)
        .where(Condition.id == locked)
        .options(*RECORD_LOADS)
        .execution_options(populate_existing=True)
    )


def slug_in_use(session: Session, slug: str) -> bool:
    return session.scalar(select(Condition.id).where(Condition.slug == slug)) is not None


def unknown_source_keys(session: Session, keys: set[str]) -> set[str]:
    if not keys:
        return set()
    known = set(session.scalars(select(Source.key).where(Source.key.in_(keys))))
    return keys - known


def add_redirect(session: Session, old_slug: str, condition_id: int) -> None:
    session.execute(delete(SlugRedirect).where(SlugRedirect.slug == old_slug))
    session.add(SlugRedirect(slug=old_slug, condition_id=condition_id))


def drop_redirect(session: Session, slug: str) -> None:
    """A slug that names a record again redirects no more."""
    session.execute(delete(SlugRedirect).where(SlugRedirect.slug == slug))
