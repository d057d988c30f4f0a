"""Write history: editors' revisions, the change feed, and the old slugs of renamed records.

The feed starts with one `created` entry per record already present, so a client that reads it
from the start learns every record.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SLUG_TYPE = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "condition_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", JSON_TYPE, nullable=True),
        sa.Column("document", JSON_TYPE, nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_revisions_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_revisions")),
        sa.UniqueConstraint(
            "condition_id", "number", name=op.f("uq_condition_revisions_condition_id_number")
        ),
    )
    op.create_table(
        "condition_changes",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slug", SLUG_TYPE, nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("previous_slug", SLUG_TYPE, nullable=True),
        sa.Column("moved_to", SLUG_TYPE, nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_condition_changes")),
    )
    op.create_index("ix_condition_changes_slug_seq", "condition_changes", ["slug", "seq"])
    op.create_table(
        "slug_redirects",
        sa.Column("slug", SLUG_TYPE, nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_slug_redirects_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_slug_redirects")),
    )
    op.create_index(op.f("ix_slug_redirects_condition_id"), "slug_redirects", ["condition_id"])
    # The records present now open the feed, numbered after the current content version,
    # which then moves past them.
    op.execute(
        "INSERT INTO condition_changes (seq, slug, action, revision, changed_at) "
        "SELECT (SELECT version FROM content_version WHERE id = 1) "
        "+ ROW_NUMBER() OVER (ORDER BY id), slug, 'created', revision, updated_at "
        "FROM conditions"
    )
    op.execute(
        "UPDATE content_version SET version = version + (SELECT COUNT(*) FROM conditions) "
        "WHERE id = 1"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slug_redirects_condition_id"), table_name="slug_redirects")
    op.drop_table("slug_redirects")
    op.drop_index("ix_condition_changes_slug_seq", table_name="condition_changes")
    op.drop_table("condition_changes")
    op.drop_table("condition_revisions")
