"""Information content of phenotype terms (for ranking conditions by symptoms), computed from
the annotations already present; later HPO imports recompute it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from app.matching import information

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("terms", sa.Column("information_content", sa.Float(), nullable=True))
    information.compute(Session(bind=op.get_bind()))


def downgrade() -> None:
    with op.batch_alter_table("terms") as batch:
        batch.drop_column("information_content")
