"""Phenotype coverage and information content (for ranking conditions by symptoms). Revision
0010 gave the coverage its points and computes both from the annotations already present;
later HPO imports recompute them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("terms", sa.Column("information_content", sa.Float(), nullable=True))
    op.create_table(
        "phenotype_coverage",
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_phenotype_coverage_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["terms.id"],
            name=op.f("fk_phenotype_coverage_term_id_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term_id", "condition_id", name=op.f("pk_phenotype_coverage")),
    )


def downgrade() -> None:
    op.drop_table("phenotype_coverage")
    with op.batch_alter_table("terms") as batch:
        batch.drop_column("information_content")
