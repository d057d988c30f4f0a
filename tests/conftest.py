"""Databases for the tests: every test module runs on SQLite and on PostgreSQL.

Each run creates its own PostgreSQL databases (named after the run) and drops them at the end, so
runs never collide and leave nothing behind. A migrated, empty template is built once per engine;
tests that write get a fresh copy of it (`fresh_db`), read-only API tests share one seeded copy.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.auth import keys
from app.core.db import session_factory_for
from tests.factories import condition, write_seed
from tests.helpers import (
    FULL_CORPUS,
    MMN_SEED,
    POSTGRES_URL,
    REDIS,
    Databases,
    Editing,
    make_client,
    new_key,
    run_imports,
    seed_database,
    unreachable,
)


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
            unreachable(f"PostgreSQL at {POSTGRES_URL} is unreachable: {problem}")
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


@pytest.fixture(scope="module")
def corpus_url(databases: Databases) -> str:
    """MMN seeded, then both fixture sources imported (tests/fixtures)."""
    url = databases.fresh()
    seed_database(url)
    run_imports(url)
    return url


@pytest.fixture(scope="module")
def corpus(corpus_url: str) -> Iterator[TestClient]:
    with make_client(corpus_url) as client:
        yield client


@pytest.fixture
def editing(fresh_db: str, tmp_path: Path) -> Iterator[Editing]:
    fixture = write_seed(tmp_path / "fixture.yaml", [condition("seeded-fixture")])
    seed_database(fresh_db, MMN_SEED, fixture)
    writer = new_key(fresh_db, "editor", keys.Scope.WRITE)
    reader = new_key(fresh_db, "reader", keys.Scope.READ)
    with make_client(fresh_db) as client:
        yield Editing(
            fresh_db,
            client,
            {"Authorization": f"Bearer {writer}"},
            {"Authorization": f"Bearer {reader}"},
            writer,
        )


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the real Redis, its keys deleted after."""
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        unreachable(f"Redis at {REDIS} is unreachable: {exc}")
    prefix = f"cc-test-{uuid.uuid4().hex}"
    yield prefix
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
