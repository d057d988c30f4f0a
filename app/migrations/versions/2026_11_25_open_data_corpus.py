"""Open-data corpus: HPO terms and hierarchy, phenotype annotations, code-system entries,
import bookkeeping; code provenance, condition origin, source attribution.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "source_imports",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", JSON_TYPE, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_imports")),
    )
    op.create_table(
        "code_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("display", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("parent_code", sa.String(length=100), nullable=True),
        sa.Column("path", JSON_TYPE, nullable=False),
        sa.Column("inclusion_terms", JSON_TYPE, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_code_entries_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_entries")),
        sa.UniqueConstraint("system", "code", name=op.f("uq_code_entries_system_code")),
    )
    with op.batch_alter_table("code_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_code_entries_system_parent", ["system", "parent_code", "code"], unique=False
        )

    op.create_table(
        "phenotype_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("disease_code", sa.String(length=40), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("aspect", sa.String(length=1), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("frequency", JSON_TYPE, nullable=True),
        sa.Column("onset", JSON_TYPE, nullable=True),
        sa.Column("evidence", sa.String(length=10), nullable=True),
        sa.Column("references", JSON_TYPE, nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("modifiers", JSON_TYPE, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_phenotype_annotations_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_phenotype_annotations_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["terms.id"],
            name=op.f("fk_phenotype_annotations_term_id_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phenotype_annotations")),
    )
    with op.batch_alter_table("phenotype_annotations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_phenotype_annotations_condition_id", ["condition_id", "position"], unique=False
        )
        batch_op.create_index(
            "ix_phenotype_annotations_term_id",
            ["term_id", "excluded", "condition_id"],
            unique=False,
        )

    op.create_table(
        "term_ancestors",
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["terms.id"],
            name=op.f("fk_term_ancestors_ancestor_id_terms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["terms.id"],
            name=op.f("fk_term_ancestors_term_id_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term_id", "ancestor_id", name=op.f("pk_term_ancestors")),
    )
    with op.batch_alter_table("term_ancestors", schema=None) as batch_op:
        batch_op.create_index("ix_term_ancestors_ancestor_id", ["ancestor_id"], unique=False)

    op.create_table(
        "term_parents",
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["terms.id"],
            name=op.f("fk_term_parents_parent_id_terms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["terms.id"],
            name=op.f("fk_term_parents_term_id_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term_id", "parent_id", name=op.f("pk_term_parents")),
    )
    with op.batch_alter_table("term_parents", schema=None) as batch_op:
        batch_op.create_index("ix_term_parents_parent_id", ["parent_id"], unique=False)

    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("provenance", sa.String(length=20), server_default="curated", nullable=False)
        )
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_codes_source_id_sources"),
            "sources",
            ["source_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    op.create_index("ix_conditions_id_status_slug", "conditions", ["id", "status", "slug"])
    with op.batch_alter_table("conditions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=20), server_default="seed", nullable=False)
        )
        batch_op.add_column(
            sa.Column("annotation_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.alter_column("summary", existing_type=sa.TEXT(), nullable=True)

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attribution", sa.Text(), nullable=True))

    with op.batch_alter_table("terms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("definition", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("synonyms", JSON_TYPE, server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_terms_kind_code"), ["kind", "code"])
        batch_op.create_foreign_key(
            batch_op.f("fk_terms_source_id_sources"),
            "sources",
            ["source_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    # The imported corpus goes with its tables; it can be imported again after an upgrade.
    op.execute("DELETE FROM conditions WHERE origin <> 'seed'")
    op.execute("DELETE FROM codes WHERE provenance <> 'curated'")
    op.execute("UPDATE conditions SET summary = '' WHERE summary IS NULL")
    op.drop_index("ix_conditions_id_status_slug", table_name="conditions")
    with op.batch_alter_table("terms", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_terms_source_id_sources"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_terms_kind_code"), type_="unique")
        batch_op.drop_column("source_id")
        batch_op.drop_column("synonyms")
        batch_op.drop_column("definition")
        batch_op.drop_column("code")

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("attribution")

    with op.batch_alter_table("conditions", schema=None) as batch_op:
        batch_op.alter_column("summary", existing_type=sa.TEXT(), nullable=False)
        batch_op.drop_column("annotation_count")
        batch_op.drop_column("origin")

    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_codes_source_id_sources"), type_="foreignkey")
        batch_op.drop_column("source_id")
        batch_op.drop_column("provenance")

    with op.batch_alter_table("term_parents", schema=None) as batch_op:
        batch_op.drop_index("ix_term_parents_parent_id")

    op.drop_table("term_parents")
    with op.batch_alter_table("term_ancestors", schema=None) as batch_op:
        batch_op.drop_index("ix_term_ancestors_ancestor_id")

    op.drop_table("term_ancestors")
    with op.batch_alter_table("phenotype_annotations", schema=None) as batch_op:
        batch_op.drop_index("ix_phenotype_annotations_term_id")
        batch_op.drop_index("ix_phenotype_annotations_condition_id")

    op.drop_table("phenotype_annotations")
    with op.batch_alter_table("code_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_code_entries_system_parent")

    op.drop_table("code_entries")
    op.drop_table("source_imports")
