from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ConditionType(Base):
    """A form or subtype of a record, derived by the imports: an HPO child of the record's
    term that is itself a record, or an ICD-10-CM child of one of its codes. Rebuilt by the
    imports by difference; editors' `types` items live in sections."""

    __tablename__ = "condition_types"
    __table_args__ = (UniqueConstraint("condition_id", "system", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(
        ForeignKey("conditions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    system: Mapped[str] = mapped_column(String(40))  # hpo or icd10cm
    code: Mapped[str] = mapped_column(String(100))
    # The record of the subtype, when there is one.
    type_condition_id: Mapped[int | None] = mapped_column(
        ForeignKey("conditions.id", ondelete="SET NULL"), index=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))


class ConditionTerm(Base):
    """The HPO term a common-condition record is built from, or that enriches the record of the
    same name (app/importers/hpo_conditions.py). The term stays a symptom term too."""

    __tablename__ = "condition_terms"

    condition_id: Mapped[int] = mapped_column(
        ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True
    )
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"), unique=True)
