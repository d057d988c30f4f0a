"""What tests share besides fixtures: the one client factory, a live server, seeding, the
fixture imports, the write API's helpers and table snapshots. Fixtures live in conftest.py
files and use these; tests import them from here."""

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp

from app.auth import keys
from app.core import migrations
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import session_factory_for, transaction
from app.importers.files import HpoFiles, Icd10cmFiles
from app.importers.service import ImportReport, import_hpo, import_icd10cm
from app.main import create_app
from app.models import Base
from app.seeding.loader import seed
from tests.factories import condition

MMN_SEED = PROJECT_ROOT / "seed_data" / "mmn.yaml"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RUN_ID = uuid.uuid4().hex[:8]
FULL_CORPUS = os.environ.get("FULL_CORPUS") == "1"
REDIS = "redis://127.0.0.1:6379/0"  # the machine's Redis, for the shared rate limits


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


def make_client(
    database_url: str, *, raise_server_exceptions: bool = True, **settings: Any
) -> TestClient:
    """The one way tests build a client: the app on `database_url`, with any other settings."""
    app = create_app(Settings(database_url=database_url, **settings))
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


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


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(
    base: str, server: subprocess.Popen[Any], path: str = "/readyz", timeout_s: float = 60
) -> None:
    """Until GET `path` answers 200: a test's `python -m app serve` has started. Fails when the
    server exits first or takes longer than `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}{path}").status_code == 200:
                return
        except httpx.TransportError:
            assert server.poll() is None, f"the server exited {server.returncode}"
            assert time.monotonic() < deadline, f"the server did not start in {timeout_s} s"
            time.sleep(0.1)


def seed_database(database_url: str, *paths: Path) -> None:
    with session_factory_for(database_url) as factory:
        seed(factory, list(paths) or [MMN_SEED])


FIXTURES = Path(__file__).resolve().parent / "fixtures"
HPO_FILES = HpoFiles(
    ontology=FIXTURES / "hpo" / "hp.obo",
    annotations=FIXTURES / "hpo" / "phenotype.hpoa",
    genes=FIXTURES / "hpo" / "genes_to_phenotype.txt",
)
ICD_FILES = Icd10cmFiles(
    tabular=FIXTURES / "icd10cm" / "icd10c-tabular-April-1-2026.xml",
    code_list=FIXTURES / "icd10cm" / "code-list-April-2026.txt",
)


def run_imports(
    url: str, hpo: HpoFiles = HPO_FILES, icd: Icd10cmFiles = ICD_FILES
) -> list[ImportReport]:
    with session_factory_for(url) as factory:
        return [import_hpo(factory, hpo), import_icd10cm(factory, icd)]


MMN = "/v1/conditions/multifocal-motor-neuropathy"


@dataclass
class Editing:
    url: str
    client: TestClient
    writer: dict[str, str]  # headers carrying a key with the write scope
    reader: dict[str, str]  # headers carrying a read-only key
    writer_key: str

    def etag(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return response.headers["etag"]

    def headers(self, etag: str | None = None, **extra: str) -> dict[str, str]:
        headers = dict(self.writer)
        if etag is not None:
            headers["If-Match"] = etag
        return headers | extra

    def patch(self, path: str, body: Any, etag: str | None = None) -> Any:
        headers = self.headers(etag, **{"Content-Type": "application/merge-patch+json"})
        return self.client.patch(path, json=body, headers=headers)


def new_key(url: str, name: str, *scopes: keys.Scope) -> str:
    with session_factory_for(url) as factory, transaction(factory) as session:
        return keys.create(session, name, list(scopes)).key


def new_record(slug: str = "test-condition", **overrides: Any) -> dict[str, Any]:
    """A record touching every part of the schema (no medical claim: the text is filler)."""
    record = condition(
        slug,
        "Test condition",
        synonyms=["Test synonym"],
        codes=[{"system": "orpha", "code": "999999", "display": "Test code"}],
        last_reviewed="2026-11-01",
        review_due="2027-11-01",
        sections={
            "overview": {"summary": "Overview text."},
            "symptoms": {
                "summary": "Symptoms text.",
                "items": [
                    {"name": "First test sign", "description": "One."},
                    {"name": "Second test sign", "frequency": {"label": "Frequent"}},
                ],
            },
            "drugs": {"items": [{"name": "Test drug class", "examples": ["Test medicine"]}]},
        },
    )
    record.update(overrides)
    return record


def snapshot(url: str, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but `exclude`), for before/after comparisons."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted([tuple(row) for row in conn.execute(select(table))], key=repr)
                for table in Base.metadata.sorted_tables
                if table.name not in exclude
            }
    finally:
        engine.dispose()


# In CI (or when asked) a service the suite needs that cannot be reached fails the run instead
# of skipping its tests.
REQUIRE_SERVICES = os.environ.get("CI", "").lower() == "true" or os.environ.get(
    "REQUIRE_POSTGRES", ""
) not in ("", "0")


def unreachable(message: str) -> NoReturn:
    """Fail (CI) or skip (a developer's machine) a test whose service is not there."""
    if REQUIRE_SERVICES:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
