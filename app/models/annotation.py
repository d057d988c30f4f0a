from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, PrimaryKeyConstraint, String
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
    """What ranking by symptoms needs of each condition, one row per phenotype term its present
    annotations reach (each annotated term and its ancestors, but the two roots): how strongly
    reporting the term points to the condition, and how unlikely the condition is in someone
    known not to have it. Derived at each HPO import (app/matching/information.py), so a
    ranking sums one row per condition and given term instead of reading every annotation
    below a broad term. Points are thousandths of a natural-log unit, integers, so that sums
    are exact and rank alike on every engine."""

    __tablename__ = "phenotype_coverage"
    __table_args__ = (
        # A ranking reads a term's rows by the key: stored in key order on SQLite (WITHOUT
        # ROWID), carried in the key's index on PostgreSQL (index-only scans), not one heap
        # page per row.
        PrimaryKeyConstraint(
            "term_id", "condition_id", postgresql_include=["exact", "evidence", "absence"]
        ),
        {"sqlite_with_rowid": False},
    )

    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"))
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id", ondelete="CASCADE"))
    exact: Mapped[bool] = mapped_column(Boolean)  # the term itself is annotated, not only below
    # ln(likelihood ratio of reporting the term, given the condition) - ln(EPSILON), >= 0
    evidence: Mapped[int] = mapped_column(Integer)
    # ln(chance that someone with the condition shows nothing at or below the term), <= 0
    absence: Mapped[int] = mapped_column(Integer)
