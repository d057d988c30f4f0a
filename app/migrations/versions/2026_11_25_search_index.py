"""Search index: one document per condition (name, synonyms, codes, summary, section text),
as an FTS5 table on SQLite and a weighted tsvector with a GIN index on PostgreSQL, filled from
the data already present. Kept in step by the write paths (app/search/indexer.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

from app.search import indexer

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Field weights: name > synonyms > codes > summary and section text.
POSTGRES_DOCUMENT = (
    "setweight(to_tsvector('english', name), 'A') || "
    "setweight(to_tsvector('english', synonyms), 'B') || "
    "setweight(to_tsvector('simple', codes), 'C') || "
    "setweight(to_tsvector('english', summary), 'D') || "
    "setweight(to_tsvector('english', sections), 'D')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE condition_search ("
            " condition_id integer PRIMARY KEY REFERENCES conditions (id) ON DELETE CASCADE,"
            " name text NOT NULL, synonyms text NOT NULL, codes text NOT NULL,"
            " summary text NOT NULL, sections text NOT NULL,"
            f" document tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED)"
        )
        op.execute(
            "CREATE INDEX ix_condition_search_document ON condition_search USING gin (document)"
        )
    else:
        # rowid is the condition id; porter stems English, and remove_diacritics folds accents.
        op.execute(
            "CREATE VIRTUAL TABLE condition_search USING fts5("
            "name, synonyms, codes, summary, sections, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    indexer.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.execute("DROP TABLE condition_search")
