from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Gene(Base):
    """A gene that the HPO's gene annotations (genes_to_phenotype.txt) associate with a disease,
    by its NCBI Gene id and symbol. Owned by the HPO import."""

    __tablename__ = "genes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ncbi_id: Mapped[int] = mapped_column(Integer, unique=True)
    # None where the file gives none (`-`): a few NCBI ids have no symbol there.
    symbol: Mapped[str | None] = mapped_column(String(50), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))


class ConditionGene(Base):
    """A gene listed for one disease id of a record: an association the HPO annotations state,
    not a proven cause."""

    __tablename__ = "condition_genes"
    __table_args__ = (
        # The reverse look-up: the conditions listing a gene.
        Index("ix_condition_genes_gene_id", "gene_id", "condition_id"),
    )

    condition_id: Mapped[int] = mapped_column(
        ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True
    )
    gene_id: Mapped[int] = mapped_column(
        ForeignKey("genes.id", ondelete="CASCADE"), primary_key=True
    )
    disease_code: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. OMIM:219700
    position: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
