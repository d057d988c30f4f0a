from datetime import date

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Source(Base):
    """Where content came from: shown with every record so users can attribute it."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    licence: Mapped[str] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(100))
    retrieved: Mapped[date | None] = mapped_column(Date)
    # Text the source's terms require users to show beside its content.
    attribution: Mapped[str | None] = mapped_column(Text)


condition_sources = Table(
    "condition_sources",
    Base.metadata,
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="RESTRICT"), primary_key=True),
    Column("position", Integer, nullable=False),
)

section_sources = Table(
    "section_sources",
    Base.metadata,
    Column("section_id", ForeignKey("sections.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("sources.id", ondelete="RESTRICT"), primary_key=True),
    Column("position", Integer, nullable=False),
)
