"""Alembic driven from code, so `python -m app migrate` and the tests need no alembic.ini lookup.

The migrations ship inside the package (app/migrations, package data), so an installed copy
finds them from any working directory.

Migrations run in one exclusive transaction (see app.core.db.exclusive_changes): several
replicas starting at once migrate one after another instead of racing on the same DDL.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.core.db import create_db_engine, exclusive_changes

SCRIPT_LOCATION = str(files("app") / "migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser interpolation treats % specially (URL-encoded passwords contain it).
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The revision the code expects the database to be at."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


@contextmanager
def _locked_connection(database_url: str) -> Iterator[Connection]:
    engine = create_db_engine(database_url)
    try:
        with exclusive_changes(engine, defer_foreign_keys=True) as connection:
            yield connection
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    with _locked_connection(database_url) as connection:
        config = alembic_config(database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    with _locked_connection(database_url) as connection:
        config = alembic_config(database_url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def include_name(name: str | None, type_: str, _: object) -> bool:
    """Autogenerate's filter: the search index (migration 0004) is engine-specific DDL, not a
    model (an FTS5 table and its shadow tables on SQLite, a generated tsvector on PostgreSQL)."""
    return not (type_ == "table" and (name or "").startswith("condition_search"))
