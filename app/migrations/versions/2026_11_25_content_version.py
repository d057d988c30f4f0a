"""Content version: a counter raised by trigger on every change to the conditions table, so
list caches can tell with one read whether anything listed changed. (A later SQLite batch
migration that rebuilds `conditions` drops its triggers: it must create them again.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    op.execute("INSERT INTO content_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per statement: a bulk import raises the counter once, not once per row.
        op.execute(
            "CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER conditions_bump_content_version "
            "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON conditions "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version()"
        )
    else:
        # SQLite has row triggers only; the update is in-transaction and cheap.
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER conditions_{event}_bumps_content_version "
                f"AFTER {event.upper()} ON conditions BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER conditions_bump_content_version ON conditions")
        op.execute("DROP FUNCTION bump_content_version()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER conditions_{event}_bumps_content_version")
    op.drop_table("content_version")
