"""A writable database per test: MMN and a test source seeded, and keys of each scope."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth import keys
from app.core.config import Settings
from app.core.db import session_factory_for, transaction
from app.main import create_app
from tests.conftest import MMN_SEED, seed_database
from tests.factories import condition, write_seed

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


def editing_client(url: str, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, **settings)))


@pytest.fixture
def editing(fresh_db: str, tmp_path: Path) -> Iterator[Editing]:
    fixture = write_seed(tmp_path / "fixture.yaml", [condition("seeded-fixture")])
    seed_database(fresh_db, MMN_SEED, fixture)
    writer = new_key(fresh_db, "editor", keys.Scope.WRITE)
    reader = new_key(fresh_db, "reader", keys.Scope.READ)
    with editing_client(fresh_db) as client:
        yield Editing(
            fresh_db,
            client,
            {"Authorization": f"Bearer {writer}"},
            {"Authorization": f"Bearer {reader}"},
            writer,
        )


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
