"""Migrations are the only source of the schema: they round-trip and agree with the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, func, inspect, select, text

from app.auth import keys
from app.core import migrations
from app.core.db import create_db_engine, exclusive_changes, session_factory_for, transaction
from app.models import Base, Condition, Section
from tests.helpers import Databases, make_client, run_imports, seed_database

TABLES = {
    "conditions", "codes", "sections", "section_items", "terms", "sources",
    "condition_sources", "section_sources", "alembic_version", "term_parents",
    "term_ancestors", "phenotype_annotations", "code_entries", "source_imports", "content_version",
    "condition_search", "phenotype_coverage", "api_keys", "condition_revisions",
    "condition_changes", "slug_redirects", "genes", "condition_genes", "condition_types",
    "condition_terms", "releases",
}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        # Less the shadow tables SQLite keeps for the FTS5 search index.
        names = set(inspect(engine).get_table_names())
        return {name for name in names if not name.startswith("condition_search_")}
    finally:
        engine.dispose()


def _write_over_http(url: str) -> None:
    with session_factory_for(url) as factory, transaction(factory) as session:
        key = keys.create(session, "migrations", [keys.Scope.WRITE]).key
    mmn = "/v1/conditions/multifocal-motor-neuropathy"
    with make_client(url) as client:
        renamed = client.patch(
            mmn,
            json={"slug": "mmn-renamed"},
            headers={
                "Authorization": f"Bearer {key}",
                "If-Match": client.get(mmn).headers["etag"],
                "Content-Type": "application/merge-patch+json",
            },
        )
        assert renamed.status_code == 200
        assert client.get(mmn, follow_redirects=False).status_code == 308


def test_upgrade_downgrade_upgrade(databases: Databases) -> None:
    url = databases.create()
    migrations.upgrade(url)
    assert _tables(url) == TABLES
    seed_database(url)  # downgrade must cope with data present, imported data included
    run_imports(url)
    _write_over_http(url)  # and the write API's revisions, feed entries, redirects and keys
    migrations.downgrade(url, "0001")
    engine = create_engine(url)
    with engine.connect() as conn:  # the editors' record survives; the imported corpus goes
        assert conn.scalar(select(func.count()).select_from(Condition)) == 1
    engine.dispose()
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
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": migrations.include_name}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("defer_foreign_keys", [True, False])
def test_rebuilding_a_parent_table_keeps_child_rows(
    databases: Databases, defer_foreign_keys: bool
) -> None:
    """SQLite migrations ALTER by copying a table and dropping the old one. Migrations defer
    foreign keys so that the drop does not cascade into sections and codes (on SQLite the
    un-deferred variant shows the loss; on PostgreSQL neither loses anything)."""
    url = databases.fresh()
    seed_database(url)
    engine = create_db_engine(url)
    with exclusive_changes(engine, defer_foreign_keys=defer_foreign_keys) as connection:
        operations = Operations(MigrationContext.configure(connection))
        # SQLite copies the table for such an ALTER; PostgreSQL alters it in place.
        recreate = "always" if databases.engine_name == "sqlite" else "auto"
        with operations.batch_alter_table("conditions", recreate=recreate) as batch:
            batch.add_column(sa.Column("extra", sa.Integer(), nullable=True))
    with engine.connect() as connection:
        sections = connection.scalar(select(func.count()).select_from(Section))
    engine.dispose()
    loses_rows = databases.engine_name == "sqlite" and not defer_foreign_keys
    assert sections == (0 if loses_rows else 12)


def test_every_change_to_conditions_raises_the_content_version(databases: Databases) -> None:
    """The triggers of migration 0003 are there at head (a SQLite batch migration that rebuilt
    `conditions` would drop them silently): insert, update and delete each raise the counter."""
    url = databases.fresh()
    engine = create_engine(url)
    version = text("SELECT version FROM content_version WHERE id = 1")
    try:
        with engine.begin() as conn:
            start = conn.scalar(version)
            conn.execute(
                text(
                    "INSERT INTO conditions (slug, name, synonyms, status, disclaimer, revision,"
                    " content_hash, created_at, updated_at, origin, annotation_count) VALUES"
                    " ('x-disease', 'X', '[]', 'published', 'd', 1, 'h', CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP, 'seed', 0)"
                )
            )
            after_insert = conn.scalar(version)
            conn.execute(text("UPDATE conditions SET name = 'Y' WHERE slug = 'x-disease'"))
            after_update = conn.scalar(version)
            conn.execute(text("DELETE FROM conditions WHERE slug = 'x-disease'"))
            after_delete = conn.scalar(version)
    finally:
        engine.dispose()
    assert start < after_insert < after_update < after_delete


def test_content_found_by_the_releases_migration_is_its_first_release(
    databases: Databases,
) -> None:
    url = databases.create()
    migrations.upgrade(url)
    seed_database(url)
    migrations.downgrade(url, "0010")  # content, as it was before releases were recorded
    migrations.upgrade(url)
    with make_client(url) as client:
        listed = client.get("/v1/releases").json()
        record = client.get("/v1/conditions/multifocal-motor-neuropathy").json()
    (release,) = listed["items"]
    assert release["made_by"] == "upgrade" and release["current"]
    assert release["version"] == listed["current"] and release["conditions"] == 1
    shown = {source["title"] for source in record["sources"]}
    assert shown <= {source["title"] for source in release["sources"]}
    # An empty database has no release to record.
    empty = databases.create()
    migrations.upgrade(empty)
    with make_client(empty) as client:
        assert [r["made_by"] for r in client.get("/v1/releases").json()["items"]] == ["edits"]
