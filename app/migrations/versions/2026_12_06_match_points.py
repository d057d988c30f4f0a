"""The symptom match's points: each coverage row gets the evidence that naming its term gives
for its condition, and how unlikely the condition is in someone known not to have it (see
app.matching.information); computed here from the annotations already present, as later HPO
imports do. On SQLite the table is stored in key order (WITHOUT ROWID); on PostgreSQL its key's
index carries the points, so a term's rows are read from the index alone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from app.importers.repository import insert_rows
from app.matching import information
from app.models import PhenotypeCoverage

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(*points: sa.Column[int], include: Sequence[str] = (), **options: bool) -> None:
    """The table with these columns beside its key; `include`: columns the key's index carries
    on PostgreSQL (index-only scans of one term's rows)."""
    carried: dict[str, Any] = {"postgresql_include": list(include)} if include else {}
    op.create_table(
        "phenotype_coverage",
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        *points,
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
        sa.PrimaryKeyConstraint(
            "term_id", "condition_id", name=op.f("pk_phenotype_coverage"), **carried
        ),
        **options,
    )


def upgrade() -> None:
    op.drop_table("phenotype_coverage")
    _create(
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Integer(), nullable=False),
        sa.Column("absence", sa.Integer(), nullable=False),
        include=["exact", "evidence", "absence"],
        sqlite_with_rowid=False,
    )
    session = Session(bind=op.get_bind())
    information.compute(session, partial(insert_rows, session, PhenotypeCoverage))


def downgrade() -> None:
    # Back to coverage without points (0005's shape), filled as 0005's code did.
    op.drop_table("phenotype_coverage")
    _create(sa.Column("exact", sa.Boolean(), nullable=False))
    op.execute(
        "INSERT INTO phenotype_coverage (term_id, condition_id, exact) "
        "SELECT ta.ancestor_id, pa.condition_id, "
        "MAX(CASE WHEN pa.term_id = ta.ancestor_id THEN 1 ELSE 0 END) = 1 "
        "FROM phenotype_annotations pa JOIN term_ancestors ta ON ta.term_id = pa.term_id "
        "WHERE pa.excluded = false GROUP BY ta.ancestor_id, pa.condition_id"
    )
