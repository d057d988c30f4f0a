"""Migrations are the only source of the schema: they round-trip and agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select

from app.core import migrations
from app.models import Base, Condition
from tests.conftest import Databases, seed_database

TABLES = {
    "conditions", "codes", "sections", "section_items", "terms", "sources",
    "condition_sources", "section_sources", "alembic_version",
}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(databases: Databases) -> None:
    url = databases.create()
    migrations.upgrade(url)
    assert _tables(url) == TABLES
    seed_database(url)  # downgrade must cope with data present
    migrations.downgrade(url, "base")
    assert _tables(url) == {"alembic_version"}
    migrations.upgrade(url)
    assert _tables(url) == TABLES
    seed_database(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Condition)) == 1
    engine.dispose()


def test_models_match_migrations(databases: Databases) -> None:
    """What `alembic check` does: autogenerate against a migrated database finds no difference."""
    engine = create_engine(databases.fresh())
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []
