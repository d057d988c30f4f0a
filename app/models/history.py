"""What the write paths remember: each editor's revision of a record, the feed of changes in
commit order, and the old slugs of renamed records."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, SlugType, UTCDateTime, utcnow


class ConditionRevision(Base):
    """One write of a record: by an editor (over the API, or a seed file), or by an import that
    changed what it keeps on the record; who, when, what was sent (for an import: the source,
    its version and what changed), and the whole record as editors write it afterwards."""

    __tablename__ = "condition_revisions"
    __table_args__ = (UniqueConstraint("condition_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"))
    # The record's `revision` after the write.
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    section: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change: Mapped[Any] = mapped_column(JSONType, nullable=True)  # the body as sent
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)


class ConditionChange(Base):
    """One entry of the change feed. `seq` is taken from the content version, whose row each
    writing transaction holds locked until it commits, so seq order is commit order and a
    reader never sees a later seq before an earlier one."""

    __tablename__ = "condition_changes"
    __table_args__ = (Index("ix_condition_changes_slug_seq", "slug", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    slug: Mapped[str] = mapped_column(SlugType)
    action: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int | None] = mapped_column(Integer)
    previous_slug: Mapped[str | None] = mapped_column(SlugType)  # on a renamed record's entry
    moved_to: Mapped[str | None] = mapped_column(SlugType)  # on its old slug's `moved` entry
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlugRedirect(Base):
    """A slug a record was renamed from: requests for it are redirected to the record."""

    __tablename__ = "slug_redirects"

    slug: Mapped[str] = mapped_column(SlugType, primary_key=True)
    condition_id: Mapped[int] = mapped_column(
        ForeignKey("conditions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
