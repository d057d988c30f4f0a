"""Content releases: one row per seed or import run that changed the content, with the source
versions it was built from. A database that already holds content gets one release for it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    releases = op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_version", sa.BigInteger(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=40), nullable=False),
        sa.Column("sources", JSON_TYPE, nullable=False),
        sa.Column("conditions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("content_version", name=op.f("uq_releases_content_version")),
    )
    bind = op.get_bind()
    published = bind.execute(
        sa.text("SELECT count(*) FROM conditions WHERE status = 'published'")
    ).scalar_one()
    if not published:
        return
    version = bind.execute(sa.text("SELECT version FROM content_version WHERE id = 1")).scalar()
    columns = ("title", "publisher", "url", "licence", "version", "retrieved", "attribution")
    sources = [
        {
            "key": row.key,
            **{column: getattr(row, column) for column in columns},
            "retrieved": str(row.retrieved) if row.retrieved is not None else None,
        }
        for row in bind.execute(
            sa.text(f"SELECT key, {', '.join(columns)} FROM sources ORDER BY key")  # noqa: S608
        )
    ]
    last_change = bind.execute(sa.text("SELECT max(updated_at) FROM conditions")).scalar()
    if isinstance(last_change, str):  # SQLite answers an aggregate of timestamps as text
        last_change = datetime.fromisoformat(last_change)
    released_at = last_change or datetime.now(UTC)
    if released_at.tzinfo is None:
        released_at = released_at.replace(tzinfo=UTC)
    op.bulk_insert(
        releases,
        [
            {
                "content_version": version or 0,
                "released_at": released_at,
                "made_by": "upgrade",
                "sources": sources,
                "conditions": published,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("releases")
