"""Initial schema: conditions, codes, sections and their items, shared terms, sources.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSONB on PostgreSQL, JSON text on SQLite (mirrors app.models.base.JSONType).
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Byte-wise slug order on both engines (mirrors app.models.base.SlugType).
SLUG_TYPE = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", SLUG_TYPE, nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("synonyms", JSON_TYPE, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("disclaimer", sa.Text(), nullable=False),
        sa.Column("last_reviewed", sa.Date(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('published', 'draft', 'retired')", name=op.f("ck_conditions_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditions")),
        sa.UniqueConstraint("slug", name=op.f("uq_conditions_slug")),
    )
    with op.batch_alter_table("conditions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conditions_status"), ["status"], unique=False)

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("retrieved", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_sources_key")),
    )
    op.create_table(
        "terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slug", SLUG_TYPE, nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms")),
        sa.UniqueConstraint("kind", "slug", name=op.f("uq_terms_kind_slug")),
    )
    op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("display", sa.String(length=500), nullable=True),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_codes_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codes")),
        sa.UniqueConstraint(
            "condition_id", "system", "code", name=op.f("uq_codes_condition_id_system_code")
        ),
    )
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_codes_condition_id"), ["condition_id"], unique=False)
        batch_op.create_index("ix_codes_system_code", ["system", "code"], unique=False)

    op.create_table(
        "condition_sources",
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_sources_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_condition_sources_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("condition_id", "source_id", name=op.f("pk_condition_sources")),
    )
    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('overview', 'types', 'causes', 'risk-factors', 'symptoms', 'diagnosis', 'treatments', 'drugs', 'surgeries', 'complications', 'prevention', 'prognosis', 'when-to-see-a-doctor', 'epidemiology')",
            name=op.f("ck_sections_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_sections_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
        sa.UniqueConstraint("condition_id", "kind", name=op.f("uq_sections_condition_id_kind")),
    )
    op.create_table(
        "section_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("attributes", JSON_TYPE, nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_section_items_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["terms.id"],
            name=op.f("fk_section_items_term_id_terms"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_items")),
        sa.UniqueConstraint(
            "section_id", "position", name=op.f("uq_section_items_section_id_position")
        ),
    )
    with op.batch_alter_table("section_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_section_items_term_id"), ["term_id"], unique=False)

    op.create_table(
        "section_sources",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_section_sources_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_section_sources_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("section_id", "source_id", name=op.f("pk_section_sources")),
    )


def downgrade() -> None:
    op.drop_table("section_sources")
    with op.batch_alter_table("section_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_items_term_id"))

    op.drop_table("section_items")
    op.drop_table("sections")
    op.drop_table("condition_sources")
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_index("ix_codes_system_code")
        batch_op.drop_index(batch_op.f("ix_codes_condition_id"))

    op.drop_table("codes")
    op.drop_table("terms")
    op.drop_table("sources")
    with op.batch_alter_table("conditions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conditions_status"))

    op.drop_table("conditions")
