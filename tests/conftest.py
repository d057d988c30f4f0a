"""Databases for the tests: every test module runs on SQLite and on PostgreSQL.

Each run creates its own PostgreSQL databases (named after the run) and drops them at the end, so
runs never collide and leave nothing behind. A migrated, empty template is built once per engine;
tests that write get a fresh copy of it (`fresh_db`), read-only API tests share one seeded copy.
"""

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp

from app.core import migrations
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import session_factory_for
from app.main import create_app
from app.seeding.loader import seed

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# In CI (or when asked) an unreachable PostgreSQL fails the run instead of skipping its tests.
REQUIRE_POSTGRES = os.environ.get("CI", "").lower() == "true" or os.environ.get(
    "REQUIRE_POSTGRES", ""
) not in ("", "0")
MMN_SEED = PROJECT_ROOT / "seed_data" / "mmn.yaml"
RUN_ID = uuid.uuid4().hex[:8]


class Databases:
    """Creates databases for one engine and drops them when the session ends."""

    def __init__(self, engine_name: str, tmp_dir: Path) -> None:
        self.engine_name = engine_name
        self.tmp_dir = tmp_dir
        self.created: list[str] = []
        self._count = 0
        self.template_url: str | None = None

    def _name(self) -> str:
        self._count += 1
        return f"cc_test_{RUN_ID}_{self._count}"

    def create(self, template: str | None = None, pg_options: str = "") -> str:
        """A new database, copied from `template` if given; `pg_options` are extra CREATE
        DATABASE options on PostgreSQL (e.g. a locale)."""
        name = self._name()
        if self.engine_name == "sqlite":
            path = self.tmp_dir / f"{name}.sqlite3"
            if template:
                shutil.copyfile(make_url(template).database or "", path)
            url = f"sqlite:///{path}"
        else:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                source = f" TEMPLATE {make_url(template).database}" if template else ""
                conn.execute(text(f'CREATE DATABASE "{name}"{source} {pg_options}'))
            admin.dispose()
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        self.created.append(url)
        return url

    def migrated_template(self) -> str:
        if self.template_url is None:
            self.template_url = self.create()
            migrations.upgrade(self.template_url)
        return self.template_url

    def fresh(self) -> str:
        """A new, migrated, empty database."""
        return self.create(template=self.migrated_template())

    def drop_all(self) -> None:
        if self.engine_name != "postgresql":
            return
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for url in self.created:
                name = make_url(url).database
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_reachable() -> str | None:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    engine_name: str = request.param
    if engine_name == "postgresql":
        problem = _postgres_reachable()
        if problem:
            message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {problem}"
            if REQUIRE_POSTGRES:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    dbs = Databases(engine_name, tmp_path_factory.mktemp(engine_name))
    yield dbs
    dbs.drop_all()


@pytest.fixture
def engine_name(databases: Databases) -> str:
    return databases.engine_name


@pytest.fixture
def fresh_db(databases: Databases) -> str:
    """URL of a new, migrated, empty database on the current engine."""
    return databases.fresh()


def make_client(database_url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url)))


@contextmanager
def live_server(app: ASGIApp) -> Iterator[str]:
    """`app` under uvicorn on a port the OS picks, in a background thread: real sockets and
    real concurrency, for the tests that need them. Yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def seed_database(database_url: str, *paths: Path) -> None:
    with session_factory_for(database_url) as factory:
        seed(factory, list(paths) or [MMN_SEED])


@pytest.fixture(scope="session")
def seeded_url(databases: Databases) -> str:
    """A database holding the MMN seed record, shared by read-only tests."""
    url = databases.fresh()
    seed_database(url)
    return url


@pytest.fixture(scope="session")
def client(seeded_url: str) -> Iterator[TestClient]:
    """An HTTP client on the app serving the seeded database."""
    with make_client(seeded_url) as test_client:
        yield test_client


FULL_CORPUS = os.environ.get("FULL_CORPUS") == "1"


@pytest.fixture(scope="session")
def full_corpus_url(databases: Databases) -> str:
    """MMN seeded and the real releases imported whole (about a minute per engine): only when
    FULL_CORPUS=1, as .ci/run sets it."""
    if not FULL_CORPUS:
        pytest.skip("set FULL_CORPUS=1 to import the real releases")
    from app.importers.service import import_hpo, import_icd10cm

    url = databases.fresh()
    seed_database(url)
    with session_factory_for(url) as factory:
        import_hpo(factory)
        import_icd10cm(factory)
    return url
