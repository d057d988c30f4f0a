from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, UTCDateTime, utcnow


class CodeEntry(Base):
    """An entry of an imported code system (ICD-10-CM, or the disease ids of the HPO
    annotations): its description, inclusion terms and place in the hierarchy."""

    __tablename__ = "code_entries"
    __table_args__ = (
        UniqueConstraint("system", "code"),
        # Children of a code, already in code order.
        Index("ix_code_entries_system_parent", "system", "parent_code", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(100))
    display: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20))  # chapter, block, category, code, disease
    parent_code: Mapped[str | None] = mapped_column(String(100))
    # Ancestors from the top down, so a parent chain is one query.
    path: Mapped[list[Any]] = mapped_column(JSONType)
    inclusion_terms: Mapped[list[Any]] = mapped_column(JSONType)
    # ICD-10-CM's "Includes" notes: further conditions the category covers (I10: "high blood
    # pressure"); matched like inclusion terms.
    includes: Mapped[list[Any]] = mapped_column(JSONType, server_default="[]")
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))


class SourceImport(Base):
    """What was last imported from each open-data source, so a re-run with the same files
    does nothing and a new release replaces the old one."""

    __tablename__ = "source_imports"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(100))
    checksum: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    notes: Mapped[str | None] = mapped_column(Text)
