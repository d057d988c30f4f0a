"""Change notifications (PostgreSQL): every commit that changes what the serving app's version
checks read (conditions, slug redirects, terms and their ancestry) notifies the channel
`content_changed`, so each worker can remember its checks until one arrives (app.reads.reader).
Once per statement, and PostgreSQL folds the repeats of one transaction into one, delivered
at commit. SQLite needs none: its `data_version` tells a connection about other commits.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "content_changed"  # app.reads.reader.CHANNEL, frozen here as a migration must be
TABLES = ("conditions", "slug_redirects", "terms", "term_ancestors")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION notify_content_changed() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_content_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_notify_content_changed ON {table}")
    op.execute("DROP FUNCTION notify_content_changed()")
