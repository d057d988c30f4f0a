from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base

if TYPE_CHECKING:
    from app.models.condition import Condition
    from app.models.source import Source


class Code(Base):
    """An identifier of a condition in an outside code system (ICD-10-CM, Orphanet, MONDO...)."""

    __tablename__ = "codes"
    __table_args__ = (
        UniqueConstraint("condition_id", "system", "code"),
        Index("ix_codes_system_code", "system", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(
        ForeignKey("conditions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    system: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(100))
    display: Mapped[str | None] = mapped_column(String(500))
    relation: Mapped[str] = mapped_column(String(20))
    provenance: Mapped[str] = mapped_column(String(20), default="curated", server_default="curated")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))

    condition: Mapped["Condition"] = relationship(back_populates="codes", lazy="raise")
    source: Mapped["Source | None"] = relationship(lazy="raise")
