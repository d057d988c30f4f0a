"""Content from the open data: genes and their diseases, subtypes, the HPO term a record is
built from, lay names, the summary derived for records that editors gave none, and the HPO
terms' cross-references. Filled by the next import.

Columns are added to `conditions` in place (not by a copied table), so its triggers stay;
the link of a record to its term is a table of its own for that reason.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import JSONType

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _foreign_key(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "genes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ncbi_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=50), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        _foreign_key("genes", "source_id", "sources", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genes")),
        sa.UniqueConstraint("ncbi_id", name=op.f("uq_genes_ncbi_id")),
    )
    op.create_index(op.f("ix_genes_symbol"), "genes", ["symbol"])
    op.create_table(
        "condition_genes",
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("gene_id", sa.Integer(), nullable=False),
        sa.Column("disease_code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        _foreign_key("condition_genes", "condition_id", "conditions", "CASCADE"),
        _foreign_key("condition_genes", "gene_id", "genes", "CASCADE"),
        _foreign_key("condition_genes", "source_id", "sources", "RESTRICT"),
        sa.PrimaryKeyConstraint(
            "condition_id", "gene_id", "disease_code", name=op.f("pk_condition_genes")
        ),
    )
    op.create_index("ix_condition_genes_gene_id", "condition_genes", ["gene_id", "condition_id"])
    op.create_table(
        "condition_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("type_condition_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        _foreign_key("condition_types", "condition_id", "conditions", "CASCADE"),
        _foreign_key("condition_types", "source_id", "sources", "RESTRICT"),
        _foreign_key("condition_types", "type_condition_id", "conditions", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_types")),
        sa.UniqueConstraint(
            "condition_id",
            "system",
            "code",
            name=op.f("uq_condition_types_condition_id_system_code"),
        ),
    )
    op.create_index(op.f("ix_condition_types_condition_id"), "condition_types", ["condition_id"])
    op.create_index(
        op.f("ix_condition_types_type_condition_id"), "condition_types", ["type_condition_id"]
    )
    op.create_table(
        "condition_terms",
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        _foreign_key("condition_terms", "condition_id", "conditions", "CASCADE"),
        _foreign_key("condition_terms", "term_id", "terms", "CASCADE"),
        sa.PrimaryKeyConstraint("condition_id", name=op.f("pk_condition_terms")),
        sa.UniqueConstraint("term_id", name=op.f("uq_condition_terms_term_id")),
    )
    op.add_column(
        "conditions",
        sa.Column("consumer_names", JSONType, server_default="[]", nullable=False),
    )
    op.add_column(
        "conditions",
        sa.Column("imported_kinds", JSONType, server_default="[]", nullable=False),
    )
    # Until the next import derives the rest, records show what they showed.
    op.execute("UPDATE conditions SET imported_kinds = '[\"symptoms\"]' WHERE annotation_count > 0")
    op.add_column("conditions", sa.Column("derived_summary", sa.Text(), nullable=True))
    op.add_column(
        "conditions", sa.Column("derived_summary_kind", sa.String(length=20), nullable=True)
    )
    op.add_column(
        "conditions",
        sa.Column("derived_summary_sources", JSONType, server_default="[]", nullable=False),
    )
    op.add_column("terms", sa.Column("xrefs", JSONType, server_default="[]", nullable=False))
    op.add_column(
        "code_entries", sa.Column("includes", JSONType, server_default="[]", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("code_entries", "includes")
    op.drop_column("terms", "xrefs")
    for column in ("derived_summary_sources", "derived_summary_kind", "derived_summary"):
        op.drop_column("conditions", column)
    op.drop_column("conditions", "consumer_names")
    op.drop_column("conditions", "imported_kinds")
    op.drop_table("condition_terms")
    op.drop_table("condition_types")
    op.drop_table("condition_genes")
    op.drop_table("genes")
