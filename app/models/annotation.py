from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType


class PhenotypeAnnotation(Base):
    """One row of the HPO annotations: a disease (by its own id) has, or does not have, a
    phenotype. Kept apart from editors' section items, and owned by the HPO import."""

    __tablename__ = "phenotype_annotations"
    __table_args__ = (
        Index("ix_phenotype_annotations_condition_id", "condition_id", "position"),
        # Covers the reverse look-up (conditions listing a term, NOT rows left out).
        Index("ix_phenotype_annotations_term_id", "term_id", "excluded", "condition_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    disease_code: Mapped[str] = mapped_column(String(40))  # e.g. ORPHA:586, as the source says
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"))
    aspect: Mapped[str] = mapped_column(String(1))  # P phenotype, I inheritance, C course...
    excluded: Mapped[bool] = mapped_column(Boolean)  # a NOT row: explicitly absent
    frequency: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    onset: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    evidence: Mapped[str | None] = mapped_column(String(10))
    references: Mapped[list[Any]] = mapped_column(JSONType)
    sex: Mapped[str | None] = mapped_column(String(10))
    modifiers: Mapped[list[Any]] = mapped_column(JSONType)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))


class PhenotypeCoverage(Base):
    """Which phenotype terms each condition's present annotations cover: every annotated term
    and all its ancestors, with whether the term itself is annotated. Derived at each HPO
    import (app/matching/information.py), so ranking by symptoms reads one row per condition
    and given term instead of every annotation below a broad term."""

    __tablename__ = "phenotype_coverage"

    term_id: Mapped[int] = mapped_column(
        ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True
    )
    condition_id: Mapped[int] = mapped_column(
        ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True
    )
    exact: Mapped[bool] = mapped_column(Boolean)  # the term itself is annotated, not only below
