from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, SlugType


class Term(Base):
    """A symptom, drug, test or procedure shared across conditions, for reverse look-ups.
    Symptom terms from the HPO carry its id as `code` and its definition and synonyms."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("kind", "slug"), UniqueConstraint("kind", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(SlugType)
    name: Mapped[str] = mapped_column(String(500))
    code: Mapped[str | None] = mapped_column(String(40))
    definition: Mapped[str | None] = mapped_column(Text)
    synonyms: Mapped[list[Any]] = mapped_column(JSONType, default=list, server_default="[]")
    # Cross-references as the HPO gives them (SNOMEDCT_US:..., UMLS:C...).
    xrefs: Mapped[list[Any]] = mapped_column(JSONType, server_default="[]")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    # -ln(share of annotated conditions that have this term or a more specific one): rare
    # phenotypes weigh more when ranking conditions by symptoms. Set by the HPO import.
    information_content: Mapped[float | None] = mapped_column(Float)


term_parents = Table(
    "term_parents",
    Base.metadata,
    Column("term_id", ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True),
    Column("parent_id", ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_term_parents_parent_id", "parent_id"),
)

# Every (term, ancestor) pair, the term itself included at distance 0: "annotated with this
# term or a more specific one" is one indexed join.
term_ancestors = Table(
    "term_ancestors",
    Base.metadata,
    Column("term_id", ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True),
    Column("ancestor_id", ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True),
    Column("distance", Integer, nullable=False),
    Index("ix_term_ancestors_ancestor_id", "ancestor_id"),
)
