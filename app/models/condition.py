from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONType, SlugType, UTCDateTime, utcnow
from app.models.kinds import ConditionStatus
from app.models.source import condition_sources

if TYPE_CHECKING:
    from app.models.code import Code
    from app.models.section import Section
    from app.models.source import Source

_STATUSES = ", ".join(f"'{status.value}'" for status in ConditionStatus)


class Condition(Base):
    __tablename__ = "conditions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        # Covers filtering a list of ids by status and ordering them by slug, as reverse
        # look-ups do, without reading the wide rows.
        Index("ix_conditions_id_status_slug", "id", "status", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(SlugType, unique=True)
    name: Mapped[str] = mapped_column(String(500))
    synonyms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    disclaimer: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20), default="seed", server_default="seed")
    # Imported annotation rows the record has (kept by the HPO import): lists need no count.
    annotation_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Section kinds the imports give the record items of, so lists need not load them.
    imported_kinds: Mapped[list[str]] = mapped_column(JSONType, server_default="[]")
    # Lay names (HPO layperson synonyms), kept by the imports on every record.
    consumer_names: Mapped[list[str]] = mapped_column(JSONType, server_default="[]")
    # The summary a record shows when editors wrote none, kept by the imports: a definition
    # quoted from its source, or composed from the record's own facts.
    derived_summary: Mapped[str | None] = mapped_column(Text)
    derived_summary_kind: Mapped[str | None] = mapped_column(String(20))  # definition, computed
    derived_summary_sources: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, server_default="[]"
    )  # [{title, version}] of what it quotes or draws on
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    review_due: Mapped[date | None] = mapped_column(Date)
    # Bumped on every content change; ETags and caches key on it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Hash of the canonical input, so a re-seed with equal content is a no-op.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    codes: Mapped[list["Code"]] = relationship(
        back_populates="condition",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="Code.position",
    )
    sections: Mapped[list["Section"]] = relationship(
        back_populates="condition", cascade="all, delete-orphan", lazy="raise"
    )
    sources: Mapped[list["Source"]] = relationship(
        secondary=condition_sources,
        lazy="raise",
        order_by=condition_sources.c.position,
        viewonly=True,  # rows are written with their position by the seeding service
    )

    def __repr__(self) -> str:
        return f"Condition(slug={self.slug!r})"
